"""Check the face detector against the training data's landmarks (needs ../shared/datasets).

Reports, on a sample of All-Age-Faces val photos: recall (a face found near the labelled eyes),
the distance between our keypoints and those derived from the IntraFace 49 landmarks (the ones
training crops use), normalised by the inter-ocular distance, and ms per image; then recall on
a sample of web-faces (tight and loose crops, no landmarks) and the speed on a 640x480 frame.

Usage: python scripts/check_face_keypoints.py [--datasets DIR] [--aaf N] [--web N] [--threads T]
"""
from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.faces.align import KEYPOINT_NAMES, keypoints_from_intraface49  # noqa: E402
from models.faces.detect import FaceDetector  # noqa: E402

DEFAULT_DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def read_rgb(path: Path) -> np.ndarray:
    """Decode an image file to RGB uint8."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"cannot decode {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def aaf_sample(datasets: Path, count: int, seed: int) -> list[tuple[Path, np.ndarray]]:
    """(image path, IntraFace-derived keypoints) for `count` random val photos."""
    with open(datasets / "aaf" / "index.csv", newline="") as fh:
        rows = [row for row in csv.DictReader(fh) if row["split"] == "val"]
    picks = np.random.default_rng(seed).choice(len(rows), size=min(count, len(rows)), replace=False)
    sample = []
    for i in picks:
        row = rows[i]
        points = np.array([[float(row[f"x{k}"]), float(row[f"y{k}"])] for k in range(49)])
        sample.append((datasets / "aaf" / row["file"], keypoints_from_intraface49(points)))
    return sample


def nearest_face(faces, truth: np.ndarray):
    """The detected face whose eyes are closest to the labelled eyes, or None."""
    centre = truth[:2].mean(axis=0)
    return min(faces, key=lambda f: np.linalg.norm(f.keypoints[:2].mean(axis=0) - centre), default=None)


def check_aaf(detector: FaceDetector, datasets: Path, count: int, seed: int) -> None:
    """Recall, keypoint error (/ inter-ocular distance) and ms per image on AAF val."""
    errors, offsets, times, found = [], [], [], 0
    sample = aaf_sample(datasets, count, seed)
    for path, truth in sample:
        image = read_rgb(path)
        start = time.perf_counter()
        faces = detector.detect(image)
        times.append(time.perf_counter() - start)
        face = nearest_face(faces, truth)
        iod = np.linalg.norm(truth[1] - truth[0])
        if face is None or np.linalg.norm(face.keypoints[:2] - truth[:2], axis=1).max() > 0.5 * iod:
            print(f"  missed: {path.name} ({len(faces)} faces)")
            continue
        found += 1
        delta = (face.keypoints - truth) / iod
        errors.append(np.linalg.norm(delta, axis=1))
        offsets.append(delta)
    errors, offsets = np.array(errors), np.array(offsets)
    print(f"AAF val: {found}/{len(sample)} found (recall {found / len(sample):.3f}), "
          f"{1e3 * np.mean(times):.1f} ms/image (median {1e3 * np.median(times):.1f})")
    print("  keypoint error / inter-ocular distance: name mean median p90 | median offset (x, y)")
    for k, name in enumerate(KEYPOINT_NAMES):
        column = errors[:, k]
        print(f"  {name:13s} {column.mean():.4f} {np.median(column):.4f} {np.quantile(column, 0.9):.4f}"
              f" | {np.median(offsets[:, k, 0]):+.4f} {np.median(offsets[:, k, 1]):+.4f}")
    print(f"  all keypoints  mean {errors.mean():.4f} median {np.median(errors):.4f}")


def check_web(detector: FaceDetector, datasets: Path, count: int, seed: int) -> None:
    """Recall (at least one face) on a sample of web-faces crops."""
    files = sorted((datasets / "web-faces" / "images").glob("*.jpg"))
    picks = np.random.default_rng(seed).choice(len(files), size=min(count, len(files)), replace=False)
    found, times = 0, []
    for i in picks:
        image = read_rgb(files[i])
        start = time.perf_counter()
        faces = detector.detect(image)
        times.append(time.perf_counter() - start)
        found += bool(faces)
        if not faces:
            print(f"  no face: {files[i].name} {image.shape[1]}x{image.shape[0]}")
    print(f"web-faces: {found}/{len(picks)} with a face (recall {found / len(picks):.3f}), "
          f"{1e3 * np.mean(times):.1f} ms/image")


def check_speed(detector: FaceDetector, datasets: Path, repeats: int = 30) -> None:
    """ms per 640x480 frame holding one face (an AAF photo letterboxed into the frame)."""
    photo = read_rgb(sorted((datasets / "aaf" / "images").glob("*.jpg"))[0])
    frame = np.zeros((480, 640, 3), dtype=np.uint8)
    scale = 480 / photo.shape[0]
    small = cv2.resize(photo, (round(photo.shape[1] * scale), 480), interpolation=cv2.INTER_AREA)
    frame[:, 160:160 + small.shape[1]] = small[:, : 640 - 160]
    detector.detect(frame)
    start = time.perf_counter()
    for _ in range(repeats):
        faces = detector.detect(frame)
    elapsed = (time.perf_counter() - start) / repeats
    print(f"640x480 frame, {len(faces)} face(s): {1e3 * elapsed:.1f} ms per frame")


def main(argv: list[str] | None = None) -> int:
    """Run the three checks and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--aaf", type=int, default=300)
    parser.add_argument("--web", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    detector = FaceDetector(num_threads=args.threads)
    check_aaf(detector, args.datasets, args.aaf, args.seed)
    check_web(detector, args.datasets, args.web, args.seed)
    check_speed(detector, args.datasets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
