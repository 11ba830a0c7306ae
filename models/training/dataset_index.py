"""Reads the shared real-face datasets and builds aligned crop caches (the same crop as serving)."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from models.faces.align import CROP_SIZE, align_face, keypoints_from_intraface49, transform_points


@dataclass
class FaceSet:
    """Aligned crops (N, S, S, 3) uint8 RGB, their 49 landmarks in crop pixels (N, 49, 2) and ids."""

    images: np.ndarray
    landmarks: np.ndarray
    ids: list[str]


def read_aaf_index(data_root: Path, split: str) -> list[tuple[str, np.ndarray]]:
    """(relative image path, 49x2 landmarks) for one split of All-Age-Faces."""
    rows = []
    with open(Path(data_root) / "aaf" / "index.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["split"] != split:
                continue
            pts = np.array([[float(row[f"x{i}"]), float(row[f"y{i}"])] for i in range(49)])
            rows.append((row["file"], pts))
    return rows


def align_with_landmarks(image_rgb: np.ndarray, landmarks: np.ndarray, size: int = CROP_SIZE):
    """Aligned crop of a face from its 49 landmarks, and the landmarks in crop pixels."""
    crop, matrix = align_face(image_rgb, keypoints_from_intraface49(landmarks), size)
    return crop, transform_points(landmarks, matrix)


def build_aaf_faces(data_root: Path, split: str, limit: int | None = None, size: int = CROP_SIZE) -> FaceSet:
    """Aligned crops of one AAF split (optionally the first `limit`)."""
    rows = read_aaf_index(data_root, split)[:limit]
    images, marks, ids = [], [], []
    for rel, pts in rows:
        bgr = cv2.imread(str(Path(data_root) / "aaf" / rel), cv2.IMREAD_COLOR)
        if bgr is None:
            continue
        crop, crop_pts = align_with_landmarks(bgr[..., ::-1], pts, size)
        images.append(crop)
        marks.append(crop_pts)
        ids.append(rel)
    return FaceSet(np.stack(images), np.stack(marks).astype(np.float32), ids)


def cached_aaf_faces(data_root: Path, cache_dir: Path, split: str, limit: int | None = None) -> FaceSet:
    """build_aaf_faces, cached as .npz in `cache_dir` (outside git)."""
    path = Path(cache_dir) / f"aaf_{split}_{limit or 'all'}_{CROP_SIZE}.npz"
    if path.exists():
        data = np.load(path, allow_pickle=False)
        return FaceSet(data["images"], data["landmarks"], list(data["ids"]))
    faces = build_aaf_faces(data_root, split, limit)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, images=faces.images, landmarks=faces.landmarks, ids=np.array(faces.ids))
    tmp.replace(path)
    return faces


# The held-out evaluation set's shuffle seed and web-face count (scripts/make_eval_set.py); the
# frame CNN's band choice (scripts/choose_frame_bands.py) takes the web faces after these.
EVAL_SET_SEED = 2026
EVAL_WEB_FACES = 300


def web_face_files(data_root: Path, seed: int) -> list[Path]:
    """The web-face crops in one reproducible shuffled order (evaluation and band choice take
    disjoint slices of it)."""
    import random

    files = sorted((Path(data_root) / "web-faces" / "images").iterdir())
    random.Random(seed).shuffle(files)
    return files
