"""Platt scaling of a detector's raw sigmoid output into a calibrated probability."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

_EPS = 1e-6


def logit(p: np.ndarray) -> np.ndarray:
    """Inverse sigmoid, clipped away from 0 and 1."""
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class Calibration:
    """p = sigmoid(a * logit(raw) + b)."""

    a: float = 1.0
    b: float = 0.0

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw sigmoid outputs."""
        z = self.a * logit(raw) + self.b
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Calibration":
        """Inverse of to_dict."""
        return cls(float(data["a"]), float(data["b"]))

    @classmethod
    def fit(cls, raw: np.ndarray, labels: np.ndarray, steps: int = 500) -> "Calibration":
        """Fit a and b by minimising log loss with Newton steps (labels 1 = fake)."""
        x, y = logit(raw), np.asarray(labels, dtype=np.float64)
        a, b = 1.0, 0.0
        for _ in range(steps):
            p = 1.0 / (1.0 + np.exp(-(a * x + b)))
            g = np.array([((p - y) * x).sum(), (p - y).sum()])
            w = p * (1 - p) + 1e-9
            h = np.array([[(w * x * x).sum(), (w * x).sum()], [(w * x).sum(), w.sum()]])
            step = np.linalg.solve(h + 1e-6 * np.eye(2), g)
            a, b = a - step[0], b - step[1]
            if np.abs(step).max() < 1e-9:
                break
        return cls(float(a), float(b))


def choose_bands(real_scores: np.ndarray, fake_scores: np.ndarray, max_fpr: float = 0.05,
                 max_fnr: float = 0.10) -> dict:
    """Score bands from calibrated validation scores.

    `fake_from`: the lowest threshold at which at most `max_fpr` of real faces score as fake.
    `real_below`: the highest threshold under which at most `max_fnr` of fakes fall (never above
    `fake_from`); scores in between are inconclusive.
    """
    real_scores = np.sort(np.asarray(real_scores, dtype=np.float64))
    fake_scores = np.sort(np.asarray(fake_scores, dtype=np.float64))
    k = int(np.floor(max_fpr * len(real_scores)))
    fake_from = float(np.nextafter(real_scores[len(real_scores) - k - 1], 1.0)) if k < len(real_scores) else 0.0
    m = int(np.floor(max_fnr * len(fake_scores)))
    real_below = float(fake_scores[m]) if m < len(fake_scores) else 1.0
    return {"real_below": min(real_below, fake_from), "fake_from": min(fake_from, 1.0)}
