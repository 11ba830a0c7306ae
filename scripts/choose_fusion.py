"""Choose how the companion fuses frame and temporal evidence, on validation videos, through its own pipeline.

    .venv/bin/python scripts/choose_fusion.py runs/val_videos [--write]

The work is done by `models.evaluation.fusion_choice`. DIR holds real/<source>/** and fake/** videos
(`scripts/make_video_eval_set.py --out runs/val_videos --stills-from 1100 --stills 100 --no-videos`
makes one from media no detector trained on, kept apart from the test set `runs/eval_videos`; a
second call with `--stills 0 --kinds ""` adds the temporal detectors' own val clips as real/videos).
Each video is read as the companion reads it (runs of consecutive frames), each person's frame
evidence (the shipped frame detectors, as served) and temporal evidence (the clip detector) are
collected, and `models.training.fusion_fit.choose_fusion` picks the rule and its bands: `fake_from`
holds on the real people of every source, so bands chosen on still photos moved by a camera cannot
flag real clips that move as people do. `--write` stores them in the clip detector's manifest entry
(`fusion`, `fusion_validation`) with its new version (`--clip-detector`, default temporal_residual).
The temporal trainer also chooses a rule, on its validation clips; but there the frame evidence
comes from the frame CNN at 224 px through the features model, not from the frame detectors the
companion serves, so the shipped rule is this one.
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
from models.serving.fusion import METHODS, fuse_evidence  # noqa: E402
from models.training.calibration import band_shares  # noqa: E402
from models.training.fusion_fit import choose_fusion  # noqa: E402


def read_evidence(path: Path | None, versions: dict) -> dict:
    """The cached evidence of each video (by path in the folder) scored with these detector versions; else none."""
    if not path or not path.exists():
        return {}
    cached = json.loads(path.read_text())
    return cached.get("videos", {}) if cached.get("versions") == versions else {}


def write_evidence(path: Path, versions: dict, videos: dict) -> None:
    """Keep each video's evidence ({label, source, people: [[frame, temporal], ...]}) for a rerun."""
    path.write_text(json.dumps({"versions": versions, "videos": videos}))


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
    parser.add_argument("--evidence", type=Path, help="a JSON file of each video's people's evidence: what it "
                        "holds for the same detector versions is reused, the rest scored and added")
    args = parser.parse_args(argv)
    face_detector, detectors, _ = load_scoring(args.weights_dir, [*args.detectors.split(","), args.clip_detector])
    clip_entry = read_manifest(args.weights_dir)[args.clip_detector]  # its version covers the rule; these do not
    versions = {**{d.name: d.version for d in detectors[:-1]},
                args.clip_detector: [clip_entry["sha256"], clip_entry["features_sha256"], clip_entry["calibration"]]}
    videos = read_evidence(args.evidence, versions)
    present = []
    for path, label, source, kind in collect(args.folder):
        key = str(path.relative_to(args.folder))
        if kind != "video":
            continue
        present.append(key)
        if key not in videos:
            people = people_evidence(path, face_detector, detectors[:-1], detectors[-1], args)
            videos[key] = {"label": label, "source": source, "people": [list(p) for p in people]}
            if args.evidence and len(videos) % 25 == 0:  # an interrupted run resumes from here
                write_evidence(args.evidence, versions, videos)
    if args.evidence:
        write_evidence(args.evidence, versions, videos)
    rows = [(f, t, videos[key]["label"], videos[key]["source"]) for key in present for f, t in videos[key]["people"]]
    if not rows:
        parser.error(f"no person with both frame and temporal evidence in the videos of {args.folder}")
    frames, temporal, labels, sources = (np.array(column) for column in zip(*rows))
    config, table = choose_fusion(frames, temporal, labels, max_unsure=args.max_unsure, sources=sources)
    fused = fuse_evidence(frames, temporal, config)
    table["real_sources"] = band_shares({name: fused[(labels == 0) & (sources == name)]
                                         for name in np.unique(sources[labels == 0])}, config.bands)
    print(f"{len(labels)} people ({sum(labels)} in fake videos); chosen: {json.dumps(config.to_dict())}")
    for method in METHODS:
        row = table[method]
        print(f"  {method:10} AUC {row['auc']:.3f} EER {row['eer']:.3f} AP {row['ap']:.3f}")
    for name, row in table["real_sources"].items():
        print(f"  real {name}: {row['count']} people, flagged {row['flagged']:.1%}, "
              f"inconclusive {row['inconclusive']:.1%}")
    if args.write:
        source = f"{args.folder.name}: people of real and fake videos, through the companion's pipeline"
        version = write_fusion(config, table, source, args.weights_dir, args.clip_detector)
        print(f"written to {args.weights_dir / 'manifest.json'}: {args.clip_detector} version {version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
