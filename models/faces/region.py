"""The face region at native scale: a box around the face cut from the analysed image, never resampled.

Generator traces live at the pixel scale the image was made at; shrinking or rotating a face
into the aligned crop erases most of them. Training (models/training/face_pools.py) and serving
(models/serving/analysis.py) both call `face_region`, so a detector sees the same pixels in both.
"""
from __future__ import annotations

import numpy as np

# The region's side as a multiple of the detector's face box side (forehead to chin, ear to ear).
REGION_SCALE = 1.1


def region_bounds(box: tuple[float, float, float, float], height: int, width: int,
                  scale: float = REGION_SCALE) -> tuple[int, int, int, int]:
    """Integer (x0, y0, x1, y1) of the square of `scale` x the (x, y, w, h) box's longer side around
    its centre, clipped to the image, its top-left corner on even pixels (the 2x2 grid up-sampling
    leaves keeps its phase); at least one pixel on each side."""
    x, y, w, h = (float(v) for v in box)
    side = max(w, h) * scale
    cx, cy = x + w / 2.0, y + h / 2.0
    left = int(np.clip(np.floor(cx - side / 2.0), 0, max(0, width - 1))) // 2 * 2
    top = int(np.clip(np.floor(cy - side / 2.0), 0, max(0, height - 1))) // 2 * 2
    right = int(np.clip(np.ceil(cx + side / 2.0), left + 1, width))
    bottom = int(np.clip(np.ceil(cy + side / 2.0), top + 1, height))
    return left, top, right, bottom


def face_region(image: np.ndarray, box: tuple[float, float, float, float],
                scale: float = REGION_SCALE) -> np.ndarray:
    """The region of an (x, y, w, h) face box in an RGB uint8 image: the same pixels (a copy), never
    resized or rotated."""
    left, top, right, bottom = region_bounds(box, image.shape[0], image.shape[1], scale)
    return np.ascontiguousarray(image[top:bottom, left:right])
