"""Time-to-verdict of the companion's pipeline against a faithful re-implementation of the seed's.

    .venv/bin/python scripts/bench_pipeline.py [--quick] [--no-baseline] [--no-server]

It makes its own media in a temporary folder (a 1280x720 photo with a face, and a 720p 30 fps video
of a moving face, 60 s or 10 s with --quick, written with cv2.VideoWriter 'mp4v'), then runs, each
in its own process so every peak-memory figure belongs to one pipeline:

- ours: `companion.pipeline.analyze_media` after a warm-up; photo repeated, video once (twice in
  the full run); stage timings; peak resident memory (getrusage ru_maxrss);
- server (optional): the real companion (`create_app` under waitress) in a child process, the
  same photo and video uploaded over HTTP; time to verdict and the server process's peak RSS;
- baseline: the seed notebook's pipeline. Reading of the issue ("every third frame, first Haar
  face, fixed 200 px margin, one model call per video"): read every third frame with
  cv2.VideoCapture, take the first face of OpenCV's Haar cascade (haarcascade_frontalface_default)
  on it, crop the box grown by 200 px on every side, resize to 224x224, collect the crops, then
  ONE Keras `model.predict` over them (Keras batches it internally, 32 by default), the frame CNN
  rebuilt in TensorFlow with the shipped .weights.h5 (at the seed's 224 px, whatever size the
  companion serves it at); without a .weights.h5 the shipped .tflite is called once per frame
  through LiteRT. The video's score is the mean of its frame scores.
  OpenCV 5 no longer ships the Haar cascades, so the baseline runs in its own virtual environment
  (~/.cache/unmask-bench/venv-cv4, made once) holding opencv-python-headless<5, which sees the
  project venv's packages (TensorFlow, NumPy) through a .pth file placed after its own.

Targets: photo < 100 ms warm, 60 s video < 4 s and >= 20x faster than the baseline, peak resident
memory < 1 GB.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE_DIR = Path.home() / ".cache" / "unmask-bench"
BASELINE_VENV = CACHE_DIR / "venv-cv4"
PHOTO_SIZE = (1280, 720)
VIDEO_SIZE = (1280, 720)
VIDEO_FPS = 30
TARGET_PHOTO_S, TARGET_VIDEO_S, TARGET_SPEEDUP, TARGET_RSS_MB = 0.100, 4.0, 20.0, 1024.0


def peak_rss_mb() -> float:
    """This process's peak resident set size in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ---------------------------------------------------------------- media


def _face_patch(side: int):
    """The astronaut's head and shoulders (RGB), resized to `side` x `side`."""
    import cv2
    from skimage import data

    head = data.astronaut()[0:300, 90:390]
    return cv2.resize(head, (side, side), interpolation=cv2.INTER_AREA)


def _background(size: tuple[int, int]):
    """A smooth grey-blue gradient canvas (RGB) of `size` (width, height)."""
    import numpy as np

    width, height = size
    ramp = np.linspace(60, 180, width, dtype=np.float32)[None, :, None]
    canvas = np.broadcast_to(ramp, (height, width, 1)) * np.array([0.8, 0.9, 1.0], dtype=np.float32)
    return canvas.astype(np.uint8)


def make_photo(path: Path) -> Path:
    """A 1280x720 JPEG with the astronaut's face a little left of centre."""
    import cv2

    canvas = _background(PHOTO_SIZE).copy()
    patch = _face_patch(420)
    canvas[150:570, 400:820] = patch
    cv2.imwrite(str(path), cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    return path


def make_video(path: Path, seconds: float) -> Path:
    """A 720p 30 fps 'mp4v' video of the astronaut's face drifting left and right."""
    import math

    import cv2

    width, height = VIDEO_SIZE
    background = cv2.cvtColor(_background(VIDEO_SIZE), cv2.COLOR_RGB2BGR)
    patch = cv2.cvtColor(_face_patch(360), cv2.COLOR_RGB2BGR)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), VIDEO_FPS, (width, height))
    if not writer.isOpened():
        raise RuntimeError("cv2.VideoWriter cannot write mp4v here")
    for i in range(int(seconds * VIDEO_FPS)):
        t = i / VIDEO_FPS
        x = int((width - 360) / 2 + 350 * math.sin(2 * math.pi * t / 12))
        y = int((height - 360) / 2 + 60 * math.sin(2 * math.pi * t / 7))
        frame = background.copy()
        frame[y:y + 360, x:x + 360] = patch
        writer.write(frame)
    writer.release()
    return path


# ---------------------------------------------------------------- ours, in-process


def _fetched(path: Path, kind: str):
    """A FetchedMedia for a local file, as `unmask scan` builds it."""
    from companion.cli_scan import local_media

    media = local_media(path)
    assert media.kind == kind, (media.kind, kind)
    return media


def run_ours(photo: Path, video: Path, photo_repeats: int, video_repeats: int, weights_dir: str | None,
             detectors: list[str] | None = None) -> dict:
    """Warm up, then time analyze_media on the photo and the video; stage timings and peak RSS."""
    from companion.config import DEFAULTS
    from companion.pipeline import analyze_media

    config = dict(DEFAULTS, WEIGHTS_DIR=weights_dir, **({"DETECTORS": detectors} if detectors else {}))
    photo_media, video_media = _fetched(photo, "image"), _fetched(video, "video")
    started = time.perf_counter()
    first = analyze_media(photo_media, config)  # loads the models
    cold = time.perf_counter() - started
    photo_times, photo_result = [], first
    for _ in range(photo_repeats):
        started = time.perf_counter()
        photo_result = analyze_media(photo_media, config)
        photo_times.append(time.perf_counter() - started)
    video_times, video_result = [], None
    for _ in range(video_repeats):
        started = time.perf_counter()
        video_result = analyze_media(video_media, config)
        video_times.append(time.perf_counter() - started)
    return {
        "photo_cold_s": cold, "photo_s": statistics.median(photo_times), "photo_runs": photo_times,
        "photo_verdict": photo_result["verdict"], "photo_timings": photo_result["timings"],
        "video_s": min(video_times), "video_runs": video_times, "video_verdict": video_result["verdict"],
        "video_timings": video_result["timings"], "video_frames": video_result["media"]["frames_analyzed"],
        "video_people": len(video_result["faces"]), "model": video_result["model"],
        "peak_rss_mb": peak_rss_mb(),
    }


# ---------------------------------------------------------------- ours, through a real server


def _server_rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MiB, from /proc/<pid>/status."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024.0
    return fields["VmRSS"], fields["VmHWM"]


SERVER_CODE = """
import sys, waitress
from companion import create_app
overrides = {"DATA_DIR": sys.argv[1], "CONFIG_DIR": sys.argv[1], "PORT": int(sys.argv[2])}
if len(sys.argv) > 3:
    overrides["WEIGHTS_DIR"] = sys.argv[3]
app = create_app(overrides)
waitress.serve(app, host="127.0.0.1", port=int(sys.argv[2]), threads=2)
"""


def run_server(photo: Path, video: Path, workdir: Path, weights_dir: str | None) -> dict:
    """Upload the photo and the video to a real companion in a child process; times and its peak RSS."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data_dir = workdir / "server-data"
    data_dir.mkdir()
    command = [sys.executable, "-c", SERVER_CODE, str(data_dir), str(port)] + ([weights_dir] if weights_dir else [])
    log_path = workdir / "server.log"
    with open(log_path, "w") as log:  # a file, not a pipe: a full pipe would block the server
        proc = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_healthy(base, proc, log_path)
        token = (data_dir / "token").read_text().strip()
        headers = {"Authorization": f"Bearer {token}"}
        out = {}
        for label, path in (("photo_warmup", photo), ("photo", photo), ("video", video)):
            if label == "photo":  # a fresh upload (one byte appended) so the cache does not answer
                path = _variant(path, workdir)
            out[f"{label}_s"] = _post_and_wait(base, headers, path)
        out["rss_mb"], out["peak_rss_mb"] = _server_rss_mb(proc.pid)
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _variant(path: Path, workdir: Path) -> Path:
    """A copy of a file with one byte appended: same picture, different sha256."""
    copy = workdir / f"variant-{path.name}"
    copy.write_bytes(path.read_bytes() + b"\0")
    return copy


def _wait_healthy(base: str, proc: subprocess.Popen, log_path: Path, timeout: float = 120.0) -> None:
    """Wait until /v1/health answers; raise if the server died."""
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"companion exited: {log_path.read_text()[-2000:]}")
        try:
            if requests.get(f"{base}/health", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError("companion did not become healthy")


def _post_and_wait(base: str, headers: dict, path: Path) -> float:
    """Upload one file and poll until it is analysed; seconds from POST to verdict."""
    import requests

    started = time.perf_counter()
    with open(path, "rb") as handle:
        response = requests.post(f"{base}/analyses", headers=headers, files={"file": (path.name, handle)}, timeout=60)
    response.raise_for_status()
    body = response.json()
    while body["status"] in ("queued", "running"):
        time.sleep(0.02)
        body = requests.get(f"{base}/analyses/{body['id']}", headers=headers, timeout=10).json()
    if body["status"] != "done":
        raise RuntimeError(f"analysis failed: {body.get('error')}")
    return time.perf_counter() - started


# ---------------------------------------------------------------- the seed's pipeline (baseline)


def ensure_baseline_venv() -> Path:
    """The cached venv with opencv-python-headless<5 in front of the project's packages; its python."""
    python = BASELINE_VENV / "bin" / "python"
    if not python.exists():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(BASELINE_VENV)], check=True)
        purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 check=True, capture_output=True, text=True).stdout.strip()
        project_site = sysconfig.get_paths()["purelib"]
        # A .pth line runs at start-up; addsitedir APPENDS, so the venv's own cv2 4.x stays in front.
        Path(purelib, "zz_unmask_project.pth").write_text(f"import site; site.addsitedir({project_site!r})\n")
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "opencv-python-headless<5"], check=True)
    check = subprocess.run([str(python), "-c", "import cv2, numpy; print(cv2.__version__, cv2.data.haarcascades)"],
                           check=True, capture_output=True, text=True).stdout.split()
    if not check[0].startswith("4."):
        raise RuntimeError(f"baseline venv imports OpenCV {check[0]}, expected 4.x")
    return python


def _seed_crop(frame_bgr, cascade):
    """The seed's crop: first Haar face, box grown by 200 px each side (clipped), 224x224 RGB; or None."""
    import cv2

    gray = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
    faces = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5)
    if len(faces) == 0:
        return None
    x, y, w, h = faces[0]
    height, width = frame_bgr.shape[:2]
    crop = frame_bgr[max(0, y - 200):min(height, y + h + 200), max(0, x - 200):min(width, x + w + 200)]
    return cv2.cvtColor(cv2.resize(crop, (224, 224)), cv2.COLOR_BGR2RGB)


class SeedModel:
    """The frame CNN as the seed called it: Keras model.predict, or per-frame LiteRT without Keras weights."""

    def __init__(self, weights_dir: str | None):
        """Load the Keras weights when shipped, else the .tflite."""
        from models.detectors.weights_manifest import WEIGHTS_DIR, read_manifest

        folder = Path(weights_dir or WEIGHTS_DIR)
        entry = read_manifest(folder).get("frame_cnn", {})
        keras_weights = folder / entry.get("keras_weights", "frame_cnn.weights.h5")
        if keras_weights.exists():
            from models.detectors.frame_cnn import build_frame_cnn

            self.kind = "keras model.predict, one call per video"
            self.model = build_frame_cnn(weights=keras_weights)
        else:
            from models.detectors.litert_runner import TFLiteRunner

            self.kind = "LiteRT, one call per frame (no .weights.h5 shipped)"
            self.model = TFLiteRunner(folder / entry.get("file", "frame_cnn.tflite"))

    def scores(self, crops):
        """Raw scores of the crops, the seed's way."""
        import numpy as np

        batch = np.asarray(crops, dtype=np.float32) / 127.5 - 1.0
        if hasattr(self.model, "predict"):
            return self.model.predict(batch, verbose=0).reshape(-1)
        return np.array([self.model.run(one[None]).reshape(-1)[0] for one in batch])


def seed_video(path: Path, cascade, model: SeedModel) -> dict:
    """The seed's video pipeline: every third frame, first Haar face, crops, then the model."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    crops, index, read = [], 0, 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if index % 3 == 0:
            read += 1
            crop = _seed_crop(frame, cascade)
            if crop is not None:
                crops.append(crop)
        index += 1
    capture.release()
    scores = model.scores(crops) if crops else []
    return {"frames_read": read, "faces": len(crops), "score": float(sum(scores) / len(scores)) if crops else None}


def run_baseline_worker(photo: Path, video: Path, weights_dir: str | None) -> dict:
    """Time the seed pipeline on the photo (after a warm-up) and on the video; runs in the cv4 venv."""
    import cv2

    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    model = SeedModel(weights_dir)
    warm = _seed_crop(cv2.imread(str(photo)), cascade)
    model.scores([warm]) if warm is not None else None
    started = time.perf_counter()
    crop = _seed_crop(cv2.imread(str(photo)), cascade)
    photo_score = float(model.scores([crop])[0]) if crop is not None else None
    photo_s = time.perf_counter() - started
    started = time.perf_counter()
    video = seed_video(video, cascade, model)
    return {"opencv": cv2.__version__, "model": model.kind, "photo_s": photo_s, "photo_score": photo_score,
            "video_s": time.perf_counter() - started, "video": video, "peak_rss_mb": peak_rss_mb()}


# ---------------------------------------------------------------- orchestration and report


def _worker(python: str, role: str, photo: Path, video: Path, extra: list[str] | None = None) -> dict:
    """Run this script as a worker in a child process and parse the JSON line it prints."""
    env = dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="2")
    command = [python, str(Path(__file__).resolve()), "--worker", role, str(photo), str(video)] + (extra or [])
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{role} worker failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _mark(ok: bool) -> str:
    """MET or NOT MET."""
    return "MET" if ok else "NOT MET"


def report(ours: dict, baseline: dict | None, server: dict | None, video_seconds: float) -> None:
    """Print the comparison and whether each target is met."""
    print(f"\n== ours (companion.pipeline, model {ours['model']['name']} {ours['model']['version']})")
    print(f"photo 1280x720: {ours['photo_s'] * 1000:.1f} ms warm (median of {len(ours['photo_runs'])}), "
          f"{ours['photo_cold_s']:.2f} s cold incl. model load, verdict {ours['photo_verdict']}")
    print(f"  stages: {ours['photo_timings']}")
    print(f"video {video_seconds:.0f} s 720p {VIDEO_FPS} fps: {ours['video_s']:.2f} s "
          f"({ours['video_frames']} frames, {ours['video_people']} person(s), verdict {ours['video_verdict']})")
    print(f"  stages: {ours['video_timings']}")
    print(f"peak resident memory (in-process pipeline): {ours['peak_rss_mb']:.0f} MiB")
    if server:
        print("\n== through the real companion server (waitress, upload + poll)")
        print(f"photo {server['photo_s'] * 1000:.0f} ms, video {server['video_s']:.2f} s; server RSS "
              f"{server['rss_mb']:.0f} MiB now, {server['peak_rss_mb']:.0f} MiB peak")
    print("\n== targets")
    print(f"photo < {TARGET_PHOTO_S * 1000:.0f} ms warm: {ours['photo_s'] * 1000:.1f} ms  "
          f"{_mark(ours['photo_s'] < TARGET_PHOTO_S)}")
    if video_seconds >= 60:
        print(f"60 s video < {TARGET_VIDEO_S:.0f} s: {ours['video_s']:.2f} s  {_mark(ours['video_s'] < TARGET_VIDEO_S)}")
    rss = max(ours["peak_rss_mb"], server["peak_rss_mb"] if server else 0.0)
    print(f"resident memory < {TARGET_RSS_MB:.0f} MiB: {rss:.0f} MiB  {_mark(rss < TARGET_RSS_MB)}")
    if baseline:
        ratio_video = baseline["video_s"] / ours["video_s"]
        print(f"\n== baseline (seed pipeline, OpenCV {baseline['opencv']}, {baseline['model']})")
        print(f"photo {baseline['photo_s'] * 1000:.1f} ms, video {baseline['video_s']:.2f} s "
              f"({baseline['video']['frames_read']} frames read, {baseline['video']['faces']} Haar faces), "
              f"peak RSS {baseline['peak_rss_mb']:.0f} MiB")
        verdict = (f">= {TARGET_SPEEDUP:.0f}x on the 60 s video: {_mark(ratio_video >= TARGET_SPEEDUP)}"
                   if video_seconds >= 60 else "(the 20x target is for the 60 s video: run without --quick)")
        print(f"ratio baseline/ours: photo {baseline['photo_s'] / ours['photo_s']:.1f}x, "
              f"video {ratio_video:.1f}x  {verdict}")


def main(argv: list[str] | None = None) -> int:
    """Make the media, run ours, the server and the baseline, and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 10 s video and fewer repeats")
    parser.add_argument("--no-baseline", action="store_true", help="skip the seed pipeline")
    parser.add_argument("--no-server", action="store_true", help="skip the run through a real server")
    parser.add_argument("--worker", nargs=3, metavar=("ROLE", "PHOTO", "VIDEO"), help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=None, help="photo repeats (default 10, 3 with --quick)")
    parser.add_argument("--weights-dir", help="detector weights folder (default: the shipped models/weights)")
    parser.add_argument("--detectors", help="our pipeline's detectors, comma-separated (default: DETECTORS' default);"
                        " the server run keeps the default")
    args = parser.parse_args(argv)
    detectors = args.detectors.split(",") if args.detectors else None
    if args.worker:
        role, photo, video = args.worker[0], Path(args.worker[1]), Path(args.worker[2])
        repeats = args.repeats or 10
        out = run_ours(photo, video, repeats, 1 if args.quick else 2, args.weights_dir, detectors) if role == "ours" \
            else run_baseline_worker(photo, video, args.weights_dir)
        print(json.dumps(out))
        return 0
    video_seconds = 10.0 if args.quick else 60.0
    with tempfile.TemporaryDirectory(prefix="unmask-bench-") as tmp:
        workdir = Path(tmp)
        started = time.perf_counter()
        photo = make_photo(workdir / "photo.jpg")
        video = make_video(workdir / "video.mp4", video_seconds)
        print(f"media made in {time.perf_counter() - started:.1f} s: {photo.name}, {video.name} "
              f"({video.stat().st_size / 1e6:.1f} MB, {video_seconds:.0f} s)", file=sys.stderr)
        extra = ["--repeats", str(args.repeats or (3 if args.quick else 10))] + (["--quick"] if args.quick else [])
        extra += ["--weights-dir", str(Path(args.weights_dir).resolve())] if args.weights_dir else []
        ours = _worker(sys.executable, "ours", photo, video, extra + (["--detectors", args.detectors] if detectors else []))
        weights_dir = str(Path(args.weights_dir).resolve()) if args.weights_dir else None
        server = None if args.no_server else run_server(photo, video, workdir, weights_dir)
        baseline = None
        if not args.no_baseline:
            baseline = _worker(str(ensure_baseline_venv()), "baseline", photo, video, extra)
        report(ours, baseline, server, video_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
