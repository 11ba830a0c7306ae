"""Choose the smallest face each frame detector of a set judges, on val reals shrunk to every size.

    .venv/bin/python scripts/choose_face_sizes.py --detectors blend_cnn,generated_residual [--write]

Takes up to --per-source real images of every val source (and frames of the held-back real clips,
models/evaluation/band_sources.py), finds the face, and scores it as it is and shrunk so the face is
64, 80, ... px (models/evaluation/face_size_choice.py): every detector scores every face once, with no
size limit. Each choice of smallest judged faces is then played back as the companion serves the set
(at the set's bands), and the one that judges the most while flagging at most the ceiling at every
size is kept. Prints the set's flagged share per size and source, before and after; `--write` stores
each detector's `min_face_px` in its manifest entry with the figures. Holdout sources are never read.
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
from models.evaluation.band_choice import write_min_face  # noqa: E402
from models.evaluation.band_sources import per_source_sample, val_items  # noqa: E402
from models.evaluation.face_size_choice import (SIZES, ceiling, choose_min_faces, draw_plan, shrunk,  # noqa: E402
                                                tallies)
from models.faces.detect import FaceDetector, largest_face  # noqa: E402
from models.serving.analysis import find_faces, score_crops  # noqa: E402
from models.serving.frame_score import anchors_of, chosen_set_bands  # noqa: E402

AS_IS = 0  # the measurements' key for the images as they are


def face_scores(image: np.ndarray, face_detector, detectors: list, floor: int) -> list:
    """Every scorable face of an image: (size in analysed px, each detector's calibrated score)."""
    regions: list = []
    found, crops = find_faces([image], face_detector, floor, regions=regions)
    scores = score_crops(detectors, crops, regions)
    return [(f["size"], {n: float(s[f["crop"]]) for n, s in scores.items()}) for f in found if f["crop"] is not None]


def measure(items: list, face_detector, detectors: list, sizes: tuple, floor: int, seed: int) -> dict:
    """measured[source][size]: each image's face scores, as it is (size 0) and shrunk."""
    rng = np.random.default_rng(seed)
    measured: dict = {}
    for item in items:
        image = item.load()
        face = None if image is None else largest_face(face_detector.detect(image))
        if face is None:
            continue
        plan = draw_plan(rng)
        for size in (AS_IS, *sizes):
            variant = image if size == AS_IS else shrunk(image, face.box, size, plan)
            if variant is not None:
                measured.setdefault(item.source, {}).setdefault(size, []).append(
                    face_scores(variant, face_detector, detectors, floor))
    return measured


def pooled(measured: dict, sizes: tuple) -> dict:
    """The measurements of every source together, per size."""
    return {s: [faces for by_size in measured.values() for faces in by_size.get(s, [])] for s in sizes}


def shares(measured: dict, min_faces: dict, anchors: dict, bands) -> dict:
    """{size: {judged, flagged share}} of the set with these smallest judged faces."""
    return {str(s): {"judged": t.judged, "flagged": t.share} for s, t in tallies(measured, min_faces, anchors, bands).items()}


def main() -> int:
    """Measure, choose, print; write when asked."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--detectors", required=True, help="the set's frame detectors, comma-separated")
    parser.add_argument("--per-source", type=int, default=300)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--max-fpr", type=float, default=0.04)
    parser.add_argument("--tolerance", type=float, default=0.02)
    parser.add_argument("--min-face-px", type=int, default=64, help="as the companion (MIN_FACE_PX)")
    parser.add_argument("--seed", type=int, default=2032)
    parser.add_argument("--weights-dir", type=Path, help="read and write this weights folder (default: models/weights)")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    detectors = [registry.create(n, weights_dir=args.weights_dir) for n in args.detectors.split(",")]
    names, anchors, bands = [d.name for d in detectors], anchors_of(detectors), chosen_set_bands(detectors)
    sizes = tuple(int(s) for s in args.sizes.split(","))
    items = per_source_sample(val_items(args.data_root), args.per_source, np.random.default_rng(args.seed))
    measured = measure(items, FaceDetector(), detectors, sizes, args.min_face_px, args.seed)
    everyone = {n: 0 for n in names}
    as_is = tallies(pooled(measured, (AS_IS,)), everyone, anchors, bands)[AS_IS].share or 0.0
    limit = ceiling(as_is, args.max_fpr, args.tolerance)
    grid = sorted({args.min_face_px, *sizes})
    chosen = choose_min_faces(pooled(measured, sizes), names, grid, anchors, bands, limit)
    report = {"min_faces": chosen, "ceiling": limit, "as_is": as_is, "bands": vars(bands), "images": len(items),
              "max_fpr": args.max_fpr, "tolerance": args.tolerance, "seed": args.seed, "set": names,
              "every_face": shares(pooled(measured, (AS_IS, *sizes)), everyone, anchors, bands),
              "chosen": shares(pooled(measured, (AS_IS, *sizes)), chosen, anchors, bands),
              "by_source": {src: {"every_face": shares(m, everyone, anchors, bands),
                                  "chosen": shares(m, chosen, anchors, bands)} for src, m in sorted(measured.items())}}
    print(json.dumps(report, indent=1))
    if args.write:
        for name in names:
            version = write_min_face(name, chosen[name], {k: v for k, v in report.items() if k != "min_faces"},
                                     args.weights_dir)
            print(f"{name}: judges faces from {chosen[name]} px, version {version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
