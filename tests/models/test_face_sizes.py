"""Which detectors judge a face of a given size, and how that size is chosen on shrunk val reals."""
import numpy as np
import pytest

from models.detectors.detector import ScoreBands
from models.evaluation.face_size_choice import (ShrinkPlan, Tally, ceiling, choose_min_faces, draw_plan,
                                                image_score, shrunk, tallies)
from models.serving.analysis import observations
from tests.helpers.media import astronaut_head

ANCHORS = {"blend": ScoreBands(0.5, 0.75), "generated": ScoreBands(0.1, 0.45)}


def face(size, crop):
    """One found face of `size` analysed pixels (crop None: below the companion's floor)."""
    return {"frame": 0, "box": (0.0, 0.0, float(size), float(size)), "too_small": crop is None, "size": float(size),
            "crop": crop}


def test_a_detector_leaves_faces_below_its_smallest_judged_size_to_the_others():
    found = [face(150, 0), face(90, 1), face(70, 2), face(40, None)]
    scores = {"blend": np.array([0.2, 0.3, 0.4]), "generated": np.array([0.05, 0.9, 0.9])}
    obs = observations(found, scores, ANCHORS, {"blend": 80, "generated": 112})
    assert obs[0].scores == {"blend": 0.2, "generated": 0.05} and not obs[0].too_small
    assert obs[1].scores == {"blend": 0.3} and obs[1].score == pytest.approx(0.3)  # generated's 0.9 is not heard
    assert obs[2].scores == {} and obs[2].too_small and obs[2].score is None  # nobody judges a 70 px face
    assert obs[3].too_small and obs[3].score is None
    everyone = observations(found, scores, ANCHORS)  # without sizes every cropped face is judged by all
    assert everyone[2].scores == {"blend": 0.4, "generated": 0.9} and not everyone[2].too_small


SET_BANDS = ScoreBands(0.6, 0.8)  # on blend's scale, the set's reference


def test_an_image_scores_its_highest_face_from_the_detectors_that_judge_each_size():
    faces = [(150.0, {"blend": 0.3, "generated": 0.45}), (70.0, {"blend": 0.9, "generated": 0.99})]
    # the big face: generated at its fake_from reads 0.75 on blend's scale; the small one is judged by blend
    assert image_score(faces, {"blend": 64, "generated": 112}, ANCHORS) == pytest.approx(0.9)
    assert image_score(faces, {"blend": 80, "generated": 112}, ANCHORS) == pytest.approx(0.75)
    assert image_score(faces, {"blend": 200, "generated": 200}, ANCHORS) is None


def test_tallies_count_judged_and_flagged_images_per_size():
    measured = {64: [[(66.0, {"blend": 0.85, "generated": 0.05})], [(70.0, {"blend": 0.2, "generated": 0.05})]],
                96: [[(99.0, {"blend": 0.5, "generated": 0.05})]]}
    counts = tallies(measured, {"blend": 64, "generated": 64}, ANCHORS, SET_BANDS)
    assert (counts[64].judged, counts[64].flagged, counts[96].judged, counts[96].flagged) == (2, 1, 1, 0)
    assert counts[64].share == pytest.approx(0.5) and Tally().share is None
    assert tallies(measured, {"blend": 80, "generated": 80}, ANCHORS, SET_BANDS)[64].judged == 0


def test_the_choice_drops_the_detector_that_alarms_on_small_faces_and_keeps_the_rest_judging():
    real_small = [[(66.0, {"blend": 0.3, "generated": 0.9})] for _ in range(10)]  # generated trips on every one
    real_mid = [[(90.0, {"blend": 0.3, "generated": 0.5})] for _ in range(10)]  # and on none of these
    real_big = [[(130.0, {"blend": 0.3, "generated": 0.05})] for _ in range(10)]
    measured = {64: real_small, 80: real_mid, 128: real_big}
    chosen = choose_min_faces(measured, ["blend", "generated"], [64, 80, 96, 128], ANCHORS, SET_BANDS, 0.05)
    assert chosen == {"blend": 64, "generated": 80}  # every image still judged, by blend below 80 px
    blend_trips = {64: [[(66.0, {"blend": 0.95, "generated": 0.05})] for _ in range(10)], 128: real_big}
    chosen = choose_min_faces(blend_trips, ["blend", "generated"], [64, 80, 128], ANCHORS, SET_BANDS, 0.05)
    assert chosen["blend"] == 80 and chosen["generated"] == 64  # 66 px faces: generated alone judges them
    hopeless = {128: [[(130.0, {"blend": 0.99, "generated": 0.99})]]}
    assert choose_min_faces(hopeless, ["blend"], [64, 128], ANCHORS, SET_BANDS, 0.05) == {"blend": 128}


def test_the_ceiling_is_the_share_as_they_are_at_least_the_budget_plus_tolerance():
    assert ceiling(0.01, 0.04, 0.02) == pytest.approx(0.06)
    assert ceiling(0.05, 0.04, 0.02) == pytest.approx(0.07)


def test_a_shrunk_photo_shows_the_face_at_about_the_asked_size(face_assets_dir):
    from models.faces.detect import FaceDetector, largest_face

    detector = FaceDetector(face_assets_dir)
    photo = np.zeros((600, 600, 3), np.uint8)
    head = astronaut_head()
    photo[100:100 + head.shape[0], 150:150 + head.shape[1]] = head
    found = largest_face(detector.detect(photo))
    plan = ShrinkPlan((0.2, 0.2, 0.2, 0.2), 1.0, 3, 90)
    for side in (64, 96):
        small = largest_face(detector.detect(shrunk(photo, found.box, side, plan)))
        assert small is not None and 0.75 * side <= min(small.box[2:]) <= 1.3 * side
    assert shrunk(photo, found.box, int(min(found.box[2:])) + 10, plan) is None  # never enlarged
    plans = [draw_plan(np.random.default_rng(3)) for _ in range(2)]
    assert plans[0] == plans[1]  # one draw per photo, reproducible from the seed
