"""The smallest face each frame detector of a set judges, chosen on val reals shrunk to every size.

A set's bands were chosen on val faces as they come (mostly 100 px and up). Shrunk to 64-96 px, the
same real faces can trip a detector far more often: the up-sampling residual of a small, resized
face looks like a generator's. Each val real is cut around its face, shrunk so the face is about S px
(with a random filter and JPEG quality, drawn once per photo so every size gets the same damage),
and every detector scores every face once. Then each choice of smallest judged faces (one per
detector, from a grid) is played back as the companion serves the set (`image_score`: the detectors
that judge a face's size, combined, at the set's bands). Of the choices under which the set flags no
more than its ceiling of the reals at every size (its share on the reals as they are, at least
`max_fpr`, plus `tolerance`), the one that judges the most is kept. A face no detector judges is
reported too small (`models.serving.analysis`).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Mapping, Sequence

import cv2
import numpy as np

SIZES = (64, 80, 96, 112, 128, 160)
MARGIN = (0.0, 0.3)  # context kept on each side of the face box, in face widths
SIZE_JITTER = (1.0, 1.15)  # the shrunk face's side is S times this (detectors' boxes vary a little)
QUALITY = (60, 95)
FILTERS = (cv2.INTER_AREA, cv2.INTER_LINEAR, cv2.INTER_CUBIC)


@dataclass(frozen=True)
class ShrinkPlan:
    """One photo's damage, shared by all its sizes: margins (left, top, right, bottom), size jitter, filter, JPEG quality."""

    margins: tuple[float, float, float, float]
    jitter: float
    interpolation: int
    quality: int


def draw_plan(rng: np.random.Generator) -> ShrinkPlan:
    """A random cut, size jitter, resize filter and JPEG quality."""
    return ShrinkPlan(tuple(float(m) for m in rng.uniform(*MARGIN, size=4)), float(rng.uniform(*SIZE_JITTER)),
                      int(FILTERS[int(rng.integers(len(FILTERS)))]), int(rng.integers(QUALITY[0], QUALITY[1] + 1)))


def shrunk(image: np.ndarray, box: Sequence[float], side: int, plan: ShrinkPlan) -> np.ndarray | None:
    """The photo cut around a face box (x, y, w, h) and shrunk so the face's shorter side is about
    `side` px, saved as JPEG; None when the face is not larger than that already."""
    from models.synth.degrade import jpeg

    x, y, w, h = (float(v) for v in box)
    factor = side * plan.jitter / min(w, h)
    if factor >= 1.0:
        return None
    left, top, right, bottom = (m * w for m in plan.margins)
    height, width = image.shape[:2]
    x0, y0 = int(max(0.0, x - left)), int(max(0.0, y - top))
    x1, y1 = int(min(width, x + w + right)), int(min(height, y + h + bottom))
    cut = np.ascontiguousarray(image[y0:y1, x0:x1])
    size = (max(8, round(cut.shape[1] * factor)), max(8, round(cut.shape[0] * factor)))
    return jpeg(cv2.resize(cut, size, interpolation=plan.interpolation), plan.quality)


FaceScores = list[tuple[float, dict[str, float]]]  # one image's faces: (size in px, each detector's score)


@dataclass
class Tally:
    """Real images judged and flagged likely fake, at one size."""

    judged: int = 0
    flagged: int = 0

    def add(self, verdict: str) -> None:
        """Count one judged image's verdict."""
        self.judged += 1
        self.flagged += verdict == "likely_fake"

    @property
    def share(self) -> float | None:
        """Share flagged (None with nothing judged)."""
        return self.flagged / self.judged if self.judged else None


def ceiling(as_is: float, max_fpr: float, tolerance: float) -> float:
    """The most a set may flag of shrunk reals: its share on them as they are (at least max_fpr), plus tolerance."""
    return max(as_is, max_fpr) + tolerance


def image_score(faces: FaceScores, min_faces: Mapping[str, int], anchors: Mapping) -> float | None:
    """An image's score as served: its highest face score, each face combined from the detectors
    that judge its size (None when none judges any face)."""
    from models.serving.frame_score import combine, judged_by_size

    scores = []
    for size, by_detector in faces:
        judged = judged_by_size(by_detector, size, min_faces)
        if judged:
            scores.append(combine(judged, anchors))
    return max(scores) if scores else None


def tallies(measured: Mapping[int, Sequence[FaceScores]], min_faces: Mapping[str, int], anchors: Mapping,
            bands) -> dict[int, Tally]:
    """Per size: the real images judged and flagged by the set, with these smallest judged faces."""
    out = {}
    for size, images in measured.items():
        tally = out.setdefault(size, Tally())
        for faces in images:
            score = image_score(faces, min_faces, anchors)
            if score is not None:
                tally.add(bands.verdict(score))
    return out


def choose_min_faces(measured: Mapping[int, Sequence[FaceScores]], names: Sequence[str], grid: Sequence[int],
                     anchors: Mapping, bands, limit: float) -> dict[str, int]:
    """Each detector's smallest judged face (from `grid`) such that the set, as served, flags at most
    `limit` of the reals at every measured size; of those that hold, the one that judges the most
    images, then the most faces per detector. When none holds, every detector judges only the largest."""
    best, best_key = None, None
    for mins in itertools.product(grid, repeat=len(names)):
        min_faces = dict(zip(names, mins))
        counts = tallies(measured, min_faces, anchors, bands)
        if any(t.share is not None and t.share > limit for t in counts.values()):
            continue
        coverage = sum(t.judged for t in counts.values())
        per_detector = sum(size >= m for images in measured.values() for faces in images
                           for size, _ in faces for m in mins)
        key = (coverage, per_detector, -sum(mins))
        if best_key is None or key > best_key:
            best, best_key = min_faces, key
    return best if best is not None else {n: max(grid) for n in names}
