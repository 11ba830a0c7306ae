"""Download the video of a web page (YouTube, Vimeo, ...) with yt-dlp, inside the companion's safety rules.

* Only allow-listed sites (`YTDLP_EXTRACTORS`): the extractor yt-dlp would pick for the URL must be in the
  list, and `allowed_extractors` keeps any hand-over to another extractor inside the list too.
* Every connection yt-dlp makes (page, API calls, redirects, media, fragments) goes through `netguard`:
  the YoutubeDL here has a single request handler, yt-dlp's urllib one with its HTTP(S) connections
  replaced by the guarded, address-pinned ones. No cookies are loaded or kept, no proxies, no cache,
  native downloaders only (an external ffmpeg would open its own connections).
* Limits before downloading: duration (`VIDEO_MAX_DURATION_S`), announced size (`VIDEO_MAX_BYTES`), no
  live streams; during the download a progress hook stops at `VIDEO_MAX_BYTES` (yt-dlp's own
  `max_filesize` only looks at Content-Length and skips silently); afterwards the file is sniffed and its
  real duration probed (pages that do not announce one, like plain `<video>` tags).
* The download happens in a private (0700) folder under `dest_dir` that is always removed; the video is
  moved into `dest_dir` itself.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import re
import shutil
import tempfile
import urllib.request
from pathlib import Path
from typing import Any, Iterator, Mapping

import yt_dlp
from yt_dlp.extractor import gen_extractor_classes
from yt_dlp.networking._urllib import HTTPHandler as _YtdlpHTTPHandler
from yt_dlp.networking._urllib import UrllibRH
from yt_dlp.networking.exceptions import HTTPError, RequestError, TransportError
from yt_dlp.utils import GeoRestrictedError, UnsupportedError, YoutubeDLError

from companion import netguard
from companion.errors import BadRequest, FetchFailed, NotMedia, TooLarge, Undecodable, UnmaskError
from companion.fetch import FetchedMedia
from companion.sniff import SNIFF_BYTES, extension_for, sniff
from models.serving.frames import VideoDecodeError, VideoTooLong, probe_video

log = logging.getLogger("unmask.ytdlp")

MIN_USEFUL_HEIGHT = 360
# Smallest stream with video (no merging: ffmpeg is not needed) at least 360 px high, else the smallest.
FORMAT_SPEC = "bv*[height>=360]/b[height>=360]/bv*/b"
FORMAT_SORT = ["+size", "+br", "+res"]
GENERIC_ALIASES = {"generic": ("generic", "html5mediaembed", "quotedhtml")}
UNAVAILABLE_HINTS = ("video unavailable", "private video", "has been removed", "been deleted", "not available",
                     "sign in", "log in", "login required", "confirm your age", "age-restricted", "members-only",
                     "copyright", "requested format")


class _GuardRefused(RequestError):
    """A guarded connection was refused; carries the companion error to raise."""

    def __init__(self, error: UnmaskError):
        super().__init__(error.message)
        self.error = error


class _SizeExceeded(Exception):
    """The download passed VIDEO_MAX_BYTES (raised from the progress hook)."""


class _GuardedHTTPHandler(_YtdlpHTTPHandler):
    """yt-dlp's urllib HTTP handler with connections from netguard (checked and pinned addresses)."""

    def __init__(self, config: Mapping, **kwargs):
        super().__init__(**kwargs)
        self._guard_config = config

    def http_open(self, req):
        """Open http:// requests over a guarded connection."""
        return self.do_open(functools.partial(netguard.GuardedHTTPConnection, config=self._guard_config), req)

    def https_open(self, req):
        """Open https:// requests over a guarded connection (TLS verified against the host name)."""
        return self.do_open(functools.partial(netguard.GuardedHTTPSConnection, config=self._guard_config), req,
                            context=self._context)


class _GuardedUrllibRH(UrllibRH):
    """yt-dlp's urllib request handler, limited to http(s), whose HTTP handler is the guarded one."""

    RH_KEY = "Urllib"
    RH_NAME = "urllib (guarded)"
    _SUPPORTED_URL_SCHEMES = ("http", "https")
    guard_config: Mapping = {}

    def _create_instance(self, *args, **kwargs):
        """yt-dlp's opener with the HTTP handler swapped for the guarded one."""
        base = super()._create_instance(*args, **kwargs)
        opener = urllib.request.OpenerDirector()
        for handler in base.handlers:
            if isinstance(handler, _YtdlpHTTPHandler):
                handler = _GuardedHTTPHandler(self.guard_config, context=handler._context,
                                              source_address=handler._source_address)
            opener.add_handler(handler)
        opener.addheaders = []
        return opener

    def _send(self, request):
        """Send, turning a refusal by the guard into a RequestError that yt-dlp passes on untouched."""
        try:
            return super()._send(request)
        except UnmaskError as exc:
            raise _GuardRefused(exc) from exc


class _GuardedYoutubeDL(yt_dlp.YoutubeDL):
    """A YoutubeDL whose only way onto the network is the guarded handler."""

    def __init__(self, params: dict, config: Mapping):
        self._guard_config = config
        super().__init__(params)

    def build_request_director(self, handlers, preferences=None):
        """Ignore yt-dlp's registered handlers (requests, curl_cffi, websockets): use the guarded one."""
        guarded = type("GuardedUrllibRH", (_GuardedUrllibRH,), {"guard_config": self._guard_config})
        return super().build_request_director([guarded], preferences)


class _LogToPython:
    """yt-dlp logger interface routed to Python logging."""

    def debug(self, msg: str) -> None:
        """yt-dlp's debug and screen messages."""
        log.debug(msg)

    def info(self, msg: str) -> None:
        """yt-dlp's informational messages."""
        log.info(msg)

    def warning(self, msg: str) -> None:
        """yt-dlp's warnings."""
        log.warning(msg)

    def error(self, msg: str) -> None:
        """yt-dlp's errors (raised as DownloadError too)."""
        log.info(msg)


def allowed_extractors(names: list[str]) -> list[type]:
    """Extractor classes whose key or name starts with an allow-listed name ("youtube" allows "YoutubeTab").

    "generic" brings the generic extractor's page scanners along (plain `<video>` tags, quoted HTML),
    without which it finds nothing; embeds of other sites are followed only when those are allowed.
    """
    wanted = tuple(alias for name in names for alias in GENERIC_ALIASES.get(name.lower(), (name.lower(),)))
    if not wanted:
        return []
    return [ie for ie in gen_extractor_classes()
            if ie.ie_key().lower().startswith(wanted) or ie.IE_NAME.lower().startswith(wanted)]


def extractor_for(url: str) -> type | None:
    """The extractor yt-dlp would use for `url` (the generic one matches any URL, last)."""
    return next((ie for ie in gen_extractor_classes() if ie.suitable(url)), None)


def download_page_video(page_url: str, config: Mapping, dest_dir: str | os.PathLike) -> FetchedMedia:
    """Download the video on `page_url` into `dest_dir`; typed errors for every refusal or failure."""
    target = netguard.parse_url(page_url)
    allowed = allowed_extractors(list(config["YTDLP_EXTRACTORS"]))
    chosen = extractor_for(target.url)
    if chosen is None or chosen not in allowed:
        site = chosen.ie_key() if chosen else "unknown"
        raise BadRequest(f"Videos from this site ({site}) are not supported; allowed: "
                         f"{', '.join(config['YTDLP_EXTRACTORS']) or 'none'}.", code="unsupported_site")
    # Early, clear refusal; the guarded connections inside yt-dlp check every address again.
    infos = netguard.resolve(target.host, target.port, float(config["FETCH_TIMEOUT_S"]))
    netguard.check_addresses(target.host, infos, config)
    with _private_folder(Path(dest_dir)) as workdir:
        downloaded = _run_ytdlp(target.url, config, workdir, allowed)
        return _keep(downloaded, Path(dest_dir), page_url, config)


@contextlib.contextmanager
def _private_folder(parent: Path) -> Iterator[Path]:
    """A 0700 temporary folder under `parent`, removed with everything in it afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="page-video-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _options(config: Mapping, workdir: Path, allowed: list[type]) -> dict[str, Any]:
    """YoutubeDL parameters: quiet, cookie-less, single video, native downloads into `workdir`."""
    limit = int(config["VIDEO_MAX_BYTES"])
    return {
        "logger": _LogToPython(), "quiet": True, "no_warnings": False, "noprogress": True, "no_color": True,
        "allowed_extractors": [re.escape(ie.IE_NAME.lower()) for ie in allowed],
        "noplaylist": True, "playlist_items": "1", "format": FORMAT_SPEC, "format_sort": FORMAT_SORT,
        "paths": {"home": str(workdir), "temp": str(workdir)}, "outtmpl": {"default": "video.%(ext)s"},
        "restrictfilenames": True, "overwrites": True, "cachedir": False, "cookiefile": None, "proxy": "",
        "socket_timeout": float(config["FETCH_TIMEOUT_S"]), "retries": 1, "fragment_retries": 1,
        "extractor_retries": 0, "external_downloader": {"default": "native"}, "hls_prefer_native": True,
        "enable_file_urls": False, "check_formats": False, "writesubtitles": False, "writethumbnail": False,
        "progress_hooks": [functools.partial(_enforce_size, limit)],
    }


def _enforce_size(limit: int, progress: dict) -> None:
    """Progress hook: stop a download that announces or reaches more than `limit` bytes."""
    done, total = progress.get("downloaded_bytes") or 0, progress.get("total_bytes") or 0
    if done > limit or total > limit:
        raise _SizeExceeded(f"The video is larger than the {limit:,}-byte limit.")


def _run_ytdlp(url: str, config: Mapping, workdir: Path, allowed: list[type]) -> Path:
    """Extract, check, then download the chosen format; returns the downloaded file."""
    log.debug("yt-dlp %s: %s", yt_dlp.version.__version__, url)
    try:
        with _GuardedYoutubeDL(_options(config, workdir, allowed), config) as ydl:
            info = _single_video(ydl.extract_info(url, download=False))
            _check_before_download(info, config)
            ydl.process_ie_result(info, download=True)
    except (YoutubeDLError, _SizeExceeded) as exc:
        raise _translate(exc) from exc
    return _downloaded_file(workdir)


def _single_video(info: dict | None) -> dict:
    """The video of an extraction result (the first entry of a playlist)."""
    if info and info.get("_type") == "playlist":
        entries = [entry for entry in (info.get("entries") or []) if entry]
        info = entries[0] if entries else None
    if not info:
        raise FetchFailed("The page has no video.", code="video_unavailable")
    return info


def _check_before_download(info: dict, config: Mapping) -> None:
    """Refuse live streams, videos over the duration limit and formats announced over the size limit."""
    if info.get("is_live") or info.get("live_status") in ("is_live", "is_upcoming", "post_live"):
        raise BadRequest("Live streams cannot be checked; try again once it is over.", code="live_video",
                         status=422)
    duration, max_duration = info.get("duration"), float(config["VIDEO_MAX_DURATION_S"])
    if duration and float(duration) > max_duration:
        raise TooLarge(f"The video lasts {float(duration):.0f} s; the limit is {max_duration:.0f} s.",
                       code="video_too_long")
    size, limit = info.get("filesize") or info.get("filesize_approx"), int(config["VIDEO_MAX_BYTES"])
    if size and int(size) > limit:
        raise TooLarge(f"The smallest suitable format is {int(size):,} bytes; the limit is {limit:,}.",
                       code="media_too_large")


def _downloaded_file(workdir: Path) -> Path:
    """The finished download in `workdir` (partial and temporary files excluded)."""
    files = [p for p in workdir.iterdir() if p.is_file() and not p.name.endswith((".part", ".ytdl", ".temp"))]
    if not files:
        raise FetchFailed("yt-dlp finished without a video file.", code="fetch_failed")
    return max(files, key=lambda p: p.stat().st_size)


def _keep(downloaded: Path, dest_dir: Path, page_url: str, config: Mapping) -> FetchedMedia:
    """Sniff and probe the download, then move it into `dest_dir` as a FetchedMedia."""
    with open(downloaded, "rb") as handle:
        kind, mime = sniff(handle.read(SNIFF_BYTES))
    if kind != "video":
        raise NotMedia(f"The page's media is {mime}, not a video.")
    try:
        probe_video(downloaded, max_duration_s=float(config["VIDEO_MAX_DURATION_S"]))
    except VideoTooLong as exc:
        raise TooLarge(str(exc), code="video_too_long") from exc
    except VideoDecodeError as exc:
        raise Undecodable(f"The downloaded video cannot be decoded: {exc}", code="undecodable_video") from exc
    fd, name = tempfile.mkstemp(prefix="page-video-", suffix=extension_for(mime), dir=dest_dir)
    os.close(fd)
    final = Path(name)
    os.replace(downloaded, final)
    digest = hashlib.sha256()
    with open(final, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return FetchedMedia(path=final, sha256=digest.hexdigest(), kind=kind, mime=mime,
                        size=final.stat().st_size, source_url=page_url)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and everything it wraps (exc_info, cause, __cause__, __context__), each once."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        exc_info = getattr(current, "exc_info", None)
        wrapped = [exc_info[1] if isinstance(exc_info, tuple) and len(exc_info) > 1 else None,
                   getattr(current, "cause", None), current.__cause__, current.__context__]
        stack.extend(w for w in wrapped if isinstance(w, BaseException))


def _translate(exc: BaseException) -> UnmaskError:
    """The companion error for a yt-dlp failure."""
    causes = list(_causes(exc))
    for cause in causes:
        if isinstance(cause, _GuardRefused):
            return cause.error
        if isinstance(cause, UnmaskError):
            return cause
        if isinstance(cause, _SizeExceeded):
            return TooLarge(str(cause), code="media_too_large")
    message = _clean(exc)
    if any(isinstance(c, UnsupportedError) for c in causes) or "no suitable extractor" in message.lower():
        return BadRequest(f"No video found that this site's extractor supports: {message}", code="unsupported_site")
    if any(isinstance(c, GeoRestrictedError) for c in causes):
        return FetchFailed(f"The video is not available here: {message}", code="video_unavailable")
    http_error = next((c for c in causes if isinstance(c, HTTPError)), None)
    if http_error is not None and http_error.status in (404, 410):
        return FetchFailed(f"The video is gone (HTTP {http_error.status}).", code="video_unavailable")
    if http_error is None and not any(isinstance(c, TransportError) for c in causes) \
            and any(hint in message.lower() for hint in UNAVAILABLE_HINTS):
        return FetchFailed(f"The video is not available: {message}", code="video_unavailable")
    return FetchFailed(f"Downloading the video failed: {message}", code="fetch_failed")


def _clean(exc: BaseException) -> str:
    """yt-dlp's message without its "ERROR:" prefix and bug-report boilerplate."""
    text = str(exc).replace("ERROR: ", "").strip()
    return text.split("; please report this issue")[0].split(" please report this issue")[0][:500]
