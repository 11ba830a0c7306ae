"""Load benchmark: many concurrent clients uploading distinct photos to a served companion on loopback.

    .venv/bin/python scripts/bench_load.py [--clients 50] [--photos 200] [--size 1280x720] [--timeout 600] [--json]

Starts `unmask serve` (default settings: shipped detectors, WORKERS 1, QUEUE_MAX 16) in a child process
on 127.0.0.1 with a temporary data folder, then `--clients` threads upload `--photos` distinct photos
(`--size`, default 1280x720; every other one with a face), each once, honour 503 queue_full's Retry-After,
and poll each analysis to its end.
Prints the server's peak resident memory (VmHWM from /proc), the 5xx answers other than 503, the 503s
and how many carried Retry-After, the failed analyses by code, and the wall time. Traffic goes to the
loopback address the companion printed, nothing else; the run stops at --timeout seconds whatever happens.
"""
from __future__ import annotations

import argparse
import collections
import json
import queue
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.helpers.media import astronaut_head  # noqa: E402
from tests.helpers.served_process import ServedCompanion  # noqa: E402

PHOTO_SIZE = (1280, 720)
RETRY_CAP_S = 10.0


def make_photo(seed: int, size: tuple[int, int] = PHOTO_SIZE) -> bytes:
    """A distinct JPEG of `size`: a smooth random background, with the astronaut's head somewhere on it
    for even seeds (odd ones have no face: the detector's slower no-face path)."""
    rng = np.random.default_rng(seed)
    width, height = size
    small = rng.integers(0, 255, (9, 16, 3), dtype=np.uint8)
    image = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    head = astronaut_head()
    top, left = int(rng.integers(0, height - head.shape[0])), int(rng.integers(0, width - head.shape[1]))
    if seed % 2 == 0:
        image[top:top + head.shape[0], left:left + head.shape[1]] = head
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return data.tobytes()


class Tally:
    """Counts shared by the client threads."""

    def __init__(self):
        """Empty counts."""
        self.lock = threading.Lock()
        self.statuses = collections.Counter()
        self.failures = collections.Counter()
        self.server_errors = 0
        self.busy = 0
        self.busy_with_retry_after = 0
        self.done = 0
        self.latencies: list[float] = []

    def answer(self, response) -> None:
        """Record one HTTP answer."""
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code == 503:
                self.busy += 1
                self.busy_with_retry_after += "Retry-After" in response.headers
            elif response.status_code >= 500:
                self.server_errors += 1


def _client(server: ServedCompanion, photos: queue.Queue, tally: Tally, deadline: float) -> None:
    """Upload photos until none are left (or time is up), each polled to its end."""
    session = requests.Session()
    while time.monotonic() < deadline:
        try:
            seed, data = photos.get_nowait()
        except queue.Empty:
            return
        started = time.monotonic()
        while time.monotonic() < deadline:
            response = session.post(server.url("/v1/analyses"), headers=server.auth, timeout=120,
                                    files={"file": (f"photo-{seed}.jpg", data, "image/jpeg")})
            tally.answer(response)
            if response.status_code != 503:
                break
            time.sleep(min(RETRY_CAP_S, float(response.headers.get("Retry-After", "1"))))
        if response.status_code not in (200, 202):
            continue
        analysis = response.json()
        while analysis["status"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.25)
            reply = session.get(server.url(f"/v1/analyses/{analysis['id']}"), headers=server.auth, timeout=60)
            tally.answer(reply)
            if reply.status_code == 200:
                analysis = reply.json()
        with tally.lock:
            if analysis["status"] == "done":
                tally.done += 1
                tally.latencies.append(time.monotonic() - started)
            elif analysis["status"] == "failed":
                tally.failures[analysis["error"]["code"]] += 1


def run(clients: int, photo_count: int, timeout: float, size: tuple[int, int] = PHOTO_SIZE) -> dict:
    """Serve, load, measure; the figures as a dict."""
    photos: queue.Queue = queue.Queue()
    for seed in range(photo_count):
        photos.put((seed, make_photo(seed, size)))
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="unmask-load-") as workdir, ServedCompanion(Path(workdir)) as server:
        idle_mb = server.peak_rss_mb()
        requests.get(server.url("/v1/health"), timeout=120)
        started = time.monotonic()
        deadline = started + timeout
        threads = [threading.Thread(target=_client, args=(server, photos, tally, deadline), daemon=True)
                   for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()) + 5)
        wall = time.monotonic() - started
        peak_mb = server.peak_rss_mb()
        tracebacks = server.log().count("Traceback")
    latencies = sorted(tally.latencies) or [float("nan")]
    return {
        "clients": clients, "photos": photo_count, "size": f"{size[0]}x{size[1]}", "wall_s": round(wall, 1),
        "timed_out": wall >= timeout, "done": tally.done, "failed": dict(tally.failures),
        "peak_rss_mb": round(peak_mb), "idle_rss_mb": round(idle_mb),
        "server_5xx_not_503": tally.server_errors, "busy_503": tally.busy,
        "busy_503_with_retry_after": tally.busy_with_retry_after, "statuses": dict(tally.statuses),
        "latency_median_s": round(latencies[len(latencies) // 2], 2), "tracebacks_in_log": tracebacks,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--size", default="1280x720", help="photo size, WIDTHxHEIGHT")
    parser.add_argument("--timeout", type=float, default=600.0, help="stop after this many seconds")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    figures = run(args.clients, args.photos, args.timeout, (width, height))
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"{figures['clients']} clients, {figures['photos']} distinct {figures['size']} photos, "
              f"{figures['wall_s']} s{' (timed out)' if figures['timed_out'] else ''}")
        print(f"  analyses done: {figures['done']}, failed: {figures['failed'] or 0}, "
              f"median time to verdict {figures['latency_median_s']} s")
        print(f"  peak resident memory of the companion: {figures['peak_rss_mb']} MiB "
              f"(idle {figures['idle_rss_mb']} MiB)")
        print(f"  5xx answers other than 503: {figures['server_5xx_not_503']}; "
              f"503 queue_full: {figures['busy_503']}, with Retry-After: {figures['busy_503_with_retry_after']}")
        print(f"  answers by status: {figures['statuses']}; tracebacks in the log: {figures['tracebacks_in_log']}")
    ok = figures["server_5xx_not_503"] == 0 and figures["busy_503"] == figures["busy_503_with_retry_after"]
    return 0 if ok and not figures["timed_out"] else 1


if __name__ == "__main__":
    sys.exit(main())
