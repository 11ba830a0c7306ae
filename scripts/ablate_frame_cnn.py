"""The frame CNN's data ablations: swaps on or off, one network for both families or one per family.

    .venv/bin/python scripts/ablate_frame_cnn.py [--jobs 2] [--report-only] [--out runs/ablation/report.json]

Trains every variant of `models/configs/frame_cnn_ablation.toml` with `unmask train` (each resumes
from its checkpoint; a finished one is skipped), then scores them all on the same held-out AAF val
pseudo-fakes with `models.evaluation.ablation` and prints a Markdown table. `--jobs 2` trains two variants at
a time (one core each on this machine); the first queue trains the shared autoencoders.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.detectors.weights_manifest import WEIGHTS_DIR  # noqa: E402
from models.evaluation.ablation import STEP_SCALE, VARIANTS, ablation_report, markdown_table  # noqa: E402
from models.training.train_config import load_config  # noqa: E402

CONFIG = "frame_cnn_ablation"


def run_dir(name: str) -> Path:
    """Where a variant's checkpoints and logs go."""
    return Path(load_config(CONFIG)["run_dir"]).parent / name


def inline_table(values: dict) -> str:
    """A flat dict of numbers as a TOML inline table."""
    return "{" + ", ".join(f"{key} = {value}" for key, value in values.items()) + "}"


def train_command(name: str) -> list[str]:
    """`unmask train` for one variant: the ablation config with the variant's mix (and its phases'
    steps scaled when the variant trains longer)."""
    command = [sys.executable, "-m", "models.training.train", "--config", CONFIG, "--no-export",
               "--run-dir", str(run_dir(name)), "--set", f"mix={inline_table(VARIANTS[name])}"]
    scale = STEP_SCALE.get(name, 1)
    if scale != 1:
        phases = [inline_table({**phase, "steps": phase["steps"] * scale}) for phase in load_config(CONFIG)["phases"]]
        command += ["--set", f"phases=[{', '.join(phases)}]"]
    return command


def wait_for_autoencoders(name: str, poll_s: float = 20.0) -> None:
    """Block until the shared autoencoders' banks exist when `name` needs them and another queue
    is making them, so two runs never train the same autoencoders."""
    config = load_config(CONFIG)
    if VARIANTS[name].get("generated", 0) <= 0:
        return
    folder = Path(config["autoencoder_dir"])
    while not all(list(folder.glob(f"recon_{kind}_val_*.npy")) for kind in config["autoencoders"]["kinds"]):
        time.sleep(poll_s)


def train_queue(names: list[str], first_queue: bool) -> None:
    """Train the variants one after another, skipping finished ones; a failure stops the script."""
    for index, name in enumerate(names):
        folder = run_dir(name)
        if (folder / "final.json").exists():
            print(f"{name}: already trained", flush=True)
            continue
        if not (first_queue and index == 0):
            wait_for_autoencoders(name)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.time()
        with open(folder / "train.out", "a") as out:
            subprocess.run(train_command(name), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=True)
        print(f"{name}: trained in {(time.time() - started) / 60:.1f} min", flush=True)


def queues(jobs: int) -> list[list[str]]:
    """The variants split into `jobs` queues; the first starts with a variant that trains the
    autoencoders, the second with one that needs none, so they never train the same ones at once."""
    order = ["joint", "blends_only", "generated_only", "no_swap", "joint_twice"]
    return [order[i::jobs] for i in range(jobs)]


def main() -> int:
    """Train what is missing, then report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, choices=(1, 2), default=1, help="variants trained at once")
    parser.add_argument("--report-only", action="store_true", help="score the trained variants only")
    parser.add_argument("--out", type=Path, default=None, help="report JSON (default: RUN_ROOT/report.json)")
    args = parser.parse_args()
    if not args.report_only:
        with ThreadPoolExecutor(args.jobs) as pool:
            for future in [pool.submit(train_queue, names, i == 0) for i, names in enumerate(queues(args.jobs))]:
                future.result()
    config = load_config(CONFIG)
    report = ablation_report(config, {name: run_dir(name) for name in VARIANTS}, WEIGHTS_DIR / "frame_cnn.weights.h5")
    out = args.out or Path(config["run_dir"]).parent / "report.json"
    out.write_text(json.dumps(report, indent=2))
    print(markdown_table(report))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
