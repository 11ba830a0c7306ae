"""Folders and files only their owner may read: the data folder (0700), the database and token files (0600)."""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from companion.config import ConfigError

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


def _tighten(path: Path, mode: int) -> None:
    """chmod `path` to `mode` when it differs and we own it (someone else's folder is only warned about)."""
    info = path.stat()
    if os.name != "posix" or stat.S_IMODE(info.st_mode) == mode:
        return
    if info.st_uid != os.getuid():
        log.warning("%s belongs to another user and is mode %o; it should be %o", path,
                    stat.S_IMODE(info.st_mode), mode)
        return
    os.chmod(path, mode)


def private_dir(folder: Path) -> Path:
    """Create `folder` (and missing parents) and make it 0700, whoever created it."""
    folder = Path(folder)
    _mkdir(folder)
    _tighten(folder, DIR_MODE)
    return folder


def _mkdir(folder: Path) -> None:
    """mkdir -p with mode 0700 for the last part; ConfigError when it cannot be (a file is in the way, ...)."""
    try:
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the folder {folder}: {exc.strerror or exc}") from None


def parent_dir(path: Path) -> None:
    """Create the folder holding `path` as 0700 when it is missing (an existing folder is left as it is)."""
    _mkdir(Path(path).parent)


def private_file(path: Path) -> Path:
    """Create `path` empty as 0600 when missing, else make it 0600 (done before SQLite opens it)."""
    path = Path(path)
    parent_dir(path)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        if not path.is_file():
            raise ConfigError(f"{path} is not a regular file (a folder?); remove it or choose another path") from None
    except OSError as exc:
        raise ConfigError(f"cannot create {path}: {exc.strerror or exc}") from None
    _tighten(path, FILE_MODE)
    return path


def tighten_if_present(*paths: Path) -> None:
    """Make each existing file 0600 (SQLite's -wal and -shm files, a token written by an older version)."""
    for path in paths:
        try:
            _tighten(Path(path), FILE_MODE)
        except FileNotFoundError:
            pass
