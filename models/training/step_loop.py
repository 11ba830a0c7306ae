"""The step loop of the trainers that make their batches on the fly (generated_residual, blend_cnn):
resume from the last checkpoint or build afresh, train, score the choose split every
`checkpoint_every` steps, keep the best checkpoint, and log every check (JSON lines)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np

from models.training.checkpoints import load_checkpoint, save_checkpoint


def learning_rate_at(step: int, config: dict) -> float:
    """`learning_rate` until `decay_from` (default: never), then cosine down to `lr_final` at `steps`."""
    base = float(config["learning_rate"])
    start = int(config.get("decay_from", config["steps"]))
    if step < start or int(config["steps"]) <= start:
        return base
    final = float(config.get("lr_final", base))
    progress = min(1.0, (step - start) / (int(config["steps"]) - start))
    return final + 0.5 * (base - final) * (1 + np.cos(np.pi * progress))


def warm_started(model, config: dict, log, view: Callable | None = None):
    """The new model, loaded from `init_weights` when the config names one (a fine-tune); `view(model)`
    picks the part those weights are for (default: the whole model)."""
    if config.get("init_weights"):
        (view(model) if view else model).load_weights(config["init_weights"])
        log(f"starting from {config['init_weights']}")
    return model


def resume_or_build(config: dict, build: Callable[[], object], losses, log):
    """(model, step, resumed): the run's last checkpoint, or a new model compiled with Adam and `losses`."""
    import tensorflow as tf

    resumed = None if config.get("fresh") else load_checkpoint(Path(config["run_dir"]) / "checkpoint")
    if resumed:
        log(f"resumed at step {resumed[1]}")
        return resumed[0], resumed[1], True
    tf.keras.utils.set_random_seed(int(config["seed"]))
    model = build()
    weights = config.get("loss_weights")
    model.compile(optimizer=tf.keras.optimizers.Adam(float(config["learning_rate"])), loss=losses,
                  loss_weights=weights)
    return model, 0, False


def run_steps(model, step: int, resumed: bool, config: dict, next_batch, choose_auc, log):
    """Train from `step` to config["steps"]; returns the best checkpoint's model (by choose AUC).

    `next_batch(rng)` makes one batch; `choose_auc(model)` scores the split kept out of fitting.
    Each step's randomness is seeded by (seed, step), so a resumed run draws what it would have.
    """
    run_dir = Path(config["run_dir"])
    best_dir, state_path = run_dir / "best", run_dir / "best.json"
    best = json.loads(state_path.read_text()) if state_path.exists() and resumed else {"auc": -1.0, "step": 0}
    total, every = int(config["steps"]), int(config["checkpoint_every"])
    losses = []
    while step < total:
        x, y = next_batch(np.random.default_rng([int(config["seed"]), step]))
        model.optimizer.learning_rate.assign(learning_rate_at(step, config))
        losses.append(float(np.ravel(model.train_on_batch(x, y))[0]))
        step += 1
        if step % every == 0 or step == total:
            auc = choose_auc(model)
            log(f"step {step}: loss {np.mean(losses):.4f}, choose AUC {auc:.4f}", step=step,
                loss=float(np.mean(losses)), choose_auc=auc)
            losses = []
            if auc > best["auc"]:
                best = {"auc": auc, "step": step}
                save_checkpoint(best_dir, model, step, best)
                state_path.write_text(json.dumps(best))
            save_checkpoint(run_dir / "checkpoint", model, step, {"best": best})
    model, _ = load_checkpoint(best_dir)
    log(f"best checkpoint: step {best['step']}, choose AUC {best['auc']:.4f}")
    return model
