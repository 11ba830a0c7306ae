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
    input_kind: str = "aligned"  # "aligned": aligned crops; "region": native-scale face regions
    min_face_px: int = 0  # smallest face (shorter box side, analysed pixels) it judges; chosen on val
    min_sharpness: float = 0.0  # least fine detail (models.faces.quality.sharpness) it judges; chosen on val

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


@dataclass(frozen=True)
class ClipScores:
    """A clip detector's output: one calibrated score per clip and a per-frame inconsistency curve."""

    scores: np.ndarray  # (N,) calibrated probability of temporal inconsistency per clip
    curves: np.ndarray  # (N, T) per-frame inconsistency in [0, 1]; 0 at padded frames
    mouth: np.ndarray | None = None  # (N,) calibrated mouth-motion evidence per clip, when the model has it


def check_clip_mask(mask: np.ndarray | None, n: int, t: int) -> np.ndarray:
    """A (N, T) float32 mask of valid frames: 1s first, then 0s (padding); all valid when None."""
    if mask is None:
        return np.ones((n, t), dtype=np.float32)
    mask = np.asarray(mask)
    if mask.shape != (n, t):
        raise ValueError(f"mask shape {mask.shape} does not match clips ({n}, {t})")
    valid = mask.astype(bool)
    lengths = valid.sum(axis=1)
    if np.any(lengths < 1):
        raise ValueError("every clip needs at least one valid frame")
    if np.any(valid != (np.arange(t)[None, :] < lengths[:, None])):
        raise ValueError("a clip's valid frames must come first, padding after them")
    return valid.astype(np.float32)


class ClipDetector(abc.ABC):
    """A detector over one person's aligned face crops in consecutive frames (a clip, or track).

    Beside the per-crop `Detector`: input clips (N, T, S, S, 3) uint8 with a (N, T) mask of valid
    frames (valid frames first, then padding; a short track is padded, never stretched), or the
    per-frame feature vectors those clips give (`frame_features`), so callers can cache them.
    """

    name: str = ""
    input_size: int = CROP_SIZE
    max_frames: int = 16  # longest clip one call scores; longer tracks are split by the caller
    input_kind: str = "aligned"  # "region": also reads each frame's native face region (`regions`)

    @classmethod
    @abc.abstractmethod
    def build(cls):
        """Build the trainable Keras model (needs TensorFlow; training and export only)."""

    def preprocess(self, crops: np.ndarray) -> np.ndarray:
        """uint8 RGB aligned crops (..., S, S, 3) -> model input, float32 in [-1, 1]."""
        return to_model_input(crops)

    @abc.abstractmethod
    def frame_features(self, clips: np.ndarray, mask: np.ndarray | None = None, regions=None) -> np.ndarray:
        """Per-frame feature vectors (N, T, F) float32 of uint8 clips (N, T, S, S, 3); 0 at padding.
        `regions[i][t]`: frame t's native face region of clip i, for a detector whose input_kind is "region"."""

    @abc.abstractmethod
    def predict_features(self, features: np.ndarray, mask: np.ndarray | None = None) -> ClipScores:
        """Clip scores and per-frame curves from precomputed per-frame features (N, T, F)."""

    def predict(self, clips: np.ndarray, mask: np.ndarray | None = None, regions=None) -> ClipScores:
        """Clip scores and per-frame curves for uint8 clips (N, T, S, S, 3), padded frames masked out."""
        return self.predict_features(self.frame_features(clips, mask, regions), mask)

    @property
    @abc.abstractmethod
    def version(self) -> str:
        """A short id of the weights and config (sha256 prefix); every result names it."""
