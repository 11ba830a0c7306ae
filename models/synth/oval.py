"""Self-blends and swaps of a face in its whole photo, masked by the FaceMesh face oval.

For every real source, landmarks of its own or not: the serving face detector's 468 FaceMesh points
give the face oval, so blends are made (and pasted) in the photo's own pixels, at native scale.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from models.faces.align import similarity_transform
from models.synth.masks import hull_mask
from models.synth.selfblend import blend, colour_matched, jittered_source, rendered_source

# MediaPipe FaceMesh's face-oval contour (indices into its 468 points), clockwise from the forehead.
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
             152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
# Inner-face points that carry a swap's alignment: eye corners, nose bridge and tip, mouth corners, chin.
ALIGN_POINTS = (33, 133, 362, 263, 168, 1, 61, 291, 199)


@dataclass(frozen=True)
class Outline:
    """The FaceMesh points a blend needs: the face oval (36, 2) and the inner alignment points (9, 2)."""

    oval: np.ndarray
    inner: np.ndarray

    @classmethod
    def from_mesh(cls, mesh: np.ndarray) -> "Outline":
        """From FaceMesh's 468 points."""
        mesh = np.asarray(mesh, dtype=np.float64)
        return cls(mesh[list(FACE_OVAL)], mesh[list(ALIGN_POINTS)])

    def scaled(self, factor: float) -> "Outline":
        """The same points in an image resized by `factor`."""
        return Outline(self.oval * factor, self.inner * factor)


def oval_side(oval: np.ndarray) -> float:
    """The mean of an oval's width and height, in pixels."""
    oval = np.asarray(oval, dtype=np.float64)
    return float(np.ptp(oval[:, 0]) + np.ptp(oval[:, 1])) / 2


def oval_mask(outline: Outline, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A float mask in [0, 1] of the face oval, shrunk or grown a little, eroded or dilated, blurred."""
    oval = np.asarray(outline.oval, dtype=np.float64)
    centre = oval.mean(axis=0)
    oval = centre + (oval - centre) * rng.uniform(0.8, 1.0, size=2)
    mask = hull_mask(oval, shape)
    side = oval_side(oval)
    k = max(3, int(side * rng.uniform(0.02, 0.08)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    mask = cv2.erode(mask, kernel) if rng.random() < 0.5 else cv2.dilate(mask, kernel)
    blur = max(3, int(side * rng.uniform(0.05, 0.2)) | 1)
    mask = cv2.GaussianBlur(mask, (blur, blur), 0)
    return np.clip(mask / max(float(mask.max()), 1e-6), 0.0, 1.0)


def maybe_rendered(source: np.ndarray, outline: Outline, rng: np.random.Generator, odds: float) -> np.ndarray:
    """With probability `odds`, the source rendered at a swap generator's face size (`rendered_source`);
    odds 0 draws nothing, so older configs see the same random stream."""
    if odds and rng.random() < odds:
        return rendered_source(source, oval_side(outline.oval), rng)
    return source


def self_blend_oval(image: np.ndarray, outline: Outline, rng: np.random.Generator,
                    rendered: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The photo with its face replaced by a jittered copy of itself inside the face oval (with
    probability `rendered`, re-rendered at a generator's size first); and the blend weight per pixel."""
    mask = oval_mask(outline, image.shape[:2], rng) * float(rng.choice([0.5, 0.75, 1.0, 1.0]))
    source = maybe_rendered(jittered_source(image, rng), outline, rng, rendered)
    return blend(image, source, mask, 1.0), mask


def swap_oval(target: np.ndarray, target_outline: Outline, donor: np.ndarray, donor_outline: Outline,
              rng: np.random.Generator, rendered: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The target photo with the donor's face aligned onto it (FaceMesh points), colour-matched (with
    probability `rendered`, re-rendered at a generator's size) and blended inside the target's face
    oval; and the blend weight per pixel."""
    matrix = similarity_transform(donor_outline.inner, target_outline.inner, np.ones(len(target_outline.inner)))
    h, w = target.shape[:2]
    warped = cv2.warpAffine(donor, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    mask = oval_mask(target_outline, (h, w), rng)
    warped = maybe_rendered(colour_matched(warped, target, mask > 0.5), target_outline, rng, rendered)
    mask = mask * float(rng.choice([0.75, 1.0, 1.0]))
    return blend(target, warped, mask, 1.0), mask
