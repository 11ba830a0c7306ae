"""Time the frame sampling strategies of models/serving/frames.py on a short-GOP and a long-GOP 720p video.

    .venv/bin/python scripts/bench_frames.py [--seconds 60] [--width 1280 --height 720] [--n 32]

Makes two H.264 test videos (key frame every ~1 s and every ~10 s) with PyAV, because OpenCV's
VideoWriter cannot set the key frame interval (its mp4v encoder always uses 12 frames;
VIDEOWRITER_PROP_KEY_INTERVAL only applies when muxing already-encoded packets). Without PyAV
(`pip install av`) the script falls back to one OpenCV mp4v video and says so. For each video it prints
the time of "seek", "grab" and "auto" (and what auto chose), plus decoding every frame as a reference,
and checks that every strategy returned the same frames.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from models.serving.frames import probe_video, sample_frames  # noqa: E402


def scene(i: int, fps: float, size: tuple[int, int], background: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Frame i: a slowly panning photo with the astronaut's head moving across it (RGB)."""
    width, height = size
    shift = int(i * 2) % background.shape[1]
    frame = np.roll(background, shift, axis=1)[:height, :width].copy()
    x = int((width - head.shape[1]) * (0.5 + 0.45 * np.sin(i / fps)))
    y = (height - head.shape[0]) // 2
    frame[y:y + head.shape[0], x:x + head.shape[1]] = head
    return frame


def scene_parts(size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The background photo (scaled to cover the frame) and the head to paste."""
    width, height = size
    photo = data.astronaut()
    background = cv2.resize(photo, (width * 2, height), interpolation=cv2.INTER_LINEAR)
    head = photo[10:250, 125:345]
    scale = 0.6 * height / head.shape[0]
    head = cv2.resize(head, (int(head.shape[1] * scale), int(head.shape[0] * scale)))
    return background, head


def write_h264(path: Path, seconds: float, fps: float, size: tuple[int, int], gop: int) -> Path:
    """An H.264 video (yuv420p, B-frames) with a key frame exactly every `gop` frames."""
    import av

    background, head = scene_parts(size)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.codec_context.gop_size = gop
        stream.options = {"preset": "veryfast", "crf": "23", "sc_threshold": "0", "keyint_min": str(gop)}
        for i in range(int(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(scene(i, fps, size, background, head), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_mp4v(path: Path, seconds: float, fps: float, size: tuple[int, int]) -> Path:
    """OpenCV's mp4v video (key frame every 12 frames; the only interval its writer offers)."""
    background, head = scene_parts(size)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(int(seconds * fps)):
        writer.write(cv2.cvtColor(scene(i, fps, size, background, head), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def make_videos(folder: Path, seconds: float, fps: float, size: tuple[int, int]) -> dict[str, Path]:
    """{label: path} of the videos to time."""
    if importlib.util.find_spec("av") is None:
        print("PyAV is not installed: only OpenCV's mp4v video (key frame every 12 frames) is timed.\n"
              "OpenCV's VideoWriter cannot make long-GOP videos; `pip install av` for the long-GOP case.")
        return {"mp4v, key frame every 12 frames": write_mp4v(folder / "mp4v.mp4", seconds, fps, size)}
    short, long = round(fps), round(10 * fps)
    return {f"H.264, key frame every {short} frames (~1 s)": write_h264(folder / "short.mp4", seconds, fps, size, short),
            f"H.264, key frame every {long} frames (~10 s)": write_h264(folder / "long.mp4", seconds, fps, size, long)}


def decode_everything(path: Path) -> int:
    """Decode and convert every frame (the naive baseline); returns the count."""
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    count = 0
    while cap.read()[0]:
        count += 1
    cap.release()
    return count


def timed(function, *args, **kwargs):
    """(seconds, result) of one call."""
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def bench(label: str, path: Path, n: int) -> None:
    """Print the timings of every strategy on one video."""
    info = probe_video(path)
    print(f"\n{label}: {info.width}x{info.height}, {info.frame_count} frames, {info.duration:.0f} s, "
          f"{path.stat().st_size / 1e6:.1f} MB")
    results = {}
    for strategy in ("seek", "grab", "auto"):
        stats: dict = {}
        seconds, frames = timed(sample_frames, path, n, strategy=strategy, stats=stats)
        results[strategy] = [f.index for f in frames]
        chose = f"  (chose {stats['strategy']})" if strategy == "auto" else ""
        print(f"  {strategy:<5} {seconds:6.2f} s{chose}")
    seconds, count = timed(decode_everything, path)
    print(f"  read every frame {seconds:6.2f} s ({count} frames)")
    same = results["seek"] == results["grab"] == results["auto"]
    print(f"  all strategies returned the same {n} frame indices: {same}")


def main(argv: list[str] | None = None) -> int:
    """Make the test videos and time the strategies on them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--n", type=int, default=32, help="frames to sample")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-frames-") as folder:
        print(f"Encoding test videos ({args.seconds:g} s, {args.width}x{args.height}, {args.fps:g} fps)...")
        videos = make_videos(Path(folder), args.seconds, args.fps, (args.width, args.height))
        for label, path in videos.items():
            bench(label, path, args.n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
