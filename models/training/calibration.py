"""Training-time calibration: fit a detector's Platt scaling and choose its score bands on validation."""
from __future__ import annotations

import numpy as np

from models.detectors.calibration import Calibration, logit, sigmoid


def fit_calibration(raw: np.ndarray, labels: np.ndarray, steps: int = 100, ridge: float = 1e-3) -> Calibration:
    """Fit a and b by minimising log loss (labels 1 = fake) with damped Newton steps.

    Each step is halved until the loss falls, and a small ridge on `a` keeps it finite when the
    validation scores are perfectly separated.
    """
    x, y = logit(raw), np.asarray(labels, dtype=np.float64)
    params = np.array([1.0, 0.0])
    loss = _log_loss(params, x, y, ridge)
    for _ in range(steps):
        p = sigmoid(params[0] * x + params[1])
        w = p * (1 - p) + 1e-9
        grad = np.array([((p - y) * x).sum() + ridge * params[0] * len(x), (p - y).sum()]) / len(x)
        hess = np.array([[(w * x * x).sum() + ridge * len(x), (w * x).sum()],
                         [(w * x).sum(), w.sum()]]) / len(x)
        step = np.linalg.solve(hess + 1e-9 * np.eye(2), grad)
        for _ in range(30):
            trial = params - step
            trial_loss = _log_loss(trial, x, y, ridge)
            if trial_loss <= loss:
                break
            step = step / 2
        else:
            break
        converged = loss - trial_loss < 1e-12
        params, loss = trial, trial_loss
        if converged:
            break
    return Calibration(float(params[0]), float(params[1]))


def _log_loss(params: np.ndarray, x: np.ndarray, y: np.ndarray, ridge: float) -> float:
    """Mean log loss of sigmoid(a x + b) plus ridge * a^2 / 2."""
    z = params[0] * x + params[1]
    loss = np.mean(np.logaddexp(0, z) - y * z)
    return float(loss + 0.5 * ridge * params[0] ** 2)


def fpr_threshold(real_scores: np.ndarray, max_fpr: float = 0.05) -> float:
    """The lowest threshold at which at most `max_fpr` of these real faces score as fake."""
    real_scores = np.sort(np.asarray(real_scores, dtype=np.float64))
    k = int(np.floor(max_fpr * len(real_scores)))
    return float(np.nextafter(real_scores[len(real_scores) - k - 1], 1.0)) if k < len(real_scores) else 0.0


def strictest_bands(bands: dict, real_scores: np.ndarray, max_fpr: float = 0.05) -> dict:
    """`bands` with `fake_from` raised, when needed, so that at most `max_fpr` of another set of
    real faces (another domain) is flagged too; `real_below` stays, never above `fake_from`."""
    fake_from = max(bands["fake_from"], min(fpr_threshold(real_scores, max_fpr), 1.0))
    return {"real_below": min(bands["real_below"], fake_from), "fake_from": fake_from}


def choose_bands(real_scores: np.ndarray, fake_scores: np.ndarray, max_fpr: float = 0.05,
                 max_fnr: float = 0.10, max_unsure: float | None = None) -> dict:
    """Score bands from calibrated validation scores.

    `fake_from`: the lowest threshold at which at most `max_fpr` of real faces score as fake.
    `real_below`: the highest threshold under which at most `max_fnr` of fakes fall (never above
    `fake_from`); scores in between are inconclusive. With `max_unsure`, `real_below` is raised until
    at most that share of the reals is inconclusive or worse (fakes no threshold can catch would
    otherwise pull it down among the reals).
    """
    fake_from = fpr_threshold(real_scores, max_fpr)
    fake_scores = np.sort(np.asarray(fake_scores, dtype=np.float64))
    m = int(np.floor(max_fnr * len(fake_scores)))
    real_below = float(fake_scores[m]) if m < len(fake_scores) else 1.0
    if max_unsure is not None:
        real_below = max(real_below, fpr_threshold(real_scores, max_unsure))
    return {"real_below": min(real_below, fake_from), "fake_from": min(fake_from, 1.0)}


def strictest_threshold(scores_by_source: dict[str, np.ndarray], share: float) -> float:
    """The lowest threshold at or above which at most `share` of every source's real scores fall."""
    return min(max(fpr_threshold(s, share) for s in scores_by_source.values()), 1.0)


def band_shares(scores_by_source: dict[str, np.ndarray], bands: dict) -> dict:
    """Per source: count, share flagged likely fake and share inconclusive under `bands`."""
    return {name: {"count": int(len(s)), "flagged": float(np.mean(s >= bands["fake_from"])),
                   "inconclusive": float(np.mean((s >= bands["real_below"]) & (s < bands["fake_from"])))}
            for name, s in sorted(scores_by_source.items())}


def bands_for_sources(cal_scores: np.ndarray, labels: np.ndarray, real_sources: dict[str, np.ndarray],
                      max_fpr: float = 0.05, max_fnr: float = 0.10, max_unsure: float | None = None) -> dict:
    """Bands that hold on every real source: `fake_from` flags at most `max_fpr` of the real faces of
    each source in `real_sources` (and of the labelled reals), the strictest of them; `real_below`
    has at most `max_fnr` of the labelled fakes under it (raised by `max_unsure` as `choose_bands`
    does), never above `fake_from`."""
    bands = choose_bands(cal_scores[labels == 0], cal_scores[labels == 1], max_fpr, max_fnr, max_unsure)
    fake_from = max(bands["fake_from"], strictest_threshold(real_sources, max_fpr))
    return {"real_below": min(bands["real_below"], fake_from), "fake_from": fake_from}
