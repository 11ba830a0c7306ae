"""The least sharpness each frame detector of a set judges, chosen on val faces blurred alike.

A face out of focus, or a small still blown up, has lost the fine detail the detectors read: a blend
detector can take the softness for a blend's seam and flag real people, a generated-face detector
can no longer see a generator's traces. Val reals, fakes of the kind each detector is for, are
blurred alike at several strengths (a Gaussian scaled to the face), and every face is measured once:
its sharpness (`models.faces.quality.sharpness`), its size and every detector's score.

Then, with sharpness cut into bins (`GRID`), each detector's least judged sharpness is the lowest
floor above which it still tells its fakes from the reals (AUC at least `min_auc` in every bin
holding enough of both); and, as the companion serves the set (the detectors that judge a face's
size and sharpness, combined, at the set's bands), floors are raised until the set flags at most
`limit` of the reals in every bin, keeping the choice that judges the most faces. A face that no
detector judges is reported too blurred to judge (`models.serving.analysis.observations`).
`floor_stability` repeats the choice on the measured faces drawn again with replacement: a floor
that a face or two decides shows up split between neighbouring floors.
"""
from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from models.evaluation import metrics

GRID = (0.0, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 80.0)  # candidate floors, also the bins' edges
LEVELS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)  # blur sigma in face sides / 128 (models.synth.degrade.blur_face; 0: as it is)
MIN_AUC = 0.75
MIN_COUNT = 20  # a bin is judged on at least this many reals and this many fakes of a detector's kind


@dataclass(frozen=True)
class FaceRecord:
    """One measured face: label (1 fake), the kind of fake ("" for reals), size and sharpness as
    served, each detector's calibrated score, and the blur level it was made at."""

    label: int
    kind: str
    size: float
    sharpness: float
    scores: Mapping[str, float]
    level: float = 0.0


def bins(grid: Sequence[float] = GRID) -> list[tuple[float, float]]:
    """Sharpness bins [edge, next edge), the last one open."""
    edges = sorted(grid)
    return list(zip(edges, [*edges[1:], float("inf")]))


def served_score(record: FaceRecord, min_faces: Mapping[str, int], min_sharpness: Mapping[str, float],
                 anchors: Mapping) -> float | None:
    """The face's score as served: the detectors that judge its size and sharpness, combined (None: none judges it)."""
    from models.serving.frame_score import combine, judged_by_sharpness, judged_by_size

    judged = judged_by_sharpness(judged_by_size(record.scores, record.size, min_faces), record.sharpness,
                                 min_sharpness)
    return combine(judged, anchors) if judged else None


def in_bin(records: Sequence[FaceRecord], low: float, high: float) -> list[FaceRecord]:
    """The records whose sharpness lies in [low, high)."""
    return [r for r in records if low <= r.sharpness < high]


def bin_auc(records: Sequence[FaceRecord], name: str, kind: str, min_count: int = MIN_COUNT) -> float | None:
    """One detector's AUC on its kind of fakes against the reals of these records (None: too few of either)."""
    real = [r.scores[name] for r in records if r.label == 0 and name in r.scores]
    fake = [r.scores[name] for r in records if r.label == 1 and r.kind == kind and name in r.scores]
    if len(real) < min_count or len(fake) < min_count:
        return None
    return metrics.auc(np.r_[real, fake], np.r_[np.zeros(len(real)), np.ones(len(fake))])


def discriminating_floor(records: Sequence[FaceRecord], name: str, kind: str, grid: Sequence[float] = GRID,
                         min_auc: float = MIN_AUC, min_count: int = MIN_COUNT) -> float:
    """The lowest floor of `grid` such that in every bin at or above it the detector's AUC is at least
    `min_auc` (bins with too few faces do not count); the top of the grid when none holds."""
    aucs = [(low, bin_auc(in_bin(records, low, high), name, kind, min_count)) for low, high in bins(grid)]
    for floor in sorted(grid):
        if all(auc is None or auc >= min_auc for low, auc in aucs if low >= floor):
            return float(floor)
    return float(max(grid))


def flagged_by_bin(records: Sequence[FaceRecord], min_faces: Mapping[str, int], min_sharpness: Mapping[str, float],
                   anchors: Mapping, bands, grid: Sequence[float] = GRID) -> dict[float, tuple[int, int]]:
    """Per bin (by its low edge): the reals the set judges and flags likely fake, as served."""
    out = {}
    for low, high in bins(grid):
        judged = flagged = 0
        for record in in_bin([r for r in records if r.label == 0], low, high):
            score = served_score(record, min_faces, min_sharpness, anchors)
            if score is not None:
                judged += 1
                flagged += bands.verdict(score) == "likely_fake"
        out[low] = (judged, flagged)
    return out


def coverage(records: Sequence[FaceRecord], min_faces: Mapping[str, int], min_sharpness: Mapping[str, float],
             anchors: Mapping) -> int:
    """How many faces (real and fake) the set judges."""
    return sum(served_score(r, min_faces, min_sharpness, anchors) is not None for r in records)


def choose_min_sharpness(records: Sequence[FaceRecord], kinds: Mapping[str, str], min_faces: Mapping[str, int],
                         anchors: Mapping, bands, limit: float, grid: Sequence[float] = GRID,
                         min_auc: float = MIN_AUC, min_count: int = MIN_COUNT) -> dict[str, float]:
    """Each detector's least judged sharpness (`kinds`: detector -> the kind of fakes it is for): at
    least its discriminating floor, raised until the set flags at most `limit` of the judged reals
    in every bin holding at least `min_count` of them; of those, the choice that judges the most
    faces, then the lowest floors. When none holds, every detector judges only the sharpest bin."""
    names = sorted(kinds)
    lowest = {n: discriminating_floor(records, n, kinds[n], grid, min_auc, min_count) for n in names}
    options = [[g for g in sorted(grid) if g >= lowest[n]] for n in names]
    best, best_key = None, None
    for floors in itertools.product(*options):
        chosen = dict(zip(names, (float(f) for f in floors)))
        by_bin = flagged_by_bin(records, min_faces, chosen, anchors, bands, grid)
        if any(judged >= min_count and flagged / judged > limit for judged, flagged in by_bin.values()):
            continue
        key = (coverage(records, min_faces, chosen, anchors), -sum(floors))
        if best_key is None or key > best_key:
            best, best_key = chosen, key
    return best if best is not None else {n: float(max(grid)) for n in names}


def floor_stability(records: Sequence[FaceRecord], kinds: Mapping[str, str], min_faces: Mapping[str, int],
                    anchors: Mapping, bands, limit: float, resamples: int = 100, seed: int = 0,
                    **choice) -> dict[str, dict[float, float]]:
    """Per detector, the share of `resamples` bootstrap draws of the records (with replacement) in
    which `choose_min_sharpness` picks each floor."""
    if resamples < 1 or not records:
        raise ValueError("floor_stability needs records and at least one resample")
    rng = np.random.default_rng(seed)
    counts = {name: Counter() for name in kinds}
    for _ in range(resamples):
        drawn = [records[i] for i in rng.integers(len(records), size=len(records))]
        for name, floor in choose_min_sharpness(drawn, kinds, min_faces, anchors, bands, limit, **choice).items():
            counts[name][floor] += 1
    return {name: {floor: n / resamples for floor, n in sorted(c.items())} for name, c in counts.items()}


def report_by_bin(records: Sequence[FaceRecord], kinds: Mapping[str, str], min_faces: Mapping[str, int],
                  min_sharpness: Mapping[str, float], anchors: Mapping, bands, grid: Sequence[float] = GRID) -> dict:
    """Per bin: reals, judged and flagged share as served, and each detector's AUC on its kind (all faces)."""
    flagged = flagged_by_bin(records, min_faces, min_sharpness, anchors, bands, grid)
    out = {}
    for low, high in bins(grid):
        members = in_bin(records, low, high)
        judged, hits = flagged[low]
        out[f"{low:g}"] = {"reals": sum(r.label == 0 for r in members), "fakes": sum(r.label == 1 for r in members),
                           "judged_reals": judged, "flagged": hits / judged if judged else None,
                           "auc": {n: bin_auc(members, n, k) for n, k in kinds.items()}}
    return out
