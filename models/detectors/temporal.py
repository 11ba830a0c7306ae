"""The temporal inconsistency detector: does one person's face flicker over consecutive frames?

Per frame, a feature vector: the frame CNN's penultimate layer (its last Dense 400, the input of
its `logit` layer; the frame CNN's Keras weights, frozen) followed by the measured signals of
`models.serving.temporal_signals` (colour and sharpness of the face against its surroundings, change in
the blending band, the face's slip against its surroundings). A small sequence model reads a
clip of up to MAX_FRAMES such vectors with a mask of valid frames:

    per frame: LayerNorm -> Dense(width, gelu); its change since the previous frame beside it
    -> Dense(width) -> residual dilated Conv1D blocks (dilations 1, 2, 4: 15 frames of context)
    -> per-frame inconsistency curve (sigmoid), and the masked mean and max over frames
    -> Dense -> clip score (sigmoid).

Padded frames are zeroed after every layer, so a padded short track scores exactly as the
unpadded track would (zero padding is also what the convolutions see at a track's ends). The
score is the calibrated probability that the clip flickers (see `models.training.temporal_data` for the
labels); the video verdict combines it with frame-level scores in `models.serving.fusion`.

Served through LiteRT from two files in one manifest entry: `temporal.tflite` (the sequence model,
inputs `features` (N, MAX_FRAMES, F) and `mask` (N, MAX_FRAMES)) and `temporal_features.tflite`
(the frame CNN cut at its penultimate layer, exported from the weights the model was trained on).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from models.detectors.calibration import Calibration
from models.detectors.detector import ClipDetector, ClipScores, ScoreBands, check_clip_mask
from models.detectors.litert_runner import TFLiteRunner, _interpreter_class
from models.detectors.registry import register
from models.detectors.weights_manifest import WEIGHTS_DIR, WeightsMissing, sha256_file, verified_entry
from models.serving.fusion import FusionConfig
from models.serving.temporal_signals import N_SIGNALS, frame_signals

__all__ = ["TemporalDetector", "build_temporal", "frame_embedder", "WeightsMissing",
           "MAX_FRAMES", "EMBED_DIM", "FEATURE_DIM"]

MAX_FRAMES = 16
EMBED_DIM = 400  # the frame CNN's last Dense layer
FEATURE_DIM = EMBED_DIM + N_SIGNALS


def frame_embedder(cnn):
    """The frame CNN (a built Keras model) cut at its penultimate layer: the input of its `logit` layer."""
    from tensorflow import keras

    return keras.Model(cnn.input, cnn.get_layer("logit").input, name="frame_embedder")


def _previous(x):
    """x shifted one frame later along time (zeros on the first frame)."""
    from keras import ops

    return ops.pad(x, [[0, 0], [1, 0], [0, 0]])[:, :-1]


def build_temporal(frames: int = MAX_FRAMES, features: int = FEATURE_DIM, width: int = 64,
                   dilations: tuple[int, ...] = (1, 2, 4), dropout: float = 0.1):
    """The sequence model: inputs `features` (N, frames, features) and `mask` (N, frames) -> [clip, frames]."""
    from keras import ops
    from tensorflow import keras
    from tensorflow.keras import layers

    init = keras.initializers.HeNormal(seed=0)
    x_in = keras.Input((frames, features), name="features")
    mask_in = keras.Input((frames,), name="mask")
    m = ops.expand_dims(mask_in, -1)
    h = layers.Dense(width, activation="gelu", kernel_initializer=init)(layers.LayerNormalization()(x_in)) * m
    change = (h - _previous(h)) * m * _previous(m)
    h = layers.Dense(width, kernel_initializer=init)(layers.Concatenate()([h, change])) * m
    for rate in dilations:
        y = layers.Conv1D(width, 3, padding="same", dilation_rate=rate, activation="relu", kernel_initializer=init)(h)
        h = (h + layers.Dropout(dropout)(y)) * m
    curve = layers.Reshape((frames,))(layers.Dense(1, activation="sigmoid")(h))
    curve = layers.Multiply(name="frames")([curve, mask_in])
    count = ops.maximum(ops.sum(m, axis=1), 1.0)
    mean = ops.sum(h, axis=1) / count
    peak = ops.max(h + (m - 1.0) * 1e4, axis=1)
    z = layers.Dense(width // 2, activation="relu", kernel_initializer=init)(layers.Concatenate()([mean, peak]))
    clip = layers.Dense(1, activation="sigmoid", name="clip")(layers.Dropout(dropout)(z))
    return keras.Model([x_in, mask_in], [clip, curve], name="temporal")


class SequenceRunner:
    """The sequence model's .tflite: named inputs `features` and `mask`, outputs told apart by shape."""

    def __init__(self, path: Path, num_threads: int = 2):
        self._interpreter = _interpreter_class()(model_path=str(path), num_threads=num_threads)
        inputs = self._interpreter.get_input_details()
        self._features = next(d for d in inputs if len(d["shape"]) == 3)
        self._mask = next(d for d in inputs if len(d["shape"]) == 2)
        self.frames = int(self._features["shape"][1])
        self._batch = None

    def outputs(self, features: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
        """Every output tensor for float32 inputs of the model's length (the batch resized as needed)."""
        if features.shape[0] != self._batch:
            for detail, array in ((self._features, features), (self._mask, mask)):
                self._interpreter.resize_tensor_input(detail["index"], array.shape)
            self._interpreter.allocate_tensors()
            self._batch = features.shape[0]
        self._interpreter.set_tensor(self._features["index"], np.ascontiguousarray(features, dtype=np.float32))
        self._interpreter.set_tensor(self._mask["index"], np.ascontiguousarray(mask, dtype=np.float32))
        self._interpreter.invoke()
        return [np.array(self._interpreter.get_tensor(d["index"])) for d in self._interpreter.get_output_details()]

    def run(self, features: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(clip outputs (N,), per-frame curves (N, frames)) for float32 inputs of the model's length."""
        outputs = self.outputs(features, mask)
        clip = next(o for o in outputs if o.shape[-1] == 1 and o.ndim == 2)
        curve = next(o for o in outputs if o is not clip)
        return clip.reshape(-1), curve


def padded_clips(features: np.ndarray, valid: np.ndarray, max_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """(features, mask) of clips (N, T, F) padded with zeros to the model's `max_frames` (refused when longer)."""
    n, t = features.shape[:2]
    if t > max_frames:
        raise ValueError(f"clips of {t} frames; this model scores at most {max_frames} (split the track)")
    padded = np.zeros((n, max_frames, features.shape[2]), dtype=np.float32)
    padded[:, :t] = features * valid[..., None]
    padded_mask = np.zeros((n, max_frames), dtype=np.float32)
    padded_mask[:, :t] = valid
    return padded, padded_mask


def verified_file(folder: Path, name: str, digest: str, detector: str) -> Path:
    """A weights file checked against its sha256; raises WeightsMissing."""
    path = folder / name
    if not path.exists():
        raise WeightsMissing(f"weights file {name} for {detector!r} is missing")
    if sha256_file(path) != digest:
        raise WeightsMissing(f"weights file {name} does not match its sha256 in the manifest")
    return path


@register("temporal")
class TemporalDetector(ClipDetector):
    """Serves the temporal model through LiteRT; clip scores are calibrated probabilities of flicker.

    Its manifest entry names two files (the sequence model and the features model); a subclass with
    another sequence model's outputs sets `runner_class`."""

    runner_class = SequenceRunner

    def __init__(self, weights_dir: Path | None = None, num_threads: int = 2):
        entry, path = verified_entry(self.name, weights_dir)
        folder = Path(weights_dir or WEIGHTS_DIR)
        features = verified_file(folder, entry["features_file"], entry["features_sha256"], self.name)
        self._entry = entry
        self._sequence = self.runner_class(path, num_threads)
        self._embedder = TFLiteRunner(features, num_threads)
        self.max_frames = self._sequence.frames
        self.input_size = int(entry.get("input_size", self.input_size))
        self.calibration = Calibration.from_dict(entry["calibration"])
        self.bands = ScoreBands(**entry["bands"])
        self.fusion = FusionConfig.from_dict(entry["fusion"]) if entry.get("fusion") else FusionConfig()

    @classmethod
    def build(cls):
        """The trainable Keras sequence model."""
        return build_temporal()

    def frame_features(self, clips: np.ndarray, mask: np.ndarray | None = None, regions=None) -> np.ndarray:
        """Per-frame features (N, T, FEATURE_DIM) of uint8 clips; valid crops embedded in one call
        (`regions` unused: this detector reads aligned crops only)."""
        clips = np.asarray(clips)
        n, t = clips.shape[:2]
        valid = check_clip_mask(mask, n, t).astype(bool)
        out = np.zeros((n, t, FEATURE_DIM), dtype=np.float32)
        if n == 0:
            return out
        out[valid, :EMBED_DIM] = self._embedder.run(self.preprocess(clips[valid])).reshape(-1, EMBED_DIM)
        for i in range(n):
            length = int(valid[i].sum())
            out[i, :length, EMBED_DIM:] = frame_signals(clips[i, :length])
        return out

    def predict_features(self, features: np.ndarray, mask: np.ndarray | None = None) -> ClipScores:
        """Calibrated clip scores and per-frame curves; clips shorter than max_frames are padded."""
        features = np.asarray(features, dtype=np.float32)
        n, t = features.shape[:2]
        valid = check_clip_mask(mask, n, t)
        if n == 0:
            return ClipScores(np.zeros((0,), np.float32), np.zeros((0, t), np.float32))
        raw, curves = self._sequence.run(*padded_clips(features, valid, self.max_frames))
        return ClipScores(self.calibration.apply(raw), (curves[:, :t] * valid).astype(np.float32))

    @property
    def version(self) -> str:
        """sha256 prefix of the weights and config."""
        return self._entry["version"]
