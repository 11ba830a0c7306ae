"""Metrics against values computed by hand."""
import numpy as np
import pytest

from models.evaluation import metrics


def test_auc_by_hand():
    # pairs (fake, real): (0.35>0.1) (0.35<0.4) (0.8>0.1) (0.8>0.4) -> 3 of 4
    assert metrics.auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)


def test_auc_counts_ties_as_half():
    assert metrics.auc([0.5, 0.5], [0, 1]) == pytest.approx(0.5)


def test_average_precision_by_hand():
    # ranked: 0.8 (fake, P=1, R=.5), 0.4 (real), 0.35 (fake, P=2/3, R=1) -> .5*1 + .5*2/3
    assert metrics.average_precision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(5 / 6)


def test_eer_perfect_and_inverted():
    assert metrics.eer([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]) == pytest.approx(0.0)
    assert metrics.eer([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]) == pytest.approx(1.0)


def test_eer_by_hand():
    # thresholds: >=0.8: fpr 0, fnr .5 ; >=0.4: fpr .5, fnr .5 -> EER 0.5
    assert metrics.eer([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.5)


def test_rates_at_threshold():
    r = metrics.rates_at([0.1, 0.6, 0.4, 0.9], [0, 0, 1, 1], 0.5)
    assert r == {"accuracy": 0.5, "fpr": 0.5, "tpr": 0.5}


def test_needs_both_classes():
    with pytest.raises(ValueError):
        metrics.auc([0.1, 0.2], [1, 1])


def test_roc_endpoints():
    fpr, tpr, _ = metrics.roc_curve(np.random.default_rng(0).random(50), np.r_[np.zeros(25), np.ones(25)])
    assert fpr[0] == 0 and tpr[0] == 0 and fpr[-1] == 1 and tpr[-1] == 1
