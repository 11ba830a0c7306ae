"""Where the frame CNN's held-out blend and swap AUC is lost: by blend ratio, with and without web damage.

    .venv/bin/python scripts/blend_difficulty.py [--weights models/weights/frame_cnn.weights.h5] [--out FILE]

Scores the fixed validation pairs of every AAF val face (the trainer's final-validation seed, from
models/configs/frame_cnn.toml) with the given Keras weights, at the config's serving size: each
blend ratio's fakes against all the real faces, once with the web damage validation applies and once
without it (the same fakes). Writes JSON and prints a Markdown table.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.detectors.frame_cnn import build_frame_cnn  # noqa: E402
from models.detectors.weights_manifest import WEIGHTS_DIR  # noqa: E402
from models.evaluation.difficulty import blend_difficulty, markdown_table  # noqa: E402
from models.training.train import load_faces  # noqa: E402
from models.training.train_config import load_config  # noqa: E402


def main() -> int:
    """Score and report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, default=WEIGHTS_DIR / "frame_cnn.weights.h5")
    parser.add_argument("--config", default="frame_cnn")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "blend_difficulty.json")
    args = parser.parse_args()
    config = load_config(args.config)
    _, val = load_faces(config, Path(config["run_dir"]).parent / "cache")
    report = blend_difficulty(build_frame_cnn(weights=args.weights), val, config.get("serve_size", 224), config["seed"] + 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(markdown_table(report))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
