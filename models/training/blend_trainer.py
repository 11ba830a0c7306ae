"""Trains `blend_cnn`: real faces of every source against self-blends and swaps made from them in
their own photos (FaceMesh face oval, models/synth/oval.py), each pair damaged alike at random.

Pairs: a real face and its fake come in the same batch (as SBI trains), so the only difference
the network can learn is the blend. The mask head learns where the blend is. Resumable like the
other trainers: checkpoints, a JSON-lines log, the best checkpoint by choose-split AUC.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from models.detectors.blend_cnn import build_blend_cnn, mask_side, served_view
from models.faces.align import CROP_SIZE, align_face, resize_crops, to_model_input
from models.synth.degrade import photo_damage, tight_window
from models.synth.oval import self_blend_oval, swap_oval
from models.training.face_pools import FaceSample, TrainingFaces, load_training_faces, per_source, source_weights
from models.training.hard_reals import boosted, starting_scores
from models.training.step_loop import resume_or_build, run_steps
from models.training.step_loop import warm_started as load_init_weights


def aligned(image: np.ndarray, sample: FaceSample, scale: float, size: int,
            mask: np.ndarray | None = None, mask_size: int = 16,
            offset: tuple[int, int] = (0, 0)) -> tuple[np.ndarray, np.ndarray | None]:
    """The face's aligned crop as serving makes it (CROP_SIZE, then shrunk to `size`), and the blend
    mask carried through the same alignment, at mask_size x mask_size; `offset` is where the image
    starts in the sample's context (a tight crop's corner), `scale` its size against that."""
    crop, matrix = align_face(image, (sample.keypoints - np.asarray(offset, np.float64)) * scale, CROP_SIZE)
    crop = resize_crops(crop[None], size)[0]
    if mask is None:
        return crop, None
    warped = cv2.warpAffine(mask.astype(np.float32), matrix, (CROP_SIZE, CROP_SIZE), flags=cv2.INTER_LINEAR)
    return crop, cv2.resize(warped, (mask_size, mask_size), interpolation=cv2.INTER_AREA)


def framed(image: np.ndarray, mask: np.ndarray | None, sample: FaceSample, rng: np.random.Generator,
           odds: float) -> tuple[np.ndarray, np.ndarray | None, tuple[int, int]]:
    """With probability `odds`, the image (and mask) cut tight around the face (`tight_window`), so
    alignment meets the cut border a thumbnail has; returns them and the cut's corner."""
    if not odds or rng.random() >= odds:
        return image, mask, (0, 0)
    left, top, right, bottom = tight_window(sample.box, image.shape[:2], rng)
    cut = np.ascontiguousarray(image[top:bottom, left:right])
    return cut, None if mask is None else mask[top:bottom, left:right], (left, top)


def moved(box, offset: tuple[int, int]) -> tuple[float, float, float, float]:
    """A face box (x, y, w, h) in an image cut at corner `offset` (`framed`)."""
    return (float(box[0]) - offset[0], float(box[1]) - offset[1], float(box[2]), float(box[3]))


def make_pair(sample: FaceSample, donor: FaceSample, rng: np.random.Generator, size: int, swap_share: float,
              mask_size: int = 16, damage: dict | None = None):
    """(real crop, fake crop, fake's mask): the fake a self-blend, or a swap from `donor`; each side
    gets its own draw of the same random damage (`damage`: `damage_odds`)."""
    damage = dict(damage or {})
    tight, rendered = damage.pop("tight", 0.0), damage.pop("rendered", 0.0)
    if rng.random() < swap_share:
        fake, mask = swap_oval(sample.context, sample.outline, donor.context, donor.outline, rng, rendered=rendered)
    else:
        fake, mask = self_blend_oval(sample.context, sample.outline, rng, rendered=rendered)
    real, _, real_offset = framed(sample.context, None, sample, rng, tight)
    fake, mask, fake_offset = framed(fake, mask, sample, rng, tight)
    side = min(float(sample.box[2]), float(sample.box[3]))
    real_damaged, real_scale = photo_damage(real, rng, face_side=side, face_box=moved(sample.box, real_offset),
                                            **damage)
    fake_damaged, fake_scale = photo_damage(fake, rng, face_side=side, face_box=moved(sample.box, fake_offset),
                                            **damage)
    fake_mask = cv2.resize(mask, (fake_damaged.shape[1], fake_damaged.shape[0]), interpolation=cv2.INTER_LINEAR)
    real_crop, _ = aligned(real_damaged, sample, real_scale, size, offset=real_offset)
    fake_crop, small_mask = aligned(fake_damaged, sample, fake_scale, size, fake_mask, mask_size, fake_offset)
    if rng.random() < 0.5:
        real_crop = real_crop[:, ::-1]
    if rng.random() < 0.5:
        fake_crop, small_mask = fake_crop[:, ::-1], small_mask[:, ::-1]
    return real_crop, fake_crop, small_mask


class PairBatches:
    """Batches of real faces and their fakes; sources weighted by `power`, each face's weight times
    its `boost` (a hard real's multiplier, `models.training.hard_reals`; by the usable faces' order)."""

    def __init__(self, reals: list[FaceSample], power: float, size: int, swap_share: float, mask_size: int = 16,
                 damage: dict | None = None, boost: np.ndarray | None = None):
        self.reals = usable(reals)
        if len(self.reals) < 2:
            raise ValueError("blend training needs real faces with a FaceMesh outline")
        weights = source_weights(self.reals, power) * (1.0 if boost is None else np.asarray(boost, np.float64))
        self.p = weights / weights.sum()
        self.size, self.swap_share, self.mask_size, self.damage = size, swap_share, mask_size, damage

    def batch(self, size: int, rng: np.random.Generator):
        """(images float32 in [-1, 1], {"prob": labels, "mask": masks})."""
        picks = rng.choice(len(self.reals), size // 2, p=self.p)
        donors = rng.choice(len(self.reals), size // 2, p=self.p)
        images, labels, masks = [], [], []
        for i, j in zip(picks, donors):
            real, fake, mask = make_pair(self.reals[i], self.reals[j], rng, self.size, self.swap_share,
                                         self.mask_size, self.damage)
            images += [real, fake]
            labels += [0.0, 1.0]
            masks += [np.zeros_like(mask), mask]
        return (to_model_input(np.stack(images)),
                {"prob": np.array(labels, np.float32)[:, None], "mask": np.stack(masks)[..., None]})


def usable(reals: list[FaceSample]) -> list[FaceSample]:
    """The real faces a pair can be made from (those with a FaceMesh outline)."""
    return [s for s in reals if s.outline is not None]


def hard_real_boost(config: dict, reals: list[FaceSample], size: int, log) -> np.ndarray | None:
    """With `hard_real_share` and `hard_real_boost` in the config, each usable real's sampling
    multiplier: the share the starting weights score highest is drawn `boost` times as often."""
    share, boost = float(config.get("hard_real_share", 0.0)), float(config.get("hard_real_boost", 0.0))
    if not share or not boost:
        return None
    if not config.get("init_weights"):
        raise ValueError("hard reals are ranked by the starting weights: the config needs init_weights")
    faces = usable(reals)

    def score() -> np.ndarray:
        start = warm_started(fresh_model(config, size), config, log)
        return np.concatenate([probabilities(start, served_crops(faces[i:i + 512], size))
                               for i in range(0, len(faces), 512)])

    return boosted(starting_scores(Path(config["run_dir"]), [s.path for s in faces], score, log), share, boost)


def damage_odds(config: dict) -> dict:
    """The extra odds from the config: photo_damage's colour grade (`tone_odds`), enlarged small copy
    (`upscale_odds`), blur scaled to the face (`blur_odds`), background out of focus (`focus_odds`),
    edge-preserving smoothing (`smooth_odds`), grain (`grain_odds`) and sharpening (`sharpen_odds`), a tight cut around the face before
    them (`tight_odds`), and fakes whose pasted face is rendered at a swap generator's size
    (`render_odds`, the fake side only: it is what a swap is, not damage)."""
    return {"tone": float(config.get("tone_odds", 0.0)), "upscaled": float(config.get("upscale_odds", 0.0)),
            "blurred": float(config.get("blur_odds", 0.0)), "focus": float(config.get("focus_odds", 0.0)),
            "grainy": float(config.get("grain_odds", 0.0)), "smooth": float(config.get("smooth_odds", 0.0)),
            "sharp": float(config.get("sharpen_odds", 0.0)), "tight": float(config.get("tight_odds", 0.0)),
            "rendered": float(config.get("render_odds", 0.0))}


def fresh_model(config: dict, size: int):
    """The blend CNN as the config draws it (`init_seed`, 0 unless named), before any weights are loaded."""
    return build_blend_cnn(size, tuple(config["widths"]), init_seed=int(config.get("init_seed", 0)))


def warm_started(model, config: dict, log):
    """The new model, its served layers loaded from `init_weights` when the config names one (a fine-tune)."""
    return load_init_weights(model, config, log, served_view)


def fixed_pairs(samples: list[FaceSample], count: int, seed: int, size: int, swap_share: float,
                damage: dict | None = None):
    """A fixed set of (crops, labels) from samples never fitted on: checkpoint choice, calibration."""
    rng = np.random.default_rng(seed)
    faces = usable(samples)
    picks = rng.permutation(len(faces))[:count]
    crops, labels = [], []
    for k in picks:
        donor = faces[int(rng.integers(len(faces)))]
        real, fake, _ = make_pair(faces[k], donor, rng, size, swap_share, damage=damage)
        crops += [real, fake]
        labels += [0, 1]
    return np.stack(crops), np.array(labels)


def served_crops(samples: list[FaceSample], size: int) -> np.ndarray:
    """Undamaged samples' aligned crops, as serving cuts them."""
    return np.stack([aligned(s.context, s, 1.0, size)[0] for s in samples])


def probabilities(model, crops: np.ndarray, batch: int = 128) -> np.ndarray:
    """Raw P(blended) of uint8 crops (the classification head)."""
    out = []
    for i in range(0, len(crops), batch):
        out.append(np.asarray(model.predict_on_batch(to_model_input(crops[i:i + batch]))["prob"]).reshape(-1))
    return np.concatenate(out).astype(np.float64)


def train(config: dict, log) -> dict:
    """Train (or resume), keep the best checkpoint by choose-split AUC, calibrate, choose bands, export."""
    from models.evaluation import metrics

    size = int(config["input_size"])
    data = load_training_faces({**config, "train_fakes": False}, log)
    swap_share, damage = float(config["swap_share"]), damage_odds(config)
    batches = PairBatches(data.fit_reals, float(config["source_power"]), size, swap_share,
                          mask_side(size, len(config["widths"])), damage,
                          hard_real_boost(config, data.fit_reals, size, log))
    choose_x, choose_y = fixed_pairs(data.choose, int(config["choose_pairs"]), int(config["seed"]), size, swap_share,
                                     damage)
    model, step, resumed = resume_or_build(
        {**config, "loss_weights": {"prob": 1.0, "mask": float(config["mask_weight"])}},
        lambda: warm_started(fresh_model(config, size), config, log),
        {"prob": "binary_crossentropy", "mask": "binary_crossentropy"}, log)
    model = run_steps(model, step, resumed, config, lambda rng: batches.batch(int(config["batch"]), rng),
                      lambda m: metrics.auc(probabilities(m, choose_x), choose_y), log)
    return finish(model, config, data, choose_x, choose_y, log)


def finish(model, config: dict, data: TrainingFaces, choose_x: np.ndarray, choose_y: np.ndarray, log) -> dict:
    """Calibrate on the choose pairs, choose bands on every val source's real faces, export."""
    from models.training.export import calibrate_and_export

    size = int(config["input_size"])
    raw = probabilities(model, choose_x)
    band_raw = probabilities(model, served_crops(data.band_reals, size))
    return calibrate_and_export(served_view(model), config, raw, choose_y, per_source(data.band_reals, band_raw),
                                size, log)
