"""Download the media behind a URL safely: guarded connections, an overall deadline, size limits, sniffing.

Built on the standard library's `http.client` rather than requests/urllib3 on purpose:

* the connection's socket comes from `netguard` (one DNS resolution, every address checked, the connect
  pinned to a checked address), which http.client lets us plug in per connection;
* nothing happens behind our back: no environment proxies, no cookies, no automatic redirects (each hop is
  checked again here), no transparent decompression (size limits count the bytes that really arrive);
* `read1()` returns after at most one socket read, so a watchdog plus per-read timeouts bound the whole
  download by `FETCH_TIMEOUT_S`, not just each read.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import urljoin

from companion import netguard
from companion.errors import FetchFailed, TooLarge, UnmaskError
from companion.sniff import SNIFF_BYTES, extension_for, sniff

USER_AGENT = "Unmask/0.1 (local deepfake check)"
ACCEPT = "image/avif,image/webp,image/*,video/*;q=0.9,*/*;q=0.5"
CHUNK_BYTES = 64 * 1024
REDIRECT_STATUSES = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class FetchedMedia:
    """A media file saved locally: where, its sha256, kind ("image"|"video"), mime, size and origin."""

    path: Path
    sha256: str
    kind: str
    mime: str
    size: int
    source_url: str | None


class Deadline:
    """An overall time limit; once armed on a connection, a watchdog shuts its socket when time is up."""

    def __init__(self, seconds: float):
        self.seconds = float(seconds)
        self.ends_at = time.monotonic() + self.seconds
        self.expired = threading.Event()
        self._timer: threading.Timer | None = None

    def remaining(self) -> float:
        """Seconds left; raises fetch_timeout when none are."""
        left = self.ends_at - time.monotonic()
        if left <= 0 or self.expired.is_set():
            raise self.timeout_error()
        return left

    def timeout_error(self) -> FetchFailed:
        """The error for a fetch that ran out of time."""
        return FetchFailed(f"The download did not finish within {self.seconds:g} s.",
                           code="fetch_timeout", status=504)

    def arm(self, conn: http.client.HTTPConnection) -> None:
        """Shut `conn`'s socket down when the deadline passes (wakes up any blocked read)."""
        self.disarm()
        self._timer = threading.Timer(max(self.ends_at - time.monotonic(), 0.0), self._fire, args=(conn,))
        self._timer.daemon = True
        self._timer.start()

    def _fire(self, conn: http.client.HTTPConnection) -> None:
        """Mark the deadline as passed and break the connection."""
        self.expired.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def disarm(self) -> None:
        """Stop the watchdog."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def fetch_url(url: str, config: Mapping, dest_dir: str | os.PathLike) -> FetchedMedia:
    """Download `url` into `dest_dir` and return what it is; raise typed errors for every failure."""
    deadline = Deadline(config["FETCH_TIMEOUT_S"])
    try:
        conn, response, final_url = _open_following_redirects(url, config, deadline)
        try:
            return _save_body(response, conn, Path(dest_dir), config, deadline, final_url)
        finally:
            conn.close()
    except UnmaskError:
        raise
    except (OSError, http.client.HTTPException) as exc:
        if deadline.expired.is_set() or isinstance(exc, TimeoutError):
            raise deadline.timeout_error() from exc
        raise FetchFailed(f"Could not download {url}: {exc}", code="fetch_failed") from exc
    finally:
        deadline.disarm()


def _open_following_redirects(url: str, config: Mapping, deadline: Deadline):
    """GET `url`, following up to FETCH_MAX_REDIRECTS redirects (each re-checked); returns the 2xx answer."""
    current = url
    for _hop in range(int(config["FETCH_MAX_REDIRECTS"]) + 1):
        target = netguard.parse_url(current)
        conn, response = _get(target, config, deadline)
        location = response.getheader("Location")
        if response.status in REDIRECT_STATUSES and location:
            conn.close()
            current = urljoin(current, location.strip())
            continue
        if not 200 <= response.status < 300:
            conn.close()
            raise FetchFailed(f"{target.host} answered HTTP {response.status} {response.reason}.",
                              code="fetch_http_error")
        return conn, response, current
    raise FetchFailed(f"More than {config['FETCH_MAX_REDIRECTS']} redirects starting at {url}.",
                      code="too_many_redirects")


def _get(target: netguard.Target, config: Mapping, deadline: Deadline):
    """Send one GET over a guarded connection and read the status line and headers."""
    conn = netguard.open_connection(target, timeout=deadline.remaining(), config=config)
    deadline.arm(conn)
    try:
        conn.putrequest("GET", target.request_path, skip_accept_encoding=True)
        for name, value in (("User-Agent", USER_AGENT), ("Accept", ACCEPT),
                            ("Accept-Encoding", "identity"), ("Connection", "close")):
            conn.putheader(name, value)
        conn.endheaders()
        return conn, conn.getresponse()
    except BaseException:
        conn.close()
        raise


def _read_some(response: http.client.HTTPResponse, conn, deadline: Deadline) -> bytes:
    """At most one socket read of the body, bounded by the time left."""
    if conn.sock is not None:
        conn.sock.settimeout(deadline.remaining())
    chunk = response.read1(CHUNK_BYTES)
    if deadline.expired.is_set():  # the watchdog's shutdown looks like a normal end of the body
        raise deadline.timeout_error()
    return chunk


def _read_head(response, conn, deadline: Deadline) -> bytes:
    """The first SNIFF_BYTES of the body (fewer only when the body is shorter)."""
    head = b""
    while len(head) < SNIFF_BYTES:
        chunk = _read_some(response, conn, deadline)
        if not chunk:
            break
        head += chunk
    return head


def _size_limit(kind: str, config: Mapping) -> int:
    """Largest allowed download: FETCH_IMAGE_MAX_BYTES for images, FETCH_MAX_BYTES for videos.

    (VIDEO_MAX_BYTES is the limit for videos downloaded from pages by yt-dlp.)
    """
    return int(config["FETCH_IMAGE_MAX_BYTES"] if kind == "image" else config["FETCH_MAX_BYTES"])


def _save_body(response, conn, dest_dir: Path, config: Mapping, deadline: Deadline,
               final_url: str) -> FetchedMedia:
    """Sniff the first bytes, then stream the body to a file in `dest_dir` within the size limit."""
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("identity", ""):
        raise FetchFailed(f"The server sent {encoding}-encoded content although none was asked for.",
                          code="fetch_failed")
    head = _read_head(response, conn, deadline)
    kind, mime = sniff(head)
    limit = _size_limit(kind, config)
    declared = response.getheader("Content-Length")
    if declared and declared.strip().isdigit() and int(declared) > limit:
        raise _too_large(kind, limit, f"the server announces {int(declared):,} bytes")
    fd, name = tempfile.mkstemp(prefix="fetched-", suffix=extension_for(mime), dir=dest_dir)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            size, digest = _stream_to(out, head, response, conn, deadline, limit, kind)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FetchedMedia(path=path, sha256=digest, kind=kind, mime=mime, size=size, source_url=final_url)


def _stream_to(out, head: bytes, response, conn, deadline: Deadline, limit: int, kind: str):
    """Write `head` and the rest of the body to `out`; returns (size, sha256 hex)."""
    digest, size, chunk = hashlib.sha256(), 0, head
    while chunk:
        size += len(chunk)
        if size > limit:
            raise _too_large(kind, limit, "the download went past it")
        digest.update(chunk)
        out.write(chunk)
        chunk = _read_some(response, conn, deadline)
    if response.length:  # Content-Length promised more than arrived
        raise FetchFailed(f"The connection closed {response.length:,} bytes before the end.",
                          code="fetch_failed")
    return size, digest.hexdigest()


def _too_large(kind: str, limit: int, why: str) -> TooLarge:
    """The 413 error for media over its size limit."""
    return TooLarge(f"The {kind} is larger than the {limit:,}-byte limit ({why}).", code="media_too_large")
