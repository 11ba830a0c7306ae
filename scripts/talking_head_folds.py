"""Out-of-fold figures for temporal_residual: talking heads scored by models that never saw their identity.

    python scripts/talking_head_folds.py [--folds 4] [--steps 1000] [--out models/weights/temporal_residual_folds.json]

Needs the bank of `unmask train --config temporal_residual` (it reads runs/temporal_residual/bank).
The model is trained `--folds` times, each time without one group of talking-head identities; each
video of that group, and every holdout video, is scored by that fold's model (a video's score: the
top-half mean of its clips' calibrated scores). Prints per fold and pooled: the AUC of the left-out
talking heads against the holdout real clips.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.evaluation import metrics  # noqa: E402
from models.training.talking_trainer import TalkingTrainer, identity_folds  # noqa: E402
from models.training.train_config import load_config  # noqa: E402


def fold_aucs(result: dict) -> dict:
    """Per fold and pooled: AUC of left-out talking heads against the holdout real clips (fold model's scores)."""
    videos = result["videos"]
    out = {}
    pooled_fake, pooled_real = [], []
    for fold in result["folds"]:
        k = fold["fold"]
        fake = [v["score"] for v in videos if v["fold"] == k and v["kind"] == "talking_head"]
        real = [v["score"] for v in videos if v["fold"] == k and v["kind"] == "report" and v["label"] == 0]
        out[f"fold {k}"] = {"left_out": fold["left_out"], "fakes": len(fake), "reals": len(real),
                            "auc": metrics.auc(np.r_[fake, real], np.r_[np.ones(len(fake)), np.zeros(len(real))])}
        pooled_fake += fake
        pooled_real += real
    labels = np.r_[np.ones(len(pooled_fake)), np.zeros(len(pooled_real))]
    out["pooled"] = {"fakes": len(pooled_fake), "reals": len(pooled_real),
                     "auc": metrics.auc(np.r_[pooled_fake, pooled_real], labels)}
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--config", default="temporal_residual")
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "weights" / "temporal_residual_folds.json")
    args = parser.parse_args(argv)
    trainer = TalkingTrainer(load_config(args.config, {}), lambda message, **_: print(message, flush=True))
    result = identity_folds(trainer, args.folds, args.steps)
    result["aucs"] = fold_aucs(result)
    print(json.dumps(result["aucs"], indent=1))
    args.out.write_text(json.dumps(result, indent=1))
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
