"""Detector registry: `@register("name")` on a Detector class, `create("name")` to get one."""
from __future__ import annotations

import importlib

DETECTORS: dict[str, type] = {}

# Modules that register detectors when imported.
_DETECTOR_MODULES = ("models.detectors.blend_cnn", "models.detectors.frame_cnn", "models.detectors.hybrid_vit",
                     "models.detectors.residual", "models.detectors.temporal", "models.detectors.temporal_residual")


def register(name: str):
    """Class decorator that records a Detector class under `name`."""

    def wrap(cls):
        if name in DETECTORS:
            raise ValueError(f"detector {name!r} registered twice")
        cls.name = name
        DETECTORS[name] = cls
        return cls

    return wrap


def _load_all() -> None:
    for module in _DETECTOR_MODULES:
        importlib.import_module(module)


def names() -> list[str]:
    """Names of every registered detector."""
    _load_all()
    return sorted(DETECTORS)


def create(name: str, **kwargs):
    """An instance of the detector registered as `name`."""
    _load_all()
    try:
        cls = DETECTORS[name]
    except KeyError:
        raise KeyError(f"unknown detector {name!r}; known: {sorted(DETECTORS)}") from None
    return cls(**kwargs)
