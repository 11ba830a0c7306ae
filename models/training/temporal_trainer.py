"""Trains the temporal detector: a bank of clip features first, then the sequence model, checkpointed.

1. Bank: real clips from the training videos and from AAF stills moved by a smooth camera, each
   with its smooth-fake and flickering-fake twins (`models.training.temporal_data`), every frame embedded by
   the frozen frame CNN (`frame_cnn_weights`) beside the measured signals. Written in shards
   (one per video, one per `shard_stills` stills) under RUN_DIR/bank, so an interrupted bank
   resumes at the next missing shard. Validation uses held-out videos and the AAF val split.
2. Sequence model: batches drawn from the bank by (seed, step); half the clips are cut to a random
   shorter length (masked), their label recomputed from the frames kept. Loss: clip cross-entropy
   + `frame_loss_weight` x masked per-frame cross-entropy. Checkpoint (model with optimizer state,
   step) every `checkpoint_every` steps; a rerun resumes from it.
3. Finish: calibration and score bands on half the validation sources, metrics on the other half,
   the fusion method chosen on validation (`models.training.fusion_fit.choose_fusion`), export of both .tflite
   files and the manifest entry.
"""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np

from models.detectors.calibration import Calibration
from models.evaluation import metrics
from models.training.calibration import choose_bands, fit_calibration
from models.training.checkpoints import load_checkpoint, save_checkpoint
from models.training.temporal_data import (CLIP_KINDS, ClipBank, Donors, bank_of, source_clips, still_source,
                                           video_sources)
from models.training.train_config import portable, resolve
from models.training.trainer import lr_at

SPLITS = ("train", "val")
# Config keys that decide the bank's contents: a bank on disk built with other values is refused.
BANK_KEYS = ("data_root", "seed", "crop_size", "clip_frames", "min_frames", "val_videos", "video_clips", "shard_stills",
             "swap_prob", "stills", "donors")


def read_still(data_root: Path, rel: str) -> np.ndarray:
    """An AAF photo as RGB uint8."""
    import cv2

    bgr = cv2.imread(str(Path(data_root) / "aaf" / rel), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(f"cannot read {rel}")
    return np.ascontiguousarray(bgr[..., ::-1])


class Embedder:
    """The frozen frame CNN cut at its penultimate layer, run through LiteRT as served.

    The .tflite is converted once into `tflite_path`; the bank's features come from the very file
    that ships, so training sees the features serving computes (LiteRT is also ~3x faster than
    Keras here).
    """

    def __init__(self, weights_path: Path | None, tflite_path: Path, size: int = 224):
        from models.detectors.frame_cnn import build_frame_cnn
        from models.detectors.litert_runner import TFLiteRunner
        from models.detectors.temporal import frame_embedder
        from models.training.export import to_tflite

        self.cnn = build_frame_cnn(None, weights=weights_path)
        self.model = frame_embedder(self.cnn)
        self.dim = int(self.model.output.shape[-1])
        tflite_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = tflite_path.with_suffix(".tmp")
        tmp.write_bytes(to_tflite(self.model, size))
        tmp.replace(tflite_path)
        self.tflite_path = tflite_path
        self._runner = TFLiteRunner(tflite_path)

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        """(n, D) float32 features of uint8 crops (n, S, S, 3)."""
        if len(crops) == 0:
            return np.zeros((0, self.dim), np.float32)
        return self._runner.run(np.asarray(crops, dtype=np.float32) / 127.5 - 1.0)

    def frame_probabilities(self, features: np.ndarray) -> np.ndarray:
        """The frame CNN's raw sigmoid output from stored embeddings (its logit layer applied to them)."""
        kernel, bias = self.cnn.get_layer("logit").get_weights()
        z = features.astype(np.float64) @ kernel.reshape(-1).astype(np.float64) + float(bias.reshape(-1)[0])
        return 1.0 / (1.0 + np.exp(-z))


class TemporalTrainer:
    """Builds the clip bank and trains the temporal sequence model from a resolved config dict."""

    def __init__(self, config: dict, log):
        self.config, self.log = config, log
        self.run_dir = Path(config["run_dir"])
        self.bank_dir = self.run_dir / "bank"
        self.ckpt_dir = self.run_dir / "checkpoint"
        self.length = int(config["clip_frames"])
        self.size = int(config.get("crop_size", 224))  # served crop side; smaller only in tests
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "resolved_config.json").write_text(json.dumps(portable(config), indent=2, sort_keys=True))
        self._embedder = None

    # --- the bank ----------------------------------------------------------------------------------
    def weights_path(self) -> Path | None:
        """The frame CNN's Keras weights; None only when the config asks for an untrained CNN (tests)."""
        if self.config.get("untrained_frame_cnn"):
            return None
        path = resolve(self.config["frame_cnn_weights"])
        if not path.exists():
            raise FileNotFoundError(f"frame CNN weights {path} not found: train the frame CNN first "
                                    "(unmask train --config frame_cnn)")
        return path

    def embedder(self) -> Embedder:
        """The frame embedder, built once."""
        if self._embedder is None:
            self._embedder = Embedder(self.weights_path(), self.run_dir / "features.tflite", self.size)
        return self._embedder

    def jobs(self, split: str) -> list[tuple[str, object]]:
        """Bank shards of a split: ("video", path) per video, ("stills", rows) per `shard_stills` stills."""
        from models.training.dataset_index import read_aaf_index

        root = Path(self.config["data_root"])
        held_out = set(self.config.get("val_videos", []))
        videos = sorted((root / "real-videos").glob("*.mp4"))
        mine = [p for p in videos if (p.name in held_out) == (split == "val")]
        rows = read_aaf_index(root, split)[: self.config["stills"][split] + self.config["donors"][split]]
        size = self.config["shard_stills"]
        sources = rows[self.config["donors"][split]:]
        out = [("video", p) for p in mine]
        out += [("stills", sources[i:i + size]) for i in range(0, len(sources), size)]
        return out

    def donors(self, split: str) -> Donors | None:
        """Swap donors: the first `donors[split]` stills of the split (never used as sources)."""
        from models.training.dataset_index import read_aaf_index

        count = self.config["donors"][split]
        if count <= 0:
            return None
        root = Path(self.config["data_root"])
        rows = read_aaf_index(root, split)[:count]
        return Donors.from_stills([(read_still(root, rel), marks) for rel, marks in rows], self.size)

    def sources(self, split: str, number: int, job, face_detector) -> list:
        """The ClipSources of one job: a video's runs, or stills moved by a camera."""
        kind, payload = job
        if kind == "video":
            return video_sources(payload, face_detector, self.config["video_clips"], self.length,
                                 self.config["min_frames"], self.size)
        root, seed = Path(self.config["data_root"]), self.config["seed"]
        rngs = [np.random.default_rng([seed, SPLITS.index(split), number, i]) for i in range(len(payload))]
        return [still_source(read_still(root, rel), marks, rng, self.length, rel, size=self.size)
                for (rel, marks), rng in zip(payload, rngs)]

    def shard(self, split: str, number: int, job, donors: Donors | None, face_detector) -> ClipBank | None:
        """One shard's clips embedded into a ClipBank (None when the job yields no clip)."""
        clips, groups = [], []
        for i, source in enumerate(self.sources(split, number, job, face_detector)):
            seed = (self.config["seed"], SPLITS.index(split), number, i)
            clips += source_clips(source, seed, donors, self.config["swap_prob"])
            groups += [number * 100_000 + i] * len(CLIP_KINDS)
        return bank_of(clips, groups, self.embedder(), self.length) if clips else None

    def check_bank_settings(self) -> None:
        """Record the settings the bank is built with; refuse a bank on disk built with other ones."""
        from models.detectors.weights_manifest import sha256_file

        weights = self.weights_path()
        settings = {key: self.config.get(key) for key in BANK_KEYS}
        settings["frame_cnn_weights_sha256"] = sha256_file(weights) if weights else "untrained"
        path = self.bank_dir / "settings.json"
        if path.exists():
            if json.loads(path.read_text()) != settings:
                raise RuntimeError(f"the clip bank in {self.bank_dir} was built with other settings or frame CNN "
                                   "weights; delete that folder or choose another --run-dir")
            return
        self.bank_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings, indent=2, sort_keys=True))

    def bank(self, split: str) -> ClipBank:
        """The split's bank, building the shards that are not on disk yet."""
        self.check_bank_settings()
        jobs = self.jobs(split)
        context: dict = {}  # donors and the face detector, made once and only when a shard is built
        banks = []
        for number, job in enumerate(jobs):
            path = self.bank_dir / f"{split}_{number:04d}.npz"
            empty = path.with_suffix(".empty")
            if not path.exists() and not empty.exists():
                self.build_shard(split, number, len(jobs), job, path, context)
            if path.exists():
                banks.append(ClipBank.load(path))
        if not banks:
            raise RuntimeError(f"no {split} clips could be made")
        return ClipBank.concat(banks)

    def build_shard(self, split: str, number: int, count: int, job, path: Path, context: dict) -> None:
        """Build and save one shard (or mark it empty when its job yields no clip)."""
        if "donors" not in context:
            context["donors"] = self.donors(split)
        if job[0] == "video" and "faces" not in context:
            from models.faces.detect import FaceDetector

            context["faces"] = FaceDetector()
        started = time.time()
        built = self.shard(split, number, job, context["donors"], context.get("faces"))
        if built is None:
            path.with_suffix(".empty").write_text("no clips\n")
            return
        built.save(path)
        self.log(f"bank {split} shard {number + 1}/{count}: {len(built.labels)} clips in "
                 f"{time.time() - started:.0f} s")

    # --- the sequence model ------------------------------------------------------------------------
    def model_and_step(self, feature_dim: int):
        """The model to train and its global step, from the checkpoint when there is one."""
        import tensorflow as tf

        saved = None if self.config.get("fresh") else load_checkpoint(self.ckpt_dir)
        if saved:
            self.log(f"resuming from step {saved[1]}")
            return saved
        from models.detectors.temporal import build_temporal

        tf.keras.utils.set_random_seed(self.config["seed"])
        model = build_temporal(frames=self.length, features=feature_dim)
        model.compile(optimizer=tf.keras.optimizers.Adam(self.config["learning_rate"]))
        return model, 0

    def save_checkpoint(self, model, step: int, record: dict) -> None:
        """Model (with optimizer state) and step, written so a crash leaves the previous one whole."""
        save_checkpoint(self.ckpt_dir, model, step, record)

    def batch(self, bank: ClipBank, step: int) -> tuple[np.ndarray, ...]:
        """Batch `step`: features, masks, clip labels and frame labels; some clips cut shorter."""
        rng = np.random.default_rng([self.config["seed"], 7, step])
        idx = rng.integers(0, len(bank.labels), self.config["batch"])
        x = bank.features[idx].astype(np.float32)
        mask = bank.masks[idx].astype(np.float32)
        frames = bank.frame_labels[idx].astype(np.float32)
        lengths = mask.sum(axis=1).astype(int)
        cut = rng.random(len(idx)) < self.config["truncate_prob"]
        for row in np.flatnonzero(cut):
            keep = int(rng.integers(self.config["min_frames"], max(self.config["min_frames"], lengths[row]) + 1))
            mask[row, keep:] = 0
        x *= mask[..., None]
        frames *= mask
        return x, mask, frames.max(axis=1), frames

    def train_step_fn(self, model):
        """A compiled training step: clip + masked frame cross-entropy, one optimizer update."""
        import tensorflow as tf

        frame_weight = float(self.config["frame_loss_weight"])
        bce = tf.keras.losses.BinaryCrossentropy(reduction="none")

        @tf.function
        def step(x, mask, clip_labels, frame_labels, rate):
            """One update at learning rate `rate`; returns the loss."""
            model.optimizer.learning_rate.assign(rate)
            with tf.GradientTape() as tape:
                clip, curve = model([x, mask], training=True)
                clip_loss = tf.reduce_mean(bce(clip_labels[:, None], clip))
                per_frame = bce(frame_labels[..., None], curve[..., None]) * mask
                frame_loss = tf.reduce_sum(per_frame) / tf.maximum(tf.reduce_sum(mask), 1.0)
                loss = clip_loss + frame_weight * frame_loss
            grads = tape.gradient(loss, model.trainable_variables)
            model.optimizer.apply_gradients(zip(grads, model.trainable_variables))
            return loss

        return step

    def run(self) -> dict:
        """Bank, training from the current step, then calibration and export; returns the report."""
        train_bank, val_bank = self.bank("train"), self.bank("val")
        feature_dim = int(train_bank.features.shape[2])
        self.log(f"bank: {len(train_bank.labels)} train clips, {len(val_bank.labels)} val clips "
                 f"({feature_dim} features per frame)")
        model, step = self.model_and_step(feature_dim)
        train_step = self.train_step_fn(model)
        total, every = self.config["steps"], self.config["checkpoint_every"]
        while step < total:
            started, losses = time.time(), []
            for _ in range(min(every, total - step)):
                rate = lr_at(step, self.config["learning_rate"], self.config["warmup_steps"], total)
                losses.append(float(train_step(*self.batch(train_bank, step), np.float32(rate))))
                step += 1
            val = validate(model, val_bank)
            self.log(f"step {step}/{total} loss {np.mean(losses):.4f} {len(losses) / (time.time() - started):.1f} "
                     f"steps/s val AUC " + " ".join(f"{k} {v['auc']:.3f}" for k, v in val.items()),
                     step=step, loss=float(np.mean(losses)), val=val)
            self.save_checkpoint(model, step, {"loss": float(np.mean(losses)), "val": val})
        report = self.finish(model, val_bank)
        (self.run_dir / "final.json").write_text(json.dumps(report, indent=2))
        return report

    def finish(self, model, val_bank: ClipBank) -> dict:
        """Calibrate on half the validation sources, measure on the other half, choose fusion, export."""
        from models.training.fusion_fit import choose_fusion

        raw = predict_bank(model, val_bank)
        calib = val_bank.groups % 2 == 0
        calibration = fit_calibration(raw[calib], val_bank.labels[calib])
        scores = calibration.apply(raw)
        bands = choose_bands(scores[calib & (val_bank.labels == 0)], scores[calib & (val_bank.labels == 1)])
        held = val_bank.subset(~calib)
        validation = kind_metrics(scores[~calib], held)
        frame_ev = frame_evidence(self.embedder(), val_bank, self.frame_calibration())
        fake = (val_bank.kinds != CLIP_KINDS.index("real")).astype(int)
        fusion, fusion_table = choose_fusion(frame_ev, scores, fake)
        self.log("held-out validation: " + json.dumps(validation))
        self.log(f"fusion chosen on validation: {fusion.method} " + json.dumps(fusion_table))
        report = {"calibration": calibration.to_dict(), "bands": bands, "validation": validation,
                  "fusion": fusion.to_dict(), "fusion_validation": fusion_table,
                  "parameters": int(model.count_params())}
        from models.detectors.weights_manifest import WEIGHTS_DIR

        out_dir = WEIGHTS_DIR if self.config.get("export", True) else self.run_dir / "export"
        write_temporal_files(model, self.embedder().tflite_path, self.config, report, out_dir, self.weights_path())
        return report

    def frame_calibration(self) -> Calibration:
        """The frame CNN's shipped calibration (identity when its manifest entry is absent)."""
        from models.detectors.weights_manifest import read_manifest

        path = self.weights_path()
        entry = read_manifest(path.parent).get("frame_cnn") if path is not None else None
        return Calibration.from_dict(entry["calibration"]) if entry else Calibration()


def predict_bank(model, bank: ClipBank, batch: int = 256) -> np.ndarray:
    """Raw clip outputs of the Keras model for every clip of a bank, at full length."""
    out = []
    for start in range(0, len(bank.labels), batch):
        x = bank.features[start:start + batch].astype(np.float32)
        mask = bank.masks[start:start + batch].astype(np.float32)
        out.append(model([x, mask], training=False)[0].numpy().reshape(-1))
    return np.concatenate(out)


def kind_metrics(scores: np.ndarray, bank: ClipBank) -> dict:
    """AUCs: flicker vs real, flicker vs smooth, smooth vs real (near 0.5 is intended), and all."""
    kind = {name: bank.kinds == i for i, name in enumerate(CLIP_KINDS)}
    pairs = {"flicker_vs_real": ("flicker", "real"), "flicker_vs_smooth": ("flicker", "smooth"),
             "smooth_vs_real": ("smooth", "real")}
    out = {}
    for name, (pos, neg) in pairs.items():
        keep = kind[pos] | kind[neg]
        if kind[pos].any() and kind[neg].any():
            out[name] = metrics.summary(scores[keep], kind[pos][keep].astype(int))
    if 0 < bank.labels.sum() < len(bank.labels):
        out["all"] = metrics.summary(scores, bank.labels)
    return out


def validate(model, bank: ClipBank) -> dict:
    """kind_metrics of the model's raw clip outputs on a bank."""
    return kind_metrics(predict_bank(model, bank), bank)


def frame_evidence(embedder: Embedder, bank: ClipBank, calibration: Calibration) -> np.ndarray:
    """Per clip: the top-half mean of the frame CNN's calibrated scores of its valid frames."""
    from models.serving.aggregate import robust_mean

    dim = embedder.dim
    out = np.zeros(len(bank.labels))
    for i in range(len(bank.labels)):
        valid = bank.masks[i].astype(bool)
        raw = embedder.frame_probabilities(bank.features[i, valid, :dim])
        out[i] = robust_mean(calibration.apply(raw))
    return out


def write_temporal_files(model, features_tflite: Path, config: dict, report: dict, out_dir: Path,
                         frame_weights: Path | None) -> None:
    """Both .tflite files (the features one as the bank used it), Keras weights, config and manifest entry."""
    from models.detectors.weights_manifest import sha256_file, write_entry
    from models.serving.temporal_signals import SIGNAL_NAMES
    from models.training.export import save_weights_only

    out_dir.mkdir(parents=True, exist_ok=True)
    sequence_path, features_path = out_dir / "temporal.tflite", out_dir / "temporal_features.tflite"
    sequence_path.write_bytes(sequence_tflite(model))
    features_path.write_bytes(Path(features_tflite).read_bytes())
    save_weights_only(model, out_dir / "temporal.weights.h5")
    config_text = json.dumps(portable(config), indent=2, sort_keys=True, default=str)
    (out_dir / "temporal.config.json").write_text(config_text)
    digest, features_digest = sha256_file(sequence_path), sha256_file(features_path)
    version = temporal_version(digest, features_digest, config_text, report["fusion"])
    write_entry("temporal", {
        "file": sequence_path.name, "sha256": digest, "version": version,
        "features_file": features_path.name, "features_sha256": features_digest,
        "keras_weights": "temporal.weights.h5", "keras_weights_sha256": sha256_file(out_dir / "temporal.weights.h5"),
        "frame_cnn_weights_sha256": sha256_file(frame_weights) if frame_weights else None,
        "max_frames": int(config["clip_frames"]), "signals": list(SIGNAL_NAMES),
        "score": ("probability that the clip flickers (smooth fakes are labelled 0; "
                  "see models/training/temporal_data.py)"),
        "calibration": report["calibration"], "bands": report["bands"],
        "input_size": int(config.get("crop_size", 224)),
        "parameters": report["parameters"], "validation": report["validation"],
        "fusion": report["fusion"], "fusion_validation": report["fusion_validation"],
    }, out_dir)


def temporal_version(digest: str, features_digest: str, config_text: str, fusion: dict) -> str:
    """The detector's version: a sha256 prefix of both files, the resolved config and the fusion rule
    (the fused verdict depends on it too, so a new rule is a new version and old cached results go)."""
    fusion_text = json.dumps(fusion, sort_keys=True)
    return hashlib.sha256((digest + features_digest + config_text + fusion_text).encode()).hexdigest()[:12]


def sequence_tflite(model) -> bytes:
    """The sequence model as a .tflite flatbuffer (inference mode, dynamic batch, fixed length)."""
    import tensorflow as tf
    from tensorflow import keras

    frames, features = model.inputs[0].shape[1:]
    x = keras.Input((frames, features), name="features")
    mask = keras.Input((frames,), name="mask")
    served = keras.Model([x, mask], model([x, mask], training=False))
    return tf.lite.TFLiteConverter.from_keras_model(served).convert()


def train(config: dict, log) -> dict:
    """`unmask train --config temporal`: the whole run."""
    return TemporalTrainer(config, log).run()
