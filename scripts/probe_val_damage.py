"""Score val reals untouched and damaged at fixed strengths: what does a set take for a fake?

    .venv/bin/python scripts/probe_val_damage.py --probe smooth [--weights-dir runs/cand] [--per-source 150]
                                                 [--frames-per-clip 16 --sources "real-videos frames"]

Draws up to --per-source real photos of every val photo source (seed 0; models/evaluation/band_sources.py),
scores each as the companion does at every strength of the probe (models/evaluation/damage_probe.py),
and prints, per strength, the share the set flags likely fake and the share not called likely real,
at the set's own bands. A strength that flags many more real faces than the untouched photos is a
weakness to train against. `--frames-per-clip N` adds N frames, at full size, of each real clip that
training held back (high-resolution real faces, which the photo sources lack); `--sources` keeps only
the named sources. Holdout sources are never read.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.detectors import registry  # noqa: E402
from models.evaluation.band_sources import per_source_sample, val_items  # noqa: E402
from models.evaluation.damage_probe import PROBES, probe_scores, shares  # noqa: E402
from models.evaluation.holdout_suite import System, score_image  # noqa: E402
from models.faces.detect import FaceDetector  # noqa: E402
from models.serving.frame_score import chosen_set_bands  # noqa: E402


def main() -> int:
    """Sample, damage, score, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--probe", choices=sorted(PROBES), required=True)
    parser.add_argument("--detectors", default="blend_cnn,generated_residual")
    parser.add_argument("--weights-dir", type=Path, help="the set's weights folder (default: models/weights)")
    parser.add_argument("--per-source", type=int, default=150)
    parser.add_argument("--min-face-px", type=int, default=64, help="as the companion (MIN_FACE_PX)")
    parser.add_argument("--frames-per-clip", type=int, default=0, help="frames of each held-back real clip")
    parser.add_argument("--sources", help="only these val sources, comma-separated (default: every one)")
    args = parser.parse_args()
    detectors = [registry.create(n, weights_dir=args.weights_dir) for n in args.detectors.split(",")]
    system = System("set", detectors, chosen_set_bands(detectors))
    face_detector = FaceDetector()
    items = val_items(args.data_root, frames_per_clip=args.frames_per_clip)
    if args.sources:
        wanted = set(args.sources.split(","))
        items = [item for item in items if item.source in wanted]
    items = per_source_sample(items, args.per_source, np.random.default_rng(0))
    scores = probe_scores(items, face_detector,
                          lambda item, image: score_image(item, image, face_detector, [system],
                                                          args.min_face_px).results["set"][0], args.probe)
    table = {"probe": args.probe, "bands": {"real_below": system.bands.real_below, "fake_from": system.bands.fake_from},
             "by_strength": shares(scores, system.bands.real_below, system.bands.fake_from)}
    print(json.dumps(table, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
