"""Every setting of the companion, documented, and how they are loaded: defaults, file, env, overrides."""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Mapping

import platformdirs

MiB = 1024 * 1024
APP_NAME = "unmask"
CONFIG_FILE_NAME = "config.toml"
ENV_PREFIX = "UNMASK"

# key -> (default, description). Paths left as None are derived from DATA_DIR / CONFIG_DIR at load time.
SETTINGS: dict[str, tuple[Any, str]] = {
    "HOST": ("127.0.0.1", "Address `unmask serve` listens on; only loopback addresses are accepted."),
    "PORT": (8765, "TCP port `unmask serve` listens on."),
    "DATA_DIR": (None, "Folder for the history database and the token (default: the user data folder)."),
    "CONFIG_DIR": (None, "Folder holding config.toml (default: the user config folder)."),
    "TOKEN_FILE": (None, "Pairing token file, mode 0600 (default: DATA_DIR/token)."),
    "DATABASE": (None, "SQLite history and result cache (default: DATA_DIR/unmask.sqlite3)."),
    "WEIGHTS_DIR": (None, "Folder with the detectors' .tflite files and manifest.json "
                          "(default: the shipped models/weights)."),
    "FACE_ASSETS_DIR": (None, "Folder with the face detector's model files "
                              "(default: the shipped models/faces/assets)."),
    "ALLOW_PRIVATE_ADDRESSES": (False, "Let the fetcher reach loopback and private-network addresses (tests only)."),
    "FETCH_MAX_BYTES": (200 * MiB, "Largest media file the fetcher downloads."),
    "FETCH_IMAGE_MAX_BYTES": (25 * MiB, "Largest image the fetcher downloads."),
    "FETCH_TIMEOUT_S": (30, "Seconds the fetcher waits for a server before giving up."),
    "FETCH_MAX_REDIRECTS": (5, "Redirects the fetcher follows, each one checked again."),
    "MAX_IMAGE_PIXELS": (50_000_000, "Largest image (width x height) that is decoded."),
    "VIDEO_MAX_DURATION_S": (1800, "Longest video, in seconds, that is analysed."),
    "VIDEO_MAX_BYTES": (500 * MiB, "Largest video file downloaded from a video page."),
    "YTDLP_EXTRACTORS": (["youtube", "vimeo", "twitter", "tiktok", "instagram", "facebook", "reddit",
                          "dailymotion"], "yt-dlp extractors allowed for page URLs."),
    "FRAMES_PER_VIDEO": (32, "Frames sampled from each video: evenly spaced, or in runs with a clip detector."),
    "CLIP_FRAMES": (8, "With a clip detector (temporal): consecutive frames per run (FRAMES_PER_VIDEO / CLIP_FRAMES runs)."),
    "CLIP_MIN_FRAMES": (4, "Shortest run of one person's face that the clip detector scores."),
    "MIN_FACE_PX": (64, "Faces smaller than this many pixels across are reported as too small, not scored."),
    "DETECTORS": (["frame_cnn", "temporal"], "Detectors that score each face (frame detectors) and each face track "
                                             "(at most one clip detector); the model version joins theirs."),
    "THRESHOLD_FAKE": (None, "Score at or above which a verdict is likely_fake (None: the model's calibrated band)."),
    "THRESHOLD_REAL": (None, "Score below which a verdict is likely_real (None: the model's calibrated band)."),
    "WORKERS": (1, "Analyses that run at the same time."),
    "QUEUE_MAX": (16, "Analyses that may wait for a worker; beyond that the API answers 503 queue_full."),
    "MAX_UPLOAD_BYTES": (100 * MiB, "Largest request body (uploads and frames) the API accepts."),
    "MAX_FRAMES_UPLOAD": (64, "Most frames one `frames` request may carry."),
    "EXTENSION_IDS": ([], "Extension ids (Chrome) or UUIDs (Firefox) allowed to call the API; empty: any extension."),
    "SERVER_THREADS": (4, "Threads waitress uses to answer HTTP requests."),
    "PROVENANCE_TRUST_ANCHORS": (None, "PEM file of certificate authorities whose C2PA signers count as trusted "
                                       "(unset: signatures are checked, no signer is trusted)."),
    "PROVENANCE_TIMEOUT_S": (15, "Seconds the C2PA Content Credentials reader may take per file."),
    "PROVENANCE_C2PA_MAX_BYTES": (512 * MiB, "Largest file whose C2PA Content Credentials are checked."),
}

DEFAULTS: dict[str, Any] = {key: default for key, (default, _) in SETTINGS.items()}

_NUMBER_KEYS_MIN_ONE = ("WORKERS", "QUEUE_MAX", "MAX_UPLOAD_BYTES", "MAX_FRAMES_UPLOAD", "SERVER_THREADS",
                        "FRAMES_PER_VIDEO", "FETCH_MAX_BYTES", "FETCH_IMAGE_MAX_BYTES", "CLIP_FRAMES", "CLIP_MIN_FRAMES")


class ConfigError(ValueError):
    """A setting is unknown or has the wrong type."""


def default_config_dir() -> Path:
    """The per-user folder where config.toml lives."""
    return Path(platformdirs.user_config_dir(APP_NAME))


def default_data_dir() -> Path:
    """The per-user folder for the database and the token."""
    return Path(platformdirs.user_data_dir(APP_NAME))


def locate_config_dir(overrides: Mapping[str, Any] | None) -> Path:
    """CONFIG_DIR from the overrides, then UNMASK_CONFIG_DIR, then the platform default."""
    if overrides and overrides.get("CONFIG_DIR"):
        return Path(overrides["CONFIG_DIR"])
    if os.environ.get(f"{ENV_PREFIX}_CONFIG_DIR"):
        return Path(os.environ[f"{ENV_PREFIX}_CONFIG_DIR"])
    return default_config_dir()


def read_config_file(path: Path) -> dict[str, Any]:
    """Settings from a TOML file, keys upper-cased; {} when the file does not exist."""
    if not path.is_file():
        return {}
    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    settings = {str(key).upper(): value for key, value in raw.items()}
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}")
    return settings


def _type_ok(value: Any, default: Any) -> bool:
    """Whether a value has the type of a setting's default (ints accepted where floats are)."""
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value)
    return isinstance(value, type(default))


def validate(config: Mapping[str, Any]) -> None:
    """Raise ConfigError when a known setting has the wrong type or an impossible value."""
    for key, (default, _) in SETTINGS.items():
        value = config.get(key)
        if default is not None and not _type_ok(value, default):
            raise ConfigError(f"setting {key} must be a {type(default).__name__}, got {value!r}")
    for key in _NUMBER_KEYS_MIN_ONE:
        if config[key] < 1:
            raise ConfigError(f"setting {key} must be at least 1, got {config[key]!r}")
    for key in ("THRESHOLD_FAKE", "THRESHOLD_REAL"):
        value = config.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not 0.0 <= value <= 1.0):
            raise ConfigError(f"setting {key} must be a number between 0 and 1 or unset, got {value!r}")


def resolve_paths(config: dict[str, Any]) -> None:
    """Fill the path settings left unset from DATA_DIR / CONFIG_DIR, as Path objects."""
    config["CONFIG_DIR"] = Path(config["CONFIG_DIR"] or default_config_dir())
    config["DATA_DIR"] = Path(config["DATA_DIR"] or default_data_dir())
    config["TOKEN_FILE"] = Path(config["TOKEN_FILE"] or config["DATA_DIR"] / "token")
    config["DATABASE"] = Path(config["DATABASE"] or config["DATA_DIR"] / "unmask.sqlite3")
    for key in ("WEIGHTS_DIR", "FACE_ASSETS_DIR"):
        if config.get(key):
            config[key] = Path(config[key])


def describe_settings() -> list[tuple[str, str, str]]:
    """(key, default as text, description) for every setting, for docs and `--help` texts."""
    return [(key, "(derived)" if default is None and key.endswith(("_DIR", "_FILE", "DATABASE"))
             else repr(default), text) for key, (default, text) in SETTINGS.items()]


def load_config(overrides: Mapping[str, Any] | None = None) -> "flask.Config":
    """DEFAULTS, then CONFIG_DIR/config.toml, then UNMASK_* environment variables, then `overrides`.

    Path settings left unset are derived (see resolve_paths) and every setting is type-checked.
    """
    import flask

    config = flask.Config(Path(__file__).resolve().parent)
    config.from_mapping(DEFAULTS)
    config_dir = locate_config_dir(overrides)
    config.update(read_config_file(config_dir / CONFIG_FILE_NAME))
    config.from_prefixed_env(ENV_PREFIX)
    if overrides:
        config.from_mapping(overrides)
    config["CONFIG_DIR"] = config.get("CONFIG_DIR") or config_dir
    resolve_paths(config)
    validate(config)
    return config
