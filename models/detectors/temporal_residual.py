"""The synthetic-video detector: is one person's face, over consecutive frames, made by a generator?

Per frame, a feature vector of three parts:
- the generator traces at native scale: `generated_residual`'s logit of the face region's up-sampling
  residual (the mean over its 5 patches; frozen weights). One number, not the 128 pooled features
  under it: with those, the model learnt each training video's codec and resolution (see the
  model card's ablations);
- the face against its surroundings over time (`models.serving.temporal_signals`: colour, sharpness,
  change in the blending band, slip), where a per-frame swap flickers;
- the mouth against the rest of the face over time (`models.serving.mouth_signals`), where lip sync lives.

A small sequence model reads a clip of up to MAX_FRAMES such vectors with a mask of valid frames
(the same blocks as `models.detectors.temporal`) and answers three outputs: the clip score, a
per-frame curve, and a mouth score from a branch that reads the mouth signals only, so the verdict
can show the mouth's own evidence. Trained on real talking-head clips against real clips, with
pseudo-fakes that behave like today's generators (`models.synth.talking`); see
`models.training.talking_data`. Registered as `temporal_residual` and selectable; the default clip
detector stays `temporal`, which flags fewer real clips (MODEL_CARD.temporal_residual.md).

Served through LiteRT from two files in one manifest entry: `temporal_residual.tflite` (the sequence
model) and `temporal_residual_features.tflite` (the residual CNN up to its `logit` layer).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from models.detectors.calibration import Calibration
from models.detectors.detector import ClipScores, check_clip_mask
from models.detectors.registry import register
from models.detectors.residual import PATCHES, region_patches
from models.detectors.temporal import SequenceRunner, TemporalDetector, padded_clips
from models.serving.mouth_signals import N_MOUTH_SIGNALS, mouth_signals
from models.serving.temporal_signals import N_SIGNALS, frame_signals

__all__ = ["TemporalResidual", "build_temporal_residual", "residual_embedder", "MAX_FRAMES", "EMBED_DIM",
           "FEATURE_DIM"]

MAX_FRAMES = 16
EMBED_DIM = 1  # generated_residual's logit (before its sigmoid), the mean over a face's patches
FEATURE_DIM = EMBED_DIM + N_SIGNALS + N_MOUTH_SIGNALS  # the mouth signals are the last block


def residual_embedder(cnn):
    """generated_residual's Keras model up to its `logit` layer (before the sigmoid)."""
    from tensorflow import keras

    return keras.Model(cnn.input, cnn.get_layer("logit").output, name="residual_embedder")


def _sequence_block(x, m, width: int, dilations: tuple[int, ...], dropout: float, init, name: str):
    """Per-frame Dense, its change since the previous frame, residual dilated Conv1D; masked mean and max."""
    from keras import ops
    from tensorflow.keras import layers

    h = layers.Dense(width, activation="gelu", kernel_initializer=init, name=f"{name}_in")(
        layers.LayerNormalization(name=f"{name}_norm")(x)) * m
    previous = ops.pad(h, [[0, 0], [1, 0], [0, 0]])[:, :-1]
    previous_mask = ops.pad(m, [[0, 0], [1, 0], [0, 0]])[:, :-1]
    change = (h - previous) * m * previous_mask
    h = layers.Dense(width, kernel_initializer=init, name=f"{name}_mix")(layers.Concatenate()([h, change])) * m
    for rate in dilations:
        y = layers.Conv1D(width, 3, padding="same", dilation_rate=rate, activation="relu", kernel_initializer=init)(h)
        h = (h + layers.Dropout(dropout)(y)) * m
    count = ops.maximum(ops.sum(m, axis=1), 1.0)
    pooled = layers.Concatenate()([ops.sum(h, axis=1) / count, ops.max(h + (m - 1.0) * 1e4, axis=1)])
    return h, pooled


def build_temporal_residual(frames: int = MAX_FRAMES, features: int = FEATURE_DIM, width: int = 48,
                            mouth_width: int = 16, dilations: tuple[int, ...] = (1, 2, 4), dropout: float = 0.2):
    """Inputs `features` (N, frames, features) and `mask` (N, frames) -> [clip, frames, mouth]."""
    from keras import ops
    from tensorflow import keras
    from tensorflow.keras import layers

    init = keras.initializers.HeNormal(seed=0)
    x_in = keras.Input((frames, features), name="features")
    mask_in = keras.Input((frames,), name="mask")
    m = ops.expand_dims(mask_in, -1)
    h, pooled = _sequence_block(layers.Dropout(0.1)(x_in), m, width, dilations, dropout, init, "all")
    curve = layers.Reshape((frames,))(layers.Dense(1, activation="sigmoid")(h))
    curve = layers.Multiply(name="frames")([curve, mask_in])
    z = layers.Dense(width // 2, activation="relu", kernel_initializer=init)(pooled)
    clip = layers.Dense(1, activation="sigmoid", name="clip")(layers.Dropout(dropout)(z))
    mouth_x = x_in[:, :, features - N_MOUTH_SIGNALS:]
    _, mouth_pooled = _sequence_block(mouth_x, m, mouth_width, (1, 2), dropout, init, "mouth")
    mouth = layers.Dense(1, activation="sigmoid", name="mouth")(mouth_pooled)
    return keras.Model([x_in, mask_in], [clip, curve, mouth], name="temporal_residual")


class ThreeOutputRunner(SequenceRunner):
    """The sequence model's .tflite: inputs `features` and `mask`; outputs (clip, mouth) as one (N, 2)
    tensor and the per-frame curve (N, frames), told apart by shape (see `served_sequence`)."""

    def run(self, features: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(clip (N,), curves (N, frames), mouth (N,)) for float32 inputs of the model's length."""
        outputs = self.outputs(features, mask)
        pair = next(o for o in outputs if o.ndim == 2 and o.shape[1] == 2)
        curve = next(o for o in outputs if o is not pair)
        return pair[:, 0], curve, pair[:, 1]


def served_sequence(model):
    """The Keras model as served: [(clip, mouth) as (N, 2), curve (N, frames)], inference mode."""
    from tensorflow import keras
    from tensorflow.keras import layers

    frames, features = model.inputs[0].shape[1:]
    x = keras.Input((frames, features), name="features")
    mask = keras.Input((frames,), name="mask")
    clip, curve, mouth = model([x, mask], training=False)
    return keras.Model([x, mask], [layers.Concatenate(name="scores")([clip, mouth]), curve])


def region_embeddings(runner, regions: list[np.ndarray]) -> np.ndarray:
    """(n, EMBED_DIM) float32: each region's residual logit, the mean over its PATCHES patches."""
    if not regions:
        return np.zeros((0, EMBED_DIM), np.float32)
    patches = np.concatenate([region_patches(r) for r in regions]).astype(np.float32)
    return runner.run(patches).reshape(len(regions), PATCHES, -1).mean(axis=1)


def track_features(crops: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
    """(T, FEATURE_DIM) float32 of one track: residual logits, face signals, mouth signals."""
    return np.concatenate([embeddings, frame_signals(crops), mouth_signals(crops)], axis=1).astype(np.float32)


@register("temporal_residual")
class TemporalResidual(TemporalDetector):
    """Serves the synthetic-video model through LiteRT; calibrated clip and mouth scores."""

    input_kind = "region"
    runner_class = ThreeOutputRunner

    def __init__(self, weights_dir: Path | None = None, num_threads: int = 2):
        super().__init__(weights_dir, num_threads)
        self.mouth_calibration = Calibration.from_dict(self._entry["mouth_calibration"])

    @classmethod
    def build(cls):
        """The trainable Keras sequence model."""
        return build_temporal_residual()

    def embed(self, regions: list[np.ndarray]) -> np.ndarray:
        """Residual logits of native face regions, one batched call."""
        return region_embeddings(self._embedder, regions)

    def frame_features(self, clips: np.ndarray, mask: np.ndarray | None = None, regions=None) -> np.ndarray:
        """Per-frame features (N, T, FEATURE_DIM); `regions[i]` holds clip i's native regions, valid frames first."""
        clips = np.asarray(clips)
        n, t = clips.shape[:2]
        valid = check_clip_mask(mask, n, t).astype(bool)
        lengths = valid.sum(axis=1)
        if regions is None or len(regions) != n or any(len(regions[i]) < lengths[i] for i in range(n)):
            raise ValueError("temporal_residual needs each valid frame's native face region")
        flat = [regions[i][k] for i in range(n) for k in range(int(lengths[i]))]
        embedded = self.embed(flat)
        out = np.zeros((n, t, FEATURE_DIM), dtype=np.float32)
        start = 0
        for i in range(n):
            length = int(lengths[i])
            out[i, :length] = track_features(clips[i, :length], embedded[start:start + length])
            start += length
        return out

    def predict_features(self, features: np.ndarray, mask: np.ndarray | None = None) -> ClipScores:
        """Calibrated clip and mouth scores and per-frame curves; clips shorter than max_frames are padded."""
        features = np.asarray(features, dtype=np.float32)
        n, t = features.shape[:2]
        valid = check_clip_mask(mask, n, t)
        if n == 0:
            empty = np.zeros((0,), np.float32)
            return ClipScores(empty, np.zeros((0, t), np.float32), empty)
        raw, curves, mouth = self._sequence.run(*padded_clips(features, valid, self.max_frames))
        return ClipScores(self.calibration.apply(raw), (curves[:, :t] * valid).astype(np.float32),
                          self.mouth_calibration.apply(mouth))
