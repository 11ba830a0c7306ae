"""Trains `generated_residual`: real generators' faces against real faces of every source, as
residual patches of the face region at native scale, with the same random damage on both classes.

Resumable: a checkpoint (model, optimizer, step) every `checkpoint_every` steps and a JSON-lines
log of the steps done; `unmask train --config generated_residual` continues where it stopped.
"""
from __future__ import annotations


import numpy as np

from models.detectors.residual import PATCH, PATCHES, mean_logit_probability, npr_residual, pad_to, region_patches
from models.faces.region import face_region
from models.synth.degrade import photo_damage, shrink_face
from models.training.face_pools import FaceSample, TrainingFaces, load_training_faces, per_source, source_weights
from models.training.step_loop import resume_or_build, run_steps, warm_started


SMALL_SIDES = (56.0, 112.0)  # face sizes (px) of the shrunk copies: thumbnails and distant faces


def random_patch(sample: FaceSample, rng: np.random.Generator, size: int = PATCH, small_odds: float = 0.0,
                 small_sides: tuple[float, float] = SMALL_SIDES, grain_odds: float = 0.0) -> np.ndarray:
    """One training patch: the context damaged at random (with probability `small_odds` first shrunk
    so the face is `small_sides` px; with probability `grain_odds` sensor noise or film grain among
    the damage), its face region's residual, a random even-aligned size x size window (zero-padded
    when the face is smaller), flipped half the time."""
    context, shrink = sample.context, 1.0
    if small_odds and rng.random() < small_odds:
        context, shrink = shrink_face(context, sample.box, small_sides, rng)
    damaged, scale = photo_damage(context, rng, grainy=grain_odds)
    box = tuple(v * shrink * scale for v in sample.box)
    residual = pad_to(npr_residual(face_region(damaged, box)), size)
    height, width = residual.shape[:2]
    top = int(rng.integers(0, height - size + 1)) // 2 * 2
    left = int(rng.integers(0, width - size + 1)) // 2 * 2
    patch = residual[top:top + size, left:left + size]
    return patch[:, ::-1] if rng.random() < 0.5 else patch


class BalancedBatches:
    """Batches of half real, half fake patches; sources within a class weighted by `power`."""

    def __init__(self, reals: list[FaceSample], fakes: list[FaceSample], power: float = 0.5, small_odds: float = 0.0,
                 grain_odds: float = 0.0):
        if not reals or not fakes:
            raise ValueError("training needs real and fake faces")
        self.reals, self.fakes, self.small_odds, self.grain_odds = reals, fakes, small_odds, grain_odds
        self.p_real, self.p_fake = source_weights(reals, power), source_weights(fakes, power)

    def batch(self, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(patches (size, P, P, 3) float32, labels (size,) float32)."""
        half = size // 2
        picks = [self.reals[i] for i in rng.choice(len(self.reals), half, p=self.p_real)]
        picks += [self.fakes[i] for i in rng.choice(len(self.fakes), size - half, p=self.p_fake)]
        x = np.stack([random_patch(s, rng, small_odds=self.small_odds, grain_odds=self.grain_odds)
                      for s in picks]).astype(np.float32)
        y = np.array([s.label for s in picks], dtype=np.float32)
        return x, y


def face_probabilities(model, regions: list[np.ndarray], batch: int = 256) -> np.ndarray:
    """Raw per-face probabilities as served: the fixed patch grid, mean patch logit."""
    if not regions:
        return np.zeros((0,), dtype=np.float64)
    patches = np.concatenate([region_patches(r) for r in regions]).astype(np.float32)
    raw = np.concatenate([model.predict_on_batch(patches[i:i + batch]).reshape(-1)
                          for i in range(0, len(patches), batch)])
    return mean_logit_probability(raw, PATCHES)


def evaluate_choice(model, data: TrainingFaces) -> float:
    """AUC of the choose split (train-role faces kept out of fitting)."""
    from models.evaluation import metrics

    scores = face_probabilities(model, [s.region() for s in data.choose])
    return metrics.auc(scores, np.array([s.label for s in data.choose]))


def train(config: dict, log) -> dict:
    """Train (or resume), keep the best checkpoint by choose-split AUC, calibrate, choose bands, export."""
    from models.detectors.residual import build_residual_cnn

    data = load_training_faces(config, log)
    batches = BalancedBatches(data.fit_reals, data.fit_fakes, float(config["source_power"]),
                              float(config.get("small_odds", 0.0)), float(config.get("grain_odds", 0.0)))
    model, step, resumed = resume_or_build(config, lambda: warm_started(build_residual_cnn(tuple(config["widths"])),
                                                                        config, log), "binary_crossentropy", log)
    model = run_steps(model, step, resumed, config, lambda rng: batches.batch(int(config["batch"]), rng),
                      lambda m: evaluate_choice(m, data), log)
    return finish(model, config, data, log)


def finish(model, config: dict, data: TrainingFaces, log) -> dict:
    """Calibrate on the choose split, choose bands on every val source, export (or keep in the run)."""
    from models.training.export import calibrate_and_export

    labels = np.array([s.label for s in data.choose])
    raw = face_probabilities(model, [s.region() for s in data.choose])
    band_raw = face_probabilities(model, [s.region() for s in data.band_reals])
    return calibrate_and_export(model, config, raw, labels, per_source(data.band_reals, band_raw), PATCH, log)
