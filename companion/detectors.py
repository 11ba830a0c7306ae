"""Loads the configured detectors once per weights folder; missing weights become `503 model_missing`."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Mapping

from companion.errors import Unavailable
from models.detectors.weights_manifest import WeightsMissing

log = logging.getLogger(__name__)

_cache: dict[tuple, list] = {}
_cache_lock = threading.Lock()


class ModelMissing(Unavailable):
    """A configured detector cannot be loaded (weights not installed, unknown name)."""

    code = "model_missing"


@dataclass(frozen=True)
class DetectorStatus:
    """One configured detector: its version when loaded, else why it is missing (no paths)."""

    name: str
    version: str | None = None
    missing: str | None = None

    def to_dict(self) -> dict:
        """JSON form for /v1/health."""
        if self.missing:
            return {"name": self.name, "missing": self.missing}
        return {"name": self.name, "version": self.version}


def _create(name: str, config: Mapping[str, Any]):
    """One detector instance from the registry; raises ModelMissing with a path-free reason."""
    kwargs = {"weights_dir": config["WEIGHTS_DIR"]} if config.get("WEIGHTS_DIR") else {}
    try:
        from models.detectors import registry
        return registry.create(name, **kwargs)
    except WeightsMissing as exc:
        log.warning("detector %s: %s", name, exc)
        raise ModelMissing(f"the weights of detector {name!r} are not installed") from None
    except (ImportError, KeyError) as exc:
        log.warning("detector %s unavailable: %s", name, exc)
        raise ModelMissing(f"detector {name!r} is not available in this installation") from None


def load_detectors(config: Mapping[str, Any]) -> list:
    """The configured detectors, loaded once per (names, weights folder); raises ModelMissing."""
    names = tuple(config["DETECTORS"])
    if not names:
        raise ModelMissing("no detectors are configured (setting DETECTORS is empty)")
    key = (names, str(config.get("WEIGHTS_DIR") or ""))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = [_create(name, config) for name in names]
        return _cache[key]


def model_version(detectors: list) -> str:
    """The version every result names: each detector's name and weights version, joined."""
    return "+".join(f"{detector.name}@{detector.version}" for detector in detectors)


def detector_statuses(config: Mapping[str, Any]) -> list[DetectorStatus]:
    """Each configured detector with its version, or the reason it is missing."""
    try:
        return [DetectorStatus(d.name, version=d.version) for d in load_detectors(config)]
    except ModelMissing:
        pass
    statuses = []
    for name in config["DETECTORS"]:
        try:
            statuses.append(DetectorStatus(name, version=_create(name, config).version))
        except ModelMissing as exc:
            statuses.append(DetectorStatus(name, missing=exc.message))
    return statuses
