"""Self-blended images (Shiohara and Yamasaki, CVPR 2022) and landmark-aligned swaps."""
from __future__ import annotations

import cv2
import numpy as np

from models.faces.align import similarity_transform, transform_points
from models.synth.degrade import RESIZE_FILTERS, downscale
from models.synth.masks import random_blend_mask

# Face sides, in pixels, at which a face-swap generator renders the face it pastes (DeepFaceLab and
# its kin work on 64-256 px crops); a larger photo gets that face enlarged back, softer than its frame.
RENDER_SIDES = (64.0, 192.0)


def _colour_jitter(image: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Shift hue, saturation, brightness and contrast by amounts scaled by `strength`."""
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-6, 6) * strength) % 180
    hsv[..., 1] *= 1 + rng.uniform(-0.25, 0.25) * strength
    out = cv2.cvtColor(np.clip(hsv, 0, 255).astype(np.uint8), cv2.COLOR_HSV2RGB).astype(np.float32)
    out = (out - 128) * (1 + rng.uniform(-0.2, 0.2) * strength) + 128 + rng.uniform(-20, 20) * strength
    return np.clip(out, 0, 255).astype(np.uint8)


def _sharpness_jitter(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blur or sharpen slightly."""
    blurred = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.5, 1.5))
    if rng.random() < 0.5:
        return blurred
    amount = rng.uniform(0.3, 1.0)
    return np.clip(image * (1 + amount) - blurred * amount, 0, 255).astype(np.uint8)


def _geometry_jitter(image: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Small random scale and shift, as a misaligned source face would have."""
    h, w = image.shape[:2]
    scale = 1 + rng.uniform(-0.04, 0.04) * strength
    shift = rng.uniform(-0.03, 0.03, 2) * strength * np.array([w, h])
    matrix = np.array([[scale, 0, (1 - scale) * w / 2 + shift[0]], [0, scale, (1 - scale) * h / 2 + shift[1]]])
    return cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REFLECT_101)


def jittered_source(face: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """The same face with its colour, sharpness and geometry changed a little: a self-blend's source."""
    source = _colour_jitter(face, rng, strength)
    source = _sharpness_jitter(source, rng)
    return _geometry_jitter(source, rng, strength)


def rendered_source(image: np.ndarray, face_side: float, rng: np.random.Generator) -> np.ndarray:
    """The source as a swap generator renders it: its face at a side drawn from RENDER_SIDES, enlarged
    back to the photo's scale by a smooth filter (unchanged when the face is no larger than that)."""
    factor = float(rng.uniform(*RENDER_SIDES)) / max(float(face_side), 1.0)
    enlarge = RESIZE_FILTERS[int(rng.integers(1, len(RESIZE_FILTERS)))]
    return image if factor >= 0.95 else downscale(image, factor, enlarge)


def colour_matched(warped: np.ndarray, target: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """`warped` with its colour mean and spread inside the mask moved to the target's."""
    if not inside.any():
        return warped
    src, dst = warped[inside].astype(np.float32), target[inside].astype(np.float32)
    out = (warped - src.mean(0)) / (src.std(0) + 1e-3) * dst.std(0) + dst.mean(0)
    return np.clip(out, 0, 255).astype(np.uint8)


def blend(target: np.ndarray, source: np.ndarray, mask: np.ndarray, ratio: float) -> np.ndarray:
    """target * (1 - m) + source * m with m = mask * ratio."""
    m = (mask * ratio)[..., None]
    return np.clip(np.rint(target * (1 - m) + source * m), 0, 255).astype(np.uint8)


def self_blend(face: np.ndarray, landmarks: np.ndarray, rng: np.random.Generator,
               easy: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A pseudo-fake from one real aligned face and its landmarks; returns (fake, mask used).

    `easy` in [0, 1] makes the blend more visible (stronger jitter, full blend ratio) for an easy start.
    """
    source = jittered_source(face, rng, 1.0 + easy)
    mask = random_blend_mask(landmarks, face.shape[:2], rng)
    ratio = 1.0 if rng.random() < easy else float(rng.choice([0.25, 0.5, 0.75, 1.0, 1.0, 1.0]))
    return blend(face, source, mask, ratio), mask * ratio


def swap(target: np.ndarray, target_landmarks: np.ndarray, donor: np.ndarray,
         donor_landmarks: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Another person's face aligned onto the target by landmarks, colour-matched, then blended."""
    matrix = similarity_transform(np.asarray(donor_landmarks, float).reshape(-1, 2),
                                  np.asarray(target_landmarks, float).reshape(-1, 2),
                                  np.ones(len(np.asarray(target_landmarks).reshape(-1, 2))))
    h, w = target.shape[:2]
    warped = cv2.warpAffine(donor, matrix, (w, h), borderMode=cv2.BORDER_REFLECT_101)
    mask = random_blend_mask(target_landmarks, (h, w), rng)
    warped = colour_matched(warped, target, mask > 0.5)  # colour statistics inside the face region
    ratio = float(rng.choice([0.75, 1.0, 1.0]))
    return blend(target, warped, mask, ratio), mask * ratio


def landmarks_in_crop(landmarks: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Landmarks moved into an aligned crop's coordinates."""
    return transform_points(landmarks, matrix)
