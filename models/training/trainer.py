"""The training loop: autoencoders first, then the detector phase by phase, checkpointed and resumable."""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from models.detectors.registry import DETECTORS, names
from models.evaluation import metrics
from models.training.checkpoints import load_checkpoint, save_checkpoint
from models.training.data import pair_dataset, tight_validation, validation_arrays
from models.training.export import export_detector, predict_batched
from models.training.pseudo_fakes import Mix
from models.training.step_loop import warm_started
from models.training.train_config import portable


def lr_at(step: int, base: float, warmup: int, total: int) -> float:
    """Linear warm-up then cosine decay to 1% of `base`."""
    if step < warmup:
        return base * (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * t)))


class Trainer:
    """Trains one registered detector from a resolved config dict."""

    def __init__(self, config: dict, faces_train, faces_val, log):
        self.config, self.train_faces, self.val_faces, self.log = config, faces_train, faces_val, log
        self.run_dir = Path(config["run_dir"])
        self.ckpt_dir = self.run_dir / "checkpoint"
        # Runs that share autoencoders (an ablation's variants) name one folder for them.
        self.autoencoder_dir = Path(config.get("autoencoder_dir") or self.run_dir / "autoencoders")
        self.mix = Mix(**config.get("mix", {}))
        self.phases = config["phases"]
        self.total_steps = sum(p["steps"] for p in self.phases)
        # The main cosine schedule spans the phases without a learning rate of their own; a phase
        # with one (a later fine-tuning phase) has its own warm-up and cosine over its steps.
        self.main_steps = sum(p["steps"] for p in self.phases if "learning_rate" not in p)
        (self.run_dir / "resolved_config.json").write_text(json.dumps(portable(config), indent=2, sort_keys=True))

    # --- autoencoders (stand-ins for generators) -------------------------------------------------
    def autoencoder_banks(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Reconstruction banks for train and val faces, one per autoencoder kind (cached in the run)."""
        spec = self.config.get("autoencoders")
        if not spec or self.mix.generated <= 0:
            return [], []
        train_banks, val_banks = [], []
        for kind in spec["kinds"]:
            model = self._autoencoder(kind, spec)
            train_banks.append(self._bank(model, kind, "train", self.train_faces.images))
            val_banks.append(self._bank(model, kind, "val", self.val_faces.images))
        return train_banks, val_banks

    def _autoencoder(self, kind: str, spec: dict):
        from tensorflow import keras

        from models.synth.autoencoder import train_autoencoder

        path = self.autoencoder_dir / f"{kind}.keras"
        if path.exists():
            return keras.models.load_model(path)
        started = time.time()
        model = train_autoencoder(kind, self.train_faces.images, spec["steps"], size=spec["size"],
                                  seed=self.config["seed"], log=self.log)
        path.parent.mkdir(parents=True, exist_ok=True)
        model.save(path)
        self.log(f"autoencoder {kind} trained in {time.time() - started:.0f} s")
        return model

    def _bank(self, model, kind: str, split: str, images: np.ndarray) -> np.ndarray:
        from models.synth.autoencoder import reconstruct

        path = bank_path(self.autoencoder_dir, kind, split, len(images))
        if path.exists():
            return np.load(path, mmap_mode="r")
        bank = reconstruct(model, images)
        tmp = path.with_suffix(".tmp.npy")  # whole or absent, for runs that share the folder
        np.save(tmp, bank)
        tmp.replace(path)
        return bank

    # --- detector ---------------------------------------------------------------------------------
    def model_and_step(self):
        """The model to train and its global step, from the checkpoint when there is one."""
        import tensorflow as tf

        saved = None if self.config.get("fresh") else load_checkpoint(self.ckpt_dir)
        if saved:
            self.log(f"resuming from step {saved[1]}")
            return saved
        tf.keras.utils.set_random_seed(self.config["seed"])
        names()  # import the registered detectors
        model = DETECTORS[self.config["detector"]].build()
        model = warm_started(model, self.config, self.log)  # a warm start from shipped weights
        model.compile(optimizer=tf.keras.optimizers.Adam(self.config["learning_rate"]),
                      loss="binary_crossentropy")
        return model, 0

    def save_checkpoint(self, model, step: int, record: dict) -> None:
        """Write model (with optimizer state) and step atomically enough to resume."""
        save_checkpoint(self.ckpt_dir, model, step, record)

    def validate(self, model, val_sets: dict) -> dict:
        """AUC, EER and AP per pseudo-fake family on the fixed validation images."""
        out = {}
        for family, (images, labels) in val_sets.items():
            scores = predict_batched(model, images)
            out[family] = metrics.summary(scores, labels)
        return out

    def run(self) -> dict:
        """Train through every phase from the current step; returns the final validation."""
        train_banks, val_banks = self.autoencoder_banks()
        model, step = self.model_and_step()
        every = self.config["checkpoint_every"]
        families = self.mix.active(bool(train_banks))
        val_subset = subset(self.val_faces, self.config.get("val_faces"))
        phase_end = 0
        for phase in self.phases:
            phase_start, phase_end = phase_end, phase_end + phase["steps"]
            if step >= phase_end:
                continue
            size = phase["size"]
            val_sets = self.validation_sets(val_subset, [b[: len(val_subset.images)] for b in val_banks],
                                            size, families)
            while step < phase_end:
                chunk = min(every, phase_end - step)
                started = time.time()
                loss = self.fit_chunk(model, train_banks, phase, phase_start, step, chunk)
                step += chunk
                rate = chunk * self.config["batch"] / (time.time() - started)
                val = self.validate(model, val_sets)
                aucs = " ".join(f"{f} {v['auc']:.3f}" for f, v in val.items())
                self.log(f"step {step}/{self.total_steps} size {size} loss {loss:.4f} "
                         f"{rate:.1f} img/s val AUC {aucs}", step=step, loss=loss, val=val, size=size)
                self.save_checkpoint(model, step, {"loss": loss, "val": val})
        return self.finish(model, val_banks, families)

    def fit_chunk(self, model, banks, phase: dict, phase_start: int, step: int, chunk: int) -> float:
        """Train `chunk` steps of `phase` from global `step`; returns the mean loss."""
        config = self.config
        ds = pair_dataset(self.train_faces, banks, self.mix, seed=config["seed"], size=phase["size"],
                          batch=config["batch"], start_step=step, steps=chunk,
                          easy_steps=config.get("easy_steps", 0), tight=phase.get("tight_crop", 0.0),
                          jitter=phase.get("align_jitter", 0.0))
        if "learning_rate" in phase:  # own schedule, counted from the phase's first step
            schedule = learning_rate_callback(model, phase["learning_rate"], phase.get("warmup_steps", 0),
                                              phase["steps"], step - phase_start)
        else:
            schedule = learning_rate_callback(model, config["learning_rate"], config["warmup_steps"],
                                              self.main_steps, step)
        history = model.fit(ds, epochs=1, verbose=0, callbacks=[schedule], shuffle=False)  # ds is shuffled already
        return float(np.mean(history.history["loss"]))

    def validation_sets(self, faces, banks, size: int, families) -> dict:
        """Fixed validation images per family, plus `tight` (every family cut close around the face)
        when a phase trains on tight cuts."""
        seed = self.config["seed"] + 1
        sets = validation_arrays(faces, banks, size, seed, families)
        if any(p.get("tight_crop", 0) > 0 for p in self.phases):
            sets["tight"] = tight_validation(faces, banks, size, seed)
        return sets

    def finish(self, model, val_banks, families) -> dict:
        """Full validation at the served size, calibration, thresholds, export and a report."""
        size = self.config.get("serve_size", 224)
        val_sets = self.validation_sets(self.val_faces, val_banks, size, families)
        report = export_detector(model, self.config, val_sets, self.run_dir, self.log,
                                 write_weights=self.config.get("export", True))
        (self.run_dir / "final.json").write_text(json.dumps(report, indent=2))
        return report


def bank_path(folder: Path, kind: str, split: str, count: int) -> Path:
    """Where the reconstructions of `count` faces of one split by one autoencoder kind are cached."""
    return Path(folder) / f"recon_{kind}_{split}_{count}.npy"


def subset(faces, limit):
    """The first `limit` faces of a FaceSet (all when limit is falsy)."""
    if not limit or limit >= len(faces.images):
        return faces
    return type(faces)(faces.images[:limit], faces.landmarks[:limit], faces.ids[:limit])


def learning_rate_callback(model, base: float, warmup: int, total: int, start: int):
    """A Keras callback that sets the learning rate from the global step before each batch."""
    import tensorflow as tf

    def set_rate(batch, logs=None):
        model.optimizer.learning_rate.assign(lr_at(start + batch, base, warmup, total))

    return tf.keras.callbacks.LambdaCallback(on_train_batch_begin=set_rate)
