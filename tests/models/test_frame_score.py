"""Several frame detectors, one face score: the highest, judged by the bands chosen for the set."""
from dataclasses import dataclass, field

import pytest

from models.detectors.detector import ScoreBands
from models.serving.frame_score import chosen_bands, combine, frame_bands, partners_key, unchosen_bands


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
        "frame_cnn_generated": {"versions": {"frame_cnn_generated": partner_version}, "rule": "max",
                                "bands": PAIR_BANDS, "bands_chosen_on": {}}})
    generated = Member("frame_cnn_generated", "g1", ScoreBands(0.2, 0.8))
    return blends, generated


def test_a_face_scores_its_highest_detector():
    assert combine({"frame_cnn": 0.2, "frame_cnn_generated": 0.97}) == pytest.approx(0.97)
    assert combine({"frame_cnn": 0.4}) == pytest.approx(0.4)
    with pytest.raises(ValueError):
        combine({})


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


def test_bands_chosen_for_a_pair_do_not_judge_a_larger_set():
    blends, generated = pair()
    hybrid = Member("hybrid_vit", "h1", ScoreBands(0.25, 0.7))
    assert frame_bands([blends, generated, hybrid]) == ScoreBands(real_below=0.3, fake_from=0.8)
    assert partners_key(["hybrid_vit", "frame_cnn_generated"]) == "frame_cnn_generated+hybrid_vit"
