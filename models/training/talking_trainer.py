"""Trains `temporal_residual`: a bank of clip features first, then the sequence model, checkpointed.

1. Bank (`models.training.talking_data`): shards under RUN_DIR/bank, one per video and one per
   `shard_stills` photos, so an interrupted bank resumes at the next missing shard (two workers may
   share the work: a shard being built is locked). Splits:
   - train: the real clips of the train role (minus `val_videos`) with their pseudo-fakes, photos of
     AAF and UTKFace train made into clips, and the talking-head videos of the train role;
   - val: `val_videos` and AAF / UTKFace val photos, with their pseudo-fakes (choice and calibration);
   - report: holdout videos, read as they are; never trained on, never used to choose anything.
2. Sequence model: balanced batches (half real, the fake half spread over the fake kinds), half the
   clips cut short (masked). Loss: clip cross-entropy + per-frame + the mouth head's (where judged).
   Checkpoint every `checkpoint_every` steps; a rerun resumes (models.training.step_loop).
3. Finish: calibration of both heads and the bands on val, export of both .tflite files and the
   manifest entry. `identity_folds` trains the same model with each group of talking-head
   identities left out, for the out-of-fold figures of the model card.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from models.evaluation import metrics
from models.training.calibration import choose_bands, fit_calibration
from models.training.step_loop import resume_or_build, run_steps
from models.synth.talking import animate_still, clip_damage
from models.training.talking_data import KINDS, TalkingBank, bank_of, camera_clip, follow_face, run_fakes
from models.training.train_config import portable, resolve

# Config keys that decide the bank's contents: a bank on disk built with other values is refused.
BANK_KEYS = ("bank_format", "data_root", "seed", "clip_frames", "min_frames", "val_videos", "runs_per_video",
             "talking_runs", "stills_train", "stills_val", "shard_stills", "residual_weights")


def stable_id(name: str) -> int:
    """A stable 62-bit id of a source name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") >> 2


def identity(path: str) -> str:
    """A talking-head video's identity: its file name up to the first '-' (the portrait it was made from)."""
    return Path(path).stem.split("-")[0]


def read_rgb(path: Path) -> np.ndarray:
    """An image file as RGB uint8."""
    import cv2

    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(f"cannot read {path}")
    return np.ascontiguousarray(bgr[..., ::-1])


class ResidualFeatures:
    """Per-frame features of a served track, from generated_residual's cut model run through LiteRT as served."""

    def __init__(self, weights: Path, tflite_path: Path):
        from models.detectors.litert_runner import TFLiteRunner
        from models.detectors.residual import PATCH, build_residual_cnn
        from models.detectors.temporal_residual import residual_embedder
        from models.training.export import to_tflite

        if not tflite_path.exists():
            tflite_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = tflite_path.with_suffix(".tmp")
            tmp.write_bytes(to_tflite(residual_embedder(build_residual_cnn(weights=weights)), PATCH))
            tmp.replace(tflite_path)
        self.tflite_path = tflite_path
        self._runner = TFLiteRunner(tflite_path)

    def __call__(self, track) -> np.ndarray:
        """(T, FEATURE_DIM) float32 of a ServedTrack."""
        from models.detectors.temporal_residual import region_embeddings, track_features

        return track_features(track.crops, region_embeddings(self._runner, track.regions))


class TalkingTrainer:
    """Builds the bank and trains the sequence model from a resolved config dict."""

    def __init__(self, config: dict, log):
        self.config, self.log = config, log
        self.run_dir = Path(config["run_dir"])
        self.bank_dir = self.run_dir / "bank"
        self.length = int(config["clip_frames"])
        self.min_frames = int(config["min_frames"])
        self.data_root = resolve(config["data_root"])
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "resolved_config.json").write_text(json.dumps(portable(config), indent=2, sort_keys=True))
        self._features = self._face_detector = None

    # --- the bank ------------------------------------------------------------------------------
    def features(self) -> ResidualFeatures:
        """The features function, built once."""
        if self._features is None:
            self._features = ResidualFeatures(resolve(self.config["residual_weights"]), self.run_dir / "features.tflite")
        return self._features

    def face_detector(self):
        """The serving face detector, built once."""
        if self._face_detector is None:
            from models.faces.detect import FaceDetector

            self._face_detector = FaceDetector()
        return self._face_detector

    def jobs(self) -> list[tuple[str, str, str, object]]:
        """(shard name, split, kind, what) of every shard: kind "video", "talking", "holdout" or "stills"."""
        from models.training.sources import all_rows, select

        videos = all_rows(self.data_root, kind="video")
        val = set(self.config["val_videos"])
        out = []
        for row in select(videos, ("train",), label=0):
            split = "val" if row.path in val else "train"
            out.append((f"{split}-video-{Path(row.path).stem}", split, "video", row.path))
        for row in select(videos, ("train",), label=1):
            out.append((f"train-talking-{Path(row.path).stem}", "train", "talking", row.path))
        for row in select(videos, ("holdout",)):
            out.append((f"report-{Path(row.path).stem}", "report", "holdout", row))
        images = all_rows(self.data_root, kind="image")
        every = int(self.config["shard_stills"])
        for split, count in (("train", int(self.config["stills_train"])), ("val", int(self.config["stills_val"]))):
            rows = [r for r in select(images, (split,), label=0, sources=("aaf", "utkface"))]
            rows = sorted(rows, key=lambda r: stable_id(r.path))[:count]
            out += [(f"{split}-stills-{i // every:03d}", split, "stills", rows[i:i + every])
                    for i in range(0, len(rows), every)]
        return out

    def check_bank_settings(self) -> None:
        """Record the settings that decide the bank; refuse a bank on disk built with other values."""
        self.bank_dir.mkdir(parents=True, exist_ok=True)
        settings = json.dumps({key: portable(self.config).get(key) for key in BANK_KEYS}, sort_keys=True, default=str)
        path = self.bank_dir / "settings.json"
        if path.exists() and path.read_text() != settings and self.config.get("fresh"):
            for shard in self.bank_dir.glob("*.npz"):
                shard.unlink()
        elif path.exists() and path.read_text() != settings:
            raise ValueError(f"the bank in {self.bank_dir} was built with other settings; "
                             "rerun with --fresh or another --run-dir")
        path.write_text(settings)

    def build_bank(self) -> None:
        """Build every missing shard (a shard another worker is building is skipped)."""
        self.check_bank_settings()
        jobs = self.jobs()
        for number, (name, _, kind, what) in enumerate(jobs, 1):
            path, lock = self.bank_dir / f"{name}.npz", self.bank_dir / f"{name}.lock"
            if path.exists():
                continue
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                continue
            try:
                bank = self.shard(kind, what)
                if bank is not None:
                    bank.save(path)
                else:
                    np.savez(path, empty=np.zeros(0))
                self.log(f"bank shard {number}/{len(jobs)} {name}: {0 if bank is None else len(bank.labels)} clips")
            finally:
                os.close(fd)
                lock.unlink(missing_ok=True)

    def shard(self, kind: str, what) -> TalkingBank | None:
        """One shard's bank (`kind` and `what` as `jobs` gives them)."""
        seed = int(self.config["seed"])
        if kind == "stills":
            return self.stills_shard(what, seed)
        from models.serving.frames import sample_clips

        path = self.data_root / (what.path if kind == "holdout" else what)
        name = str(what.path if kind == "holdout" else what)
        group = stable_id(name)
        count = int(self.config["talking_runs" if kind == "talking" else "runs_per_video"])
        runs = [[f.image for f in run] for run in
                sample_clips(path, count, self.length, max_side=1280, distinct=True)]
        detector = self.face_detector()
        tracks = []
        if kind in ("talking", "holdout"):
            label_kind = "talking_head" if kind == "talking" or what.label == 1 else "real"
            source = identity(name) if label_kind == "talking_head" else name
            for r, frames in enumerate(runs):
                if kind == "talking":
                    frames = clip_damage(np.random.default_rng([seed, group % 2**31, r]))(frames)
                tracks.append((follow_face(frames, detector), label_kind, group, source))
            return bank_of(tracks, self.features(), self.length, self.min_frames)
        clean = [follow_face(frames, detector) for frames in runs]
        for r, (frames, track) in enumerate(zip(runs, clean)):
            if track is None or len(track.crops) < self.min_frames:
                continue
            frames = frames[:len(track.crops)]
            donor = (r + 1) % len(runs)
            donor_track = clean[donor]
            rng = np.random.default_rng([seed, group % 2**31, r])
            fakes = run_fakes(frames, track.keypoints, runs[donor] if donor_track is not None else None,
                              donor_track.keypoints if donor_track is not None else None, rng)
            damage = clip_damage(rng)
            for clip_kind, clip in [("real", frames), *fakes.items()]:
                tracks.append((follow_face(damage(clip), detector), clip_kind, group, name))
        return bank_of(tracks, self.features(), self.length, self.min_frames)

    def stills_shard(self, rows, seed: int) -> TalkingBank | None:
        """Photos made into clips: each moved by a camera (real) and animated (fake), damaged alike."""
        detector = self.face_detector()
        tracks = []
        for row in rows:
            image = read_rgb(self.data_root / row.path)
            found = follow_face([image], detector)
            if found is None:
                continue
            group = stable_id(row.path)
            rng = np.random.default_rng([seed, group % 2**31])
            real = camera_clip(image, rng, self.length)
            fake = animate_still(image, found.keypoints[0], rng, self.length)
            damage = clip_damage(rng)
            for kind, clip in (("still", real), ("animated", fake)):
                tracks.append((follow_face(damage(clip), detector), kind, group, row.path))
        return bank_of(tracks, self.features(), self.length, self.min_frames)

    def load_split(self, split: str) -> TalkingBank:
        """Every shard of a split joined."""
        banks = []
        for path in sorted(self.bank_dir.glob(f"{split}-*.npz")):
            if path.name.endswith(".tmp.npz"):
                continue
            with np.load(path) as data:
                if "empty" in data.files:
                    continue
            banks.append(TalkingBank.load(path))
        if not banks:
            raise FileNotFoundError(f"no {split} clips in {self.bank_dir}")
        return TalkingBank.concat(banks)

    # --- the sequence model --------------------------------------------------------------------
    def run(self) -> dict:
        """Bank, training, export; returns the report."""
        self.build_bank()
        train, val = self.load_split("train"), self.load_split("val")
        self.log(f"bank: {len(train.labels)} train clips, {len(val.labels)} val clips")
        model = fit(train, val, self.config, self.log, self.run_dir)
        report, scores = calibrate(model, val)
        report["validation"] = kind_metrics(scores, val)
        self.log("validation: " + json.dumps(report["validation"]))
        from models.detectors.weights_manifest import WEIGHTS_DIR

        out_dir = WEIGHTS_DIR if self.config.get("export", True) else self.run_dir / "export"
        write_files(model, self.features().tflite_path, self.config, report, out_dir)
        return report


def masked_bce(y_true, y_pred):
    """Binary cross-entropy over the clips whose label is 0 or 1 (-1: not judged)."""
    from keras import ops

    judged = ops.cast(y_true >= 0, "float32")
    y = ops.clip(y_true, 0.0, 1.0)
    p = ops.clip(y_pred, 1e-6, 1 - 1e-6)
    bce = -(y * ops.log(p) + (1 - y) * ops.log(1 - p))
    return ops.sum(bce * judged) / ops.maximum(ops.sum(judged), 1.0)


def losses():
    """Clip and curve cross-entropy; the mouth head's cross-entropy where its label is not -1
    (registered with Keras, so a checkpoint that names it loads again)."""
    import keras

    name = "unmask>masked_bce"
    if keras.saving.get_registered_object(name) is None:
        keras.saving.register_keras_serializable(package="unmask", name="masked_bce")(masked_bce)
    return [keras.losses.BinaryCrossentropy(), keras.losses.BinaryCrossentropy(), masked_bce]


class Batches:
    """Balanced batches from a bank: half real clips, the other half spread evenly over the fake kinds."""

    def __init__(self, bank: TalkingBank, truncate_prob: float, min_frames: int):
        self.bank, self.truncate_prob, self.min_frames = bank, truncate_prob, min_frames
        self.real = np.flatnonzero(bank.labels == 0)
        self.fake_kinds = [np.flatnonzero((bank.kinds == k) & (bank.labels == 1)) for k in range(len(KINDS))]
        self.fake_kinds = [ids for ids in self.fake_kinds if len(ids)]
        if not len(self.real) or not self.fake_kinds:
            raise ValueError("training needs real and fake clips")

    def __call__(self, rng: np.random.Generator, size: int):
        """([features, mask], [clip labels, frame labels, mouth labels])."""
        half = size // 2
        picks = list(rng.choice(self.real, half))
        kinds = rng.integers(len(self.fake_kinds), size=size - half)
        picks += [int(rng.choice(self.fake_kinds[k])) for k in kinds]
        picks = np.array(picks)
        x = self.bank.features[picks].astype(np.float32)
        mask = self.bank.masks[picks].astype(np.float32)
        for row in range(len(picks)):
            length = int(mask[row].sum())
            if rng.random() < self.truncate_prob and length > self.min_frames:
                keep = int(rng.integers(self.min_frames, length + 1))
                mask[row, keep:] = 0
        x *= mask[..., None]
        y = self.bank.labels[picks].astype(np.float32)
        frames = y[:, None] * mask
        mouth = self.bank.mouth_labels[picks].astype(np.float32)
        return [x, mask], [y[:, None], frames, mouth[:, None]]


def predict_bank(model, bank: TalkingBank, batch: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Raw (clip, mouth) outputs of the Keras model for every clip of a bank."""
    clips, mouths = [], []
    for start in range(0, len(bank.labels), batch):
        x = bank.features[start:start + batch].astype(np.float32)
        mask = bank.masks[start:start + batch].astype(np.float32)
        clip, _, mouth = model([x, mask], training=False)
        clips.append(np.asarray(clip).reshape(-1))
        mouths.append(np.asarray(mouth).reshape(-1))
    return np.concatenate(clips), np.concatenate(mouths)


def fit(train: TalkingBank, val: TalkingBank, config: dict, log, run_dir: Path):
    """Train the sequence model from its last checkpoint (or afresh); the best checkpoint by val AUC."""
    from models.detectors.temporal_residual import build_temporal_residual

    config = {**config, "run_dir": str(run_dir),
              "loss_weights": [1.0, float(config["frame_loss_weight"]), float(config["mouth_loss_weight"])]}
    model, step, resumed = resume_or_build(config, lambda: build_temporal_residual(
        frames=train.features.shape[1], features=train.features.shape[2], width=int(config.get("width", 48))),
                                           losses(), log)
    batches = Batches(train, float(config["truncate_prob"]), int(config["min_frames"]))

    def choose_auc(current) -> float:
        """AUC of the clip score on the val clips."""
        return float(metrics.auc(predict_bank(current, val)[0], val.labels))

    return run_steps(model, step, resumed, config, lambda rng: batches(rng, int(config["batch"])), choose_auc, log)


def calibrate(model, val: TalkingBank) -> tuple[dict, np.ndarray]:
    """Calibration of both heads and the clip score's bands, from the val clips; and their calibrated scores."""
    raw, mouth_raw = predict_bank(model, val)
    calibration = fit_calibration(raw, val.labels)
    scores = calibration.apply(raw)
    judged = val.mouth_labels >= 0
    mouth_calibration = fit_calibration(mouth_raw[judged], val.mouth_labels[judged])
    bands = choose_bands(scores[val.labels == 0], scores[val.labels == 1])
    return {"calibration": calibration.to_dict(), "mouth_calibration": mouth_calibration.to_dict(),
            "bands": bands, "parameters": int(model.count_params())}, scores


def kind_metrics(scores: np.ndarray, bank: TalkingBank) -> dict:
    """AUC of each fake kind against the real clips (real and still), with counts."""
    real = bank.labels == 0
    out = {}
    for k, name in enumerate(KINDS):
        fake = (bank.kinds == k) & (bank.labels == 1)
        if fake.any() and real.any():
            keep = fake | real
            out[name] = {"count": int(fake.sum()), "auc": float(metrics.auc(scores[keep], fake[keep]))}
    out["real_count"] = int(real.sum())
    return out


def write_files(model, features_tflite: Path, config: dict, report: dict, out_dir: Path) -> None:
    """Both .tflite files, Keras weights, config and the manifest entry (fusion: max until chosen)."""
    import tensorflow as tf

    from models.detectors.temporal_residual import served_sequence
    from models.detectors.weights_manifest import read_manifest, sha256_file, write_entry
    from models.serving.mouth_signals import MOUTH_SIGNAL_NAMES
    from models.serving.temporal_signals import SIGNAL_NAMES
    from models.training.export import save_weights_only
    from models.training.temporal_trainer import temporal_version

    out_dir.mkdir(parents=True, exist_ok=True)
    sequence_path = out_dir / "temporal_residual.tflite"
    features_path = out_dir / "temporal_residual_features.tflite"
    sequence_path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(served_sequence(model)).convert())
    features_path.write_bytes(Path(features_tflite).read_bytes())
    save_weights_only(model, out_dir / "temporal_residual.weights.h5")
    config_text = json.dumps(portable(config), indent=2, sort_keys=True, default=str)
    (out_dir / "temporal_residual.config.json").write_text(config_text)
    previous = read_manifest(out_dir).get("temporal_residual", {})
    fusion = previous.get("fusion") or {"method": "max", "frame_weight": 1.0, "temporal_weight": 1.0, "bias": 0.0,
                                        "bands": None}
    digest, features_digest = sha256_file(sequence_path), sha256_file(features_path)
    entry = {
        "file": sequence_path.name, "sha256": digest,
        "version": temporal_version(digest, features_digest, config_text, fusion),
        "features_file": features_path.name, "features_sha256": features_digest,
        "keras_weights": "temporal_residual.weights.h5",
        "keras_weights_sha256": sha256_file(out_dir / "temporal_residual.weights.h5"),
        "residual_weights_sha256": sha256_file(resolve(config["residual_weights"])),
        "max_frames": int(config["clip_frames"]),
        "signals": list(SIGNAL_NAMES) + list(MOUTH_SIGNAL_NAMES),  # after the residual features
        "score": "probability that the clip is synthetic or manipulated over time (talking heads, lip sync, "
                 "animated stills, flicker); mouth: the mouth head's probability",
        "calibration": report["calibration"], "mouth_calibration": report["mouth_calibration"],
        "bands": report["bands"], "parameters": report["parameters"], "validation": report.get("validation"),
        "fusion": fusion,
    }
    if previous.get("fusion_validation"):
        entry["fusion_validation"] = previous["fusion_validation"]
    write_entry("temporal_residual", entry, out_dir)


def train(config: dict, log) -> dict:
    """`unmask train --config temporal_residual`: the whole run."""
    return TalkingTrainer(config, log).run()


def identity_folds(trainer: TalkingTrainer, folds: int, steps: int) -> dict:
    """Out-of-fold scores of the talking heads: the model trained `folds` times, each time without one
    group of identities, scoring that group's videos and the report split's videos (a video's score:
    the top-half mean of its clips'). Returns {"folds": [...], "videos": per-video rows}."""
    from models.serving.aggregate import robust_mean

    train, val, report = trainer.load_split("train"), trainer.load_split("val"), trainer.load_split("report")
    talking = train.kinds == KINDS.index("talking_head")
    identities = sorted(set(train.sources[talking]))
    out = {"folds": [], "videos": []}
    for k in range(folds):
        left_out = identities[k::folds]
        held = talking & np.isin(train.sources, left_out)
        config = {**trainer.config, "steps": steps, "fresh": True}
        model = fit(train.subset(~held), val, config, trainer.log, trainer.run_dir / "folds" / str(k))
        calibration = fit_calibration(predict_bank(model, val)[0], val.labels)
        for bank, kind in ((train.subset(held), "talking_head"), (report, "report")):
            scores = calibration.apply(predict_bank(model, bank)[0])
            for group in np.unique(bank.groups):
                members = bank.groups == group
                out["videos"].append({"fold": k, "source": str(bank.sources[members][0]), "kind": kind,
                                      "label": int(bank.labels[members][0]), "clips": int(members.sum()),
                                      "score": float(robust_mean(list(scores[members])))})
        out["folds"].append({"fold": k, "left_out": list(left_out)})
        trainer.log(f"fold {k}: left out {left_out}")
    return out
