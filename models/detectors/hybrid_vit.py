"""CNN + Vision Transformer hybrid: a convolutional stem for local artefacts, attention for global consistency.

The stem (five 3x3 convolutions with BatchNorm, four of them with stride 2) turns a 224 crop into a
14 x 14 grid of 128-d patch features (8 x 8 from a 128 crop: any multiple of 16 works). A depthwise
convolution over that grid adds position information that scales with the grid (a conditional
positional encoding, so training at 128 and serving at 224 need no interpolated embeddings). A class
token and the patch tokens pass four pre-norm transformer blocks (4 heads, MLP 256); the class
token's output gives one logit and a sigmoid probability.

Built from Keras's own layers and ops only, so `keras.models.load_model` reopens a checkpoint
without custom objects (the frame Trainer resumes this way) and the .tflite converter takes it as
it is. The class token is the bias of a Dense layer fed zeros.
"""
from __future__ import annotations

from models.detectors.registry import register
from models.detectors.served import ServedDetector
from models.detectors.weights_manifest import WeightsMissing

__all__ = ["HybridViT", "build_hybrid_vit", "WeightsMissing", "STEM"]

# (filters, stride) of the stem's 3x3 convolutions: total stride 16.
STEM = ((16, 1), (32, 2), (64, 2), (128, 2), (128, 2))


def _encoder_block(tokens, dim: int, heads: int, mlp: int, dropout: float):
    """One pre-norm transformer block: self-attention then an MLP, each with a residual."""
    from tensorflow.keras import layers

    h = layers.LayerNormalization(epsilon=1e-6)(tokens)
    h = layers.MultiHeadAttention(heads, dim // heads, dropout=dropout)(h, h)
    tokens = layers.Add()([tokens, layers.Dropout(dropout)(h)])
    h = layers.LayerNormalization(epsilon=1e-6)(tokens)
    h = layers.Dense(mlp, activation="gelu")(h)
    h = layers.Dense(dim)(layers.Dropout(dropout)(h))
    return layers.Add()([tokens, layers.Dropout(dropout)(h)])


def build_hybrid_vit(input_size: int | None = None, stem=STEM, depth: int = 4, heads: int = 4,
                     mlp: int = 256, dropout: float = 0.1):
    """The Keras model: inputs in [-1, 1] of any size divisible by 16, output one probability."""
    from tensorflow import keras
    from tensorflow.keras import layers

    init = keras.initializers.HeNormal(seed=0)
    inputs = keras.Input((input_size, input_size, 3), name="face")
    x = inputs
    for filters, stride in stem:
        x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, kernel_initializer=init)(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
    dim = stem[-1][0]
    # No bias: TF 2.21's grappler fuses depthwise conv + bias + add into a node it then rejects
    # ("empty op name"), and skips optimising the whole training graph.
    position = layers.DepthwiseConv2D(3, padding="same", use_bias=False, name="position")(x)
    x = layers.Add(name="patches")([x, position])
    tokens = layers.Reshape((-1, dim))(x)
    zeros = layers.Rescaling(0.0)(layers.GlobalAveragePooling1D(keepdims=True)(tokens))
    cls = layers.Dense(dim, kernel_initializer="zeros", bias_initializer=keras.initializers.RandomNormal(
        stddev=0.02, seed=0), name="class_token")(zeros)
    tokens = layers.Concatenate(axis=1)([cls, tokens])
    for _ in range(depth):
        tokens = _encoder_block(tokens, dim, heads, mlp, dropout)
    tokens = layers.LayerNormalization(epsilon=1e-6, name="encoded")(tokens)
    logit = layers.Dense(1, name="logit")(layers.Dropout(dropout)(tokens[:, 0]))
    prob = layers.Activation("sigmoid", name="prob")(logit)
    return keras.Model(inputs, prob, name="hybrid_vit")


@register("hybrid_vit")
class HybridViT(ServedDetector):
    """Serves the shipped hybrid through LiteRT; scores are calibrated probabilities."""

    @classmethod
    def build(cls):
        """The trainable Keras model."""
        return build_hybrid_vit()
