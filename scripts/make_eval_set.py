"""Build a held-out evaluation folder for `unmask evaluate` from ../shared/datasets (outside git).

real/<source>/  symlinks to held-out real media: AAF val photos, web-face crops, real videos.
fake/<source>/  pseudo-fakes made from the same media: faces self-blended in place (photos and every
                frame of the videos, parameters changing per frame as a per-frame pipeline's do), and
                whole photos passed through a trained autoencoder (stand-ins for generated faces).
"""
from __future__ import annotations

import argparse
import os
import random
from pathlib import Path

import cv2
import numpy as np

from models.faces.align import keypoints_from_intraface49
from models.faces.detect import FaceDetector
from models.synth.paste import self_blend_in_frame
from models.training.dataset_index import EVAL_SET_SEED, EVAL_WEB_FACES, read_aaf_index, web_face_files

ROOT = Path(__file__).resolve().parent.parent


def link(src: Path, dst: Path) -> None:
    """A symlink dst -> src (the data stays where it is)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not dst.exists():
        os.symlink(src.resolve(), dst)


def write_rgb(path: Path, image: np.ndarray) -> None:
    """Save an RGB image as a high-quality JPEG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])


def aaf_photos(data: Path, out: Path, count: int, seed: int, autoencoder) -> None:
    """Real AAF val photos, their in-place self-blends and autoencoder reconstructions."""
    rows = read_aaf_index(data, "val")
    random.Random(seed).shuffle(rows)
    rng = np.random.default_rng(seed)
    for rel, landmarks in rows[:count]:
        src = data / "aaf" / rel
        name = Path(rel).stem
        link(src, out / "real" / "aaf-val" / f"{name}.jpg")
        image = cv2.imread(str(src))[..., ::-1]
        keypoints = keypoints_from_intraface49(landmarks)
        write_rgb(out / "fake" / "blend-aaf-val" / f"{name}.jpg", self_blend_in_frame(image, keypoints, rng))
        if autoencoder is not None:
            write_rgb(out / "fake" / "generated-aaf-val" / f"{name}.jpg", reconstruct_whole(autoencoder, image))


def reconstruct_whole(model, image: np.ndarray) -> np.ndarray:
    """An autoencoder's reconstruction of a whole image (padded to a multiple of 8)."""
    h, w = image.shape[:2]
    padded = cv2.copyMakeBorder(image, 0, (-h) % 8, 0, (-w) % 8, cv2.BORDER_REFLECT_101)
    y = model(padded[None].astype(np.float32) / 127.5 - 1, training=False).numpy()[0]
    return np.clip((y + 1) * 127.5, 0, 255).round().astype(np.uint8)[:h, :w]


def web_faces(data: Path, out: Path, count: int, seed: int) -> None:
    """Real web face crops (no landmarks: only reals, to measure false positives off-domain)."""
    for src in web_face_files(data, seed)[:count]:
        link(src, out / "real" / "web-faces" / src.name)


def videos(data: Path, out: Path, seconds: float, seed: int, detector: FaceDetector) -> None:
    """Real videos and copies with the main face self-blended in every frame."""
    rng = np.random.default_rng(seed)
    for src in sorted((data / "real-videos").glob("*.mp4")):
        link(src, out / "real" / "videos" / src.name)
        capture = cv2.VideoCapture(str(src))
        fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
        dst = out / "fake" / "blend-videos" / src.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        writer = None
        for _ in range(int(seconds * fps)):
            ok, bgr = capture.read()
            if not ok:
                break
            frame = bgr[..., ::-1]
            faces = detector.detect(frame)
            if faces:
                frame = self_blend_in_frame(frame, faces[0].keypoints, rng)
            if writer is None:
                h, w = frame.shape[:2]
                writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
            writer.write(np.ascontiguousarray(frame[..., ::-1]))
        capture.release()
        if writer is not None:
            writer.release()


def main(argv: list[str] | None = None) -> int:
    """Command line: python scripts/make_eval_set.py [--out runs/eval] [--photos N]."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "datasets"))
    parser.add_argument("--out", default=str(ROOT / "runs" / "eval"))
    parser.add_argument("--photos", type=int, default=300)
    parser.add_argument("--web-faces", type=int, default=EVAL_WEB_FACES)
    parser.add_argument("--video-seconds", type=float, default=8.0)
    parser.add_argument("--autoencoder", default=str(ROOT / "runs" / "frame_cnn" / "autoencoders" / "bilinear.keras"),
                        help="a trained autoencoder (.keras) for the generated family; skipped if absent")
    parser.add_argument("--seed", type=int, default=EVAL_SET_SEED)
    args = parser.parse_args(argv)
    data, out = Path(args.data), Path(args.out)
    autoencoder = None
    if Path(args.autoencoder).exists():
        import tensorflow as tf

        autoencoder = tf.keras.models.load_model(args.autoencoder)
    aaf_photos(data, out, args.photos, args.seed, autoencoder)
    web_faces(data, out, args.web_faces, args.seed)
    videos(data, out, args.video_seconds, args.seed, FaceDetector())
    print(f"evaluation set written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
