"""Fusion fitted on validation people: logistic weights, and the rule shipped with the temporal detector.

`choose_fusion` picks, among the rules that never score a person below their frame evidence
(`CHOSEN_FROM`), the one with the best validation AUC (the simpler on a tie), with its bands; the
logistic fit is measured (cross-fitted) and reported, never shipped (see `models.serving.fusion`).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from models.detectors.calibration import logit
from models.evaluation import metrics
from models.serving.fusion import METHODS, FusionConfig, sigmoid, fuse_evidence
from models.training.calibration import bands_for_sources

CHOSEN_FROM = ("frame_only", "max")  # the rules that never lower a person's frame evidence


def fit_logistic(frame: np.ndarray, temporal: np.ndarray, labels: np.ndarray, l2: float = 1e-3,
                 steps: int = 100) -> FusionConfig:
    """Logistic-regression weights on logit(frame) and logit(temporal) by Newton steps (labels 1 = fake)."""
    x = np.stack([np.ones(len(frame)), logit(frame), logit(temporal)], axis=1)
    y = np.asarray(labels, dtype=np.float64)
    w = np.array([0.0, 1.0, 1.0])
    for _ in range(steps):
        p = sigmoid(x @ w)
        grad = x.T @ (p - y) + l2 * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(3)
        step = np.linalg.solve(hess, grad)
        w = w - step
        if np.abs(step).max() < 1e-10:
            break
    return FusionConfig("logistic", frame_weight=float(w[1]), temporal_weight=float(w[2]), bias=float(w[0]))


def _halves(labels: np.ndarray, seed: int) -> np.ndarray:
    """A boolean split of the examples into two halves, balanced within each class."""
    rng = np.random.default_rng(seed)
    first = np.zeros(len(labels), dtype=bool)
    for value in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == value))
        first[idx[: len(idx) // 2]] = True
    return first


def cross_fitted_scores(frame: np.ndarray, temporal: np.ndarray, labels: np.ndarray, seed: int = 0) -> np.ndarray:
    """Logistic fusion scores where each half is scored by weights fitted on the other half."""
    first = _halves(labels, seed)
    out = np.zeros(len(labels))
    for part in (first, ~first):
        config = fit_logistic(frame[~part], temporal[~part], labels[~part])
        out[part] = fuse_evidence(frame[part], temporal[part], config)
    return out


def choose_fusion(frame: np.ndarray, temporal: np.ndarray, labels: np.ndarray, seed: int = 0,
                  max_unsure: float | None = None, sources=None, max_fpr: float = 0.05) -> tuple[FusionConfig, dict]:
    """The rule of CHOSEN_FROM with the best validation AUC (ties: the simpler), with its bands.

    Inputs are per-person evidence with both kinds present. Returns the config and every method's
    metrics (AUC, EER, AP; the logistic one cross-fitted, reported only). `fake_from` flags at most
    `max_fpr` of the real people, and with `sources` (one name per person) at most that share of
    the real people of each source too (the strictest sets it: real clips that move as people do
    must not be judged by bands that only still photos moved by a camera chose). With `max_unsure`,
    `real_below` is raised until at most that share of the real people is inconclusive or worse,
    so fakes the rule cannot see do not turn a feed of real people yellow.
    """
    frame, temporal = np.asarray(frame, float), np.asarray(temporal, float)
    labels = np.asarray(labels, dtype=int)
    scores = {
        "frame_only": fuse_evidence(frame, temporal, FusionConfig("frame_only")),
        "max": fuse_evidence(frame, temporal, FusionConfig("max")),
        "logistic": cross_fitted_scores(frame, temporal, labels, seed),
    }
    table = {method: metrics.summary(s, labels) for method, s in scores.items()}
    best = max(CHOSEN_FROM, key=lambda m: (round(table[m]["auc"], 6), -METHODS.index(m)))
    config = FusionConfig(best)
    fused = fuse_evidence(frame, temporal, config)
    sources = np.asarray(sources) if sources is not None else np.full(len(labels), "")
    by_source = {name: fused[(labels == 0) & (sources == name)] for name in np.unique(sources[labels == 0])}
    bands = bands_for_sources(fused, labels, by_source, max_fpr=max_fpr, max_unsure=max_unsure)
    return replace(config, bands=bands), table
