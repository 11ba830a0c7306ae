"""Aggregation of face scores into people, frames, media scores and verdicts (hand-computed cases)."""
import math

import pytest

from models.serving.aggregate import (
    FaceObservation,
    FrameRef,
    aggregate,
    box_iou,
    distinct_faces,
    group_faces,
    is_too_small,
    overlap_of_smaller,
    resolve_bands,
    robust_mean,
)
from models.detectors.detector import ScoreBands

BANDS = ScoreBands(real_below=0.3, fake_from=0.7)


def frames(n, step=10, fps=25.0):
    """`n` analysed frames whose source indices are 0, step, 2*step, ..."""
    return [FrameRef(index=i * step, timestamp=i * step / fps) for i in range(n)]


def face(frame, x, y, score=None, size=100.0, detector="frame_cnn", min_face_px=64):
    """One observation; scored with `score` under `detector` unless its box is too small."""
    box = (float(x), float(y), float(size), float(size))
    small = is_too_small(box, min_face_px)
    scores = {} if small or score is None else {detector: score}
    return FaceObservation(frame=frame, box=box, scores=scores, too_small=small)


def test_box_iou_hand_values():
    assert box_iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == pytest.approx(1.0)
    assert box_iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0


def test_robust_mean_is_mean_of_top_half():
    assert robust_mean([0.1, 0.9, 0.5, 0.7]) == pytest.approx(0.8)
    assert robust_mean([0.2, 0.6, 0.4]) == pytest.approx(0.5)  # ceil(3/2) = 2 highest
    assert robust_mean([0.42]) == pytest.approx(0.42)
    with pytest.raises(ValueError):
        robust_mean([])


def test_two_people_crossing_paths_stay_apart():
    # A walks right, B walks left, 30 px lower; at frame 5 both are at x=300 and their boxes overlap.
    obs = []
    for f in range(10):
        obs.append(face(f, 100 + 40 * f, 100, score=0.9))
        obs.append(face(f, 500 - 40 * f, 130, score=0.1))
    assert box_iou(obs[10].box, obs[11].box) > 0.5  # they really do overlap at the crossing
    groups = group_faces(obs)
    assert sorted(sorted(g) for g in groups) == [list(range(0, 20, 2)), list(range(1, 20, 2))]

    result = aggregate(frames(10), obs, BANDS, ["frame_cnn"], timeline=True)
    assert len(result["faces"]) == 2
    by_score = sorted(result["faces"], key=lambda f: f["score"])
    assert by_score[0]["score"] == pytest.approx(0.1)
    assert by_score[1]["score"] == pytest.approx(0.9)
    assert by_score[1]["frames"] == [i * 10 for i in range(10)]
    assert result["score"] == pytest.approx(0.9)  # a video is fake if anyone in it is
    assert result["verdict"] == "likely_fake"


def test_person_missing_in_some_frames_is_one_person():
    fa = {0: 0.2, 1: 0.4, 4: 0.8, 5: 0.6}  # person A is absent from frames 2 and 3
    obs = [face(f, 50, 60, score=s) for f, s in fa.items()]
    obs += [face(f, 600, 60, score=0.1) for f in range(6)]
    result = aggregate(frames(6), obs, BANDS, ["frame_cnn"], timeline=True)
    assert len(result["faces"]) == 2
    a = next(f for f in result["faces"] if f["box"][0] == 50)
    assert a["frames"] == [0, 10, 40, 50]
    assert a["score"] == pytest.approx((0.8 + 0.6) / 2)  # mean of the top half
    assert result["score"] == pytest.approx(0.7)
    assert result["verdict"] == "likely_fake"  # 0.7 is at fake_from


def test_frame_timeline_is_max_face_score_per_frame():
    obs = [face(0, 0, 0, 0.2), face(0, 400, 0, 0.5), face(2, 0, 0, 0.3)]
    result = aggregate(frames(3), obs, BANDS, ["frame_cnn"], timeline=True)
    assert result["frames"] == [
        {"index": 0, "timestamp": 0.0, "score": 0.5, "detector": "frame_cnn"},
        {"index": 10, "timestamp": 0.4, "score": None, "detector": None},
        {"index": 20, "timestamp": 0.8, "score": 0.3, "detector": "frame_cnn"},
    ]
    assert "frames" not in aggregate(frames(3), obs, BANDS, ["frame_cnn"], timeline=False)


ANCHORS = {"blend_cnn": ScoreBands(0.5, 0.75), "generated_residual": ScoreBands(0.1, 0.45)}


def test_each_frame_names_the_detector_behind_its_highest_face_score():
    from models.serving.aggregate import FaceObservation

    obs = [FaceObservation(0, (0, 0, 100, 100), {"blend_cnn": 0.2, "generated_residual": 0.45}, anchors=ANCHORS),
           FaceObservation(0, (400, 0, 100, 100), {"blend_cnn": 0.4, "generated_residual": 0.1}, anchors=ANCHORS),
           FaceObservation(1, (0, 0, 100, 100), {"blend_cnn": 0.7, "generated_residual": 0.2}, anchors=ANCHORS)]
    timeline = aggregate(frames(2), obs, BANDS, ["blend_cnn", "generated_residual"], timeline=True)["frames"]
    # frame 0: generated_residual at its own fake_from reads 0.75 on blend_cnn's scale; frame 1: blend_cnn
    # at 0.7 is more alarmed than generated_residual at 0.2
    assert [f["detector"] for f in timeline] == ["generated_residual", "blend_cnn"]
    assert [f["score"] for f in timeline] == [pytest.approx(0.75), pytest.approx(0.7)]


def test_image_score_is_max_over_faces():
    obs = [face(0, 0, 0, 0.15), face(0, 300, 0, 0.45)]
    result = aggregate(frames(1), obs, BANDS, ["frame_cnn"], timeline=False)
    assert [f["score"] for f in result["faces"]] == [0.15, 0.45]
    assert [f["id"] for f in result["faces"]] == [0, 1]
    assert result["score"] == pytest.approx(0.45)
    assert result["verdict"] == "inconclusive"


def test_too_small_faces_are_reported_but_not_scored():
    small = face(0, 0, 0, score=0.99, size=40)
    big = face(0, 300, 0, score=0.1, size=120)
    assert small.too_small and small.score is None
    result = aggregate(frames(1), [small, big], BANDS, ["frame_cnn"], timeline=False)
    reported = {f["too_small"]: f for f in result["faces"]}
    assert reported[True]["score"] is None
    assert reported[True]["box"] == [0.0, 0.0, 40.0, 40.0]
    assert reported[False]["score"] == pytest.approx(0.1)
    assert result["score"] == pytest.approx(0.1)
    assert result["verdict"] == "likely_real"


def test_only_too_small_faces_is_no_face():
    result = aggregate(frames(1), [face(0, 0, 0, score=0.9, size=30)], BANDS, ["frame_cnn"], timeline=False)
    assert result["verdict"] == "no_face"
    assert result["score"] is None
    assert result["faces"][0]["too_small"] is True
    assert result["detectors"] == {"frame_cnn": None}


def test_no_faces_is_no_face():
    result = aggregate(frames(4), [], BANDS, ["frame_cnn"], timeline=True)
    assert result["verdict"] == "no_face"
    assert result["score"] is None
    assert result["faces"] == []
    assert [f["score"] for f in result["frames"]] == [None] * 4


def test_detectors_scored_separately_and_combined_by_the_highest():
    same = {"a": ScoreBands(0.3, 0.7), "b": ScoreBands(0.3, 0.7)}  # alike bands: the most alarmed is the highest
    obs = [
        FaceObservation(frame=0, box=(0, 0, 100, 100), scores={"a": 0.2, "b": 0.6}, anchors=same),
        FaceObservation(frame=1, box=(5, 0, 100, 100), scores={"a": 0.9, "b": 0.3}, anchors=same),
    ]
    result = aggregate(frames(2), obs, BANDS, ["a", "b"], timeline=True)
    # combined face scores 0.6 and 0.9 -> top half of two = 0.9
    assert result["score"] == pytest.approx(0.9)
    assert [f["score"] for f in result["frames"]] == [pytest.approx(0.6), pytest.approx(0.9)]
    assert result["detectors"] == {"a": pytest.approx(0.9), "b": pytest.approx(0.6)}


def test_config_thresholds_override_model_bands():
    model = ScoreBands(real_below=0.3, fake_from=0.7)
    assert resolve_bands(model, None, None) == model
    assert resolve_bands(model, None, 0.5) == ScoreBands(0.3, 0.5)
    assert resolve_bands(model, 0.1, None) == ScoreBands(0.1, 0.7)
    assert resolve_bands(None, 0.2, 0.8) == ScoreBands(0.2, 0.8)
    obs = [face(0, 0, 0, score=0.6)]
    assert aggregate(frames(1), obs, model, ["frame_cnn"], timeline=False)["verdict"] == "inconclusive"
    overridden = resolve_bands(model, None, 0.5)
    assert aggregate(frames(1), obs, overridden, ["frame_cnn"], timeline=False)["verdict"] == "likely_fake"


def test_bad_thresholds_are_rejected():
    with pytest.raises(ValueError):
        resolve_bands(ScoreBands(0.3, 0.7), 0.8, None)  # real above fake
    with pytest.raises(ValueError):
        resolve_bands(None, 0.3, None)  # nothing to fill the fake threshold from


def test_far_apart_faces_of_different_size_are_different_people():
    obs = [face(0, 100, 100, 0.5, size=100), face(1, 100, 100, 0.5, size=250)]
    assert len(group_faces(obs)) == 2
    obs = [face(0, 100, 100, 0.5), face(1, 100 + 400, 100, 0.5)]
    assert len(group_faces(obs)) == 2
    assert not math.isnan(aggregate(frames(2), obs, BANDS, ["frame_cnn"], timeline=True)["score"])


def test_a_face_found_twice_in_a_frame_is_kept_once():
    real = (100.0, 100.0, 120.0, 120.0)
    loose = (60.0, 70.0, 230.0, 230.0)  # a second, looser detection around the same face
    other = (400.0, 100.0, 120.0, 120.0)
    assert overlap_of_smaller(real, loose) == pytest.approx(1.0)
    assert distinct_faces([loose, real, other], [0.55, 0.97, 0.9]) == [1, 2]
    # two people side by side, boxes touching a little: both kept
    assert distinct_faces([(0, 0, 100, 100), (80, 0, 100, 100)], [0.9, 0.8]) == [0, 1]


def test_sparse_frames_of_a_long_video_allow_more_movement():
    # one face jumping 2.5 face sizes between samples: one person when samples are 2 s apart ...
    jumps = [face(f, 100 + 250 * f, 100, 0.5) for f in range(4)]
    slow = [FrameRef(index=f * 60, timestamp=f * 2.0) for f in range(4)]
    assert len(group_faces(jumps, [f.timestamp for f in slow])) == 1
    assert len(aggregate(slow, jumps, BANDS, ["frame_cnn"], timeline=True)["faces"]) == 1
    # ... but not when they are 0.1 s apart (no face moves that fast: a different person)
    assert len(group_faces(jumps, [f * 0.1 for f in range(4)])) == 4
    # and never beyond MAX_REACH face sizes, however long the gap
    far = [face(0, 0, 100, 0.5), face(1, 500, 100, 0.5)]
    assert len(group_faces(far, [0.0, 60.0])) == 2


def test_a_person_seen_in_one_frame_of_a_video_makes_it_inconclusive_not_fake():
    # The main person is real across 10 frames; a turned face is found once, far away, at 0.95.
    obs = [face(f, 100, 100, score=0.1) for f in range(10)] + [face(4, 600, 400, score=0.95)]
    result = aggregate(frames(10), obs, BANDS, ["frame_cnn"], timeline=True)
    brief = [f for f in result["faces"] if f["brief"]]
    assert len(brief) == 1 and brief[0]["frames"] == [40]
    assert BANDS.real_below <= brief[0]["score"] < BANDS.fake_from
    assert result["verdict"] == "inconclusive"
    assert result["frames"][4]["score"] == pytest.approx(0.95)  # the frame itself still shows its score
    assert not [f for f in result["faces"] if not f["brief"] and f["score"] > 0.2]


def test_brief_rule_leaves_images_long_tracks_and_low_scores_alone():
    image = aggregate([FrameRef(0, 0.0)], [face(0, 100, 100, score=0.95)], BANDS, ["frame_cnn"], timeline=False)
    assert image["verdict"] == "likely_fake" and image["faces"][0]["brief"] is False
    three = [face(f, 100, 100, score=0.95) for f in range(3)]
    video = aggregate(frames(10), three, BANDS, ["frame_cnn"], timeline=False)
    assert video["verdict"] == "likely_fake" and video["faces"][0]["brief"] is False
    half = aggregate(frames(2), [face(0, 100, 100, score=0.95)], BANDS, ["frame_cnn"], timeline=False)
    assert half["faces"][0]["brief"] is False and half["verdict"] == "likely_fake"  # half the video is not brief
    quarter = aggregate(frames(4), [face(0, 100, 100, score=0.95)], BANDS, ["frame_cnn"], timeline=False)
    assert quarter["faces"][0]["brief"] is True and quarter["verdict"] == "inconclusive"
    two_of_32 = aggregate(frames(32), [face(f, 100, 100, score=0.95) for f in (5, 6)], BANDS, ["frame_cnn"],
                          timeline=False)
    assert two_of_32["faces"][0]["brief"] is True and two_of_32["verdict"] == "inconclusive"
    low = aggregate(frames(10), [face(3, 100, 100, score=0.05)], BANDS, ["frame_cnn"], timeline=False)
    assert low["faces"][0]["score"] == pytest.approx(0.05) and low["verdict"] == "likely_real"


def test_held_below_stays_under_fake_from_after_rounding():
    from models.serving.aggregate import held_below

    for fake_from in (0.7, 0.7645, 0.8414000000000001, 0.33811852335929876, 0.99995):
        bands = ScoreBands(real_below=0.1, fake_from=fake_from)
        capped = held_below(1.0, bands)
        assert round(capped, 4) < round(fake_from, 4) and fake_from - capped <= 0.00025
        assert bands.verdict(round(capped, 4)) == "inconclusive"
    assert held_below(0.5, ScoreBands(real_below=0.1, fake_from=0.7)) == 0.5
