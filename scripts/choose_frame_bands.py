"""Raise the frame CNN's `fake_from` until held-out web face crops are flagged at most 5% of the time.

    .venv/bin/python scripts/choose_frame_bands.py [--skip 300] [--count N] [--write]

The shipped bands were chosen on half of the AAF val faces (aligned from dataset landmarks). Web
crops are another domain: tight, small, aligned from the face detector's keypoints. This scores the
web faces that `scripts/make_eval_set.py` leaves out (its shuffled order, seed 2026, after the first
`--skip`, which it uses for evaluation) through the companion's path (decode, BlazeFace + FaceMesh,
alignment, the served detector), and raises `fake_from` to the lowest threshold that flags at most
5% of them (never lowering it). `--write` stores the bands and where they were chosen in the
manifest, with the detector's new version (bands are part of it).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.band_choice import choose, real_image_scores, write_bands  # noqa: E402
from models.dataset_index import EVAL_SET_SEED, EVAL_WEB_FACES, web_face_files  # noqa: E402
from models.evaluate import load_scoring  # noqa: E402


def main() -> int:
    """Score, choose, and write when asked."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--seed", type=int, default=EVAL_SET_SEED, help="make_eval_set.py's shuffle seed")
    parser.add_argument("--skip", type=int, default=EVAL_WEB_FACES, help="web faces make_eval_set.py evaluates on")
    parser.add_argument("--count", type=int, default=None, help="web faces to choose on (default: all the rest)")
    parser.add_argument("--max-fpr", type=float, default=0.05)
    parser.add_argument("--write", action="store_true", help="store the bands in models/weights/manifest.json")
    args = parser.parse_args()
    files = web_face_files(args.data, args.seed)[args.skip:]
    files = files[:args.count] if args.count else files
    face_detector, detectors, bands = load_scoring(None, ["frame_cnn"])
    scored = real_image_scores(files, face_detector, detectors, bands)
    old = {"real_below": bands.real_below, "fake_from": bands.fake_from}
    choice = choose(old, scored["scores"], args.max_fpr)
    chosen_on = {"web_faces": {"seed": args.seed, "skip": args.skip, "files": scored["files"],
                               "scored": int(len(scored["scores"])), "no_face": scored["no_face"],
                               "max_fpr": args.max_fpr, "fpr_before": choice["fpr_before"],
                               "fpr_after": choice["fpr_after"]},
                 "previous_bands": old}
    print(json.dumps({"bands": choice["bands"], **chosen_on}, indent=2))
    if args.write:
        print(f"frame_cnn version {write_bands('frame_cnn', choice['bands'], chosen_on)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
