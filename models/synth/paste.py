"""Manipulate a face in its aligned crop, then paste it back into the full frame (a face-swap pipeline)."""
from __future__ import annotations

import cv2
import numpy as np

from models.faces.align import align_face, mean_landmarks
from models.synth.selfblend import self_blend


def paste_back(frame: np.ndarray, crop: np.ndarray, mask: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Composite a manipulated crop into `frame` through the inverse alignment, weighted by `mask`."""
    h, w = frame.shape[:2]
    inverse = cv2.invertAffineTransform(matrix)
    back = cv2.warpAffine(crop, inverse, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    weight = cv2.warpAffine(mask.astype(np.float32), inverse, (w, h), flags=cv2.INTER_LINEAR)[..., None]
    return np.clip(np.rint(frame * (1 - weight) + back * weight), 0, 255).astype(np.uint8)


def self_blend_in_frame(frame: np.ndarray, keypoints: np.ndarray, rng: np.random.Generator,
                        size: int = 320, landmarks: np.ndarray | None = None) -> np.ndarray:
    """A self-blended face inside a full frame: crop by keypoints, blend, paste back."""
    crop, matrix = align_face(frame, keypoints, size)
    marks = mean_landmarks(size) if landmarks is None else landmarks
    fake, mask = self_blend(crop, marks, rng)
    return paste_back(frame, fake, mask, matrix)
