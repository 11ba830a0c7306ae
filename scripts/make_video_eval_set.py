"""Build a held-out video evaluation folder for `unmask evaluate` (outside git): fusion against frames alone.

Two sources no detector trained on: the real videos the temporal detector holds out (its config's
`val_videos`), cut into segments of --seconds, and --stills AAF val photos (from row 1000 of the
val split; the temporal detector's validation uses the first 400) made into --seconds clips at 25
fps by a smooth camera motion (pan, zoom, roll), as its training does. For each:

real/<source>/     the clip as it is (re-encoded like the fakes, so encoding is no clue);
fake/flicker-<source>/  the face self-blended in every frame, parameters drawn anew per frame (a
                   per-frame face swap's flicker);
fake/smooth-<source>/   one set of blend parameters for the whole clip, the mask following the face
                   (a temporally consistent fake: only the frame detectors can see it);
fake/lip_sync-<source>/ and fake/animated-<source>/ (with --kinds): the mouth of the clip played
                   backwards pasted over it, and its first frame animated (models/synth/talking.py).

Usage: python scripts/make_video_eval_set.py [--out runs/eval_videos] [--seconds 2] [--stills 60]
       python scripts/make_video_eval_set.py --out runs/val_videos --stills-from 1100 --stills 100 --no-videos
       python scripts/make_video_eval_set.py --out runs/val_videos --stills 0 --kinds ""
       (the validation set on which scripts/choose_fusion.py picks the fusion rule: still photos moved by a
       camera with their fakes, then the held-out real videos' segments as real clips that move as people
       do; those segments are the test set's real videos too, so that row of the test set is no longer clean)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.faces.align import keypoints_from_intraface49  # noqa: E402
from models.faces.detect import FaceDetector  # noqa: E402
from models.synth.paste import self_blend_in_frame  # noqa: E402
from models.training.dataset_index import read_aaf_index  # noqa: E402
from models.training.temporal_data import still_source  # noqa: E402
from models.training.train_config import load_config  # noqa: E402

STILLS_FROM = 1000  # first AAF val row used here (the temporal detector's validation reads rows 0-399)
STILL_FPS = 25.0


def held_out_videos() -> list[str]:
    """The real videos the temporal detector's config holds out of training."""
    return list(load_config("temporal")["val_videos"])


def read_segments(path: Path, seconds: float) -> tuple[float, list[list[np.ndarray]]]:
    """The video's frame rate and its RGB frames in consecutive segments of `seconds` (the last dropped if short)."""
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    frames = []
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        frames.append(bgr[..., ::-1].copy())
    capture.release()
    length = int(round(seconds * fps))
    return fps, [frames[i:i + length] for i in range(0, len(frames) - length + 1, length)]


def write_video(path: Path, frames: list[np.ndarray], fps: float) -> None:
    """RGB frames as an mp4v file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for frame in frames:
        writer.write(np.ascontiguousarray(frame[..., ::-1]))
    writer.release()


def blended(frames: list[np.ndarray], keypoints: list[np.ndarray | None], seed: int, smooth: bool) -> list[np.ndarray]:
    """Each frame's face self-blended: the same parameters every frame when `smooth`, else new ones."""
    rng = np.random.default_rng(seed)
    out = []
    for frame, points in zip(frames, keypoints):
        frame_rng = np.random.default_rng(seed) if smooth else rng
        out.append(frame if points is None else self_blend_in_frame(frame, points, frame_rng))
    return out


def detected_keypoints(frames: list[np.ndarray], detector: FaceDetector) -> list[np.ndarray | None]:
    """The first face's keypoints in each frame (None where no face is found)."""
    found = [detector.detect(frame) for frame in frames]
    return [faces[0].keypoints if faces else None for faces in found]


KINDS = ("flicker", "smooth", "lip_sync", "animated")


def faked(kind: str, frames, keypoints, seed: int) -> list[np.ndarray]:
    """One kind of fake of a clip (frames without a face are kept as they are)."""
    from models.synth.talking import animate_still, lip_sync

    if kind in ("flicker", "smooth"):
        return blended(frames, keypoints, seed, smooth=kind == "smooth")
    found = [i for i, points in enumerate(keypoints) if points is not None]
    if not found:
        return list(frames)
    rng = np.random.default_rng(seed)
    if kind == "animated":
        return animate_still(frames[found[0]], keypoints[found[0]], rng, len(frames))
    faces = [frames[i] for i in found]
    points = np.stack([keypoints[i] for i in found])
    synced = lip_sync(faces, points, faces[::-1], points[::-1], rng)
    out = list(frames)
    for i, frame in zip(found, synced):
        out[i] = frame
    return out


def write_triplet(out: Path, source: str, stem: str, frames, keypoints, fps: float, seed: int,
                  kinds: tuple[str, ...] = ("flicker", "smooth")) -> None:
    """The real clip (unless already written) and its fakes of each kind."""
    if not (out / "real" / source / stem).exists():
        write_video(out / "real" / source / stem, frames, fps)
    for kind in kinds:
        write_video(out / "fake" / f"{kind}-{source}" / stem, faked(kind, frames, keypoints, seed), fps)


def video_clips(data: Path, out: Path, seconds: float, seed: int, detector: FaceDetector,
                kinds: tuple[str, ...] = ("flicker", "smooth")) -> None:
    """Segments of the held-out real videos, with their fakes."""
    for number, name in enumerate(held_out_videos()):
        fps, segments = read_segments(data / "real-videos" / name, seconds)
        for part, frames in enumerate(segments):
            write_triplet(out, "videos", f"{Path(name).stem}_{part:02d}.mp4", frames,
                          detected_keypoints(frames, detector), fps, seed + 1000 * number + part, kinds)
        print(f"{name}: {len(segments)} segments of {seconds:g} s")


def still_clips(data: Path, out: Path, count: int, seconds: float, seed: int, first: int = STILLS_FROM,
                kinds: tuple[str, ...] = ("flicker", "smooth")) -> None:
    """AAF val photos moved by a smooth camera, with their fakes (landmarks known, no detector needed)."""
    rows = read_aaf_index(data, "val")[first:first + count]
    for number, (rel, landmarks) in enumerate(rows):
        image = cv2.imread(str(data / "aaf" / rel))[..., ::-1].copy()
        rng = np.random.default_rng([seed, number])
        source = still_source(image, landmarks, rng, int(round(seconds * STILL_FPS)), rel)
        keypoints = [keypoints_from_intraface49(marks) for marks in source.landmarks]
        write_triplet(out, "stills", f"{Path(rel).stem}.mp4", list(source.frames), keypoints, STILL_FPS,
                      seed + 100_000 + number, kinds)
    print(f"{len(rows)} AAF val photos made into {seconds:g} s clips")


def main(argv: list[str] | None = None) -> int:
    """Command line: python scripts/make_video_eval_set.py [--data D] [--out O] [--seconds S] [--stills N]."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "datasets"))
    parser.add_argument("--out", default=str(ROOT / "runs" / "eval_videos"))
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--stills", type=int, default=60)
    parser.add_argument("--stills-from", type=int, default=STILLS_FROM,
                        help="first AAF val row used (a validation set for scripts/choose_fusion.py: 1100)")
    parser.add_argument("--no-videos", action="store_true", help="stills only (the held-out videos are the test set)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--kinds", default="flicker,smooth", help=f"fakes to write, of {','.join(KINDS)}")
    args = parser.parse_args(argv)
    kinds = tuple(k for k in args.kinds.split(",") if k)
    if not set(kinds) <= set(KINDS):
        parser.error(f"--kinds takes some of {','.join(KINDS)}")
    data, out = Path(args.data), Path(args.out)
    if not args.no_videos:
        video_clips(data, out, args.seconds, args.seed, FaceDetector(), kinds)
    still_clips(data, out, args.stills, args.seconds, args.seed, args.stills_from, kinds)
    print(f"video evaluation set written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
