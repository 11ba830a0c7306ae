"""`unmask evaluate`: folder layout, metrics per level and source, and a real run on the shipped model."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from models.evaluation import evaluate
from models.evaluation.evaluate import Scored, collect, report
from models.synth.paste import self_blend_in_frame
from tests.helpers.media import make_face_video
from tests.models.fixtures import ASTRONAUT_KEYPOINTS


def test_collect_reads_sources_and_kinds(tmp_path):
    for rel in ("real/aaf/a.jpg", "real/b.png", "fake/blend/c.jpg", "fake/blend/v.mp4", "fake/notes.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    got = {(p.name, label, source, kind) for p, label, source, kind in collect(tmp_path)}
    assert got == {("a.jpg", 0, "aaf", "image"), ("b.png", 0, "real", "image"),
                   ("c.jpg", 1, "blend", "image"), ("v.mp4", 1, "blend", "video")}


def test_collect_refuses_an_empty_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        collect(tmp_path)


def test_report_by_hand(tmp_path):
    rows = [
        Scored(tmp_path / "r1.jpg", 0, "aaf", "image", 0.1, [0.1]),
        Scored(tmp_path / "r2.jpg", 0, "aaf", "image", 0.6, [0.6]),
        Scored(tmp_path / "f1.jpg", 1, "blend", "image", 0.7, [0.7]),
        Scored(tmp_path / "f2.jpg", 1, "blend", "image", 0.3, [0.3]),
        Scored(tmp_path / "rv.mp4", 0, "videos", "video", 0.2, [0.1, 0.2]),
        Scored(tmp_path / "fv.mp4", 1, "blend-videos", "video", 0.9, [0.8, 0.9]),
        Scored(tmp_path / "none.jpg", 0, "aaf", "image", None),
        Scored(tmp_path / "bad.jpg", 1, "blend", "image", None, error="ImageDecodeError: truncated"),
    ]
    out = report(rows, threshold=0.5)
    assert out["files"] == 8 and out["no_face"] == 1 and len(out["errors"]) == 1
    # frames: reals .1 .6 .1 .2 ; fakes .7 .3 .8 .9 -> pairs won: 15 of 16 (only 0.3 < 0.6)
    assert out["frame_level"]["auc"] == pytest.approx(15 / 16)
    assert out["video_level"]["auc"] == pytest.approx(1.0)
    assert out["per_source"]["aaf"]["frame_level"]["fpr"] == pytest.approx(0.5)
    blend = out["per_source"]["blend"]["frame_level"]
    assert blend["n_real"] == 2 and blend["n_fake"] == 2 and blend["auc"] == pytest.approx(0.75)
    assert out["per_source"]["blend-videos"]["video_level"]["auc"] == pytest.approx(1.0)


@pytest.fixture(scope="module")
def eval_folder(tmp_path_factory, face_assets_dir):
    root = tmp_path_factory.mktemp("eval")
    image = data.astronaut()
    rng = np.random.default_rng(0)
    for i in range(2):
        (root / "real" / "photos").mkdir(parents=True, exist_ok=True)
        (root / "fake" / "blend").mkdir(parents=True, exist_ok=True)
        shifted = np.roll(image, 10 * i, axis=1)
        cv2.imwrite(str(root / "real" / "photos" / f"{i}.jpg"), shifted[..., ::-1])
        kp = ASTRONAUT_KEYPOINTS + [10 * i, 0]
        cv2.imwrite(str(root / "fake" / "blend" / f"{i}.jpg"), self_blend_in_frame(shifted, kp, rng)[..., ::-1])
    (root / "real" / "clips").mkdir(parents=True)
    make_face_video(root / "real" / "clips" / "a.mp4", seconds=1.0)
    return root


def test_evaluate_runs_the_shipped_model_end_to_end(eval_folder, capsys):
    assert evaluate.main([str(eval_folder), "--frames-per-video", "4"]) == 0
    result = json.loads((eval_folder / "evaluation" / "report.json").read_text())
    assert result["files"] == 5 and not result["errors"]
    assert result["frame_level"]["n_real"] == 2 + 4 and result["frame_level"]["n_fake"] == 2
    assert 0.0 <= result["frame_level"]["auc"] <= 1.0
    assert set(result["per_source"]) == {"photos", "blend", "clips"}
    files = {Path(f["path"]).name: f for f in result["per_file"]}  # every file's scores, for other thresholds
    assert len(files) == 3 and len(result["per_file"]) == 5  # real/ and fake/ both hold 0.jpg and 1.jpg
    video = files["a.mp4"]
    assert video["kind"] == "video" and len(video["frame_scores"]) == 4 and video["label"] == 0
    flagged = sum(f["score"] >= result["threshold"] for f in result["per_file"] if f["label"] == 1 and f["score"])
    assert flagged / 2 == result["per_source"]["blend"]["frame_level"]["tpr"]
    assert (eval_folder / "evaluation" / "roc.png").stat().st_size > 1000
    assert "frame_level" in capsys.readouterr().out
