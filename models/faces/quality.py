"""How much fine detail a face region keeps: the one sharpness measure of serving, evidence and gates."""
from __future__ import annotations

import cv2
import numpy as np

SHARPNESS_SIDE = 128  # the region is measured at this size, so faces of every size read on one scale


def gray(region: np.ndarray) -> np.ndarray:
    """A region as one grey channel (float32)."""
    if region.ndim == 3:
        return cv2.cvtColor(np.ascontiguousarray(region[..., :3]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    return region.astype(np.float32)


def sharpness(region: np.ndarray) -> float:
    """Variance of the Laplacian of the region resized to SHARPNESS_SIDE px (higher: more fine detail; 0 when empty)."""
    if region.size == 0:
        return 0.0
    small = cv2.resize(gray(region), (SHARPNESS_SIDE, SHARPNESS_SIDE), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(small, cv2.CV_32F).var())
