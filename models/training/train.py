"""`unmask train`: train a detector from a config, with progress, checkpoints, resume and logs."""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from models.training.dataset_index import cached_aaf_faces
from models.training.train_config import load_config


class RunLog:
    """Progress lines on stdout and JSON lines in the run folder."""

    def __init__(self, run_dir: Path):
        self.path = run_dir / "log.jsonl"

    def __call__(self, message: str, **fields) -> None:
        print(message, flush=True)
        with open(self.path, "a") as handle:
            handle.write(json.dumps({"time": time.time(), "message": message, **fields}) + "\n")


def load_faces(config: dict, cache_dir: Path):
    """Aligned AAF train and validation faces (cached outside git)."""
    root = Path(config["data_root"])
    if not (root / "aaf" / "index.csv").exists():
        raise FileNotFoundError(f"training data not found at {root} (see ../shared/datasets/README.md)")
    train = cached_aaf_faces(root, cache_dir, "train")
    val = cached_aaf_faces(root, cache_dir, "val")
    return train, val


# Trainers other than the frame Trainer, by the config's `trainer` key (absent: "frames").
TRAINERS = {"temporal": "models.training.temporal_trainer", "residual": "models.training.residual_trainer",
            "blend": "models.training.blend_trainer", "talking": "models.training.talking_trainer"}


def train_with_own_data(config: dict, log) -> dict:
    """Run a trainer that reads its own data (`config["trainer"]` in TRAINERS); returns its report."""
    import importlib

    name = config["trainer"]
    if name not in TRAINERS:
        raise ValueError(f"unknown trainer {name!r}; known: frames, {', '.join(sorted(TRAINERS))}")
    return importlib.import_module(TRAINERS[name]).train(config, log)


def train_from_config(config: dict, faces_train, faces_val, log) -> dict:
    """Train the configured detector; returns the final report."""
    from models.training.trainer import Trainer

    trainer = Trainer(config, faces_train, faces_val, log)
    return trainer.run()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: unmask train [--config NAME_OR_PATH] [--run-dir DIR] [--fresh]."""
    parser = argparse.ArgumentParser(prog="unmask train", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `unmask train`."""
    parser.add_argument("--config", default="frame_cnn", help="config name in models/configs or a .toml path")
    parser.add_argument("--run-dir", help="where checkpoints and logs go (default: the config's run_dir)")
    parser.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint and start over")
    parser.add_argument("--no-export", action="store_true", help="do not write models/weights at the end")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="settings",
                        help="override a top-level config setting (VALUE read as TOML, else as text); repeatable")


def parse_setting(text: str) -> tuple[str, object]:
    """`key=value` -> (key, value), the value read as a TOML value when it is one, else kept as text."""
    import tomllib

    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise SystemExit(f"unmask train: --set takes KEY=VALUE, not {text!r}")
    try:
        return key.strip(), tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return key.strip(), value


def run(args: argparse.Namespace) -> int:
    """Run `unmask train` with parsed arguments."""
    overrides = dict(parse_setting(text) for text in args.settings)
    if args.run_dir:
        overrides["run_dir"] = args.run_dir
    config = load_config(args.config, overrides)
    config["fresh"] = bool(args.fresh)
    config["export"] = not args.no_export
    run_dir = Path(config["run_dir"])
    run_dir.mkdir(parents=True, exist_ok=True)
    log = RunLog(run_dir)
    np.random.seed(config.get("seed", 0))
    if config.get("trainer", "frames") != "frames":
        log("done", report=train_with_own_data(config, log))
        return 0
    faces_train, faces_val = load_faces(config, run_dir.parent / "cache")
    log(f"faces: {len(faces_train.images)} train, {len(faces_val.images)} val")
    report = train_from_config(config, faces_train, faces_val, log)
    log("done", report=report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
