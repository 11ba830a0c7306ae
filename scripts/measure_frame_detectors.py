"""The shipped frame detectors on the held-out AAF val pairs of every family, alone and together, as served.

    .venv/bin/python scripts/measure_frame_detectors.py [--detectors frame_cnn,frame_cnn_generated]

The pairs are the training export's (all 2,000 AAF val faces, the config's seed, its autoencoders;
`--config`, default frame_cnn_generated, whose autoencoders are the base's); each system is measured
on the second half of the faces with its shipped calibration and bands, the pair as the companion
combines its members (the most alarmed against its own bands) under the bands chosen for the pair
(`models.serving.frame_score`).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.detectors.weights_manifest import WEIGHTS_DIR  # noqa: E402
from models.evaluation.ablation import markdown_table, served_report  # noqa: E402
from models.training.train_config import load_config  # noqa: E402


def main() -> int:
    """Score and print the table; write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--detectors", default="frame_cnn,frame_cnn_generated")
    parser.add_argument("--config", default="frame_cnn_generated", help="whose held-out pairs (seed, autoencoders)")
    parser.add_argument("--weights-dir", type=Path, default=WEIGHTS_DIR)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "frame_detectors.json")
    args = parser.parse_args()
    report = served_report(load_config(args.config), args.detectors.split(","), args.weights_dir)
    print(markdown_table(report))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
