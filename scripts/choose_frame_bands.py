"""Raise a frame detector's (or a set's) `fake_from` until held-out web face crops are flagged at most 5% of the time.

    .venv/bin/python scripts/choose_frame_bands.py [--detectors frame_cnn] [--skip 300] [--count N] [--write]

The shipped bands were chosen on half of the AAF val faces (aligned from dataset landmarks). Web
crops are another domain: tight, small, aligned from the face detector's keypoints. This scores the
web faces that `scripts/make_eval_set.py` leaves out (its shuffled order, seed 2026, after the first
`--skip`, which it uses for evaluation) through the companion's path (decode, BlazeFace + FaceMesh,
alignment, the served detector), and raises `fake_from` to the lowest threshold that flags at most
5% of them (never lowering it). `--write` stores the bands and where they were chosen in the
manifest, with the detector's new version (bands are part of it).

With several detectors (`--detectors frame_cnn,frame_cnn_generated`, the frame CNN with its
generated-face specialist), the faces are scored as the companion scores them together (the most alarmed against its own bands, `models.serving.frame_score`), starting from
the bands already chosen for the set at these versions, else the strictest of the members' own;
`--write` stores them in the first detector's entry under `bands_with`, with the partners' versions.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.evaluation.band_choice import choose, real_image_scores, write_bands, write_partner_bands  # noqa: E402
from models.evaluation.evaluate import load_scoring  # noqa: E402
from models.training.dataset_index import EVAL_SET_SEED, EVAL_WEB_FACES, web_face_files  # noqa: E402


def store(detectors, bands: dict, chosen_on: dict) -> str:
    """Write the bands: a detector's own, or the set's in its first member's entry; returns the version."""
    first, others = detectors[0], detectors[1:]
    if not others:
        return write_bands(first.name, bands, chosen_on)
    return write_partner_bands(first.name, {d.name: d.version for d in others}, bands, chosen_on)


def main() -> int:
    """Score, choose, and write when asked."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--seed", type=int, default=EVAL_SET_SEED, help="make_eval_set.py's shuffle seed")
    parser.add_argument("--skip", type=int, default=EVAL_WEB_FACES, help="web faces make_eval_set.py evaluates on")
    parser.add_argument("--count", type=int, default=None, help="web faces to choose on (default: all the rest)")
    parser.add_argument("--max-fpr", type=float, default=0.05)
    parser.add_argument("--detectors", default="frame_cnn",
                        help="the frame detectors, as in DETECTORS (the first stores the bands)")
    parser.add_argument("--write", action="store_true", help="store the bands in models/weights/manifest.json")
    args = parser.parse_args()
    files = web_face_files(args.data, args.seed)[args.skip:]
    files = files[:args.count] if args.count else files
    face_detector, detectors, bands = load_scoring(None, args.detectors.split(","))
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
        print(f"{detectors[0].name} version {store(detectors, choice['bands'], chosen_on)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
