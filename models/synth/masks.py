"""Blend masks from facial landmarks: convex hull extended to jaw and forehead, deformed, blurred."""
from __future__ import annotations

import cv2
import numpy as np


def extended_face_points(landmarks: np.ndarray) -> np.ndarray:
    """49 IntraFace points plus jaw and forehead points (the layout has neither)."""
    pts = np.asarray(landmarks, dtype=np.float64).reshape(-1, 2)
    eyes = pts[19:31].mean(axis=0)
    mouth = pts[31:49].mean(axis=0)
    down = mouth - eyes  # eyes -> mouth, the face's vertical axis
    brows = pts[0:10]
    forehead = brows - 0.45 * down
    chin = mouth + 0.75 * down
    width = np.linalg.norm(pts[19] - pts[28]) * 0.5
    side = np.array([down[1], -down[0]]) / (np.linalg.norm(down) + 1e-9)
    jaw = [mouth + 0.35 * down + s * width * side * 1.1 for s in (-1, 1)]
    cheeks = [eyes + 0.5 * down + s * width * side * 1.35 for s in (-1, 1)]
    return np.vstack([pts, forehead, [chin], jaw, cheeks])


def hull_mask(points: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Binary mask (float32 0/1) of the points' convex hull."""
    mask = np.zeros(size, dtype=np.float32)
    hull = cv2.convexHull(np.round(points).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1.0)
    return mask


def random_blend_mask(landmarks: np.ndarray, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A deformed, blurred face mask in [0, 1]: the region where the source replaces the target."""
    pts = extended_face_points(landmarks)
    if rng.random() < 0.5:  # some pipelines blend only the inner face
        pts = np.asarray(landmarks, dtype=np.float64).reshape(-1, 2)
    centre = pts.mean(axis=0)
    scale = rng.uniform(0.9, 1.15, size=2)
    pts = centre + (pts - centre) * scale
    pts = pts + rng.normal(0, 0.015 * size[0], pts.shape)
    mask = hull_mask(pts, size)
    k = max(3, int(size[0] * rng.uniform(0.01, 0.06)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    mask = cv2.erode(mask, kernel) if rng.random() < 0.5 else cv2.dilate(mask, kernel)
    blur = max(3, int(size[0] * rng.uniform(0.02, 0.12)) | 1)
    mask = cv2.GaussianBlur(mask, (blur, blur), 0)
    return np.clip(mask / max(mask.max(), 1e-6), 0.0, 1.0)
