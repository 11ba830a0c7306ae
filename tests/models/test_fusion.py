"""Fusion of frame-level and temporal evidence: the maths by hand, fitting, and choosing on validation."""
import math
import warnings

import numpy as np
import pytest

from models.serving.fusion import FusionConfig, fuse_evidence, fuse_person, person_evidence, sigmoid
from models.training.fusion_fit import choose_fusion, fit_logistic


def test_person_evidence_is_the_top_half_mean_of_each_kind():
    frame, temporal = person_evidence([0.2, 0.4, 0.9, 0.1], [0.3, 0.8, 0.7])
    assert frame == pytest.approx((0.9 + 0.4) / 2)
    assert temporal == pytest.approx((0.8 + 0.7) / 2)  # ceil(3 / 2) = 2 highest


def test_max_takes_the_stronger_evidence():
    config = FusionConfig("max")
    assert fuse_person([0.2, 0.4, 0.9, 0.1], [0.3, 0.8, 0.7], config) == pytest.approx(0.75)
    assert fuse_person([0.9, 0.8], [0.1], config) == pytest.approx(0.9)  # top half of two: the higher


def test_logistic_by_hand():
    config = FusionConfig("logistic", frame_weight=2.0, temporal_weight=1.0, bias=-1.0)
    # logit(0.5) = 0, logit(0.8) = ln 4: sigmoid(-1 + 2 * 0 + ln 4)
    expected = 1 / (1 + math.exp(-(-1.0 + math.log(4.0))))
    assert fuse_person([0.5], [0.8], config) == pytest.approx(expected, abs=1e-9)


def test_frame_only_ignores_temporal_evidence():
    assert fuse_person([0.3, 0.2], [0.99], FusionConfig("frame_only")) == pytest.approx(0.3)


@pytest.mark.parametrize("method", ["frame_only", "max", "logistic"])
def test_without_clips_the_frame_evidence_is_kept(method):
    config = FusionConfig(method, frame_weight=3.0, temporal_weight=2.0, bias=1.5)
    assert fuse_person([0.1, 0.6, 0.3], [], config) == pytest.approx((0.6 + 0.3) / 2)
    fused = fuse_evidence(np.array([0.2, 0.7]), np.array([np.nan, 0.9]), config)
    assert fused[0] == pytest.approx(0.2)


def test_a_person_needs_frame_scores_and_methods_are_checked():
    with pytest.raises(ValueError):
        fuse_person([], [0.5], FusionConfig())
    with pytest.raises(ValueError):
        FusionConfig("mean")


def test_config_round_trip():
    config = FusionConfig("logistic", 1.5, 0.5, -0.25, {"real_below": 0.2, "fake_from": 0.7})
    assert FusionConfig.from_dict(config.to_dict()) == config


def test_fit_logistic_recovers_known_weights():
    rng = np.random.default_rng(0)
    frame, temporal = rng.uniform(0.02, 0.98, 20_000), rng.uniform(0.02, 0.98, 20_000)
    z = -0.5 + 1.5 * np.log(frame / (1 - frame)) + 0.75 * np.log(temporal / (1 - temporal))
    labels = (rng.random(20_000) < 1 / (1 + np.exp(-z))).astype(int)
    config = fit_logistic(frame, temporal, labels)
    assert config.method == "logistic"
    assert config.bias == pytest.approx(-0.5, abs=0.1)
    assert config.frame_weight == pytest.approx(1.5, abs=0.1)
    assert config.temporal_weight == pytest.approx(0.75, abs=0.1)


def _people(rng, n):
    """Validation people: reals, smooth fakes (frames show it) and flickering fakes (only the clips do)."""
    kind = np.repeat([0, 1, 2], n)
    frame = np.where(kind == 1, rng.uniform(0.5, 0.9, 3 * n), rng.uniform(0.1, 0.5, 3 * n))
    temporal = np.where(kind == 2, rng.uniform(0.6, 0.95, 3 * n), rng.uniform(0.05, 0.4, 3 * n))
    return frame, temporal, (kind > 0).astype(int)


def test_choose_fusion_prefers_a_method_that_uses_temporal_evidence_when_it_helps():
    frame, temporal, labels = _people(np.random.default_rng(1), 60)
    config, table = choose_fusion(frame, temporal, labels)
    assert set(table) == {"frame_only", "max", "logistic"}
    assert table["frame_only"]["auc"] < 0.85 < table["max"]["auc"]
    assert config.method == "max"  # logistic is measured, never shipped: it can clear a steady fake
    assert 0.0 <= config.bands["real_below"] <= config.bands["fake_from"] <= 1.0


def test_the_chosen_rule_never_scores_a_person_below_their_frame_evidence():
    frame, temporal, labels = _people(np.random.default_rng(3), 60)
    config, _ = choose_fusion(frame, temporal, labels)
    assert np.all(fuse_evidence(frame, temporal, config) >= frame - 1e-12)
    steady_fake = fit_logistic(frame, temporal, labels)  # what a fitted logistic would do instead
    assert fuse_evidence(np.array([0.8]), np.array([0.02]), steady_fake)[0] < 0.8


def test_choose_fusion_keeps_frames_only_when_temporal_evidence_is_uninformative():
    rng = np.random.default_rng(2)
    labels = np.repeat([0, 1], 50)
    frame = np.where(labels == 1, rng.uniform(0.3, 0.9, 100), rng.uniform(0.1, 0.7, 100))
    config, table = choose_fusion(frame, np.full(100, 0.5), labels)
    assert config.method == "frame_only"
    assert table["max"]["auc"] < table["frame_only"]["auc"]


def test_the_sigmoid_saturates_quietly_far_from_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow in exp
        assert np.allclose(sigmoid(np.array([-1000.0, 0.0, 1000.0])), [0.0, 0.5, 1.0])


def test_fakes_the_rule_cannot_see_do_not_make_most_real_people_inconclusive():
    frame, temporal, labels = _people(np.random.default_rng(4), 60)
    unseen = np.random.default_rng(5).uniform(0.0, 0.1, 90)  # fakes that score like the lowest reals
    frame, temporal = np.r_[frame, unseen], np.r_[temporal, unseen]
    labels = np.r_[labels, np.ones(90, int)]
    loose, _ = choose_fusion(frame, temporal, labels)
    capped, _ = choose_fusion(frame, temporal, labels, max_unsure=0.2)
    fused = fuse_evidence(frame, temporal, capped)[labels == 0]
    unsure = lambda config: np.mean(fuse_evidence(frame, temporal, config)[labels == 0] >= config.bands["real_below"])  # noqa: E731
    assert unsure(loose) > 0.5 and unsure(capped) <= 0.2
    assert capped.bands["fake_from"] == loose.bands["fake_from"] and np.mean(fused >= capped.bands["fake_from"]) <= 0.05


def test_real_people_of_every_source_hold_fake_from_and_one_source_cannot_hide_in_the_pool():
    frame, temporal, labels = _people(np.random.default_rng(6), 100)
    clips = np.random.default_rng(7).uniform(0.6, 0.95, 8)  # a few real clips that score high
    frame, temporal = np.r_[frame, np.full(8, 0.05)], np.r_[temporal, clips]
    labels = np.r_[labels, np.zeros(8, int)]
    sources = np.array(["stills"] * (len(labels) - 8) + ["videos"] * 8)
    pooled, _ = choose_fusion(frame, temporal, labels)
    held, _ = choose_fusion(frame, temporal, labels, sources=sources)
    fused = fuse_evidence(frame, temporal, held)
    assert held.method == pooled.method
    assert np.mean(fuse_evidence(frame, temporal, pooled)[-8:] >= pooled.bands["fake_from"]) > 0.05
    assert np.all(fused[-8:] < held.bands["fake_from"])  # none of the 8 (5% of 8 rounds to 0) flagged
    assert held.bands["fake_from"] == np.nextafter(fused[-8:].max(), 1.0)
    assert held.bands["real_below"] <= held.bands["fake_from"]
    same, _ = choose_fusion(frame, temporal, labels, sources=np.array(["stills"] * len(labels)))
    assert same.bands == pooled.bands  # one source: the pooled rule
