"""tf.data input pipeline: pairs of (real, pseudo-fake) generated on the fly, in the same batch."""
from __future__ import annotations

import numpy as np

from models.training.pseudo_fakes import LABEL_FAKE, LABEL_REAL, Mix, make_pair


def easy_schedule(step: int, easy_steps: int) -> float:
    """How easy blends are at a global step: 1 at the start, falling linearly to 0."""
    if easy_steps <= 0:
        return 0.0
    return float(max(0.0, 1.0 - step / easy_steps))


def pair_dataset(faces, recons, mix: Mix, *, seed: int, size: int, batch: int, start_step: int,
                 steps: int, easy_steps: int, threads: int = 2, tight: float = 0.0, jitter: float = 0.0):
    """Batches of `batch` images (half real, half their fakes), in [-1, 1], labels 1 = fake;
    `tight` and `jitter`: shares of pairs cut close around the face and moved (models.synth.tight)."""
    import tensorflow as tf

    half = batch // 2

    def generate(pair_index):
        step = int(pair_index) // half
        real, fake, _ = make_pair(int(pair_index), seed, faces, recons, mix, size,
                                  easy_schedule(step, easy_steps), tight=tight, jitter=jitter)
        return real, fake

    def to_tensors(pair_index):
        real, fake = tf.numpy_function(generate, [pair_index], [tf.uint8, tf.uint8])
        images = tf.stack([real, fake])
        images.set_shape((2, size, size, 3))
        labels = tf.constant([LABEL_REAL, LABEL_FAKE], tf.float32)
        return images, labels

    first = start_step * half
    ds = tf.data.Dataset.range(first, first + steps * half)
    ds = ds.map(to_tensors, num_parallel_calls=threads, deterministic=True)
    ds = ds.unbatch().batch(batch, drop_remainder=True)
    ds = ds.map(lambda x, y: (tf.cast(x, tf.float32) / 127.5 - 1.0, y))
    return ds.prefetch(2)


def validation_arrays(faces, recons, size: int, seed: int, families: tuple[str, ...]):
    """Fixed validation images per family: {family: (images uint8, labels)}; reals shared."""
    return {family: _fixed_pairs(faces, recons, size, seed, (family,), 0.0) for family in families}


def tight_validation(faces, recons, size: int, seed: int):
    """Fixed validation pairs of every family, all cut close around the face: (images uint8, labels)."""
    return _fixed_pairs(faces, recons, size, seed, None, 1.0)


def _fixed_pairs(faces, recons, size: int, seed: int, families, tight: float):
    """One pair per face (reals first, then their fakes), reproducible from the seed: (images uint8, labels)."""
    images, labels, _ = fixed_pairs_with_details(faces, recons, size, seed, families, tight)
    return images, labels


def fixed_pairs_with_details(faces, recons, size: int, seed: int, families, tight: float = 0.0,
                             degrade: bool = True):
    """The fixed validation pairs with each pair's details (blend ratio): (images, labels, details);
    `degrade=False` gives the same pairs without web damage."""
    details = [{} for _ in range(len(faces.images))]
    pairs = [make_pair(index, seed, faces, recons, Mix(), size, 0.0, families=families, tight=tight,
                       degrade=degrade, details=details[index])
             for index in range(len(faces.images))]
    images = np.concatenate([np.stack([real for real, _, _ in pairs]), np.stack([fake for _, fake, _ in pairs])])
    return images, np.concatenate([np.zeros(len(pairs)), np.ones(len(pairs))]), details
