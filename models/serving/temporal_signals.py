"""Measured per-frame signals of a face track: how the face differs from its surroundings, over time.

Crops are aligned on the face, so a real face stays put and its surroundings move smoothly with
the head. A face pasted frame by frame does not: its colour and sharpness against the skin around
it change, the band where it is blended changes more than the rest, and the face slips against its
surroundings (the landmark jitter left after the crop is stabilised on the face). Regions are fixed
in the aligned crop (from the mean face shape), so no landmark layout is needed:

- inner: the face hull shrunk, where a swap replaces pixels;
- band: a ring around the hull's outline, where blending boundaries lie;
- outer: the rest of the crop outside the grown hull (hair, ears, neck, background).

`SIGNAL_NAMES` lists the signals of frame t; those comparing t with t-1 are 0 on a track's first
frame (`has_previous` is 0 there).
"""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from models.faces.align import mean_landmarks
from models.synth.masks import extended_face_points, hull_mask

SIGNAL_NAMES = (
    "colour_l", "colour_a", "colour_b",  # inner minus outer mean Lab colour (/ 32)
    "sharpness",  # log Laplacian variance, inner minus outer
    "d_colour_l", "d_colour_a", "d_colour_b",  # |change| of the colour contrast since t-1 (Lab / 4)
    "d_sharpness",  # |change| of the sharpness contrast since t-1 (x 4)
    "band_change", "inner_change", "outer_change",  # log mean |frame difference| in each region
    "inner_dx", "inner_dy", "outer_dx", "outer_dy",  # shift of each region since t-1 (pixels at 224)
    "inner_match",  # phase-correlation peak of the inner region (how well t-1 and t line up)
    "has_previous",  # 1 when frame t-1 exists in the track
)
N_SIGNALS = len(SIGNAL_NAMES)
HAS_PREVIOUS = SIGNAL_NAMES.index("has_previous")


@lru_cache(maxsize=4)
def regions(size: int) -> dict[str, np.ndarray]:
    """Inner, band and outer masks (float32 0/1) and smooth inner and outer windows for one crop size."""
    hull = hull_mask(extended_face_points(mean_landmarks(size)), (size, size))
    k = max(3, int(0.08 * size) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    inner, grown = cv2.erode(hull, kernel), cv2.dilate(hull, kernel)
    outer = cv2.dilate(grown, kernel) < 0.5
    out = {"inner": inner, "band": grown - inner, "outer": outer.astype(np.float32)}
    blur = max(3, int(0.06 * size) | 1)
    out["inner_window"] = cv2.GaussianBlur(inner, (blur, blur), 0)
    out["outer_window"] = cv2.GaussianBlur(out["outer"], (blur, blur), 0) * cv2.createHanningWindow(
        (size, size), cv2.CV_32F)
    return out


def region_mean(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of `values` (H, W[, C]) over a 0/1 mask."""
    weight = mask if values.ndim == 2 else mask[..., None]
    return (values * weight).sum(axis=(0, 1)) / max(float(mask.sum()), 1.0)


def still_signals(crop: np.ndarray, masks: dict) -> tuple[np.ndarray, float]:
    """Lab colour contrast (3) and sharpness contrast of one crop, face against surroundings."""
    lab = cv2.cvtColor(crop, cv2.COLOR_RGB2LAB).astype(np.float32)
    colour = (region_mean(lab, masks["inner"]) - region_mean(lab, masks["outer"])) / 32.0
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY).astype(np.float32)
    lap = cv2.Laplacian(grey, cv2.CV_32F) ** 2
    sharp = np.log1p(region_mean(lap, masks["inner"])) - np.log1p(region_mean(lap, masks["outer"]))
    return colour, float(sharp)


def _peak_offset(left: float, centre: float, right: float) -> float:
    """Sub-pixel position of a peak from three samples (a parabola through them), in [-0.5, 0.5]."""
    denom = left - 2 * centre + right
    return 0.0 if abs(denom) < 1e-12 else float(np.clip(0.5 * (left - right) / denom, -0.5, 0.5))


def region_shift(prev: np.ndarray, cur: np.ndarray, window: np.ndarray) -> tuple[float, float, float]:
    """(dx, dy, peak) of `cur` against `prev` inside a smooth window, by phase correlation.

    Numpy rather than cv2.phaseCorrelate, which in OpenCV 5.0 returns (N/2, N/2) for identical
    images and a half-pixel bias on even sizes: a duplicated frame must read as no shift.
    """
    weights = window / max(float(window.sum()), 1e-9)
    a = (prev - float((prev * weights).sum())) * window
    b = (cur - float((cur * weights).sum())) * window
    cross = np.fft.rfft2(b) * np.conj(np.fft.rfft2(a))
    magnitude = np.abs(cross)
    cross /= magnitude + 1e-9 * float(magnitude.max()) + 1e-12
    r = np.fft.irfft2(cross, s=a.shape)
    h, w = r.shape
    y, x = np.unravel_index(int(np.argmax(r)), r.shape)
    dx = (x + w // 2) % w - w // 2 + _peak_offset(r[y, (x - 1) % w], r[y, x], r[y, (x + 1) % w])
    dy = (y + h // 2) % h - h // 2 + _peak_offset(r[(y - 1) % h, x], r[y, x], r[(y + 1) % h, x])
    return float(dx), float(dy), float(r[y, x])


def motion_signals(prev: np.ndarray, grey: np.ndarray, masks: dict, scale: float) -> np.ndarray:
    """Region changes (3), inner and outer shifts (4) and inner match quality between two grey crops."""
    diff = np.abs(grey - prev)
    changes = [np.log1p(region_mean(diff, masks[r])) for r in ("band", "inner", "outer")]
    idx, idy, match = region_shift(prev, grey, masks["inner_window"])
    odx, ody, _ = region_shift(prev, grey, masks["outer_window"])
    shifts = np.clip(np.array([idx, idy, odx, ody]) * scale, -8.0, 8.0)
    return np.array([*changes, *shifts, match], dtype=np.float32)


def frame_signals(crops: np.ndarray) -> np.ndarray:
    """Signals (T, N_SIGNALS) float32 of one track's consecutive aligned crops (T, S, S, 3) uint8."""
    crops = np.asarray(crops)
    size = crops.shape[1]
    masks = regions(size)
    scale = 224.0 / size
    out = np.zeros((len(crops), N_SIGNALS), dtype=np.float32)
    prev_colour, prev_sharp, prev_grey = None, 0.0, None
    for t, crop in enumerate(crops):
        colour, sharp = still_signals(crop, masks)
        grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY).astype(np.float32)
        out[t, 0:3], out[t, 3] = colour, sharp
        if prev_grey is not None:
            out[t, 4:7] = np.abs(colour - prev_colour) * 8.0
            out[t, 7] = abs(sharp - prev_sharp) * 4.0
            out[t, 8:16] = motion_signals(prev_grey, grey, masks, scale)
            out[t, HAS_PREVIOUS] = 1.0
        prev_colour, prev_sharp, prev_grey = colour, sharp, grey
    return out
