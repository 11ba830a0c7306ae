"""The pairing token: made on first run, kept in a file only its owner can read, re-read when it changes."""
from __future__ import annotations

import hmac
import os
import secrets
import stat
import threading
from pathlib import Path

from companion.config import ConfigError
from companion.errors import Unavailable
from companion.private_files import parent_dir

TOKEN_BYTES = 32
FILE_MODE = 0o600


class TokenUnavailable(Unavailable):
    """The token file vanished or cannot be read while serving (503; `unmask token` makes a new one)."""

    code = "token_unavailable"


def new_token() -> str:
    """A fresh random token (URL-safe text, 256 bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def _write_private(path: Path, text: str) -> None:
    """Replace a file atomically with `text`, readable and writable by its owner only."""
    parent_dir(path)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text + "\n")
        os.chmod(temp, FILE_MODE)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


class TokenFile:
    """The token kept in one file; `current()` notices when another process rotated it."""

    def __init__(self, path: Path):
        """A token kept at `path` (nothing is read or written yet)."""
        self.path = Path(path)
        self._lock = threading.Lock()
        self._signature: tuple[int, int, int] | None = None
        self._token = ""

    def ensure(self) -> str:
        """Create the token when there is none, tighten a too-open file mode, and return the token.

        A token path that is a folder, unreadable or not ASCII text is a ConfigError (exit 2 at start).
        """
        try:
            with self._lock:
                if self.path.exists() and not self.path.is_file():
                    raise ConfigError(f"TOKEN_FILE {self.path} is not a file (a folder?); remove it or set "
                                      "TOKEN_FILE to a file path")
                if not self.path.exists() or not self.path.read_text(encoding="ascii").strip():
                    _write_private(self.path, new_token())
                self._fix_mode()
            return self.current()
        except (OSError, UnicodeDecodeError, TokenUnavailable) as exc:
            reason = getattr(exc, "strerror", None) or getattr(exc, "message", None) or "not ASCII text"
            raise ConfigError(f"TOKEN_FILE {self.path} cannot be used ({reason}); delete it and run "
                              "`unmask token` to make a new one") from None

    def _fix_mode(self) -> None:
        """Set the file's mode to 0600 when group or others may touch it."""
        if os.name == "posix" and stat.S_IMODE(self.path.stat().st_mode) != FILE_MODE:
            os.chmod(self.path, FILE_MODE)

    def current(self) -> str:
        """The token now in the file (read again only when its inode, size or mtime changed).

        TokenUnavailable (503) when the file was deleted, replaced by a folder or made unreadable.
        """
        try:
            info = self.path.stat()
            signature = (info.st_ino, info.st_size, info.st_mtime_ns)
            with self._lock:
                if signature != self._signature:
                    self._token = self.path.read_text(encoding="ascii").strip()
                    self._signature = signature
                return self._token
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not ASCII text"
            raise TokenUnavailable(f"the pairing token file cannot be read ({reason}); run `unmask token` "
                                   "to make a new one and paste it into the extension") from None

    def rotate(self) -> str:
        """Replace the token with a new one; running servers pick it up on their next request."""
        with self._lock:
            _write_private(self.path, new_token())
        return self.current()

    def matches(self, presented: str) -> bool:
        """Constant-time comparison of a presented token with the current one."""
        expected = self.current()
        return bool(expected) and hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))
