"""Choose the least sharpness each frame detector of a set judges, on val faces blurred alike.

    .venv/bin/python scripts/choose_sharpness.py --detectors blend_cnn,generated_residual [--write]

Takes up to --per-source real images of every val source (and frames of the held-back real clips,
models/evaluation/band_sources.py), self-blends and swaps made from them in their own photos, and
the generated faces of the train role kept out of fitting (the trainers' choose split); blurs each
at every level (models/evaluation/sharpness_choice.py), and scores its face once with every
detector, with no sharpness limit. Each detector is matched with the fakes it is for (--kinds).
Prints, per sharpness bin, the reals judged and flagged by the set and each detector's AUC, before
and after; `--write` stores each detector's `min_sharpness` in its manifest entry with the figures.
`--stability N` also prints how often each floor is chosen over N bootstrap draws of the measured
faces (`floor_stability`): a split there means a face or two decided the floor. Holdout sources are never read.
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
from models.evaluation.band_choice import write_min_sharpness  # noqa: E402
from models.evaluation.band_sources import per_source_sample, val_items  # noqa: E402
from models.evaluation.face_size_choice import ceiling  # noqa: E402
from models.evaluation.holdout_items import pasted_items  # noqa: E402
from models.evaluation.holdout_suite import SuiteItem  # noqa: E402
from models.evaluation.sharpness_choice import (LEVELS, MIN_AUC, FaceRecord, choose_min_sharpness,  # noqa: E402
                                                flagged_by_bin, floor_stability, report_by_bin)
from models.faces.detect import FaceDetector, largest_face  # noqa: E402
from models.serving.analysis import find_faces, score_crops  # noqa: E402
from models.serving.frame_score import anchors_of, chosen_set_bands, min_faces_of  # noqa: E402
from models.synth.degrade import blur_face  # noqa: E402
from models.training.face_index import read_rgb  # noqa: E402
from models.training.sources import all_rows, in_fold, select  # noqa: E402

CHOOSE_FRACTION = 0.15  # as the trainers' configs: train-role files kept out of fitting


def generated_items(data_root: Path, limit: int, rng: np.random.Generator) -> list:
    """Train-role generated faces in the choose split (never fitted on), up to `limit`."""
    rows = [r for r in select(all_rows(data_root), ("train",), label=1)
            if r.source.startswith("fakes/generated") and in_fold(r.path, CHOOSE_FRACTION)]
    picks = rng.permutation(len(rows))[:limit]
    return [SuiteItem(rows[i].path, rows[i].source, 1, lambda p=rows[i].path: read_rgb(data_root, p), "generated")
            for i in picks]


def measure(items: list, face_detector, detectors: list, min_face_px: int, log=print) -> list[FaceRecord]:
    """Every item at every blur level: its largest scorable face's size, sharpness and scores."""
    records = []
    for n, item in enumerate(items, 1):
        image = item.load()
        face = None if image is None else largest_face(face_detector.detect(image))
        if face is None:
            continue
        side = min(float(face.box[2]), float(face.box[3]))
        for level in LEVELS:
            regions: list = []
            found, crops = find_faces([blur_face(image, side, level)], face_detector, min_face_px, regions=regions)
            scores = score_crops(detectors, crops, regions)
            scorable = [f for f in found if f["crop"] is not None]
            if scorable:
                f = max(scorable, key=lambda x: x["size"])
                records.append(FaceRecord(item.label, item.family if item.label else "", f["size"], f["sharpness"],
                                          {k: float(v[f["crop"]]) for k, v in scores.items()}, level))
        if n % 200 == 0:
            log(f"measured {n}/{len(items)}")
    return records


def main() -> int:
    """Measure, choose, print; write when asked."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--detectors", required=True, help="the set's frame detectors, comma-separated")
    parser.add_argument("--kinds", default="blend_cnn=swap,generated_residual=generated",
                        help="detector=the kind of fakes it is for (swap: pasted blends; generated)")
    parser.add_argument("--per-source", type=int, default=150)
    parser.add_argument("--generated", type=int, default=200)
    parser.add_argument("--max-fpr", type=float, default=0.04)
    parser.add_argument("--tolerance", type=float, default=0.02)
    parser.add_argument("--min-auc", type=float, default=MIN_AUC)
    parser.add_argument("--min-face-px", type=int, default=64, help="as the companion (MIN_FACE_PX)")
    parser.add_argument("--seed", type=int, default=2036)
    parser.add_argument("--weights-dir", type=Path, help="read and write this weights folder (default: models/weights)")
    parser.add_argument("--records", type=Path, help="keep the measurements here (JSON), and reuse them if present")
    parser.add_argument("--stability", type=int, default=0, help="bootstrap draws for the floors' stability (0: none)")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    detectors = [registry.create(n, weights_dir=args.weights_dir) for n in args.detectors.split(",")]
    names = [d.name for d in detectors]
    kinds = {k: v for k, v in (pair.split("=") for pair in args.kinds.split(",")) if k in names}
    anchors, bands, min_faces = anchors_of(detectors), chosen_set_bands(detectors), min_faces_of(detectors)
    if args.records and args.records.exists():
        records = [FaceRecord(**r) for r in json.loads(args.records.read_text())]
    else:
        rng = np.random.default_rng(args.seed)
        face_detector = FaceDetector()
        reals = per_source_sample(val_items(args.data_root), args.per_source, rng)
        fakes = pasted_items(reals, face_detector, args.per_source, args.seed)
        items = reals + fakes + generated_items(args.data_root, args.generated, rng)
        records = measure(items, face_detector, detectors, args.min_face_px)
        if args.records:
            args.records.write_text(json.dumps([vars(r) for r in records]))
    as_is = [r for r in records if r.level == 0]
    judged, flagged = (sum(v) for v in zip(*flagged_by_bin(as_is, min_faces, {}, anchors, bands).values()))
    limit = ceiling(flagged / max(judged, 1), args.max_fpr, args.tolerance)
    chosen = choose_min_sharpness(records, kinds, min_faces, anchors, bands, limit, min_auc=args.min_auc)
    report = {"min_sharpness": chosen, "limit": limit, "as_is_flagged": flagged / max(judged, 1),
              "faces": len(records), "reals": sum(r.label == 0 for r in records), "kinds": kinds,
              "levels": list(LEVELS), "min_auc": args.min_auc, "max_fpr": args.max_fpr, "tolerance": args.tolerance,
              "seed": args.seed, "set": names, "bands": vars(bands),
              "before": report_by_bin(records, kinds, min_faces, {}, anchors, bands),
              "after": report_by_bin(records, kinds, min_faces, chosen, anchors, bands)}
    if args.stability:
        report["stability"] = {"resamples": args.stability, "chosen": floor_stability(
            records, kinds, min_faces, anchors, bands, limit, args.stability, args.seed, min_auc=args.min_auc)}
    print(json.dumps(report, indent=1))
    if args.write:
        for name in names:
            version = write_min_sharpness(name, chosen.get(name, 0.0),
                                          {k: v for k, v in report.items() if k != "min_sharpness"}, args.weights_dir)
            print(f"{name}: judges faces from sharpness {chosen.get(name, 0.0):g}, version {version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
