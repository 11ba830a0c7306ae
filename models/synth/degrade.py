"""The damage media suffers on the web: JPEG at varied quality, downscaling, blur, noise."""
from __future__ import annotations

import cv2
import numpy as np


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """Re-encode an RGB uint8 image as JPEG at `quality`."""
    ok, buf = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].copy()


def downscale(image: np.ndarray, factor: float) -> np.ndarray:
    """Shrink by `factor` then enlarge back, losing detail as a small upload does."""
    h, w = image.shape[:2]
    small = cv2.resize(image, (max(8, int(w * factor)), max(8, int(h * factor))), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def random_degrade(image: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Apply a random chain of web damage; `strength` in [0, 1] scales how often each happens."""
    out = image
    if rng.random() < 0.3 * strength:
        out = downscale(out, rng.uniform(0.4, 0.9))
    if rng.random() < 0.2 * strength:
        sigma = rng.uniform(0.3, 1.5)
        out = cv2.GaussianBlur(out, (0, 0), sigma)
    if rng.random() < 0.2 * strength:
        noise = rng.normal(0, rng.uniform(1, 6), out.shape)
        out = np.clip(out.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.6 * strength:
        out = jpeg(out, int(rng.integers(40, 96)))
    return np.ascontiguousarray(out)
