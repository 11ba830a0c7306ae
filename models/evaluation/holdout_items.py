"""The holdout suite's images: every holdout image row of manifest-v2.csv, and swaps made from the
holdout reals in their own photos (self-blends and swaps inside the FaceMesh face oval)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from models.evaluation.holdout_suite import SuiteItem
from models.synth.oval import Outline, self_blend_oval, swap_oval
from models.faces.detect import largest_face
from models.training.face_index import read_rgb
from models.training.sources import manifest_rows

SELF_BLENDS = "pasted self-blends"
SWAPS = "pasted swaps"


def family_of(source: str) -> str:
    """A fake source's family from its folder: fakes/generated/* or fakes/swapped/*."""
    return "swap" if source.startswith("fakes/swapped") else "generated"


def file_items(data_root: Path) -> list[SuiteItem]:
    """Every holdout image of the manifest, loaded from disk when scored."""
    items = []
    for row in manifest_rows(data_root):
        if row.role == "holdout" and row.kind == "image":
            items.append(SuiteItem(row.path, row.source, row.label,
                                   lambda p=row.path: read_rgb(data_root, p),
                                   family_of(row.source) if row.label else ""))
    return items


def pasted_items(reals: list[SuiteItem], face_detector, per_source: int, seed: int) -> list[SuiteItem]:
    """For `per_source` reals of each real source: a self-blend of the face in its photo, and a swap
    onto it of another real of the same source (made once, kept in memory)."""
    rng = np.random.default_rng(seed)
    by_source: dict[str, list[SuiteItem]] = {}
    for item in reals:
        by_source.setdefault(item.source, []).append(item)
    out = []
    for source, members in sorted(by_source.items()):
        faces = []
        for index in rng.permutation(len(members)):
            image = members[index].load()
            face = largest_face(face_detector.detect(image)) if image is not None else None
            if face is not None and face.landmarks is not None:
                faces.append((members[index].name, image, Outline.from_mesh(face.landmarks)))
            if len(faces) == per_source + 1:
                break
        for k, (name, image, outline) in enumerate(faces[:-1]):
            blended, _ = self_blend_oval(image, outline, rng)
            out.append(SuiteItem(f"{SELF_BLENDS}:{name}", SELF_BLENDS, 1, lambda b=blended: b, "swap"))
            donor_name, donor, donor_outline = faces[k + 1]
            swapped, _ = swap_oval(image, outline, donor, donor_outline, rng)
            out.append(SuiteItem(f"{SWAPS}:{name}<-{donor_name}", SWAPS, 1, lambda s=swapped: s, "swap"))
    return out


def holdout_items(data_root: Path, face_detector, pasted_per_source: int = 50, seed: int = 2026) -> list[SuiteItem]:
    """The suite's items: holdout files, then the swaps made from the holdout reals."""
    files = file_items(data_root)
    reals = [i for i in files if i.label == 0]
    return files + pasted_items(reals, face_detector, pasted_per_source, seed)
