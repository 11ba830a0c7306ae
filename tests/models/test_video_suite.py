"""The video suite: which videos it reads, its per-source figures against hand-computed values, and
re-summarising a stored run only while its fusion rules hold."""
from types import SimpleNamespace

import numpy as np
import pytest

from models.detectors.detector import ScoreBands
from models.evaluation.video_suite import (REAL_SOURCE, VideoSystem, reference_reals, rescorable, summarise,
                                           video_items)
from models.serving.fusion import FusionConfig
from tests.models.dataset_fixture import make_dataset


def system(name="s", method="max", bands=(0.3, 0.8)):
    clip = SimpleNamespace(fusion=FusionConfig(method, bands={"real_below": bands[0], "fake_from": bands[1]}))
    return VideoSystem(name, [SimpleNamespace(bands=ScoreBands(0.1, 0.9))], clip)


def row(source, label, score):
    return {"path": f"{source}-{score}.mp4", "label": label, "source": source, "systems": {"s": {"score": score}}}


def test_video_items_are_the_holdout_clips_the_trained_talking_heads_and_an_eval_folder(tmp_path):
    root = make_dataset(tmp_path / "data")
    folder = tmp_path / "eval"
    for rel in ("real/videos/a.mp4", "fake/lip_sync-videos/a.mp4", "fake/flicker-stills/b.mp4"):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(b"")
    items = {(i.path.name, i.source, i.label) for i in video_items(root, folder)}
    assert ("t0.mp4", "fakes/talking-heads/th (trained on)", 1) in items
    assert not any(name == "p0.mp4" for name, _, _ in items)  # a train real clip is not a report item
    assert {("a.mp4", "eval: real", 0), ("a.mp4", "eval: lip_sync fakes", 1), ("b.mp4", "eval: flicker fakes", 1)} <= items


def test_each_fake_source_is_ranked_against_its_own_reals():
    assert reference_reals("eval_videos: lip_sync fakes") == "eval_videos: real"
    assert reference_reals("fakes/talking-heads/musetalk (holdout)") == REAL_SOURCE


def test_figures_per_source_match_hand_computed_values():
    rows = [row(REAL_SOURCE, 0, s) for s in (0.1, 0.2, 0.5, 0.85)]
    rows += [row("th", 1, s) for s in (0.9, 0.4)] + [row("th", 1, None)]
    rows += [row("e: real", 0, 0.3), row("e: lip fakes", 1, 0.2)]
    table = summarise(rows, [system()])["s"]["sources"]
    real = table[REAL_SOURCE]
    assert (real["count"], real["flagged"], real["inconclusive"]) == (4, 1, 1)
    th = table["th"]
    assert (th["count"], th["scored"], th["flagged"], th["inconclusive"]) == (3, 2, 1, 1)
    assert th["auc"] == pytest.approx((4 + 2) / 8) and th["against"] == REAL_SOURCE
    assert table["e: lip fakes"]["auc"] == 0.0 and table["e: lip fakes"]["against"] == "e: real"
    low, high = th["interval"]
    assert 0.0 <= low <= th["auc"] <= high <= 1.0


def test_a_stored_run_is_summarised_again_only_under_the_same_fusion_methods():
    stored = {"fusion_methods": {"s": "max"}, "videos": [row(REAL_SOURCE, 0, 0.2)]}
    assert rescorable(stored, [system()]) == stored["videos"]
    with pytest.raises(ValueError, match="run the suite again"):
        rescorable(stored, [system(method="frame_only")])
    assert np.isclose(system(bands=(0.2, 0.7)).bands.fake_from, 0.7)


def test_the_re_encode_control_keeps_every_frame_and_the_item(tmp_path):
    import cv2

    from models.evaluation.video_suite import VideoItem, reencoded
    from tests.helpers.media import make_face_video

    source = make_face_video(tmp_path / "face.mp4", seconds=0.6, size=(322, 240))
    item = reencoded(VideoItem(source, 1, "th"), tmp_path, crf=30)
    assert (item.label, item.source) == (1, "th") and item.path != source and item.path.parent == tmp_path
    capture = cv2.VideoCapture(str(item.path))
    count, width = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
    ok, frame = capture.read()
    capture.release()
    assert ok and count == 15 and width == 322 and frame.shape[0] == 240
