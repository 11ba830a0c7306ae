"""Serving conditions the dataset's crops lack: tight web crops and the face detector's alignment.

Tight web crops: a face photo cut close around the face, then aligned with reflected borders.

Web pictures are often cropped close to the face (the shared web-faces are). The serving crop
(`models.faces.align`) covers about twice the face, so for such pictures most of the crop lies
outside the image and `cv2.BORDER_REFLECT_101` fills it with mirrored pixels. A detector that never
saw that fill takes its seams for blending boundaries: measured on 159 held-out web faces, 144 had
over 30% of the crop outside the image and the frame CNN flagged 51% of them. Training applies the
same cut and fill to a real face and its fake alike, so the fill carries no label.

Alignment jitter: training crops are aligned from the dataset's 49 landmarks, served crops from the
face detector's keypoints, which land a few percent away; a small random similarity transform
(the same for a real and its fake) keeps the detector from relying on the exact placement.
"""
from __future__ import annotations

import cv2
import numpy as np

# The face box a detector reports, from the 49 landmarks' box (brows to mouth, no jaw line): a bit
# wider on each side, a bit above the brows, down to the chin below the mouth (fractions of its size).
FACE_BOX_GROWTH = (0.12, 0.25, 0.12, 0.45)  # left, top, right, bottom
# Margin kept around the face box on each side, as a fraction of the face's width (below 0 cuts into it).
MARGIN_RANGE = (-0.05, 0.35)


def face_box(landmarks: np.ndarray) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of the whole face estimated from 49 landmarks in crop pixels."""
    (x0, y0), (x1, y1) = landmarks.min(axis=0), landmarks.max(axis=0)
    w, h = x1 - x0, y1 - y0
    left, top, right, bottom = FACE_BOX_GROWTH
    return x0 - left * w, y0 - top * h, x1 + right * w, y1 + bottom * h


def random_tight_rect(landmarks: np.ndarray, size: int, rng: np.random.Generator) -> tuple[int, int, int, int]:
    """A random close cut (x0, y0, x1, y1) around the face, inside the size x size crop, at least 8 px."""
    x0, y0, x1, y1 = face_box(landmarks)
    width = x1 - x0
    margins = rng.uniform(*MARGIN_RANGE, size=4) * width
    rect = np.array([x0 - margins[0], y0 - margins[1], x1 + margins[2], y1 + margins[3]])
    left, top = np.clip(np.round(rect[:2]), 0, size - 8).astype(int)
    right = int(np.clip(np.round(rect[2]), left + 8, size))
    bottom = int(np.clip(np.round(rect[3]), top + 8, size))
    return int(left), int(top), right, bottom


def reflect_outside(image: np.ndarray, rect: tuple[int, int, int, int]) -> np.ndarray:
    """The image with everything outside `rect` replaced by reflected pixels, as alignment pads a cut photo."""
    x0, y0, x1, y1 = rect
    h, w = image.shape[:2]
    inner = np.ascontiguousarray(image[y0:y1, x0:x1])
    return cv2.copyMakeBorder(inner, y0, h - y1, x0, w - x1, cv2.BORDER_REFLECT_101)


# Alignment jitter: rotation (degrees), scale and shift (fractions of the crop side), uniform in +-range.
JITTER_ROTATION, JITTER_SCALE, JITTER_SHIFT = 8.0, 0.08, 0.04


def random_jitter(size: int, rng: np.random.Generator) -> np.ndarray:
    """A random 2x3 similarity transform about the crop's centre."""
    angle = rng.uniform(-JITTER_ROTATION, JITTER_ROTATION)
    scale = 1.0 + rng.uniform(-JITTER_SCALE, JITTER_SCALE)
    matrix = cv2.getRotationMatrix2D((size / 2, size / 2), angle, scale)
    matrix[:, 2] += rng.uniform(-JITTER_SHIFT, JITTER_SHIFT, size=2) * size
    return matrix


def warp(image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The crop moved by `matrix`, borders reflected as alignment does."""
    h, w = image.shape[:2]
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
