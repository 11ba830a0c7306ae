"""The shipped frame CNN: files match their manifest, load through LiteRT and score a real face."""
import json

import numpy as np

from models import registry
from models.weights_manifest import WEIGHTS_DIR, sha256_file
from tests.models.fixtures import astronaut_crop


def entry():
    return json.loads((WEIGHTS_DIR / "manifest.json").read_text())["frame_cnn"]


def test_shipped_files_match_their_sha256():
    e = entry()
    assert sha256_file(WEIGHTS_DIR / e["file"]) == e["sha256"]
    assert sha256_file(WEIGHTS_DIR / e["keras_weights"]) == e["keras_weights_sha256"]
    assert e["parameters"] == 653_937


def test_bands_are_ordered_probabilities():
    bands = entry()["bands"]
    assert 0.0 <= bands["real_below"] <= bands["fake_from"] <= 1.0


def test_shipped_model_scores_a_batch_in_one_call():
    detector = registry.create("frame_cnn")
    crops = np.stack([astronaut_crop(), astronaut_crop()[:, ::-1], np.full_like(astronaut_crop(), 128)])
    scores = detector.predict(crops)
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    assert abs(scores[0] - scores[1]) < 0.5  # a mirrored face is judged alike
    assert detector.version == entry()["version"]


def test_a_corrupted_weights_file_is_refused(tmp_path):
    import shutil

    import pytest

    from models.weights_manifest import WeightsMissing

    for name in ("manifest.json", entry()["file"]):
        shutil.copy(WEIGHTS_DIR / name, tmp_path / name)
    data = bytearray((tmp_path / entry()["file"]).read_bytes())
    data[1000] ^= 0xFF
    (tmp_path / entry()["file"]).write_bytes(bytes(data))
    with pytest.raises(WeightsMissing):
        registry.create("frame_cnn", weights_dir=tmp_path)
