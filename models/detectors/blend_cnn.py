"""The blend CNN: finds where a face was pasted or blended into a photo (swaps, self-blends).

A wider successor of the seed frame CNN (its late layers end in 192 channels, not 16) with a second
head, used in training only, that predicts where the blend was (as SBI and Face X-ray teach): the
network must find the seam, not remember faces. Served through LiteRT on aligned crops.
"""
from __future__ import annotations

from models.detectors.registry import register
from models.detectors.served import ServedDetector

__all__ = ["BlendCNN", "build_blend_cnn", "mask_side", "served_view", "WIDTHS"]

WIDTHS = (24, 48, 96, 192)  # filters of the four stages


def mask_side(input_size: int, stages: int = len(WIDTHS)) -> int:
    """Side of the blend-mask head's output: the last stage's grid (16 at 128 px, four stages)."""
    return input_size // 2 ** (stages - 1)


def build_blend_cnn(input_size: int = 128, widths: tuple[int, ...] = WIDTHS, dropout: float = 0.3,
                    init_seed: int = 0):
    """The Keras model: aligned crops in [-1, 1] -> {"prob": P(blended), "mask": where, on a
    mask_side(input_size, len(widths)) grid}; `init_seed` draws the starting weights (an ensemble's
    members differ in it)."""
    from tensorflow import keras
    from tensorflow.keras import layers

    init = keras.initializers.HeNormal(seed=init_seed)
    inputs = keras.Input((input_size, input_size, 3), name="face")
    x = inputs
    for stage, filters in enumerate(widths):
        if stage:
            x = layers.MaxPooling2D(2)(x)
        for _ in range(1 if stage == 0 else 2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer=init)(x)
            x = layers.BatchNormalization()(x)
            x = layers.ReLU()(x)
    mask = layers.Conv2D(1, 1, activation="sigmoid", name="mask")(x)
    pooled = layers.GlobalAveragePooling2D(name="features")(x)
    pooled = layers.Dropout(dropout)(pooled)
    logit = layers.Dense(1, name="logit")(pooled)
    prob = layers.Activation("sigmoid", name="prob")(logit)
    return keras.Model(inputs, {"prob": prob, "mask": mask}, name="blend_cnn")


def served_view(model):
    """The classification output alone (what is exported and served)."""
    from tensorflow import keras

    return keras.Model(model.inputs, model.get_layer("prob").output, name="blend_cnn_served")


@register("blend_cnn")
class BlendCNN(ServedDetector):
    """Serves the blend CNN through LiteRT on aligned crops; scores are calibrated probabilities."""

    @classmethod
    def build(cls):
        """The trainable Keras model (two heads; `served_view` is the exported one)."""
        return build_blend_cnn()
