"""A detector served as the mean of several looks (scripts/compose_detector.py, models/detectors/served.py)."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models.detectors import registry
from models.detectors.calibration import logit, sigmoid
from models.detectors.weights_manifest import WEIGHTS_DIR, WeightsMissing, read_manifest, write_entry
from models.training.export import frame_version
from tests.models.fixtures import astronaut_crop

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "compose_detector.py"


def crops() -> np.ndarray:
    """A real face, a brighter copy of it, and a left-to-right ramp: none is its own mirror."""
    face = astronaut_crop()
    ramp = np.broadcast_to(np.linspace(0, 255, face.shape[1], dtype=np.uint8)[None, :, None], face.shape)
    return np.stack([face, np.clip(face.astype(int) + 40, 0, 255).astype(np.uint8), ramp])


def compose(out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--detector", "blend_cnn", "--out", str(out), *args],
                          capture_output=True, text=True, timeout=120)


def member_export(folder: Path, a: float, b: float) -> Path:
    """A run's export/ folder holding the shipped blend network under another calibration."""
    folder.mkdir(parents=True)
    entry = dict(read_manifest()["blend_cnn"])
    for name in (entry["file"], entry["keras_weights"], "blend_cnn.config.json"):
        shutil.copy(WEIGHTS_DIR / name, folder / name)
    entry = {k: v for k, v in entry.items() if k not in ("bands_with", "min_face_px", "min_sharpness")}
    write_entry("blend_cnn", {**entry, "calibration": {"a": a, "b": b}}, folder)
    return folder


def test_the_mirror_view_averages_a_crop_and_its_mirror_in_logit_space(tmp_path):
    run = compose(tmp_path / "w", "--views", "identity,mirror")
    assert run.returncode == 0, run.stderr
    single, both = registry.create("blend_cnn"), registry.create("blend_cnn", weights_dir=tmp_path / "w")
    x = crops()
    plain, mirrored = single.predict(x), single.predict(np.ascontiguousarray(x[:, :, ::-1]))
    assert np.all(np.abs(plain - mirrored) > 1e-4)  # the mirror is a different look
    expected = sigmoid((logit(plain) + logit(mirrored)) / 2)
    assert np.allclose(both.predict(x), expected, atol=1e-5)


def test_a_member_network_joins_the_mean_with_its_own_calibration(tmp_path):
    member = member_export(tmp_path / "run" / "export", a=2.0, b=-1.0)
    run = compose(tmp_path / "w", "--member", str(member))
    assert run.returncode == 0, run.stderr
    single = registry.create("blend_cnn")
    other = registry.create("blend_cnn", weights_dir=member)
    pair = registry.create("blend_cnn", weights_dir=tmp_path / "w")
    x = crops()
    first, second = single.predict(x), other.predict(x)
    assert np.all(np.abs(first - second) > 1e-3)
    assert np.allclose(pair.predict(x), sigmoid((logit(first) + logit(second)) / 2), atol=1e-5)
    assert pair.predict(x[:0]).shape == (0,)


def test_composing_gives_a_new_version_and_drops_the_set_bands_chosen_for_the_old_score(tmp_path):
    assert compose(tmp_path / "w", "--views", "identity,mirror").returncode == 0
    shipped, composed = read_manifest()["blend_cnn"], read_manifest(tmp_path / "w")["blend_cnn"]
    assert "bands_with" in shipped and "bands_with" not in composed
    assert composed["single_version"] == shipped["version"] != composed["version"]
    config_text = (tmp_path / "w" / "blend_cnn.config.json").read_text()
    assert composed["version"] == frame_version(composed["sha256"], config_text, composed["bands"], None,
                                                composed.get("min_face_px", 0), composed.get("min_sharpness", 0.0),
                                                composed["members"], composed["views"])
    other = frame_version(composed["sha256"], config_text, composed["bands"], None, composed.get("min_face_px", 0),
                          composed.get("min_sharpness", 0.0), composed["members"], ["identity"])
    assert other != composed["version"]  # the views are part of the version
    assert registry.create("blend_cnn", weights_dir=tmp_path / "w").version == composed["version"]


def test_a_changed_member_file_is_refused(tmp_path):
    member = member_export(tmp_path / "run" / "export", a=1.0, b=0.5)
    assert compose(tmp_path / "w", "--member", str(member)).returncode == 0
    path = tmp_path / "w" / read_manifest(tmp_path / "w")["blend_cnn"]["members"][0]["file"]
    data = bytearray(path.read_bytes())
    data[2000] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsMissing):
        registry.create("blend_cnn", weights_dir=tmp_path / "w")


def test_an_unknown_view_is_refused_by_the_script_and_at_load(tmp_path):
    run = compose(tmp_path / "w", "--views", "identity,upside-down")
    assert run.returncode != 0 and "unknown views" in run.stderr
    assert compose(tmp_path / "v").returncode == 0
    manifest = json.loads((tmp_path / "v" / "manifest.json").read_text())
    manifest["blend_cnn"]["views"] = ["upside-down"]
    (tmp_path / "v" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="unknown views"):
        registry.create("blend_cnn", weights_dir=tmp_path / "v")


def test_a_composed_detector_is_not_composed_again(tmp_path):
    assert compose(tmp_path / "w", "--views", "identity,mirror").returncode == 0
    run = subprocess.run([sys.executable, str(SCRIPT), "--detector", "blend_cnn", "--from", str(tmp_path / "w"),
                          "--out", str(tmp_path / "again"), "--views", "identity,mirror"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "composed already" in run.stderr
    assert not (tmp_path / "again").exists()  # refused before anything was copied


def test_a_member_trained_at_another_crop_size_is_refused(tmp_path):
    member = member_export(tmp_path / "run" / "export", a=1.0, b=0.0)
    manifest = json.loads((member / "manifest.json").read_text())
    manifest["blend_cnn"]["input_size"] = 64
    (member / "manifest.json").write_text(json.dumps(manifest))
    run = compose(tmp_path / "w", "--member", str(member))
    assert run.returncode != 0 and "64 px crops" in run.stderr


def test_the_zoom_view_scores_the_middle_of_the_crop(tmp_path):
    assert compose(tmp_path / "w", "--views", "zoom").returncode == 0
    single, zoomed = registry.create("blend_cnn"), registry.create("blend_cnn", weights_dir=tmp_path / "w")
    x = crops()
    middle = np.ascontiguousarray(x[:, 14:210, 14:210])  # 224 px crops lose 1/16 on every side
    assert np.allclose(zoomed.predict(x), single.predict(middle), atol=1e-5)
    assert not np.allclose(zoomed.predict(x), single.predict(x), atol=1e-3)
