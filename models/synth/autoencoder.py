"""Small convolutional autoencoders whose reconstructions carry generator up-sampling fingerprints.

The AutoGAN idea (Zhang, Karaman and Chang, 2019): a generator's up-sampling layers leave periodic
traces; an autoencoder trained on real faces leaves the same kind in its reconstructions, so those
reconstructions stand in for fully generated faces. Each up-sampling kind leaves a different trace.
"""
from __future__ import annotations

import numpy as np

UPSAMPLING_KINDS = ("transpose", "nearest", "bilinear")


def _upsample(x, filters: int, kind: str):
    """One 2x up-sampling step of the given kind."""
    from tensorflow.keras import layers

    if kind == "transpose":
        return layers.Conv2DTranspose(filters, 4, strides=2, padding="same", activation="relu")(x)
    x = layers.UpSampling2D(2, interpolation=kind)(x)
    return layers.Conv2D(filters, 3, padding="same", activation="relu")(x)


def build_autoencoder(kind: str, width: int = 32):
    """Encoder (3 strided convs, /8) and decoder (3 up-samplings of `kind`); inputs and outputs in [-1, 1]."""
    from tensorflow import keras
    from tensorflow.keras import layers

    if kind not in UPSAMPLING_KINDS:
        raise ValueError(f"unknown up-sampling kind {kind!r}")
    inputs = keras.Input((None, None, 3))
    x = inputs
    for mult in (1, 2, 4):
        x = layers.Conv2D(width * mult, 4, strides=2, padding="same", activation="relu")(x)
    for mult in (4, 2, 1):
        x = _upsample(x, width * mult, kind)
    outputs = layers.Conv2D(3, 3, padding="same", activation="tanh")(x)
    return keras.Model(inputs, outputs, name=f"autoencoder_{kind}")


def train_autoencoder(kind: str, faces: np.ndarray, steps: int, batch: int = 32, size: int = 128,
                      seed: int = 0, log=print):
    """Train one autoencoder on random real crops (uint8, N x S x S x 3) resized to `size`."""
    import cv2
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    model = build_autoencoder(kind)
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="mae")
    rng = np.random.default_rng(seed)
    for step in range(steps):
        idx = rng.integers(0, len(faces), batch)
        x = np.stack([cv2.resize(faces[i], (size, size), interpolation=cv2.INTER_AREA) for i in idx])
        x = x.astype(np.float32) / 127.5 - 1
        loss = model.train_on_batch(x, x)
        if step % 200 == 0 or step == steps - 1:
            log(f"autoencoder {kind}: step {step + 1}/{steps} loss {float(loss):.4f}")
    return model


def reconstruct(model, faces: np.ndarray, batch: int = 32) -> np.ndarray:
    """Reconstructions (uint8) of uint8 faces at their own size."""
    out = []
    for start in range(0, len(faces), batch):
        x = faces[start:start + batch].astype(np.float32) / 127.5 - 1
        y = model(x, training=False).numpy()
        out.append(np.clip((y + 1) * 127.5, 0, 255).round().astype(np.uint8))
    return np.concatenate(out) if out else np.zeros_like(faces)
