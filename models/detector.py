"""The one interface every detector implements (DeepfakeBench style)."""
from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np

from models.faces.align import CROP_SIZE, to_model_input


@dataclass(frozen=True)
class ScoreBands:
    """Calibrated-score thresholds: below `real_below` likely real, at or above `fake_from` likely fake."""

    real_below: float
    fake_from: float

    def verdict(self, score: float) -> str:
        """Map a calibrated probability of manipulation to a verdict name."""
        if score >= self.fake_from:
            return "likely_fake"
        if score < self.real_below:
            return "likely_real"
        return "inconclusive"


class Detector(abc.ABC):
    """A deepfake detector over aligned face crops."""

    name: str = ""
    input_size: int = CROP_SIZE

    @classmethod
    @abc.abstractmethod
    def build(cls):
        """Build the trainable Keras model (needs TensorFlow; training and export only)."""

    def preprocess(self, crops: np.ndarray) -> np.ndarray:
        """uint8 RGB aligned crops (N, S, S, 3) -> model input, float32 in [-1, 1]."""
        return to_model_input(crops)

    @abc.abstractmethod
    def predict(self, crops: np.ndarray) -> np.ndarray:
        """Calibrated probability of manipulation per crop, shape (N,), one batched call."""

    @property
    @abc.abstractmethod
    def version(self) -> str:
        """A short id of the weights and config (sha256 prefix); every result names it."""
