"""Choose how the companion fuses frame and temporal evidence, on validation videos, through its own pipeline.

    .venv/bin/python scripts/choose_fusion.py runs/val_videos [--write]

The work is done by `models.evaluation.fusion_choice`. DIR holds real/** and fake/** videos (`scripts/make_video_eval_set.py --out runs/val_videos
--stills-from 1100 --stills 100 --no-videos` makes one from media no detector trained on, kept
apart from the test set `runs/eval_videos`). Each video is read as the companion reads it (runs of
consecutive frames), each person's frame evidence (the shipped frame detectors, as served) and
temporal evidence (the shipped temporal detector) are collected, and `models.training.fusion_fit.choose_fusion`
picks the rule and its bands. `--write` stores them in the temporal detector's manifest entry
(`fusion`, `fusion_validation`) with its new version (`--clip-detector`, default temporal_residual). The temporal trainer also chooses a rule, on
its validation clips; but there the frame evidence comes from the frame CNN at 224 px through the
features model, not from the frame detectors the companion serves, so the shipped rule is this one.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.detectors.weights_manifest import WEIGHTS_DIR, read_manifest  # noqa: E402
from models.evaluation.evaluate import collect, load_scoring  # noqa: E402
from models.evaluation.fusion_choice import people_evidence, write_fusion  # noqa: E402
from models.training.fusion_fit import choose_fusion  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Command line: DIR [--write] [--detectors frame_cnn] [--weights-dir W]."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--detectors", default="blend_cnn,generated_residual", help="the frame detectors (as in DETECTORS)")
    parser.add_argument("--clip-detector", default="temporal_residual", help="the clip detector whose rule is chosen")
    parser.add_argument("--weights-dir", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("--frames-per-video", type=int, default=32)
    parser.add_argument("--clip-frames", type=int, default=8)
    parser.add_argument("--clip-min-frames", type=int, default=4)
    parser.add_argument("--min-face-px", type=int, default=64)
    parser.add_argument("--write", action="store_true", help="store the rule in models/weights/manifest.json")
    parser.add_argument("--max-unsure", type=float, default=0.2,
                        help="most real people inconclusive or worse (raises real_below)")
    parser.add_argument("--evidence", type=Path, help="a JSON file of the people's evidence: read when it "
                        "exists (for the same detector versions), else written after scoring")
    args = parser.parse_args(argv)
    face_detector, detectors, _ = load_scoring(args.weights_dir, [*args.detectors.split(","), args.clip_detector])
    clip_entry = read_manifest(args.weights_dir)[args.clip_detector]  # its version covers the rule; these do not
    versions = {**{d.name: d.version for d in detectors[:-1]},
                args.clip_detector: [clip_entry["sha256"], clip_entry["features_sha256"], clip_entry["calibration"]]}
    if args.evidence and args.evidence.exists() and json.loads(args.evidence.read_text())["versions"] == versions:
        frames, temporal, labels = json.loads(args.evidence.read_text())["people"]
    else:
        frames, temporal, labels = [], [], []
        for path, label, _, kind in collect(args.folder):
            if kind != "video":
                continue
            for f, t in people_evidence(path, face_detector, detectors[:-1], detectors[-1], args):
                frames.append(f)
                temporal.append(t)
                labels.append(label)
        if args.evidence:
            args.evidence.write_text(json.dumps({"versions": versions, "people": [frames, temporal, labels]}))
    config, table = choose_fusion(np.array(frames), np.array(temporal), np.array(labels), max_unsure=args.max_unsure)
    print(f"{len(labels)} people ({sum(labels)} in fake videos); chosen: {json.dumps(config.to_dict())}")
    for method, row in table.items():
        print(f"  {method:10} AUC {row['auc']:.3f} EER {row['eer']:.3f} AP {row['ap']:.3f}")
    if args.write:
        source = f"{args.folder.name}: people of real and fake videos, through the companion's pipeline"
        version = write_fusion(config, table, source, args.weights_dir, args.clip_detector)
        print(f"written to {args.weights_dir / 'manifest.json'}: {args.clip_detector} version {version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
