"""The real faces a set's score bands are chosen on: the `val` role of every source, and frames of
the real train clips that training held back (high-resolution real faces the photo sources lack);
with `tight_cut_items`, the val photos again cut tight around their face, as thumbnails, profile
pictures and cropped stills come. Never holdout rows."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from models.evaluation.holdout_suite import SuiteItem
from models.faces.detect import largest_face
from models.synth.degrade import tight_window
from models.training.face_index import read_rgb
from models.training.sources import all_rows, in_fold, select

BAND_CLIP_FRACTION = 0.34  # as the trainers' configs: the clips kept out of fitting ("bands" fold)


def val_items(data_root: Path, frames_per_clip: int = 8, band_clip_fraction: float = BAND_CLIP_FRACTION) -> list[SuiteItem]:
    """Every val-role real image, then evenly spaced frames of the held-back real clips (none, and no
    clip decoded, when `frames_per_clip` is 0)."""
    from models.serving.frames import sample_frames

    rows = all_rows(data_root, kind=None)
    items = [SuiteItem(r.path, r.source, 0, lambda p=r.path: read_rgb(data_root, p))
             for r in select(rows, ("val",), label=0) if r.kind == "image"]
    clips = [r for r in rows if r.kind == "video" and r.label == 0 and r.role == "train"
             and in_fold(r.path, band_clip_fraction, "bands")] if frames_per_clip else []
    for clip in clips:
        for frame in sample_frames(Path(data_root) / clip.path, n=frames_per_clip, max_side=2560):
            items.append(SuiteItem(f"{clip.path}#{frame.index}", f"{clip.source} frames", 0,
                                   lambda image=frame.image: image))
    return items


def per_source_sample(items: Sequence[SuiteItem], per_source: int, rng: np.random.Generator) -> list[SuiteItem]:
    """Up to `per_source` items of every source, drawn at random (sources in name order)."""
    by_source: dict[str, list[SuiteItem]] = {}
    for item in items:
        by_source.setdefault(item.source, []).append(item)
    return [m[i] for _, m in sorted(by_source.items()) for i in rng.permutation(len(m))[:per_source]]


TIGHT_SUFFIX = " tight-cut"


def tight_cut(image: np.ndarray | None, face_detector, rng: np.random.Generator) -> np.ndarray | None:
    """The image cut tight around its largest face (`models.synth.degrade.tight_window`); None without a face."""
    face = None if image is None else largest_face(face_detector.detect(image))
    if face is None:
        return None
    left, top, right, bottom = tight_window(face.box, image.shape[:2], rng)
    return np.ascontiguousarray(image[top:bottom, left:right])


def tight_cut_items(items: Sequence[SuiteItem], face_detector, seed: int = 0) -> list[SuiteItem]:
    """Each photo item again, cut tight around its face, as its own source ("<source> tight-cut");
    the cut is drawn from `seed` and the item's position, so every run cuts alike."""
    out = []
    for n, item in enumerate(i for i in items if "#" not in i.name):
        rng_seed = (seed, n)
        out.append(SuiteItem(f"{item.name}{TIGHT_SUFFIX}", f"{item.source}{TIGHT_SUFFIX}", item.label,
                             lambda item=item, rng_seed=rng_seed: tight_cut(
                                 item.load(), face_detector, np.random.default_rng(rng_seed))))
    return out
