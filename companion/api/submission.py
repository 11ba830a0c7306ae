"""Turns a `POST /v1/analyses` request into a validated submission: exactly one source, checked."""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from flask import Request
from werkzeug.utils import secure_filename

from companion.errors import BadRequest, UnmaskError
from companion.work import FramesSource, PageSource, UploadSource, UrlSource, new_private_dir, remover, save_frames

MAX_URL_LENGTH = 8192
MAX_TIMESTAMP_S = 1e9  # about 31 years of video
LARGE_JSON_BYTES = 8 * 1024 * 1024
LARGE_JSON_WAIT_S = 20.0
_LARGE_JSON_SLOT = threading.BoundedSemaphore(1)
# A \uD800-\uDFFF escape: JSON allows a lone one, which no UTF-8 text (SQLite, logs) can hold.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
SNIFF_BYTES = 4096
JSON_SOURCES = ("url", "page_url", "frames")
_DATA_URL_PREFIX = "data:"
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


class InvalidRequest(BadRequest):
    """The request's shape is wrong (missing, extra or malformed fields)."""

    code = "invalid_request"


class UnsupportedMediaType(UnmaskError):
    """The body is neither JSON nor a multipart upload."""

    code, status = "unsupported_media_type", 415


@dataclass
class Submission:
    """A validated request: its public description, cache keys and what the job will run on."""

    source: dict
    source_key: str
    sha256: str | None
    work: Any
    cleanup: Callable[[], None] = field(default=lambda: None)


def parse_json_body(request: Request) -> Any:
    """The request's JSON document; 415 when it is not JSON, 400 when it does not parse or nests too deep."""
    if not request.is_json:
        raise UnsupportedMediaType("send a JSON body with Content-Type: application/json")
    raw = request.get_data(cache=False) or b""  # not cached: the body is read once
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON", code="invalid_json") from None
    except RecursionError:
        raise BadRequest("the body's JSON is nested too deeply", code="invalid_json") from None
    if _SURROGATE_ESCAPE.search(raw) and not _all_text_encodable(body):
        raise BadRequest("the body's JSON has a lone UTF-16 surrogate (\\ud800-\\udfff) in a string",
                         code="invalid_json")
    return body


def _all_text_encodable(value: Any) -> bool:
    """Whether every string in a parsed JSON document is valid Unicode (no lone surrogates)."""
    pending = [value]
    while pending:
        item = pending.pop()
        texts = [item] if isinstance(item, str) else []
        if isinstance(item, dict):
            texts, pending = list(item), pending + list(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        try:
            for text in texts:
                text.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


def parse_count(raw: str, name: str, low: int, high: int) -> int:
    """A whole number written in ASCII digits from `low` to `high`, or InvalidRequest."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(high)) or not low <= int(raw) <= high:
        raise InvalidRequest(f"{name} must be a whole number from {low} to {high}")
    return int(raw)


def parse_submission(request: Request, config: Mapping[str, Any]) -> Submission:
    """The submission a request describes: JSON {url} | {page_url} | {frames}, or a multipart `file`.

    A JSON body over LARGE_JSON_BYTES (frames) takes about four times its size while it is parsed, so
    such bodies are parsed one at a time; one that waits more than LARGE_JSON_WAIT_S gets 503 queue_full.
    """
    if request.mimetype == "multipart/form-data":
        return _parse_upload(request, config)
    if (request.content_length or 0) <= LARGE_JSON_BYTES:
        return _parse_json_submission(request, config)
    if not _LARGE_JSON_SLOT.acquire(timeout=LARGE_JSON_WAIT_S):
        from companion.jobs import RETRY_AFTER_S, QueueFull
        raise QueueFull("the companion is reading another large request; try again shortly",
                        headers={"Retry-After": str(RETRY_AFTER_S)})
    try:
        return _parse_json_submission(request, config)
    finally:
        _LARGE_JSON_SLOT.release()


def _parse_json_submission(request: Request, config: Mapping[str, Any]) -> Submission:
    """A JSON submission: exactly one of url, page_url, frames."""
    body = parse_json_body(request)
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object with one of: url, page_url, frames")
    unknown = sorted(set(body) - set(JSON_SOURCES))
    if unknown:
        raise InvalidRequest(f"unknown field(s): {', '.join(unknown)}")
    given = [key for key in JSON_SOURCES if key in body]
    if len(given) != 1:
        raise InvalidRequest("give exactly one of: url, page_url, frames (or upload a file)")
    if given[0] == "url":
        url = validate_url(body["url"], "url")
        return Submission({"type": "url", "url": url}, f"url:{url}", None, UrlSource(url))
    if given[0] == "page_url":
        url = validate_url(body["page_url"], "page_url")
        return Submission({"type": "page_url", "page_url": url}, f"page:{url}", None, PageSource(url))
    return _parse_frames(body["frames"], config)


def validate_url(value: Any, name: str) -> str:
    """An absolute http(s) URL with a host: invalid_request (not text), bad_url, unsupported_scheme (400)."""
    from companion.netguard import parse_url

    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"{name} must be a non-empty string")
    url = value.strip()
    if len(url) > MAX_URL_LENGTH or any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise BadRequest(f"{name} is too long or contains spaces or control characters", code="bad_url")
    try:
        parts = urlsplit(url)
        parts.port
    except ValueError:
        raise BadRequest(f"{name} is not a valid URL", code="bad_url") from None
    if not parts.scheme:
        raise BadRequest(f"{name} must be an absolute http:// or https:// URL", code="bad_url")
    return parse_url(url).url  # unsupported_scheme, credentials_in_url, bad_url (no host)


def _decode_frame_data(value: Any, position: int) -> bytes:
    """Bytes of one frame's base64 `data` (a data: URL prefix is accepted), checked to be JPEG or PNG."""
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"frames[{position}].data must be a base64 string")
    if value.startswith(_DATA_URL_PREFIX):
        value = value.partition(",")[2]
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest(f"frames[{position}].data is not valid base64") from None
    if not data.startswith(_IMAGE_MAGIC) and not (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        raise InvalidRequest(f"frames[{position}].data is not a JPEG (or PNG/WebP) image")
    return data


def _frame_timestamp(value: Any, position: int) -> float:
    """A frame's timestamp: a finite number of seconds from 0 to MAX_TIMESTAMP_S."""
    try:
        seconds = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan
    except OverflowError:  # an integer with thousands of digits
        seconds = math.nan
    if not 0 <= seconds <= MAX_TIMESTAMP_S:
        raise InvalidRequest(f"frames[{position}].timestamp must be a number of seconds from 0 to {MAX_TIMESTAMP_S:g}")
    return seconds


def _parse_frames(frames: Any, config: Mapping[str, Any]) -> Submission:
    """Validated frames: a list of 1..MAX_FRAMES_UPLOAD {data, timestamp} objects within the pixel budget."""
    from companion.frame_budget import check_frame_sizes
    from companion.pipeline import FrameUpload, frames_sha256

    max_frames = int(config["MAX_FRAMES_UPLOAD"])

    if not isinstance(frames, list) or not 1 <= len(frames) <= max_frames:
        raise InvalidRequest(f"frames must be a list of 1 to {max_frames} objects")
    uploads = []
    for position, item in enumerate(frames):
        if not isinstance(item, dict) or set(item) != {"data", "timestamp"}:
            raise InvalidRequest(f"frames[{position}] must be an object with exactly: data, timestamp")
        uploads.append(FrameUpload(_decode_frame_data(item["data"], position),
                                   _frame_timestamp(item["timestamp"], position)))
    check_frame_sizes([upload.data for upload in uploads], config)
    sha256 = frames_sha256(uploads)
    folder = new_private_dir(config)
    try:
        saved = save_frames(uploads, folder)  # a queued job keeps paths, not megabytes of frames
    except BaseException:
        remover(folder)()
        raise
    return Submission({"type": "frames", "count": len(uploads)}, f"sha256:{sha256}", sha256, FramesSource(saved),
                      remover(folder))


def _parse_upload(request: Request, config: Mapping[str, Any]) -> Submission:
    """A multipart upload with exactly one part: the file field `file`."""
    if list(request.form.keys()) or list(request.files.keys()) != ["file"] or len(request.files.getlist("file")) != 1:
        raise InvalidRequest("a multipart request carries exactly one part, the file field `file`")
    upload = request.files["file"]
    folder = new_private_dir(config)
    try:
        return _save_upload(upload, folder)
    except BaseException:
        remover(folder)()
        raise


def _save_upload(upload, folder) -> Submission:
    """Copy an upload into its private folder while hashing it; sniff what it is."""
    from companion.fetch import FetchedMedia
    from companion.sniff import extension_for, sniff

    head = upload.stream.read(SNIFF_BYTES)
    kind, mime = sniff(head)  # 415 empty_media when there are no bytes
    path = folder / f"upload{extension_for(mime)}"
    digest, size = hashlib.sha256(head), len(head)
    with open(path, "wb") as out:
        out.write(head)
        for chunk in iter(lambda: upload.stream.read(1 << 20), b""):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    sha256 = digest.hexdigest()
    media = FetchedMedia(path=path, sha256=sha256, kind=kind, mime=mime, size=size, source_url=None)
    name = secure_filename(upload.filename or "")[:200] or "upload"
    source = {"type": "file", "filename": name, "size": size, "mime": mime}
    return Submission(source, f"sha256:{sha256}", sha256, UploadSource(media), remover(folder))
