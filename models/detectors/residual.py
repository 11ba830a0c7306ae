"""The generated-face detector: a CNN over the up-sampling residual of the face at native scale.

Generators build images by up-sampling; the residual r = x - up_nearest(x[::2, ::2]) (NPR, Tan et
al., CVPR 2024) keeps the pixel-scale correlation that up-sampling leaves and drops the picture's
content. The detector reads fixed patches of the residual of the face region (models/faces/region.py,
never resized) and scores a face by the mean logit of its patches. Registered as `generated_residual`.
"""
from __future__ import annotations

import numpy as np

from models.detectors.registry import register
from models.detectors.served import ServedDetector

__all__ = ["GeneratedResidual", "build_residual_cnn", "npr_residual", "patch_grid", "region_patches",
           "PATCH", "PATCHES", "WIDTHS"]

PATCH = 64          # patch side, in native pixels
PATCHES = 5         # patches per face at serving: the centre and four around it
WIDTHS = (32, 64, 128)  # filters of the three stages (two 3x3 convolutions each)
RESIDUAL_SCALE = 1.0 / 32.0  # residual pixel values (about +-255) scaled to about unit range


def npr_residual(image: np.ndarray) -> np.ndarray:
    """float32 residual (H', W', 3) of a uint8 RGB image cropped to even sides: x - up_nearest(x[::2, ::2])."""
    height, width = (image.shape[0] // 2) * 2, (image.shape[1] // 2) * 2
    x = image[:height, :width].astype(np.float32)
    if height == 0 or width == 0:
        return np.zeros((0, 0, 3), dtype=np.float32)
    up = np.repeat(np.repeat(x[::2, ::2], 2, axis=0), 2, axis=1)
    return (x - up) * RESIDUAL_SCALE


def pad_to(residual: np.ndarray, size: int) -> np.ndarray:
    """Zero-pad a residual to at least size x size (a small face's residual sits top-left)."""
    height, width = residual.shape[:2]
    if height >= size and width >= size:
        return residual
    out = np.zeros((max(height, size), max(width, size), 3), dtype=np.float32)
    out[:height, :width] = residual
    return out


def patch_grid(height: int, width: int, size: int = PATCH, count: int = PATCHES) -> list[tuple[int, int]]:
    """Top-left corners (even) of `count` fixed patches: the centre first, then the four quadrants'
    centres, clipped inside the region."""
    def corner(cy: float, cx: float) -> tuple[int, int]:
        top = int(np.clip(round(cy - size / 2), 0, height - size)) // 2 * 2
        left = int(np.clip(round(cx - size / 2), 0, width - size)) // 2 * 2
        return top, left

    centres = [(height / 2, width / 2), (height / 4, width / 4), (height / 4, 3 * width / 4),
               (3 * height / 4, width / 4), (3 * height / 4, 3 * width / 4)]
    return [corner(cy, cx) for cy, cx in centres[:count]]


def region_patches(region: np.ndarray, size: int = PATCH, count: int = PATCHES) -> np.ndarray:
    """(count, size, size, 3) residual patches of one face region, at the fixed grid."""
    residual = pad_to(npr_residual(region), size)
    height, width = residual.shape[:2]
    return np.stack([residual[t:t + size, l:l + size] for t, l in patch_grid(height, width, size, count)])


def build_residual_cnn(widths: tuple[int, ...] = WIDTHS, weights=None):
    """The Keras model: residual patches (any size, 3 channels) -> logit-based probability;
    full resolution in its first stage, where the up-sampling traces are."""
    from tensorflow import keras
    from tensorflow.keras import layers

    init = keras.initializers.HeNormal(seed=0)
    inputs = keras.Input((None, None, 3), name="residual")
    x = inputs
    for stage, filters in enumerate(widths):
        if stage:
            x = layers.MaxPooling2D(2)(x)
        for _ in range(2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer=init)(x)
            x = layers.BatchNormalization()(x)
            x = layers.ReLU()(x)
    x = layers.GlobalAveragePooling2D(name="features")(x)
    logit = layers.Dense(1, name="logit")(x)
    prob = layers.Activation("sigmoid", name="prob")(logit)
    model = keras.Model(inputs, prob, name="generated_residual")
    if weights is not None:
        model.load_weights(str(weights))
    return model


def mean_logit_probability(patch_probs: np.ndarray, count: int) -> np.ndarray:
    """Per-face probability from its patches' probabilities: sigmoid of the mean patch logit."""
    p = np.clip(np.asarray(patch_probs, dtype=np.float64).reshape(-1, count), 1e-7, 1 - 1e-7)
    return 1.0 / (1.0 + np.exp(-np.log(p / (1 - p)).mean(axis=1)))


@register("generated_residual")
class GeneratedResidual(ServedDetector):
    """Serves the residual CNN through LiteRT on native-scale face regions; calibrated scores."""

    input_kind = "region"

    @classmethod
    def build(cls):
        """The trainable Keras model."""
        return build_residual_cnn()

    def preprocess(self, regions) -> np.ndarray:
        """Face regions (uint8 RGB, any size) -> (N * PATCHES, PATCH, PATCH, 3) residual patches."""
        return np.concatenate([region_patches(r) for r in regions]).astype(np.float32)

    def predict(self, regions) -> np.ndarray:
        """Calibrated probability that each face was drawn whole by a generator, one batched call."""
        if len(regions) == 0:
            return np.zeros((0,), dtype=np.float32)
        raw = self._runner.run(self.preprocess(regions)).reshape(-1)
        return self.calibration.apply(mean_logit_probability(raw, PATCHES))
