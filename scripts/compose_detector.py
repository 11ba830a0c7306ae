"""Serve a frame detector as the mean of several looks: more networks (`members`) and views of the crop.

    .venv/bin/python scripts/compose_detector.py --detector blend_cnn --out runs/cand \\
        [--views identity,mirror] [--member runs/blend_cnn_b/export] [--from models/weights]

Copies the weights folder --from into --out (every detector, so --out is a whole weights folder),
then rewrites --detector's entry there: each --member (a training run's export/ folder, holding the
same detector's .tflite and manifest entry) joins as a member with its file, sha256 and calibration,
and --views names the views (models/detectors/served.py, VIEWS). The entry gets a new version, and
its set bands (`bands_with`) are dropped: they were chosen for the old score, so choose them again
(scripts/choose_set_bands.py, choose_face_sizes.py, choose_sharpness.py) with --weights-dir --out.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.detectors.served import VIEWS  # noqa: E402
from models.detectors.weights_manifest import WEIGHTS_DIR, read_manifest, verified_entry, write_entry  # noqa: E402
from models.evaluation.band_choice import rewrite_entry  # noqa: E402


def member_record(detector: str, export_dir: Path, out: Path, index: int, input_size: int) -> dict:
    """Copy a run's exported network into `out` under a member's name; its manifest record."""
    entry, path = verified_entry(detector, export_dir)
    if int(entry.get("input_size", input_size)) != input_size:
        raise SystemExit(f"{export_dir} takes {entry['input_size']} px crops, the first network {input_size} px")
    record = {"file": f"{detector}.member{index}.tflite", "sha256": entry["sha256"],
              "calibration": entry["calibration"], "from_version": entry["version"]}
    shutil.copyfile(path, out / record["file"])
    weights = export_dir / entry.get("keras_weights", "")
    if entry.get("keras_weights") and weights.is_file():
        record["keras_weights"] = f"{detector}.member{index}.weights.h5"
        record["keras_weights_sha256"] = entry["keras_weights_sha256"]
        shutil.copyfile(weights, out / record["keras_weights"])
    config = export_dir / f"{detector}.config.json"
    if config.is_file():
        record["config"] = f"{detector}.member{index}.config.json"
        shutil.copyfile(config, out / record["config"])
    return record


def main() -> int:
    """Copy, compose, write."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--detector", required=True)
    parser.add_argument("--from", dest="source", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--views", default="identity")
    parser.add_argument("--member", type=Path, action="append", default=[], help="a run's export/ folder")
    args = parser.parse_args()
    views = [v.strip() for v in args.views.split(",") if v.strip()]
    unknown = [v for v in views if v not in VIEWS]
    if unknown or not views:
        raise SystemExit(f"unknown views {unknown or views}; known: {', '.join(VIEWS)}")
    if args.out.resolve() == args.source.resolve():
        raise SystemExit("--out must be a new folder, not --from")
    entry = dict(read_manifest(args.source).get(args.detector) or {})
    if not entry:
        raise SystemExit(f"no {args.detector} in {args.source}")
    if entry.get("members") or entry.get("views", ["identity"]) != ["identity"]:
        raise SystemExit(f"{args.detector} in {args.source} is composed already; start from a single network")
    shutil.copytree(args.source, args.out, dirs_exist_ok=True)
    size = int(entry.get("input_size", 224))
    members = [member_record(args.detector, folder, args.out, i, size) for i, folder in enumerate(args.member, 1)]
    single = entry["version"]
    entry.pop("bands_with", None)
    write_entry(args.detector, entry, args.out)
    version = rewrite_entry(args.detector, args.out, members=members, views=views, single_version=single)
    print(f"{args.detector} {single} -> {version}: {1 + len(members)} network(s), views {views}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
