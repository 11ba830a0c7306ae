"""The real faces a set's score bands are chosen on: the `val` role of every source, and frames of
the real train clips that training held back (high-resolution real faces the photo sources lack).
Never holdout rows."""
from __future__ import annotations

from pathlib import Path

from models.evaluation.holdout_suite import SuiteItem
from models.training.face_index import read_rgb
from models.training.sources import all_rows, in_fold, select

BAND_CLIP_FRACTION = 0.34  # as the trainers' configs: the clips kept out of fitting ("bands" fold)


def val_items(data_root: Path, frames_per_clip: int = 8, band_clip_fraction: float = BAND_CLIP_FRACTION) -> list[SuiteItem]:
    """Every val-role real image, then evenly spaced frames of the held-back real clips."""
    from models.serving.frames import sample_frames

    rows = all_rows(data_root, kind=None)
    items = [SuiteItem(r.path, r.source, 0, lambda p=r.path: read_rgb(data_root, p))
             for r in select(rows, ("val",), label=0) if r.kind == "image"]
    clips = [r for r in rows if r.kind == "video" and r.label == 0 and r.role == "train"
             and in_fold(r.path, band_clip_fraction, "bands")]
    for clip in clips:
        for frame in sample_frames(Path(data_root) / clip.path, n=frames_per_clip, max_side=2560):
            items.append(SuiteItem(f"{clip.path}#{frame.index}", f"{clip.source} frames", 0,
                                   lambda image=frame.image: image))
    return items
