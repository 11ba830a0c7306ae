"""Faces too blurred to judge: the sharpness measure, the gate as served, and how its floors are chosen."""
import cv2
import numpy as np
import pytest

from models.detectors.detector import ScoreBands
from models.evaluation.sharpness_choice import (FaceRecord, bin_auc, bins, choose_min_sharpness,
                                                discriminating_floor, flagged_by_bin, floor_stability, served_score)
from models.faces.quality import sharpness
from models.serving.aggregate import FrameRef, aggregate
from models.serving.analysis import find_faces, observations
from models.synth.degrade import blur_face
from tests.helpers.media import astronaut_head

ANCHORS = {"blend": ScoreBands(0.5, 0.75), "generated": ScoreBands(0.1, 0.45)}
SET_BANDS = ScoreBands(0.6, 0.8)  # on blend's scale, the set's reference
GRID = (0.0, 20.0, 40.0)


def face(size, crop, sharp):
    """One found face of `size` analysed pixels and `sharp` sharpness (crop None: below the floor)."""
    return {"frame": 0, "box": (0.0, 0.0, float(size), float(size)), "too_small": crop is None, "size": float(size),
            "crop": crop, "sharpness": sharp}


def test_sharpness_falls_as_a_face_is_blurred_and_reads_alike_at_every_size():
    head = astronaut_head()
    values = [sharpness(blur_face(head, head.shape[0], level)) for level in (0.0, 1.0, 2.0, 3.0)]
    assert values == sorted(values, reverse=True) and values[-1] < 0.2 * values[0]
    half = cv2.resize(head, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    same_look = sharpness(blur_face(half, half.shape[0], 2.0)), sharpness(blur_face(head, head.shape[0], 2.0))
    assert same_look[0] == pytest.approx(same_look[1], rel=0.35)
    assert sharpness(np.zeros((0, 0, 3), np.uint8)) == 0.0


def test_the_detector_finds_the_sharpness_of_each_scorable_face(face_assets_dir):
    from models.faces.detect import FaceDetector

    head = astronaut_head()
    found, crops = find_faces([head, blur_face(head, 200.0, 1.5)], FaceDetector(assets_dir=face_assets_dir), 64)
    sharp, soft = (f["sharpness"] for f in found)
    assert len(crops) == 2 and sharp > 2 * soft > 0


def test_a_detector_leaves_faces_below_its_least_sharpness_to_the_others_and_none_is_too_blurred():
    found = [face(150, 0, 200.0), face(150, 1, 25.0), face(150, 2, 5.0), face(50, 3, 5.0)]
    scores = {"blend": np.array([0.2, 0.9, 0.9, 0.9]), "generated": np.array([0.05, 0.05, 0.05, 0.05])}
    obs = observations(found, scores, ANCHORS, {"blend": 64, "generated": 112}, {"blend": 30.0, "generated": 10.0})
    assert obs[0].scores == {"blend": 0.2, "generated": 0.05}
    assert obs[1].scores == {"generated": 0.05} and not obs[1].too_blurred  # blend's 0.9 is not heard
    assert obs[2].scores == {} and obs[2].too_blurred and not obs[2].too_small and obs[2].score is None
    assert obs[3].too_small and not obs[3].too_blurred  # no detector judges 50 px: its size speaks first
    assert observations(found, scores, ANCHORS)[2].scores == {"blend": 0.9, "generated": 0.05}  # no gate: all


def test_a_photo_whose_only_face_is_too_blurred_says_so_and_has_no_verdict():
    obs = observations([face(150, 0, 5.0)], {"blend": np.array([0.95])}, None, None, {"blend": 30.0})
    result = aggregate([FrameRef(0, 0.0)], obs, SET_BANDS, ["blend"], timeline=False)
    assert result["verdict"] == "no_face" and result["score"] is None
    assert result["faces"][0]["too_blurred"] and not result["faces"][0]["too_small"]
    small = observations([face(40, None, None)], {"blend": np.array([])}, None, None, {"blend": 30.0})
    result = aggregate([FrameRef(0, 0.0)], small, SET_BANDS, ["blend"], timeline=False)
    assert result["faces"][0]["too_small"] and not result["faces"][0]["too_blurred"]


def record(label, sharp, blend, generated=0.05, kind=None, size=150.0):
    """A measured face; fakes default to the blend kind."""
    return FaceRecord(label, kind if kind is not None else ("swap" if label else ""), size, sharp,
                      {"blend": blend, "generated": generated})


def test_bins_and_a_served_score_behind_both_gates():
    assert bins(GRID) == [(0.0, 20.0), (20.0, 40.0), (40.0, float("inf"))]
    r = record(0, 25.0, 0.9, 0.45)
    assert served_score(r, {}, {}, ANCHORS) == pytest.approx(0.9)
    assert served_score(r, {}, {"blend": 30.0}, ANCHORS) == pytest.approx(0.75)  # generated at its fake_from
    assert served_score(r, {"generated": 200}, {"blend": 30.0}, ANCHORS) is None


def test_bin_auc_against_hand_values_and_too_few():
    records = [record(0, 50, s) for s in (0.1, 0.2, 0.6)] + [record(1, 50, s) for s in (0.3, 0.7, 0.8)]
    # pairs fake > real: 0.3 beats 2, 0.7 and 0.8 beat 3 each: 8 of 9
    assert bin_auc(records, "blend", "swap", min_count=3) == pytest.approx(8 / 9)
    assert bin_auc(records, "blend", "swap", min_count=4) is None
    assert bin_auc(records, "blend", "generated", min_count=1) is None  # no fakes of that kind


def separable(low, high, n=30, blind=False):
    """Reals and blend fakes in the sharpness range; `blind`: the blend scores tell them apart no better than chance."""
    rng = np.random.default_rng(int(low))
    sharp = rng.uniform(low, high, 2 * n)
    real = rng.uniform(0.0, 0.5, n) if not blind else rng.uniform(0.0, 1.0, n)
    fake = rng.uniform(0.6, 1.0, n) if not blind else rng.uniform(0.0, 1.0, n)
    return [record(0, s, v) for s, v in zip(sharp[:n], real)] + [record(1, s, v) for s, v in zip(sharp[n:], fake)]


def test_the_discriminating_floor_is_above_the_bins_where_the_detector_guesses():
    records = separable(0, 20, blind=True) + separable(20, 40) + separable(40, 90)
    assert discriminating_floor(records, "blend", "swap", GRID, min_count=10) == 20.0
    assert discriminating_floor(separable(0, 90), "blend", "swap", GRID, min_count=10) == 0.0
    everywhere_blind = separable(0, 20, blind=True) + separable(20, 90, blind=True)
    assert discriminating_floor(everywhere_blind, "blend", "swap", GRID, min_count=10) == 40.0


def test_the_choice_raises_a_floor_until_blurred_reals_are_not_flagged():
    # blend still ranks blurred fakes above blurred reals, but flags every blurred real at the set's bands
    tripping = [record(0, s, 0.85) for s in np.linspace(21, 39, 30)] + [record(1, s, 0.95) for s in np.linspace(21, 39, 30)]
    records = separable(40, 90) + tripping
    kinds = {"blend": "swap", "generated": "generated"}
    counts = flagged_by_bin(records, {}, {}, ANCHORS, SET_BANDS, GRID)
    assert counts[20.0] == (30, 30) and counts[40.0][1] == 0
    chosen = choose_min_sharpness(records, kinds, {}, ANCHORS, SET_BANDS, 0.05, GRID, min_count=10)
    assert chosen["blend"] == 40.0  # generated (low on all) keeps judging the blurred faces
    assert chosen["generated"] == 0.0
    fine = separable(0, 90)
    assert choose_min_sharpness(fine, kinds, {}, ANCHORS, SET_BANDS, 0.05, GRID, min_count=10)["blend"] == 0.0


def test_floor_stability_splits_a_floor_that_one_face_decides_and_not_a_clear_one():
    kinds = {"blend": "swap", "generated": "generated"}
    # 20-40: 30 blurred reals of which 2 trip the set (6.7%): a 5% limit raises blend's floor; one face fewer would not
    edge = [record(0, s, 0.85 if k < 2 else 0.2) for k, s in enumerate(np.linspace(21, 39, 30))]
    edge += [record(1, s, 0.95) for s in np.linspace(21, 39, 30)]
    records = separable(40, 90) + edge
    assert choose_min_sharpness(records, kinds, {}, ANCHORS, SET_BANDS, 0.05, GRID, min_count=10)["blend"] == 40.0
    split = floor_stability(records, kinds, {}, ANCHORS, SET_BANDS, 0.05, 200, 0, grid=GRID, min_count=10)
    assert set(split["blend"]) == {0.0, 40.0} and 0.1 < split["blend"][40.0] < 0.9  # draws with 0-1 trippers hold
    assert sum(split["blend"].values()) == pytest.approx(1.0)
    clear = floor_stability(separable(0, 90), kinds, {}, ANCHORS, SET_BANDS, 0.05, 50, 0, grid=GRID, min_count=10)
    assert clear["blend"] == {0.0: 1.0} and clear["generated"] == {0.0: 1.0}
    with pytest.raises(ValueError):
        floor_stability([], kinds, {}, ANCHORS, SET_BANDS, 0.05, 10)
