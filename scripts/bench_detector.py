"""Face crops per second of each installed detector through the companion's runtime (LiteRT), batch 32.

    .venv/bin/python scripts/bench_detector.py [--batch 32] [--repeats 20] [--clip-frames 8] [--weights-dir DIR ...]

Target: at least 40 faces/s at batch 32 on a 2-core machine for the default set of frame detectors
(companion DEFAULTS["DETECTORS"]), timed together, one call each on the same faces, as the companion
scores a face with all of them (a region detector gets the 224 px face as its native region). Clip
detectors (temporal) get batch / clip-frames clips of clip-frames crops per call, as the companion
sends them. Each --weights-dir (a candidate folder, scripts/compose_detector.py) times the default set
from that folder beside the shipped one, in alternating rounds, so a busy machine slows both alike.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from skimage import data

from models.detectors import registry
from models.detectors.detector import Detector
from models.detectors.weights_manifest import WeightsMissing
from models.faces.align import align_face
from models.serving.frame_score import anchors_of, combine

ASTRONAUT_KEYPOINTS = np.array([[203.0, 101.0], [245.0, 103.0], [223.0, 123.0], [223.0, 146.0]])


def crops_per_second(detector, batch: int, repeats: int, clip_frames: int = 0) -> float:
    """Warm, then time `repeats` batched predict calls (as clips of `clip_frames` crops when > 0)."""
    crops = np.stack([align_face(data.astronaut(), ASTRONAUT_KEYPOINTS)[0]] * batch)
    extra = {}
    if clip_frames:
        crops = crops[: batch // clip_frames * clip_frames].reshape(-1, clip_frames, *crops.shape[1:])
        batch = crops.shape[0] * clip_frames
        if getattr(detector, "input_kind", "aligned") == "region":  # the 224 px faces as native regions
            extra = {"regions": [list(clip) for clip in crops]}
    detector.predict(crops, **extra)
    started = time.perf_counter()
    for _ in range(repeats):
        detector.predict(crops, **extra)
    return batch * repeats / (time.perf_counter() - started)


class Together:
    """Several frame detectors scoring the same crops, one call each; a face gets their combined score."""

    def __init__(self, detectors):
        """Keep the detectors and their own bands (what the combined score is anchored to)."""
        self.detectors, self.anchors = detectors, anchors_of(detectors)

    def predict(self, crops: np.ndarray) -> np.ndarray:
        """The detectors' calibrated scores per crop, combined as the companion combines them."""
        scores = {d.name: d.predict(crops) for d in self.detectors}
        return np.array([combine({n: float(s[i]) for n, s in scores.items()}, self.anchors)
                         for i in range(len(crops))])


def default_frame_detectors(weights_dir=None) -> list:
    """The companion's default frame detectors (its DETECTORS without the clip detector), from a weights folder."""
    from companion.config import DEFAULTS

    made = [registry.create(name, weights_dir=weights_dir) for name in DEFAULTS["DETECTORS"]]
    return [d for d in made if isinstance(d, Detector)]


def main() -> int:
    """Print crops/s for every registered detector whose weights are installed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--clip-frames", type=int, default=8)
    parser.add_argument("--weights-dir", action="append", default=[], help="also time the default set from here")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds when folders are compared")
    args = parser.parse_args()
    for name in registry.names():
        try:
            detector = registry.create(name)
        except WeightsMissing as exc:
            print(f"{name}: not installed ({exc})")
            continue
        if not isinstance(detector, Detector):  # clip detectors take face tracks
            rate = crops_per_second(detector, args.batch, args.repeats, args.clip_frames)
            print(f"{name} {detector.version}: {rate:.0f} face crops/s in clips of {args.clip_frames} "
                  f"({rate / args.clip_frames:.1f} clips/s, {args.batch // args.clip_frames} clips per call)")
            continue
        rate = crops_per_second(detector, args.batch, args.repeats)
        print(f"{name} {detector.version}: {rate:.0f} face crops/s at batch {args.batch} "
              f"(input {detector.input_size} px)")
    folders = [None, *args.weights_dir]
    sets = [default_frame_detectors(folder) for folder in folders]
    rates: list[list[float]] = [[] for _ in folders]
    for _ in range(args.rounds if args.weights_dir else 1):
        for k, together in enumerate(sets):
            rates[k].append(crops_per_second(Together(together), args.batch, args.repeats))
    for folder, together, measured in zip(folders, sets, rates):
        names = "+".join(f"{d.name} {d.version}" for d in together)
        print(f"default set {names} ({folder or 'shipped'}) together: {float(np.median(measured)):.0f} faces/s at "
              f"batch {args.batch}, median of {len(measured)} (target 40)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
