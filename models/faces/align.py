"""The face crop protocol: a similarity transform from four keypoints to a fixed template.

Training (from dataset landmarks) and serving (from the face detector) both call `align_face`,
so a detector always sees faces cropped exactly the same way.
"""
from __future__ import annotations

import cv2
import numpy as np

CROP_SIZE = 224

# Keypoint order used everywhere: eye on the image's left, eye on the image's right, nose (its base between
# the nostrils: IntraFace point 16, FaceMesh point 2), mouth centre; pixel coordinates (x, y) in the source image.
KEYPOINT_NAMES = ("eye_left", "eye_right", "nose_tip", "mouth_center")

# Where the keypoints land in a crop, as fractions of its side. The margin keeps the jaw, the
# forehead and some background in the crop, so a blending boundary stays visible.
TEMPLATE = np.array(
    [[0.375, 0.42], [0.625, 0.42], [0.5, 0.55], [0.5, 0.68]], dtype=np.float64
)
# Nose tip is given a low weight: it moves with head pose more than the eyes and mouth.
TEMPLATE_WEIGHTS = np.array([1.0, 1.0, 0.25, 1.0])

# IntraFace 49-point layout (All-Age-Faces): indices of each keypoint's points.
_IF49_EYE_IMAGE_LEFT = range(19, 25)
_IF49_EYE_IMAGE_RIGHT = range(25, 31)
_IF49_NOSE_TIP = (16,)
_IF49_MOUTH = range(31, 49)


def keypoints_from_intraface49(landmarks: np.ndarray) -> np.ndarray:
    """Four alignment keypoints from 49 IntraFace landmarks, shape (49, 2) -> (4, 2)."""
    pts = np.asarray(landmarks, dtype=np.float64).reshape(49, 2)
    groups = (_IF49_EYE_IMAGE_LEFT, _IF49_EYE_IMAGE_RIGHT, _IF49_NOSE_TIP, _IF49_MOUTH)
    return np.stack([pts[list(g)].mean(axis=0) for g in groups])


def similarity_transform(src: np.ndarray, dst: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted least-squares similarity (rotation, uniform scale, shift) mapping src to dst, as 2x3."""
    w = weights / weights.sum()
    src_mean = (w[:, None] * src).sum(axis=0)
    dst_mean = (w[:, None] * dst).sum(axis=0)
    s, d = src - src_mean, dst - dst_mean
    a = (w * (s[:, 0] * d[:, 0] + s[:, 1] * d[:, 1])).sum()
    b = (w * (s[:, 0] * d[:, 1] - s[:, 1] * d[:, 0])).sum()
    norm = (w * (s**2).sum(axis=1)).sum()
    if norm <= 1e-12:
        raise ValueError("degenerate keypoints: all at one point")
    a, b = a / norm, b / norm
    rot = np.array([[a, -b], [b, a]])
    shift = dst_mean - rot @ src_mean
    return np.hstack([rot, shift[:, None]])


def alignment_matrix(keypoints: np.ndarray, size: int = CROP_SIZE) -> np.ndarray:
    """The 2x3 matrix that maps source pixels into a `size` x `size` aligned crop."""
    kp = np.asarray(keypoints, dtype=np.float64).reshape(4, 2)
    return similarity_transform(kp, TEMPLATE * size, TEMPLATE_WEIGHTS)


def align_face(image: np.ndarray, keypoints: np.ndarray, size: int = CROP_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Aligned face crop (size x size, same channels as `image`) and the 2x3 matrix used."""
    matrix = alignment_matrix(keypoints, size)
    crop = cv2.warpAffine(
        image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101
    )
    return crop, matrix


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a 2x3 affine matrix to (N, 2) points."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return pts @ matrix[:, :2].T + matrix[:, 2]


def resize_crops(crops: np.ndarray, size: int) -> np.ndarray:
    """Crops resized to size x size with area interpolation (the way training shrinks them); as-is when equal."""
    crops = np.asarray(crops)
    if crops.shape[1:3] == (size, size):
        return crops
    return np.stack([cv2.resize(c, (size, size), interpolation=cv2.INTER_AREA) for c in crops])


def to_model_input(crops: np.ndarray) -> np.ndarray:
    """uint8 RGB crops (N, H, W, 3) -> float32 in [-1, 1], the input every detector takes."""
    return np.asarray(crops, dtype=np.float32) / 127.5 - 1.0


def mean_landmarks(size: int = CROP_SIZE) -> np.ndarray:
    """The mean IntraFace 49-point shape in an aligned crop of side `size` (for faces without landmarks)."""
    import json
    from pathlib import Path

    data = json.loads((Path(__file__).with_name("intraface49_mean.json")).read_text())
    return np.asarray(data["points"], dtype=np.float32) * size
