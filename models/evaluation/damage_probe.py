"""Val reals damaged at fixed strengths, to find what a set of frame detectors takes for a fake.

Each probe damage is one kind of change real photos meet on their way to a page, at a named
strength (0: the photo as it is): edge-preserving smoothing (beauty filters, phone denoising),
grain, a background out of focus, a blur scaled to the face, sharpening (an unsharp mask), a colour
grade, a small copy blown up. Every photo is damaged at every
strength and scored as the companion scores it, so a strength that flags more real faces than the
untouched photos shows a weakness to train against (the same damage on both sides of every pair)
and, later, whether a fine-tune mended it. Only val reals are read (`models.evaluation.band_sources`).
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np

from models.faces.detect import largest_face
from models.synth.degrade import (blow_up, blur_face, depth_of_field, grain, sharpen_picture, smooth_picture,
                                  tone_shift)

# name -> (strengths, damage(image, face box (x, y, w, h), strength, rng)); strength 0 is never damaged
PROBES: dict[str, tuple[tuple[float, ...], Callable]] = {
    "smooth": ((0.0, 30.0, 60.0), lambda im, box, level, rng: smooth_picture(im, min(box[2], box[3]), level)),
    "grain": ((0.0, 1.0), lambda im, box, level, rng: grain(im, rng)),
    "focus": ((0.0, 1.0), lambda im, box, level, rng: depth_of_field(im, box, rng)),
    "blur": ((0.0, 1.0, 2.0), lambda im, box, level, rng: blur_face(im, min(box[2], box[3]), level)),
    "sharpen": ((0.0, 1.0, 2.0), lambda im, box, level, rng: sharpen_picture(im, level, 1.2)),
    "tone": ((0.0, 1.0), lambda im, box, level, rng: tone_shift(im, rng)),
    "upscale": ((0.0, 1.0), lambda im, box, level, rng: blow_up(im, rng)),
}


def damaged(image: np.ndarray, box, probe: str, level: float, rng: np.random.Generator) -> np.ndarray:
    """The photo under one probe damage at one strength (itself at strength 0)."""
    if level == 0:
        return image
    return PROBES[probe][1](image, box, level, rng)


def probe_scores(items: Sequence, face_detector, score: Callable, probe: str, seed: int = 0
                 ) -> dict[float, list[float]]:
    """Each strength's scores of the items' photos (`score(item, image)` -> float or None; photos
    without a face, or scored None, are left out at every strength alike)."""
    levels = PROBES[probe][0]
    out: dict[float, list[float]] = {level: [] for level in levels}
    for n, item in enumerate(items):
        image = item.load()
        face = None if image is None else largest_face(face_detector.detect(image))
        if face is None:
            continue
        values = [score(item, damaged(image, face.box, probe, level, np.random.default_rng((seed, n))))
                  for level in levels]
        if all(v is not None for v in values):
            for level, value in zip(levels, values):
                out[level].append(float(value))
    return out


def shares(scores: Mapping[float, Sequence[float]], real_below: float, fake_from: float) -> dict:
    """Per strength: count, share flagged likely fake and share at or above `real_below` (not likely real)."""
    return {str(level): {"count": len(v), "flagged": float(np.mean(np.asarray(v) >= fake_from)) if v else 0.0,
                         "not_real": float(np.mean(np.asarray(v) >= real_below)) if v else 0.0}
            for level, v in scores.items()}
