"""A miniature ../shared/datasets the tests make themselves: every source kind, role and label."""
from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np

from tests.helpers.media import astronaut_head, make_face_video

# (path, label, kind, role) of the manifest's rows; images are varied astronaut heads.
MANIFEST_ROWS = [
    ("utkface/images/u0.jpg", "real", "image", "train"),
    ("utkface/images/u1.jpg", "real", "image", "train"),
    ("utkface/images/u2.jpg", "real", "image", "train"),
    ("utkface/images/u3.jpg", "real", "image", "val"),
    ("lfw-color/images/l0.jpg", "real", "image", "holdout"),
    ("lfw-color/images/l1.jpg", "real", "image", "holdout"),
    ("lfw-gray/images/g0.jpg", "real", "image", "holdout"),
    *[(f"fakes/generated/gan_a/f{i}.jpg", "fake", "image", "train") for i in range(5)],
    *[(f"fakes/generated/gan_b/f{i}.jpg", "fake", "image", "train") for i in range(5, 8)],
    ("fakes/generated/flux/h0.jpg", "fake", "image", "holdout"),
    ("fakes/swapped/dfl/s0.jpg", "fake", "image", "holdout"),
    ("fakes/talking-heads/th/t0.mp4", "fake", "video", "train"),
    ("real-videos-2/p0.mp4", "real", "video", "train"),
]


def varied_head(rng: np.random.Generator, upsampled: bool = False, grey: bool = False) -> np.ndarray:
    """The astronaut's head with a random colour gain and size; `upsampled` makes it the way a
    generator's last layer would (nearest up-sampling of a half-size image)."""
    head = astronaut_head().astype(np.float32) * rng.uniform(0.85, 1.15, 3)
    head = np.clip(head, 0, 255).astype(np.uint8)
    if upsampled:
        small = cv2.resize(head, (head.shape[1] // 2, head.shape[0] // 2), interpolation=cv2.INTER_AREA)
        head = np.repeat(np.repeat(small, 2, axis=0), 2, axis=1)
    if grey:
        head = np.repeat(cv2.cvtColor(head, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
    return head


def write_image(path: Path, image: np.ndarray) -> None:
    """Save RGB as a JPEG q95."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])


def make_dataset(root: Path, seed: int = 0) -> Path:
    """Write the miniature dataset under `root` and return it."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "manifest-v2.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "label", "kind", "source_repo", "source_path", "method", "role", "transform", "sha256"])
        for path, label, kind, role in MANIFEST_ROWS:
            writer.writerow([path, label, kind, "test/repo", f"{path}@0", "test", role, "none", "0" * 64])
            if kind == "video":
                (root / path).parent.mkdir(parents=True, exist_ok=True)
                make_face_video(root / path, seconds=0.6, size=(320, 240))
            else:
                write_image(root / path, varied_head(rng, upsampled=label == "fake", grey="gray" in path))
    aaf = root / "aaf"
    (aaf / "images").mkdir(parents=True, exist_ok=True)
    with open(aaf / "index.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "split", "gender", "age"] + [f"{c}{i}" for i in range(49) for c in "xy"])
        for i, split in enumerate(["train", "train", "val"]):
            write_image(aaf / "images" / f"a{i}.jpg", varied_head(rng))
            writer.writerow([f"images/a{i}.jpg", split, "female", 30] + [0.0] * 98)
    for i in range(3):
        write_image(root / "web-faces" / "images" / f"w{i}.jpg", varied_head(rng))
    (root / "real-videos").mkdir(parents=True, exist_ok=True)
    make_face_video(root / "real-videos" / "d0.mp4", seconds=0.6, size=(320, 240))
    return root
