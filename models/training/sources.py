"""Every source of ../shared/datasets as one list of rows (file, label, source, role), one reader.

Sources: All-Age-Faces (its own train/val split), web-faces (the evaluation slice is `val`), and
every row of manifest-v2.csv (UTKFace, LFW, IMFDB, real clips, GAN / diffusion faces, swaps,
talking heads) with the role the manifest gives it. `holdout` rows are for reporting only.
"""
from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from models.training.dataset_index import EVAL_SET_SEED, EVAL_WEB_FACES, web_face_files

ROLES = ("train", "val", "holdout")
MANIFEST = "manifest-v2.csv"


@dataclass(frozen=True)
class MediaRow:
    """One file: path relative to the data root, label (1 fake, 0 real), source name, role, kind."""

    path: str
    label: int
    source: str
    role: str
    kind: str = "image"


class SourceError(ValueError):
    """A dataset index is missing or malformed."""


def source_name(path: str) -> str:
    """The source a file belongs to: its top folder, or `fakes/<family>/<set>` for fakes."""
    parts = Path(path).parts
    if not parts:
        raise SourceError("empty path in the dataset index")
    return "/".join(parts[:3]) if parts[0] == "fakes" else parts[0]


def manifest_rows(data_root: Path) -> list[MediaRow]:
    """Rows of manifest-v2.csv (label, role and kind as the manifest says)."""
    path = Path(data_root) / MANIFEST
    if not path.exists():
        raise SourceError(f"{path} not found")
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            label, role, kind = record["label"], record["role"], record["kind"]
            if label not in ("real", "fake") or role not in ROLES or kind not in ("image", "video"):
                raise SourceError(f"{path}: bad label/role/kind in row {record['file']!r}")
            rows.append(MediaRow(record["file"], int(label == "fake"), source_name(record["file"]), role, kind))
    return rows


def aaf_rows(data_root: Path) -> list[MediaRow]:
    """All-Age-Faces photos with the dataset's own split (train / val)."""
    path = Path(data_root) / "aaf" / "index.csv"
    if not path.exists():
        raise SourceError(f"{path} not found")
    with open(path, newline="", encoding="utf-8") as handle:
        return [MediaRow(f"aaf/{r['file']}", 0, "aaf", r["split"]) for r in csv.DictReader(handle)
                if r["split"] in ("train", "val")]


def web_face_rows(data_root: Path) -> list[MediaRow]:
    """web-faces crops: the evaluation slice (models/training/dataset_index.py) is `val`, the rest `train`."""
    files = web_face_files(data_root, EVAL_SET_SEED)
    root = Path(data_root)
    return [MediaRow(str(f.relative_to(root)), 0, "web-faces", "val" if i < EVAL_WEB_FACES else "train")
            for i, f in enumerate(files)]


def real_video_rows(data_root: Path) -> list[MediaRow]:
    """The first part's real clips (real-videos/*.mp4): training material."""
    folder = Path(data_root) / "real-videos"
    return [MediaRow(f"real-videos/{p.name}", 0, "real-videos", "train", "video")
            for p in sorted(folder.glob("*.mp4"))]


def all_rows(data_root: Path, kind: str | None = "image") -> list[MediaRow]:
    """Every row of every source (only one kind when `kind` is set)."""
    rows = aaf_rows(data_root) + web_face_rows(data_root) + real_video_rows(data_root) + manifest_rows(data_root)
    return [r for r in rows if kind is None or r.kind == kind]


def select(rows: list[MediaRow], roles: tuple[str, ...] = ("train",), label: int | None = None,
           sources: tuple[str, ...] | None = None) -> list[MediaRow]:
    """The rows of some roles (and one label, and some sources, when given)."""
    return [r for r in rows if r.role in roles and (label is None or r.label == label)
            and (sources is None or r.source in sources)]


def in_fold(path: str, fraction: float, salt: str = "unmask") -> bool:
    """Whether a file falls in a stable `fraction` of its source (by hash of its path), e.g. a
    validation split inside the train role; the same file always answers the same."""
    digest = hashlib.sha256(f"{salt}:{path}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def split_train(rows: list[MediaRow], val_fraction: float, salt: str = "unmask") -> tuple[list[MediaRow], list[MediaRow]]:
    """Train-role rows split into (fit, model-selection) by a stable hash; other roles untouched."""
    fit = [r for r in rows if r.role == "train" and not in_fold(r.path, val_fraction, salt)]
    choose = [r for r in rows if r.role == "train" and in_fold(r.path, val_fraction, salt)]
    return fit, choose
