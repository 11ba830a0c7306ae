"""Calibration and score bands."""
import numpy as np

from models.detectors.calibration import Calibration
from models.detectors.detector import ScoreBands
from models.training.calibration import choose_bands, fit_calibration


def test_platt_fit_recovers_known_parameters():
    rng = np.random.default_rng(0)
    raw = rng.uniform(0.01, 0.99, 20000)
    true = Calibration(2.0, -1.0).apply(raw)
    labels = rng.random(20000) < true
    fit = fit_calibration(raw, labels)
    assert abs(fit.a - 2.0) < 0.15 and abs(fit.b + 1.0) < 0.1


def test_bands_respect_the_false_positive_budget():
    rng = np.random.default_rng(1)
    real, fake = rng.beta(2, 5, 1000), rng.beta(5, 2, 1000)
    bands = choose_bands(real, fake, max_fpr=0.05, max_fnr=0.10)
    assert (real >= bands["fake_from"]).mean() <= 0.05
    assert (fake < bands["real_below"]).mean() <= 0.10
    assert bands["real_below"] <= bands["fake_from"]


def test_verdicts_from_bands():
    bands = ScoreBands(real_below=0.3, fake_from=0.7)
    assert [bands.verdict(s) for s in (0.1, 0.3, 0.69, 0.7, 0.99)] == [
        "likely_real", "inconclusive", "inconclusive", "likely_fake", "likely_fake"]


def test_fit_stays_finite_on_separated_scores():
    raw = np.r_[np.full(500, 1e-7), np.full(500, 1 - 1e-7)]
    labels = np.r_[np.zeros(500), np.ones(500)]
    fit = fit_calibration(raw, labels)
    assert np.isfinite([fit.a, fit.b]).all() and abs(fit.a) < 1e3
    cal = fit.apply(raw)
    assert cal[:500].max() < 0.05 and cal[500:].min() > 0.95


def test_fit_keeps_the_ranking():
    rng = np.random.default_rng(2)
    raw = np.clip(rng.beta(2, 2, 400), 1e-4, 1 - 1e-4)
    labels = rng.random(400) < raw
    cal = fit_calibration(raw, labels).apply(raw)
    assert np.array_equal(np.argsort(raw, kind="stable"), np.argsort(cal, kind="stable"))
