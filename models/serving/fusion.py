"""Fusion: one person's frame-level scores and temporal clip scores -> one fused score (pure numpy).

Evidence per person (each a calibrated probability):
- frame evidence `f`: the mean of the top half of the person's frame scores (`robust_mean`, as
  `models.serving.aggregate` scores a person), each frame score being the mean of the frame detectors;
- temporal evidence `t`: the same top-half mean over the person's clip scores from the temporal
  detector (the probability that a clip flickers).

Methods (`FusionConfig.method`):
- "frame_only": f (temporal evidence ignored);
- "max": max(f, t), the rule: a person is as suspect as their stronger evidence. A smooth fake
  leaves t low and is caught by f; a flickering one raises t even when single frames look clean;
- "logistic": sigmoid(bias + frame_weight * logit(f) + temporal_weight * logit(t)), weights fitted
  by logistic regression on validation people (`models.training.fusion_fit.fit_logistic`).

A person without temporal evidence (an image, a track too short for a clip) keeps f unchanged,
whatever the method. `models.training.fusion_fit.choose_fusion` picks the method on validation data
among the rules that never score a person below their frame evidence (`CHOSEN_FROM`: frame_only,
max). The temporal
detector measures flicker: a steady face is no evidence that it is real, and a temporally
consistent fake, the best kind, must not be cleared by its steadiness. A logistic fit on
validation people does exactly that (with a low `t` it pulls a frame score of 0.8 under 0.3), so
it is measured and reported (cross-fitted AUC) but not shipped. The best AUC wins, the simpler
rule on a tie.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

from models.detectors.calibration import logit
from models.serving.aggregate import robust_mean

METHODS = ("frame_only", "max", "logistic")


@dataclass(frozen=True)
class FusionConfig:
    """How evidence is fused; `bands` ({real_below, fake_from}) of the fused score when chosen on validation."""

    method: str = "max"
    frame_weight: float = 1.0
    temporal_weight: float = 1.0
    bias: float = 0.0
    bands: dict | None = None

    def __post_init__(self):
        """Refuse an unknown method."""
        if self.method not in METHODS:
            raise ValueError(f"unknown fusion method {self.method!r}; known: {METHODS}")

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "FusionConfig":
        """Inverse of to_dict (unknown keys are an error)."""
        return cls(**data)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function; z clipped to +-500, where it is 0 or 1 to double precision and exp stays finite."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500.0, 500.0)))


def fuse_evidence(frame: np.ndarray, temporal: np.ndarray, config: FusionConfig) -> np.ndarray:
    """Fused scores from arrays of frame and temporal evidence; NaN temporal = none (frame kept)."""
    frame = np.asarray(frame, dtype=np.float64)
    temporal = np.asarray(temporal, dtype=np.float64)
    has_temporal = ~np.isnan(temporal)
    t = np.where(has_temporal, temporal, 0.5)
    if config.method == "frame_only":
        fused = frame
    elif config.method == "max":
        fused = np.maximum(frame, t)
    else:
        fused = sigmoid(config.bias + config.frame_weight * logit(frame) + config.temporal_weight * logit(t))
    return np.where(has_temporal, fused, frame)


def person_evidence(frame_scores: Sequence[float], clip_scores: Sequence[float]) -> tuple[float, float]:
    """(frame evidence, temporal evidence or NaN) of one person."""
    if len(frame_scores) == 0:
        raise ValueError("a person needs at least one frame score")
    temporal = robust_mean(clip_scores) if len(clip_scores) else float("nan")
    return robust_mean(frame_scores), temporal


def fuse_person(frame_scores: Sequence[float], clip_scores: Sequence[float], config: FusionConfig) -> float:
    """One person's fused score from their frame scores and clip scores."""
    frame, temporal = person_evidence(frame_scores, clip_scores)
    return float(fuse_evidence(np.array([frame]), np.array([temporal]), config)[0])
