"""Measured per-frame signals of the mouth in a face track: does it move and look like the rest of the face?

Lip-sync models re-render the mouth and chin frame by frame and paste them into a real face
(LipForensics: such fakes live in the mouth's motion). The pasted mouth is often softer or of a
slightly different colour than the cheeks around it, it changes more than the rest of the face from
frame to frame, and it slips against the face. Regions are fixed in the aligned crop (the mouth
keypoint lands at the same place in every crop): `mouth`, an ellipse over the lips and chin, and
`rest`, the inner face outside it.

`MOUTH_SIGNAL_NAMES` lists the signals of frame t; those comparing t with t-1 are 0 on a track's
first frame.
"""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from models.faces.align import TEMPLATE
from models.serving.temporal_signals import region_mean, region_shift, regions

MOUTH_SIGNAL_NAMES = (
    "mouth_l", "mouth_a", "mouth_b",  # mouth minus rest-of-face mean Lab colour (/ 32)
    "mouth_sharpness",  # log Laplacian variance, mouth minus rest of face
    "d_mouth_sharpness",  # |change| of that contrast since t-1 (x 4)
    "mouth_change", "rest_change",  # log mean |frame difference| in each region
    "mouth_slip_x", "mouth_slip_y",  # shift of the mouth minus shift of the rest since t-1 (pixels at 224)
    "mouth_match",  # phase-correlation peak of the mouth region between t-1 and t
)
N_MOUTH_SIGNALS = len(MOUTH_SIGNAL_NAMES)


@lru_cache(maxsize=4)
def mouth_regions(size: int) -> dict[str, np.ndarray]:
    """Mouth and rest-of-face masks (float32 0/1) and their smooth windows for one crop size."""
    mouth = np.zeros((size, size), dtype=np.float32)
    cx, cy = TEMPLATE[3][0] * size, (TEMPLATE[3][1] + 0.03) * size
    cv2.ellipse(mouth, (int(round(cx)), int(round(cy))), (int(0.16 * size), int(0.1 * size)), 0, 0, 360, 1.0, -1)
    inner = regions(size)["inner"]
    grown = cv2.dilate(mouth, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9)))
    rest = inner * (1.0 - grown)
    blur = max(3, int(0.06 * size) | 1)
    return {"mouth": mouth, "rest": rest,
            "mouth_window": cv2.GaussianBlur(mouth, (blur, blur), 0),
            "rest_window": cv2.GaussianBlur(rest, (blur, blur), 0)}


def mouth_signals(crops: np.ndarray) -> np.ndarray:
    """Signals (T, N_MOUTH_SIGNALS) float32 of one track's consecutive aligned crops (T, S, S, 3) uint8."""
    crops = np.asarray(crops)
    size = crops.shape[1] if crops.ndim == 4 else 0
    out = np.zeros((len(crops), N_MOUTH_SIGNALS), dtype=np.float32)
    if len(crops) == 0:
        return out
    masks = mouth_regions(size)
    scale = 224.0 / size
    prev_grey, prev_sharp = None, 0.0
    for t, crop in enumerate(crops):
        lab = cv2.cvtColor(crop, cv2.COLOR_RGB2LAB).astype(np.float32)
        grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY).astype(np.float32)
        lap = cv2.Laplacian(grey, cv2.CV_32F) ** 2
        sharp = float(np.log1p(region_mean(lap, masks["mouth"])) - np.log1p(region_mean(lap, masks["rest"])))
        out[t, 0:3] = (region_mean(lab, masks["mouth"]) - region_mean(lab, masks["rest"])) / 32.0
        out[t, 3] = sharp
        if prev_grey is not None:
            diff = np.abs(grey - prev_grey)
            out[t, 4] = abs(sharp - prev_sharp) * 4.0
            out[t, 5] = np.log1p(region_mean(diff, masks["mouth"]))
            out[t, 6] = np.log1p(region_mean(diff, masks["rest"]))
            mdx, mdy, match = region_shift(prev_grey, grey, masks["mouth_window"])
            rdx, rdy, _ = region_shift(prev_grey, grey, masks["rest_window"])
            out[t, 7:9] = np.clip(np.array([mdx - rdx, mdy - rdy]) * scale, -8.0, 8.0)
            out[t, 9] = match
        prev_grey, prev_sharp = grey, sharp
    return out
