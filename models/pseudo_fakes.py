"""One training example: a real face and its pseudo-fake, from a seeded generator."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.faces.align import resize_crops
from models.synth.degrade import random_degrade
from models.synth.selfblend import self_blend, swap

FAMILIES = ("blend", "swap", "generated")
LABEL_REAL, LABEL_FAKE = 0.0, 1.0


@dataclass
class Mix:
    """Probabilities of each pseudo-fake family (normalised when used)."""

    blend: float = 0.55
    swap: float = 0.15
    generated: float = 0.30

    def active(self, have_reconstructions: bool) -> tuple[str, ...]:
        """Families with a non-zero probability (generated ones need reconstructions)."""
        return tuple(f for f in FAMILIES if getattr(self, f) > 0
                     and (f != "generated" or have_reconstructions))

    def probabilities(self) -> np.ndarray:
        """Family probabilities in FAMILIES order, summing to 1."""
        p = np.array([self.blend, self.swap, self.generated], dtype=np.float64)
        return p / p.sum()


def make_fake(family: str, i: int, faces, recons, rng: np.random.Generator, easy: float) -> np.ndarray:
    """The pseudo-fake of face `i` of the given family."""
    if family == "blend":
        return self_blend(faces.images[i], faces.landmarks[i], rng, easy=easy)[0]
    if family == "swap":
        j = int(rng.integers(0, len(faces.images)))
        return swap(faces.images[i], faces.landmarks[i], faces.images[j], faces.landmarks[j], rng)[0]
    bank = recons[int(rng.integers(0, len(recons)))]
    return bank[i]


def finish(image: np.ndarray, size: int, rng: np.random.Generator, flip: bool, degrade: bool) -> np.ndarray:
    """Web damage, optional mirror, resize to the training resolution."""
    out = random_degrade(image, rng) if degrade else image
    if flip:
        out = out[:, ::-1]
    return np.ascontiguousarray(resize_crops(out[None], size)[0])


def make_pair(index: int, seed: int, faces, recons, mix: Mix, size: int, easy: float,
              degrade: bool = True, families: tuple[str, ...] | None = None):
    """(real, fake, family id) for pair `index`, reproducible from (seed, index)."""
    rng = np.random.default_rng([seed, index])
    i = int(rng.integers(0, len(faces.images)))
    allowed = families or mix.active(bool(recons))
    probs = np.array([mix.probabilities()[FAMILIES.index(f)] for f in allowed])
    family = allowed[int(rng.choice(len(allowed), p=probs / probs.sum()))]
    fake = make_fake(family, i, faces, recons, rng, easy)
    flip = bool(rng.random() < 0.5)
    real = finish(faces.images[i], size, rng, flip, degrade)
    fake = finish(fake, size, rng, flip, degrade)
    return real, fake, FAMILIES.index(family)
