"""Per-frame fakes for clips: a self-blend or swap whose parameters are explicit, so they can drift.

A face swapped frame by frame is made with parameters that change from frame to frame: the mask
follows noisy landmarks (its outline wobbles), the colour transfer is recomputed per frame (colour
drifts), the source face is aligned per frame (it slips), and its sharpness varies. `BlendParams`
holds every such parameter of one frame's blend (the same distributions as
`models.synth.selfblend.self_blend`); `flicker_sequence` makes them drift frame by frame, and
`smooth_sequence` keeps them fixed, so a clip is either temporally smooth or flickering.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

import cv2
import numpy as np

from models.synth.degrade import downscale, jpeg
from models.synth.masks import extended_face_points, hull_mask
from models.synth.selfblend import blend

# Parameter groups a per-frame pipeline lets drift, and the fields of each.
DRIFT_GROUPS = {
    "colour": ("hue", "saturation", "contrast", "brightness"),
    "alignment": ("scale", "shift_x", "shift_y", "mask_shift_x", "mask_shift_y"),
    "mask": ("mask_scale_x", "mask_scale_y", "morph", "feather", "ratio"),
    "sharpness": ("blur", "sharpen"),
}
# Frame-to-frame standard deviation of each drifting field at amplitude 1.
DRIFT_STD = {
    "hue": 2.0, "saturation": 0.05, "contrast": 0.05, "brightness": 5.0,
    "scale": 0.012, "shift_x": 0.008, "shift_y": 0.008, "mask_shift_x": 0.006, "mask_shift_y": 0.006,
    "mask_scale_x": 0.025, "mask_scale_y": 0.025, "morph": 0.012, "feather": 0.02, "ratio": 0.08,
    "blur": 0.35, "sharpen": 0.2,
}
# Limits that keep a drifted parameter meaningful.
BOUNDS = {"ratio": (0.2, 1.0), "blur": (0.3, 3.0), "sharpen": (0.0, 1.5), "feather": (0.01, 0.2),
          "mask_scale_x": (0.75, 1.3), "mask_scale_y": (0.75, 1.3), "saturation": (-0.6, 0.6),
          "contrast": (-0.5, 0.5)}


@dataclass(frozen=True)
class BlendParams:
    """Everything that decides one frame's blend; equal parameters blend one face identically."""

    hue: float  # shift on OpenCV's 0-180 hue circle
    saturation: float  # saturation multiplier - 1
    contrast: float  # contrast multiplier - 1
    brightness: float  # grey levels added
    blur: float  # Gaussian sigma of the source
    sharpen: float  # unsharp-mask amount (0: the source stays blurred)
    scale: float  # source scale - 1
    shift_x: float  # source shift, fraction of the side
    shift_y: float
    mask_scale_x: float  # mask outline scale about its centre
    mask_scale_y: float
    mask_shift_x: float  # mask shift, fraction of the side
    mask_shift_y: float
    mask_noise: float  # std of the outline points' noise, fraction of the side
    mask_seed: int  # seed of that noise pattern
    inner_only: bool  # mask from the 49 inner points only (no jaw, no forehead)
    morph: float  # dilate (> 0) or erode (< 0) kernel, fraction of the side
    feather: float  # mask blur kernel, fraction of the side
    ratio: float  # blend strength


def sample_params(rng: np.random.Generator) -> BlendParams:
    """A random frame's parameters, drawn like `self_blend`'s (the blend always clearly visible)."""
    sharpen = float(rng.uniform(0.3, 1.0)) if rng.random() < 0.5 else 0.0
    morph = float(rng.uniform(0.01, 0.06)) * (1 if rng.random() < 0.5 else -1)
    return BlendParams(
        hue=float(rng.uniform(-6, 6)), saturation=float(rng.uniform(-0.25, 0.25)),
        contrast=float(rng.uniform(-0.2, 0.2)), brightness=float(rng.uniform(-20, 20)),
        blur=float(rng.uniform(0.5, 1.5)), sharpen=sharpen,
        scale=float(rng.uniform(-0.04, 0.04)), shift_x=float(rng.uniform(-0.03, 0.03)),
        shift_y=float(rng.uniform(-0.03, 0.03)),
        mask_scale_x=float(rng.uniform(0.9, 1.15)), mask_scale_y=float(rng.uniform(0.9, 1.15)),
        mask_shift_x=0.0, mask_shift_y=0.0, mask_noise=0.015, mask_seed=int(rng.integers(0, 2**31)),
        inner_only=bool(rng.random() < 0.5), morph=morph, feather=float(rng.uniform(0.02, 0.12)),
        ratio=float(rng.choice([0.5, 0.75, 1.0, 1.0])),
    )


def smooth_sequence(base: BlendParams, length: int) -> tuple[list[BlendParams], np.ndarray]:
    """The same parameters on every frame; per-frame labels all 0 (nothing flickers)."""
    return [base] * length, np.zeros(length, dtype=np.float32)


@dataclass(frozen=True)
class Flicker:
    """How a clip flickers: which groups drift, how strongly, and on which frames [start, stop)."""

    groups: tuple[str, ...]
    amplitude: float
    start: int
    stop: int


def sample_flicker(rng: np.random.Generator, length: int, min_span: int = 3) -> Flicker:
    """Random drifting groups (at least one), amplitude, and span (the whole clip 60% of the time)."""
    names = list(DRIFT_GROUPS)
    chosen = tuple(g for g in names if rng.random() < 0.5) or (names[int(rng.integers(len(names)))],)
    span = min(min_span, length)
    if rng.random() < 0.6 or length <= span:
        start, stop = 0, length
    else:
        start = int(rng.integers(0, length - span + 1))
        stop = int(rng.integers(start + span, length + 1))
    return Flicker(chosen, float(rng.uniform(0.4, 1.5)), start, stop)


def flicker_sequence(base: BlendParams, flicker: Flicker, length: int,
                     rng: np.random.Generator) -> tuple[list[BlendParams], np.ndarray]:
    """Parameters that drift frame by frame inside the flicker's span; labels 1 on those frames.

    Each drifting field moves by half independent per-frame noise (landmark noise, per-frame
    colour statistics) and half a correlated wander (AR(1), 0.7), at `DRIFT_STD * amplitude`.
    The mask group also redraws the outline's noise pattern on every frame.
    """
    drifting = [name for group in flicker.groups for name in DRIFT_GROUPS[group]]
    wander = {name: 0.0 for name in drifting}
    params, labels = [], np.zeros(length, dtype=np.float32)
    for t in range(length):
        if not flicker.start <= t < flicker.stop:
            params.append(base)
            continue
        labels[t] = 1.0
        changes = {}
        for name in drifting:
            wander[name] = 0.7 * wander[name] + float(np.sqrt(1 - 0.49) * rng.normal())
            step = 0.5 * float(rng.normal()) + 0.5 * wander[name]
            value = getattr(base, name) + flicker.amplitude * DRIFT_STD[name] * step
            low, high = BOUNDS.get(name, (-np.inf, np.inf))
            changes[name] = float(np.clip(value, low, high))
        if "mask" in flicker.groups:
            changes["mask_seed"] = int(rng.integers(0, 2**31))
        params.append(replace(base, **changes))
    return params, labels


def params_vector(params: BlendParams) -> np.ndarray:
    """All parameters of one frame as floats (for comparing frames)."""
    return np.array([float(getattr(params, f.name)) for f in fields(params)])


# --- rendering ----------------------------------------------------------------------------------

def colour_shift(image: np.ndarray, p: BlendParams) -> np.ndarray:
    """Hue, saturation, contrast and brightness changed by the parameters."""
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + p.hue) % 180
    hsv[..., 1] *= 1 + p.saturation
    out = cv2.cvtColor(np.clip(hsv, 0, 255).astype(np.uint8), cv2.COLOR_HSV2RGB).astype(np.float32)
    out = (out - 128) * (1 + p.contrast) + 128 + p.brightness
    return np.clip(out, 0, 255).astype(np.uint8)


def sharpness_shift(image: np.ndarray, p: BlendParams) -> np.ndarray:
    """Blurred by `blur`, then sharpened by `sharpen` (0 leaves it blurred)."""
    blurred = cv2.GaussianBlur(image, (0, 0), p.blur)
    if p.sharpen <= 0:
        return blurred
    return np.clip(image * (1 + p.sharpen) - blurred * p.sharpen, 0, 255).astype(np.uint8)


def geometry_shift(image: np.ndarray, p: BlendParams) -> np.ndarray:
    """Scaled about the centre and shifted, as a misaligned source face is."""
    h, w = image.shape[:2]
    s = 1 + p.scale
    matrix = np.array([[s, 0, (1 - s) * w / 2 + p.shift_x * w], [0, s, (1 - s) * h / 2 + p.shift_y * h]])
    return cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REFLECT_101)


def blend_mask(landmarks: np.ndarray, shape: tuple[int, int], p: BlendParams) -> np.ndarray:
    """The blend mask in [0, 1] from IntraFace-49 landmarks and the parameters (deterministic)."""
    side = float(shape[0])
    marks = np.asarray(landmarks, dtype=np.float64).reshape(-1, 2)
    pts = marks if p.inner_only else extended_face_points(marks)
    centre = pts.mean(axis=0)
    pts = centre + (pts - centre) * [p.mask_scale_x, p.mask_scale_y]
    pts = pts + side * np.array([p.mask_shift_x, p.mask_shift_y])
    pts = pts + np.random.default_rng(p.mask_seed).normal(0, p.mask_noise * side, pts.shape)
    mask = hull_mask(pts, shape)
    k = max(3, int(side * abs(p.morph)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    mask = cv2.dilate(mask, kernel) if p.morph > 0 else cv2.erode(mask, kernel)
    k = max(3, int(side * p.feather) | 1)
    mask = cv2.GaussianBlur(mask, (k, k), 0)
    return np.clip(mask / max(float(mask.max()), 1e-6), 0.0, 1.0)


def render(face: np.ndarray, landmarks: np.ndarray, p: BlendParams,
           source: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One frame's fake: `source` (default the face itself: a self-blend) jittered and blended in.

    Returns (fake, mask used) like `self_blend`.
    """
    src = face if source is None else source
    src = geometry_shift(sharpness_shift(colour_shift(src, p), p), p)
    mask = blend_mask(landmarks, face.shape[:2], p) * p.ratio
    return blend(face, src, mask, 1.0), mask


def colour_stats(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std of an image inside a mask (> 0.5)."""
    inside = image[mask > 0.5].astype(np.float32)
    if len(inside) == 0:
        inside = image.reshape(-1, 3).astype(np.float32)
    return inside.mean(0), inside.std(0) + 1e-3


def swap_source(target: np.ndarray, target_landmarks: np.ndarray, donor: np.ndarray,
                donor_landmarks: np.ndarray, stats: tuple | None = None) -> tuple[np.ndarray, tuple]:
    """A donor face warped onto the target's landmarks and colour-matched to the target's face.

    `stats` (donor mean, donor std, target mean, target std) fixes the colour transfer, as a
    temporally smooth pipeline does; None measures it on this frame, as a per-frame one does.
    Returns the source image and the stats used.
    """
    from models.faces.align import similarity_transform

    src_pts = np.asarray(donor_landmarks, float).reshape(-1, 2)
    dst_pts = np.asarray(target_landmarks, float).reshape(-1, 2)
    matrix = similarity_transform(src_pts, dst_pts, np.ones(len(dst_pts)))
    h, w = target.shape[:2]
    warped = cv2.warpAffine(donor, matrix, (w, h), borderMode=cv2.BORDER_REFLECT_101)
    if stats is None:
        region = hull_mask(extended_face_points(dst_pts), (h, w))
        stats = (*colour_stats(warped, region), *colour_stats(target, region))
    src_mean, src_std, dst_mean, dst_std = stats
    matched = (warped.astype(np.float32) - src_mean) / src_std * dst_std + dst_mean
    return np.clip(matched, 0, 255).astype(np.uint8), stats


# --- web damage, the same for every frame of a clip ------------------------------------------------

@dataclass(frozen=True)
class ClipDegrade:
    """Web damage drawn once per clip (a video is compressed as a whole), applied to every frame."""

    downscale: float | None
    blur: float | None
    noise: float | None
    quality: int | None

    @classmethod
    def sample(cls, rng: np.random.Generator, strength: float = 1.0) -> "ClipDegrade":
        """The same odds and ranges as `random_degrade`, drawn once."""
        return cls(
            downscale=float(rng.uniform(0.4, 0.9)) if rng.random() < 0.3 * strength else None,
            blur=float(rng.uniform(0.3, 1.5)) if rng.random() < 0.2 * strength else None,
            noise=float(rng.uniform(1, 6)) if rng.random() < 0.2 * strength else None,
            quality=int(rng.integers(40, 96)) if rng.random() < 0.6 * strength else None,
        )

    def apply(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The damaged frame; `rng` draws this frame's sensor noise."""
        out = image
        if self.downscale is not None:
            out = downscale(out, self.downscale)
        if self.blur is not None:
            out = cv2.GaussianBlur(out, (0, 0), self.blur)
        if self.noise is not None:
            out = np.clip(out.astype(np.float32) + rng.normal(0, self.noise, out.shape), 0, 255).astype(np.uint8)
        if self.quality is not None:
            out = jpeg(out, self.quality)
        return np.ascontiguousarray(out)
