"""Several frame detectors, one face score: the most alarmed against its own bands, judged by the
bands chosen for the set."""
import math
from dataclasses import dataclass, field

import pytest

from models.detectors.detector import ScoreBands
from models.serving.frame_score import (COMBINE_RULE, alarm, anchors_of, chosen_bands, chosen_set_bands, combine,
                                        frame_bands, partners_key, unchosen_bands)


@dataclass
class Member:
    """The parts of a served frame detector that the bands depend on."""

    name: str
    version: str
    bands: ScoreBands
    bands_with: dict = field(default_factory=dict)


PAIR_BANDS = {"real_below": 0.35, "fake_from": 0.9}


def pair(partner_version: str = "g1"):
    """A blends detector that stores bands chosen with `generated` at version `partner_version`."""
    blends = Member("frame_cnn", "b1", ScoreBands(0.3, 0.75), {
        "frame_cnn_generated": {"versions": {"frame_cnn_generated": partner_version}, "rule": COMBINE_RULE,
                                "bands": PAIR_BANDS, "bands_chosen_on": {}}})
    generated = Member("frame_cnn_generated", "g1", ScoreBands(0.2, 0.8))
    return blends, generated


def logit(p):
    return math.log(p / (1 - p))


def test_alarm_is_zero_at_real_below_and_one_at_fake_from_in_logit_space():
    bands = ScoreBands(0.2, 0.8)
    assert alarm(0.2, bands) == pytest.approx(0.0)
    assert alarm(0.8, bands) == pytest.approx(1.0)
    assert alarm(0.5, bands) == pytest.approx(0.5)
    assert alarm(0.9, bands) == pytest.approx((logit(0.9) - logit(0.2)) / (logit(0.8) - logit(0.2)))


def test_a_face_scores_its_most_alarmed_detector_on_the_first_by_name_scale():
    anchors = {"blend": ScoreBands(0.5, 0.75), "generated": ScoreBands(0.1, 0.45)}
    # generated at its own fake_from is as alarmed as blend at 0.75: the face reads 0.75 on blend's scale
    assert combine({"blend": 0.3, "generated": 0.45}, anchors) == pytest.approx(0.75)
    # a real face's ordinary blend score (0.6) does not outrank a generated-face alarm (0.3, past 0.1)
    expected = alarm(0.3, anchors["generated"])
    low, high = logit(0.5), logit(0.75)
    assert combine({"blend": 0.6, "generated": 0.3}, anchors) == pytest.approx(
        1 / (1 + math.exp(-(low + expected * (high - low)))))
    assert combine({"blend": 0.6, "generated": 0.05}, anchors) == pytest.approx(0.6)
    # the order of the set changes nothing
    assert combine({"generated": 0.3, "blend": 0.6}, dict(reversed(list(anchors.items())))) == pytest.approx(
        combine({"blend": 0.6, "generated": 0.3}, anchors))


def test_one_detector_keeps_its_probability_and_several_need_their_bands():
    assert combine({"frame_cnn": 0.4}) == pytest.approx(0.4)
    with pytest.raises(ValueError):
        combine({})
    with pytest.raises(ValueError, match="frame_cnn_generated"):
        combine({"frame_cnn": 0.2, "frame_cnn_generated": 0.97}, {"frame_cnn": ScoreBands(0.3, 0.7)})


def test_anchors_are_each_detectors_own_bands():
    blends, generated = pair()
    assert anchors_of([blends, generated]) == {"frame_cnn": ScoreBands(0.3, 0.75),
                                               "frame_cnn_generated": ScoreBands(0.2, 0.8)}


def test_bands_chosen_under_another_combination_rule_are_not_used():
    blends, generated = pair()
    blends.bands_with["frame_cnn_generated"]["rule"] = "max"
    assert chosen_bands(blends, [generated]) is None


def test_one_detector_is_judged_by_its_own_bands():
    blends, _ = pair()
    assert frame_bands([blends]) == ScoreBands(0.3, 0.75)


def test_a_pair_is_judged_by_the_bands_chosen_for_it_in_either_order():
    blends, generated = pair()
    assert frame_bands([blends, generated]) == ScoreBands(**PAIR_BANDS)
    assert frame_bands([generated, blends]) == ScoreBands(**PAIR_BANDS)


def test_bands_chosen_with_another_version_of_the_partner_are_not_used():
    blends, generated = pair(partner_version="g0")
    assert chosen_bands(blends, [generated]) is None
    assert frame_bands([blends, generated]) == ScoreBands(real_below=0.3, fake_from=0.8)  # strictest of each
    assert unchosen_bands([blends, generated]) == ScoreBands(real_below=0.3, fake_from=0.8)


def test_a_choice_built_on_the_sets_bands_refuses_bands_nobody_chose():
    blends, generated = pair(partner_version="g0")  # the partner changed since the bands were chosen
    with pytest.raises(ValueError, match="choose_set_bands"):
        chosen_set_bands([blends, generated])
    blends, generated = pair()
    assert chosen_set_bands([generated, blends]) == ScoreBands(**PAIR_BANDS)
    assert chosen_set_bands([blends]) == ScoreBands(0.3, 0.75)  # one detector: its own bands


def test_bands_chosen_for_a_pair_do_not_judge_a_larger_set():
    blends, generated = pair()
    hybrid = Member("hybrid_vit", "h1", ScoreBands(0.25, 0.7))
    assert frame_bands([blends, generated, hybrid]) == ScoreBands(real_below=0.3, fake_from=0.8)
    assert partners_key(["hybrid_vit", "frame_cnn_generated"]) == "frame_cnn_generated+hybrid_vit"


def test_a_face_judged_by_only_some_of_a_set_reads_on_the_sets_scale():
    from models.serving.frame_score import min_faces_of

    anchors = {"blend": ScoreBands(0.5, 0.75), "generated": ScoreBands(0.1, 0.45)}
    # only `generated` judged this face: at its own fake_from it reads as the set's reference (blend) fake_from
    assert combine({"generated": 0.45}, anchors) == pytest.approx(0.75)
    assert combine({"generated": 0.1}, anchors) == pytest.approx(0.5)
    assert combine({"blend": 0.62}, anchors) == pytest.approx(0.62)  # the reference keeps its probability
    blends, generated = pair()
    generated.min_face_px = 112
    assert min_faces_of([blends, generated]) == {"frame_cnn": 0, "frame_cnn_generated": 112}
