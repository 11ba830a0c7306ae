"""Rank the same val pairs with two or more blend detectors, under each kind of training damage.

    .venv/bin/python scripts/compare_blend_on_val.py --weights-dirs models/weights,runs/cand [--pairs 800]

Makes --pairs pairs (a val real face and a self-blend or swap made from it, in its own photo) from
the val-role reals (models/training/blend_trainer.py: fixed_pairs, one seed for every detector),
once for each damage setting (the base photo damage, then with each config's extra odds), and
prints each weights folder's `blend_cnn` AUC on them: the shipping rule of a blend fine-tune is
read off this table. Holdout sources are never read.
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
from models.evaluation import metrics  # noqa: E402
from models.faces.align import CROP_SIZE  # noqa: E402
from models.training.blend_trainer import damage_odds, fixed_pairs  # noqa: E402
from models.training.face_index import INDEX_FILE, build_face_index  # noqa: E402
from models.training.face_pools import image_samples  # noqa: E402
from models.training.sources import all_rows, select  # noqa: E402
from models.training.train_config import load_config  # noqa: E402

SETTINGS = {"base": {}, "tuned": "blend_cnn_tuned", "framed": "blend_cnn_framed", "blurred": "blend_cnn_blurred",
            "rendered": "blend_cnn_rendered", "focus": "blend_cnn_focus", "smooth": "blend_cnn_smooth"}


def val_reals(data_root: Path, cache: Path, scale: float) -> list:
    """The val-role real faces, with their photo around them (the trainers' face index)."""
    rows = select(all_rows(data_root), ("val",), label=0)
    faces = build_face_index(rows, data_root, cache)
    return image_samples(rows, data_root, faces, scale)


def main() -> int:
    """Make the pairs, score them with every folder's blend_cnn, print the AUCs."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--weights-dirs", required=True, help="comma-separated weights folders")
    parser.add_argument("--pairs", type=int, default=800)
    parser.add_argument("--seed", type=int, default=4242)
    args = parser.parse_args()
    base = load_config("blend_cnn_blurred")
    reals = val_reals(args.data_root, ROOT / "runs" / "cache" / INDEX_FILE, float(base["context_scale"]))
    folders = [Path(p) for p in args.weights_dirs.split(",")]
    detectors = {str(f): registry.create("blend_cnn", weights_dir=f) for f in folders}
    table = {"pairs": args.pairs, "reals": len(reals), "seed": args.seed, "auc": {}}
    for setting, config in SETTINGS.items():
        damage = damage_odds(load_config(config)) if config else {}
        crops, labels = fixed_pairs(reals, args.pairs, args.seed, CROP_SIZE, float(base["swap_share"]), damage)
        table["auc"][setting] = {name: metrics.auc(np.asarray(d.predict(crops)), labels) for name, d in detectors.items()}
        print(setting, {k: round(v, 4) for k, v in table["auc"][setting].items()}, flush=True)
    print(json.dumps(table, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
