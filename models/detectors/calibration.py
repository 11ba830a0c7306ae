"""A detector's calibration at serving time: Platt scaling of its raw sigmoid output (fitted in training)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

_EPS = 1e-6


def logit(p: np.ndarray) -> np.ndarray:
    """Inverse sigmoid, clipped away from 0 and 1."""
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Numerically safe logistic function."""
    return 0.5 * (1 + np.tanh(0.5 * z))


@dataclass(frozen=True)
class Calibration:
    """p = sigmoid(a * logit(raw) + b); `models.training.calibration.fit_calibration` fits a and b."""

    a: float = 1.0
    b: float = 0.0

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw sigmoid outputs."""
        return sigmoid(self.a * logit(raw) + self.b).astype(np.float32)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Calibration":
        """Inverse of to_dict."""
        return cls(float(data["a"]), float(data["b"]))
