"""Run the video suite (models/evaluation/video_suite.py): holdout clips and talking heads, read the companion's way.

    python scripts/video_suite.py [--system NAME=det1,det2,clip ...] [--eval-folder runs/eval_videos]
                                  [--weights-dir DIR] [--out models/weights/video_suite.json]

Each system is frame detectors plus one clip detector (the last name), judged by the fused bands.
By default: the shipped default set, the same frame detectors with the synthetic-video detector
`temporal_residual` as clip detector, and the seed pipeline (`frame_cnn` + `temporal`).
`--rescore-from FILE` takes the scores of an earlier run (its systems by name) and summarises them
again with the detectors' current bands (a new fusion rule's bands, say) without decoding a video;
it refuses when a system's fusion method changed since (its scores would be another rule's).
`--reencode-crf 23` is the control: every video saved again as H.264 alike before it is read. `--eval-folder` adds a folder made by
scripts/make_video_eval_set.py (the project's own held-out swap videos: real, flicker and smooth fakes).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.detectors import registry  # noqa: E402
from models.evaluation.video_suite import (VideoSystem, format_summary, reencoded, rescorable,  # noqa: E402
                                           run_video_suite, summarise, video_items, write_outputs)
from models.faces.detect import FaceDetector  # noqa: E402

DEFAULT_SYSTEMS = ("default=blend_cnn,generated_residual,temporal",
                   "with temporal_residual=blend_cnn,generated_residual,temporal_residual", "seed=frame_cnn,temporal")


def parse_system(text: str, weights_dir: Path | None) -> VideoSystem:
    """NAME=det1,...,clip -> a VideoSystem (the last detector is the clip detector)."""
    name, sep, names = text.partition("=")
    detectors = [registry.create(n, weights_dir=weights_dir) for n in names.split(",") if n]
    if not sep or len(detectors) < 2:
        raise SystemExit(f"--system takes NAME=frame_detector[,...],clip_detector, not {text!r}")
    return VideoSystem(name, detectors[:-1], detectors[-1])


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--system", action="append", help="NAME=frame_detectors...,clip_detector (repeatable)")
    parser.add_argument("--eval-folder", type=Path, help="a folder of real/ and fake/<kind>-*/ videos to add")
    parser.add_argument("--weights-dir", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "weights" / "video_suite.json")
    parser.add_argument("--frames-per-video", type=int, default=32)
    parser.add_argument("--clip-frames", type=int, default=8)
    parser.add_argument("--rescore-from", type=Path, help="summarise an earlier run's scores with the current bands")
    parser.add_argument("--reencode-crf", type=int, help="the control: every video saved again as H.264 at this CRF")
    args = parser.parse_args(argv)
    systems = [parse_system(text, args.weights_dir) for text in (args.system or DEFAULT_SYSTEMS)]
    if args.rescore_from:
        rows = rescorable(json.loads(args.rescore_from.read_text()), systems)
    else:
        options = SimpleNamespace(frames_per_video=args.frames_per_video, clip_frames=args.clip_frames,
                                  clip_min_frames=4, min_face_px=64)
        items = video_items(args.data_root, args.eval_folder)
        with tempfile.TemporaryDirectory(prefix="unmask-reencoded-") as folder:
            if args.reencode_crf is not None:
                items = [reencoded(item, Path(folder), args.reencode_crf) for item in items]
            rows = run_video_suite(items, FaceDetector(), systems, options)
    summary = summarise(rows, systems)
    print(format_summary(summary))
    print(f"written: {write_outputs(rows, summary, args.out, systems)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
