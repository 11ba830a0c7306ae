"""One training example: a real face and its pseudo-fake, from a seeded generator."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.faces.align import resize_crops
from models.synth.degrade import random_degrade
from models.synth.selfblend import self_blend, swap
from models.synth.tight import random_jitter, random_tight_rect, reflect_outside, warp

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


def make_fake(family: str, i: int, faces, recons, rng: np.random.Generator, easy: float,
              details: dict | None = None) -> np.ndarray:
    """The pseudo-fake of face `i` of the given family; `details` (when given) gets its blend ratio."""
    if family == "blend":
        fake, mask = self_blend(faces.images[i], faces.landmarks[i], rng, easy=easy)
    elif family == "swap":
        j = int(rng.integers(0, len(faces.images)))
        fake, mask = swap(faces.images[i], faces.landmarks[i], faces.images[j], faces.landmarks[j], rng)
    else:
        fake, mask = recons[int(rng.integers(0, len(recons)))][i], None
    if details is not None and mask is not None:
        details["ratio"] = round(float(mask.max()), 4)  # masks peak at 1 before the ratio
    return fake


def finish(image: np.ndarray, size: int, rng: np.random.Generator, flip: bool, degrade: bool,
           tight_rect: tuple[int, int, int, int] | None = None, jitter: np.ndarray | None = None) -> np.ndarray:
    """Optional alignment jitter, web damage, optional tight cut with reflected borders, optional
    mirror, resize to the training resolution."""
    out = image if jitter is None else warp(image, jitter)
    out = random_degrade(out, rng) if degrade else out
    if tight_rect is not None:
        out = reflect_outside(out, tight_rect)
    if flip:
        out = out[:, ::-1]
    return np.ascontiguousarray(resize_crops(out[None], size)[0])


def _tight_rect(landmarks: np.ndarray, crop_size: int, probability: float, rng: np.random.Generator):
    """A tight cut for this pair with the given probability, else None."""
    if probability <= 0 or rng.random() >= probability:
        return None
    return random_tight_rect(landmarks, crop_size, rng)


def _jitter(crop_size: int, probability: float, rng: np.random.Generator):
    """An alignment jitter for this pair with the given probability, else None."""
    if probability <= 0 or rng.random() >= probability:
        return None
    return random_jitter(crop_size, rng)


def make_pair(index: int, seed: int, faces, recons, mix: Mix, size: int, easy: float,
              degrade: bool = True, families: tuple[str, ...] | None = None, tight: float = 0.0,
              jitter: float = 0.0, details: dict | None = None):
    """(real, fake, family id) for pair `index`, reproducible from (seed, index); `details` (when
    given) gets the blend ratio of a blend or swap.

    With probability `tight`, both are cut close around the face and refilled by reflection; with
    probability `jitter`, both are moved by one small similarity transform (`models.synth.tight`).
    Each is drawn from a generator of its own, so the rest of the pair stays the same.
    """
    rng = np.random.default_rng([seed, index])
    i = int(rng.integers(0, len(faces.images)))
    allowed = families or mix.active(bool(recons))
    probs = np.array([mix.probabilities()[FAMILIES.index(f)] for f in allowed])
    family = allowed[int(rng.choice(len(allowed), p=probs / probs.sum()))]
    fake = make_fake(family, i, faces, recons, rng, easy, details)
    flip = bool(rng.random() < 0.5)
    side = faces.images[i].shape[0]
    rect = _tight_rect(faces.landmarks[i], side, tight, np.random.default_rng([seed, index, 1]))
    moved = _jitter(side, jitter, np.random.default_rng([seed, index, 2]))
    real = finish(faces.images[i], size, rng, flip, degrade, rect, moved)
    fake = finish(fake, size, rng, flip, degrade, rect, moved)
    return real, fake, FAMILIES.index(family)
