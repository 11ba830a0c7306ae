"""Run the holdout suite (models/evaluation/holdout_suite.py) over ../shared/datasets' holdout sources.

    python scripts/holdout_suite.py [--system NAME=det1,det2 ...] [--weights-dir DIR] [--out DIR]

Prints one table per variant (as is, JPEG q90 again, black-and-white) and system, and writes
holdout_suite.json and holdout_suite.png into --out (default: models/weights, beside the model cards).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.detectors import registry  # noqa: E402
from models.evaluation.holdout_items import holdout_items  # noqa: E402
from models.evaluation.holdout_suite import VARIANTS, System, format_report, run_suite, write_outputs  # noqa: E402
from models.faces.detect import FaceDetector  # noqa: E402
from models.serving.frame_score import frame_bands  # noqa: E402

DEFAULT_SYSTEMS = ("default=blend_cnn,generated_residual", "seed frame_cnn=frame_cnn", "blend_cnn=blend_cnn",
                   "generated_residual=generated_residual")


def parse_system(text: str, weights_dir: Path | None) -> System:
    """NAME=det1,det2 -> a System with those detectors and the bands of their combined score."""
    name, sep, names = text.partition("=")
    if not sep or not names:
        raise SystemExit(f"--system takes NAME=det1,det2, not {text!r}")
    detectors = [registry.create(n.strip(), weights_dir=weights_dir) for n in names.split(",")]
    return System(name.strip(), detectors, frame_bands(detectors))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--system", action="append", help="NAME=det1,det2 (repeatable)")
    parser.add_argument("--weights-dir", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "weights")
    parser.add_argument("--pasted", type=int, default=50, help="self-blends and swaps made per real source")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--min-face-px", type=int, default=64, help="as the companion (MIN_FACE_PX)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    systems = [parse_system(s, args.weights_dir) for s in (args.system or DEFAULT_SYSTEMS)]
    face_detector = FaceDetector()
    items = holdout_items(args.data_root, face_detector, args.pasted, args.seed)
    report = run_suite(items, face_detector, systems, args.min_face_px, args.variants.split(","), args.seed)
    print(format_report(report))
    json_path, png_path = write_outputs(report, args.out)
    print(f"\nwrote {json_path} and {png_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
