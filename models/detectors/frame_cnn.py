"""The frame CNN: the seed's 10-layer dilated CNN with BatchNorm after each convolution, registered twice:
trained on every pseudo-fake family (`frame_cnn`), and its generated-face specialist (`frame_cnn_generated`)."""
from __future__ import annotations

from models.detectors.registry import register
from models.detectors.served import ServedDetector
from models.detectors.weights_manifest import WeightsMissing

__all__ = ["FrameCNN", "FrameCNNGenerated", "build_frame_cnn", "WeightsMissing", "LAYERS"]

# The seed notebook's layers: (kind, filters or units, kernel, dilation).
LAYERS = (
    ("conv", 64, 5, 1), ("conv", 64, 5, 1), ("conv", 64, 5, 1),
    ("conv", 32, 3, 2), ("conv", 16, 3, 2), ("conv", 16, 3, 2),
    ("dense", 400), ("dense", 512), ("dense", 400), ("dense", 1),
)


def build_frame_cnn(input_size: int | None = None, dropout: float = 0.5, weights=None):
    """The Keras model: any input size (fully convolutional + global pooling), inputs in [-1, 1];
    with `weights` (a .weights.h5 path), those weights loaded."""
    from tensorflow import keras
    from tensorflow.keras import layers

    init = keras.initializers.HeNormal(seed=0)
    inputs = keras.Input((input_size, input_size, 3), name="face")
    x = inputs
    for spec in LAYERS[:6]:
        _, filters, kernel, dilation = spec
        x = layers.Conv2D(filters, kernel, padding="same", dilation_rate=dilation,
                          kernel_initializer=init)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        if dilation == 1:
            x = layers.MaxPooling2D(2)(x)
    x = layers.GlobalAveragePooling2D(name="features")(x)
    for i, (_, units) in enumerate(LAYERS[6:9]):
        x = layers.Dense(units, activation="relu", kernel_initializer=init)(x)
        x = layers.Dropout(dropout)(x)
    logit = layers.Dense(1, name="logit")(x)
    prob = layers.Activation("sigmoid", name="prob")(logit)
    model = keras.Model(inputs, prob, name="frame_cnn")
    if weights is not None:
        model.load_weights(str(weights))
    return model


@register("frame_cnn")
class FrameCNN(ServedDetector):
    """Serves the shipped frame CNN through LiteRT; scores are calibrated probabilities."""

    @classmethod
    def build(cls):
        """The trainable Keras model."""
        return build_frame_cnn()


@register("frame_cnn_generated")
class FrameCNNGenerated(ServedDetector):
    """Serves the frame CNN's generated-face specialist (same network, own weights) through LiteRT."""

    @classmethod
    def build(cls):
        """The trainable Keras model."""
        return build_frame_cnn()
