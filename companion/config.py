"""Every setting of the companion, documented, and how they are loaded: defaults, file, env, overrides."""
from __future__ import annotations

import difflib
import json
import logging
import math
import os
import tomllib
from pathlib import Path
from typing import Any, Mapping

import platformdirs

log = logging.getLogger(__name__)

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
    "DETECTORS": (["blend_cnn", "generated_residual", "temporal"],
                  "Detectors that score each face (frame detectors) and each face track "
                  "(at most one clip detector); the model version joins theirs."),
    "THRESHOLD_FAKE": (None, "Score at or above which a verdict is likely_fake (None: the model's calibrated band)."),
    "THRESHOLD_REAL": (None, "Score below which a verdict is likely_real (None: the model's calibrated band)."),
    "WORKERS": (1, "Analyses that run at the same time."),
    "QUEUE_MAX": (16, "Analyses that may wait for a worker; beyond that the API answers 503 queue_full."),
    "MAX_UPLOAD_BYTES": (100 * MiB, "Largest request body (uploads and frames) the API accepts."),
    "MAX_FRAMES_UPLOAD": (64, "Most frames one `frames` request may carry."),
    "MAX_FRAMES_PIXELS": (200_000_000, "Most pixels the frames of one `frames` request may have together "
                                       "(read from their headers before any is decoded)."),
    "EXTENSION_IDS": ([], "Extension ids (Chrome) or UUIDs (Firefox) allowed to call the API; empty: any extension."),
    "SERVER_THREADS": (4, "Threads waitress uses to answer HTTP requests."),
    "PROVENANCE_TRUST_ANCHORS": (None, "PEM file of certificate authorities whose C2PA signers count as trusted "
                                       "(unset: signatures are checked, no signer is trusted)."),
    "PROVENANCE_TIMEOUT_S": (15, "Seconds the C2PA Content Credentials reader may take per file."),
    "PROVENANCE_C2PA_MAX_BYTES": (512 * MiB, "Largest file whose C2PA Content Credentials are checked."),
}

DEFAULTS: dict[str, Any] = {key: default for key, (default, _) in SETTINGS.items()}

GiB = 1024 * MiB
PATH_KEYS = ("DATA_DIR", "CONFIG_DIR", "TOKEN_FILE", "DATABASE", "WEIGHTS_DIR", "FACE_ASSETS_DIR",
             "PROVENANCE_TRUST_ANCHORS")
# UNMASK_TEST_* variables switch parts of the test suite on (browsers); they are not settings.
TEST_SWITCH_PREFIX = "TEST_"
SECONDS_KEYS = ("FETCH_TIMEOUT_S", "VIDEO_MAX_DURATION_S", "PROVENANCE_TIMEOUT_S")
# key -> (smallest, largest) value that makes sense; anything outside is a typo or an attack on ourselves.
RANGES: dict[str, tuple[float, float]] = {
    "PORT": (0, 65535),  # 0: a free port
    "FETCH_MAX_BYTES": (1, 16 * GiB), "FETCH_IMAGE_MAX_BYTES": (1, 4 * GiB), "VIDEO_MAX_BYTES": (1, 64 * GiB),
    "FETCH_TIMEOUT_S": (0.1, 3600), "FETCH_MAX_REDIRECTS": (0, 20),
    "MAX_IMAGE_PIXELS": (1, 1 << 30),  # OpenCV's own ceiling (OPENCV_IO_MAX_IMAGE_PIXELS) defaults to 2**30
    "VIDEO_MAX_DURATION_S": (1, 86400), "FRAMES_PER_VIDEO": (1, 1024), "CLIP_FRAMES": (1, 256),
    "CLIP_MIN_FRAMES": (1, 256), "MIN_FACE_PX": (1, 4096), "WORKERS": (1, 64), "QUEUE_MAX": (1, 10000),
    "MAX_UPLOAD_BYTES": (1, 4 * GiB), "MAX_FRAMES_UPLOAD": (1, 1024),
    "MAX_FRAMES_PIXELS": (1, 1 << 34), "SERVER_THREADS": (1, 256),
    "PROVENANCE_TIMEOUT_S": (0.1, 3600), "PROVENANCE_C2PA_MAX_BYTES": (1, 64 * GiB),
    "THRESHOLD_FAKE": (0.0, 1.0), "THRESHOLD_REAL": (0.0, 1.0),
}


class ConfigError(ValueError):
    """A setting is unknown, has the wrong type or an impossible value (`unmask: bad configuration`, exit 2)."""


def default_config_dir() -> Path:
    """The per-user folder where config.toml lives."""
    return Path(platformdirs.user_config_dir(APP_NAME))


def default_data_dir() -> Path:
    """The per-user folder for the database and the token."""
    return Path(platformdirs.user_data_dir(APP_NAME))


def locate_config_dir(overrides: Mapping[str, Any] | None) -> Path:
    """CONFIG_DIR from the overrides, then UNMASK_CONFIG_DIR, then the platform default."""
    if overrides and overrides.get("CONFIG_DIR"):
        _check_path("CONFIG_DIR", overrides["CONFIG_DIR"])
        return Path(overrides["CONFIG_DIR"])
    if os.environ.get(f"{ENV_PREFIX}_CONFIG_DIR"):
        return Path(os.environ[f"{ENV_PREFIX}_CONFIG_DIR"])
    return default_config_dir()


def read_config_file(path: Path) -> dict[str, Any]:
    """Settings from a TOML file, keys upper-cased; {} when the file does not exist."""
    if not path.exists():
        return {}
    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    settings = {str(key).upper(): value for key, value in raw.items()}
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}")
    return settings


def read_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Known settings from UNMASK_<KEY> variables (JSON values, else text); unknown ones are warned about."""
    settings, prefix = {}, f"{ENV_PREFIX}_"
    for name in sorted(environ):
        if not name.startswith(prefix):
            continue
        key = name[len(prefix):]
        if key.startswith(TEST_SWITCH_PREFIX):
            continue
        if key not in SETTINGS:
            close = difflib.get_close_matches(key, SETTINGS, n=1)
            hint = f" (did you mean {prefix}{close[0]}?)" if close else ""
            log.warning("ignoring unknown setting %s%s", name, hint)
            continue
        try:
            settings[key] = json.loads(environ[name])
        except ValueError:
            settings[key] = environ[name]
    return settings


def _is_number(value: Any) -> bool:
    """An int or float, not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _type_ok(value: Any, default: Any, key: str = "") -> bool:
    """Whether a value has the type of a setting's default (ints accepted where floats are)."""
    if isinstance(default, bool):
        return isinstance(value, bool)
    if key in SECONDS_KEYS:
        return _is_number(value)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value)
    return isinstance(value, type(default))


def _check_path(key: str, value: Any) -> None:
    """A path setting: unset (None or ""), or text / a path without NUL characters."""
    if value is None or value == "":
        return
    if not isinstance(value, (str, os.PathLike)) or "\x00" in str(value):
        raise ConfigError(f"setting {key} must be a path (text), got {value!r}")


def validate_paths(config: Mapping[str, Any]) -> None:
    """Raise ConfigError when a path setting is not a path (checked before paths are derived)."""
    for key in PATH_KEYS:
        _check_path(key, config.get(key))


def validate(config: Mapping[str, Any]) -> None:
    """Raise ConfigError when a known setting has the wrong type or an impossible value."""
    for key, (default, _) in SETTINGS.items():
        value = config.get(key)
        if default is not None and not _type_ok(value, default, key):
            raise ConfigError(f"setting {key} must be a {type(default).__name__}, got {value!r}")
    validate_paths(config)
    for key, (low, high) in RANGES.items():
        value = config.get(key)
        if value is None and default_is_none(key):
            continue
        if not _is_number(value) or not math.isfinite(value) or not low <= value <= high:
            raise ConfigError(f"setting {key} must be a number from {low:g} to {high:g}, got {value!r}")
    real, fake = config.get("THRESHOLD_REAL"), config.get("THRESHOLD_FAKE")
    if real is not None and fake is not None and real > fake:
        raise ConfigError(f"setting THRESHOLD_REAL ({real!r}) must not be above THRESHOLD_FAKE ({fake!r})")
    if config["CLIP_MIN_FRAMES"] > config["CLIP_FRAMES"]:
        raise ConfigError("setting CLIP_MIN_FRAMES must not be above CLIP_FRAMES")


def default_is_none(key: str) -> bool:
    """Whether a setting may be left unset (its default is None)."""
    return SETTINGS[key][0] is None


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
    config.update(read_environment(os.environ))
    if overrides:
        config.from_mapping(overrides)
    config["CONFIG_DIR"] = config.get("CONFIG_DIR") or config_dir
    validate_paths(config)
    resolve_paths(config)
    validate(config)
    return config
