"""Training configs: small TOML files, paths relative to the project root, resolved once and logged."""
from __future__ import annotations

import os
import tomllib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = PROJECT_ROOT / "models" / "configs"


def config_path(name_or_path: str) -> Path:
    """A config file from a path, or by name from models/configs/."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        return path
    named = CONFIG_DIR / f"{name_or_path}.toml"
    if named.exists():
        return named
    raise FileNotFoundError(f"no config {name_or_path!r} (looked for a file and for {named})")


def resolve(path: str | Path, root: Path = PROJECT_ROOT) -> Path:
    """A config path made absolute against the project root."""
    path = Path(path)
    return path if path.is_absolute() else (root / path).resolve()


# Top-level config keys that hold paths (relative to the project root in the files).
PATH_KEYS = ("data_root", "run_dir", "autoencoder_dir", "init_weights")


def load_config(name_or_path: str, overrides: dict | None = None) -> dict:
    """The config as a dict, with `overrides` applied and paths resolved."""
    with open(config_path(name_or_path), "rb") as handle:
        config = tomllib.load(handle)
    config.update(overrides or {})
    for key in PATH_KEYS:
        if key in config:
            config[key] = str(resolve(config[key]))
    return config


def portable(config: dict, root: Path = PROJECT_ROOT) -> dict:
    """A copy of a resolved config whose paths are relative to the project root again, as written in
    its file, so that a logged or exported config (and a version made from it) names no machine."""
    out = dict(config)
    for key in PATH_KEYS:
        if out.get(key):
            out[key] = os.path.relpath(resolve(out[key], root), root)
    return out
