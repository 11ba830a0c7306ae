"""Crafted requests through a real socket: always a typed JSON 4xx/503, never a 500 or a plain-text answer."""
from __future__ import annotations

import base64
import socket
import sqlite3
import struct
import threading
import zlib

import pytest
import requests

from companion.cli import build_server

# ---------------------------------------------------------------- helpers


def _post(server, **kwargs):
    """POST /v1/analyses with the token."""
    return requests.post(server.url("/v1/analyses"), headers={**server.auth, **kwargs.pop("headers", {})},
                         timeout=30, **kwargs)


def _code(response) -> str:
    """The typed code of a JSON error response."""
    assert response.headers["Content-Type"].startswith("application/json"), response.text
    return response.json()["error"]["code"]


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header announces width x height (8-bit grey) and whose data is a few bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        """One PNG chunk with its CRC."""
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b""))


def _frame(data: bytes, timestamp) -> dict:
    """One frames[] item."""
    return {"data": base64.b64encode(data).decode(), "timestamp": timestamp}


# ---------------------------------------------------------------- query strings and JSON bodies


@pytest.mark.parametrize("params, code", [
    ({"limit": "²"}, "invalid_request"), ({"limit": "１０"}, "invalid_request"),
    ({"limit": "9" * 400}, "invalid_request"), ({"cursor": "²"}, "invalid_cursor"),
    ({"cursor": str(2 ** 63)}, "invalid_cursor"), ({"cursor": "9" * 5000}, "invalid_cursor"),
    ({"cursor": "-1"}, "invalid_cursor"),
])
def test_crafted_history_parameters_are_400(live_server, params, code):
    response = requests.get(live_server.url("/v1/analyses"), params=params, headers=live_server.auth, timeout=10)
    assert response.status_code == 400 and _code(response) == code


def test_deeply_nested_json_is_400(live_server):
    deep = b"[" * 100_000 + b"]" * 100_000
    for path in ("/v1/analyses", "/v1/analyses/x/feedback"):
        response = requests.post(live_server.url(path), data=deep, timeout=30,
                                 headers={**live_server.auth, "Content-Type": "application/json"})
        assert response.status_code == 400 and _code(response) == "invalid_json", path


@pytest.mark.parametrize("timestamp", ["9" * 4000, "1e400", "-0.5", "1e10", "true", "null"])
def test_crafted_frame_timestamps_are_400(live_server, timestamp):
    frame = base64.b64encode(png_header(4, 4)).decode()
    body = '{"frames": [{"data": "%s", "timestamp": %s}]}' % (frame, timestamp)
    response = _post(live_server, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and _code(response) == "invalid_request"


@pytest.mark.parametrize("url, code", [
    ("file:///etc/passwd", "unsupported_scheme"), ("ftp://example.com/a.jpg", "unsupported_scheme"),
    ("javascript:alert(1)", "unsupported_scheme"), ("data:image/png;base64,AAAA", "unsupported_scheme"),
    ("http://user:pw@example.com/a.jpg", "credentials_in_url"), ("example.com/a.jpg", "bad_url"),
    ("http://example.com:99999/a.jpg", "bad_url"), ("https://", "bad_url"),
])
def test_urls_get_the_documented_codes(live_server, url, code):
    for field in ("url", "page_url"):
        response = _post(live_server, json={field: url})
        assert response.status_code == 400 and _code(response) == code, (field, url)


def test_empty_upload_is_empty_media(live_server):
    response = _post(live_server, files={"file": ("a.jpg", b"")})
    assert response.status_code == 415 and _code(response) == "empty_media"


# ---------------------------------------------------------------- frames: the pixel budget


def test_frames_over_the_pixel_budget_are_refused_from_their_headers(live_server):
    """64 frames of 7000x7000 (each under MAX_IMAGE_PIXELS) would decode to 10 GB: refused before queueing."""
    frames = [_frame(png_header(7000, 7000) + bytes([i]), i * 0.1) for i in range(64)]
    response = _post(live_server, json={"frames": frames})
    assert response.status_code == 413 and _code(response) == "frames_too_large"
    one_huge = _post(live_server, json={"frames": [_frame(png_header(8000, 8000), 0)]})
    assert one_huge.status_code == 413 and _code(one_huge) == "image_too_large"
    assert live_server.app.extensions["unmask"].store.count() == 0


def test_kept_frames_are_shrunk_one_at_a_time():
    from companion.frame_budget import KEEP_PIXELS, MAX_SIDE, decode_frames, keep_scale

    assert keep_scale(1280, 720, 8) == 1.0
    assert keep_scale(5000, 1000, 1) == MAX_SIDE / 5000
    scale = keep_scale(4000, 3000, 64)
    assert 64 * (4000 * scale) * (3000 * scale) <= KEEP_PIXELS * 1.0001
    import numpy as np
    decoded = []

    def decode(data, keep_pixels):
        """A stand-in decoder that records the order of calls (and does not shrink)."""
        decoded.append(len(data))
        return np.zeros((3000, 4000, 3), np.uint8)

    frames = [png_header(4000, 3000) + bytes(i) for i in range(64)]
    images, scales, size = decode_frames(frames, {"MAX_IMAGE_PIXELS": 50_000_000, "MAX_FRAMES_PIXELS": 10 ** 9}, decode)
    assert size == (4000, 3000) and len(images) == 64 and decoded == [len(f) for f in frames]
    assert sum(image.shape[0] * image.shape[1] for image in images) <= KEEP_PIXELS
    assert all(abs(s - 4000 / image.shape[1]) < 1e-9 for s, image in zip(scales, images))


# ---------------------------------------------------------------- the database and the token while serving


def test_database_damaged_while_serving_is_reported(live_server):
    store_path = live_server.app.config["DATABASE"]
    assert requests.get(live_server.url("/v1/health"), timeout=30).json()["database"] == {"ok": True}
    other = sqlite3.connect(store_path, isolation_level=None)  # another process scribbling on the file
    other.execute("PRAGMA writable_schema=ON")
    other.execute("UPDATE sqlite_schema SET sql='CREATE TABLE analyses (garbage' WHERE name='analyses'")
    version = other.execute("PRAGMA schema_version").fetchone()[0]
    other.execute(f"PRAGMA schema_version={version + 1}")  # makes the server's connection re-read the schema
    other.close()
    response = _post(live_server, json={"url": "https://example.com/a.jpg"})
    assert response.status_code == 503 and _code(response) == "database_unusable"
    listing = requests.get(live_server.url("/v1/analyses"), headers=live_server.auth, timeout=10)
    assert listing.status_code == 503 and _code(listing) == "database_unusable"
    health = requests.get(live_server.url("/v1/health"), timeout=30)
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    assert health.json()["database"]["ok"] is False and "unmask.sqlite3" in health.json()["database"]["problem"]


def test_token_file_deleted_while_serving_is_503(live_server):
    auth = live_server.auth
    live_server.app.config["TOKEN_FILE"].unlink()
    response = requests.get(live_server.url("/v1/analyses"), headers=auth, timeout=10)
    assert response.status_code == 503 and _code(response) == "token_unavailable"
    assert "unmask token" in response.json()["error"]["message"]
    assert requests.get(live_server.url("/v1/health"), timeout=30).status_code == 200


# ---------------------------------------------------------------- waitress's own answers


@pytest.fixture
def waitress_server(make_app):
    """`unmask serve`'s waitress server (MAX_UPLOAD_BYTES 2000) on a free loopback port, in a thread."""
    app = make_app(MAX_UPLOAD_BYTES=2000)
    server = build_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield server, app
    server.close()


def _raw(port: int, request: bytes) -> tuple[int, dict, bytes]:
    """Send raw bytes, read the whole answer: (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


@pytest.mark.parametrize("content_length, status, code", [
    ("999999999", 413, "too_large"), ("-5", 400, "invalid_request"), ("12abc", 400, "invalid_request"),
])
def test_waitress_refusals_are_json(waitress_server, content_length, status, code):
    import json

    server, app = waitress_server
    token = app.extensions["unmask"].token.current()
    request = (f"POST /v1/analyses HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {content_length}\r\n\r\n{{}}").encode()
    got_status, headers, body = _raw(server.effective_port, request)
    assert got_status == status and headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == code


def test_waitress_refuses_a_chunked_body_over_the_limit_as_json(waitress_server):
    import json

    server, app = waitress_server
    token = app.extensions["unmask"].token.current()
    from companion.http_server import BODY_SLACK_BYTES

    limit = 2000 + BODY_SLACK_BYTES  # waitress's own limit; it answers once that many body bytes arrived
    body = b"1000000\r\n" + b"x" * (limit - 9)  # a 16 MB chunk announced, cut where waitress stops reading
    request = (f"POST /v1/analyses HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
               f"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode() + body
    status, headers, answer = _raw(server.effective_port, request)
    assert status == 413 and json.loads(answer)["error"]["code"] == "too_large"


# ---------------------------------------------------------------- by URL too, and videos


def _final(server, analysis_id: str, timeout: float = 120.0) -> dict:
    """Poll an analysis until it is done or failed."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = requests.get(server.url(f"/v1/analyses/{analysis_id}"), headers=server.auth, timeout=30).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"analysis {analysis_id} did not finish")


def test_lying_tiff_by_url_is_refused_not_decoded(live_server):
    """The TIFF that listed 30000x30000 then 10x10 was decoded at 30000x30000 (13.5 GB) when fetched."""
    from tests.helpers import crafted_images as crafted
    from tests.helpers.http_server import FixtureServer

    lie = crafted.tiff_duplicate_size(crafted.encode(".tiff"), (30000, 30000), (10, 10))
    with FixtureServer() as web:
        url = web.file("/lie.tiff", lie, "image/tiff")
        response = _post(live_server, json={"url": url})
        assert response.status_code == 202, response.text
        analysis = _final(live_server, response.json()["id"])
    assert analysis["status"] == "failed" and analysis["error"]["code"] == "undecodable_image"
    assert "twice" in analysis["error"]["message"]


def test_video_with_frames_over_the_pixel_limit_is_refused(start_server, tmp_path):
    from tests.helpers.media import make_face_video

    server = start_server(MAX_IMAGE_PIXELS=100_000)
    video = make_face_video(tmp_path / "v.mp4", seconds=0.4, size=(640, 360))
    response = _post(server, files={"file": ("v.mp4", video.read_bytes())})
    assert response.status_code == 202, response.text
    analysis = _final(server, response.json()["id"])
    assert analysis["status"] == "failed" and analysis["error"]["code"] == "media_too_large"


def test_queued_frames_wait_on_disk_not_in_memory(make_app):
    from companion.api.submission import _parse_frames
    from companion.work import FrameFile

    app = make_app()
    data = png_header(64, 48)
    submission = _parse_frames([_frame(data, 0.5)], app.config)
    saved = submission.work.frames
    assert len(saved) == 1 and isinstance(saved[0], FrameFile) and saved[0].path.read_bytes() == data
    submission.cleanup()
    assert not saved[0].path.exists()


def test_large_json_bodies_are_parsed_one_at_a_time(live_server, monkeypatch):
    """Each large JSON body takes ~4x its size while parsed: a second one waits, then gets 503 + Retry-After."""
    from companion.api import submission

    monkeypatch.setattr(submission, "LARGE_JSON_WAIT_S", 0.2)
    big = b'{"frames": "' + b"x" * (submission.LARGE_JSON_BYTES + 10) + b'"}'
    assert submission._LARGE_JSON_SLOT.acquire(timeout=5)  # another large request is being read
    try:
        busy = _post(live_server, data=big, headers={"Content-Type": "application/json"})
    finally:
        submission._LARGE_JSON_SLOT.release()
    assert busy.status_code == 503 and _code(busy) == "queue_full" and "Retry-After" in busy.headers
    served = _post(live_server, data=big, headers={"Content-Type": "application/json"})
    assert served.status_code == 400 and _code(served) == "invalid_request"


@pytest.mark.parametrize("body", [b'{"url": "http://example.com/\\ud800.jpg"}',
                                  b'{"page_url": "https://www.youtube.com/watch?v=\\udfff"}'])
def test_lone_surrogates_are_400_not_500(live_server, body):
    """JSON allows a lone \\ud800 escape; SQLite cannot store it (it was a 500)."""
    response = _post(live_server, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and _code(response) == "invalid_json"


def test_lone_surrogate_in_a_feedback_note_is_400(live_server):
    store = live_server.app.extensions["unmask"].store
    analysis_id = store.create(source={"type": "url"}, source_key="url:x", model_version="v", status="done",
                               result={"verdict": "likely_real"})
    response = requests.post(live_server.url(f"/v1/analyses/{analysis_id}/feedback"), timeout=10,
                             data=b'{"label": "fake", "note": "\\ud800"}',
                             headers={**live_server.auth, "Content-Type": "application/json"})
    assert response.status_code == 400 and _code(response) == "invalid_json"
    emoji = requests.post(live_server.url(f"/v1/analyses/{analysis_id}/feedback"), timeout=10,
                          data=b'{"label": "fake", "note": "\\ud83d\\ude00"}',
                          headers={**live_server.auth, "Content-Type": "application/json"})
    assert emoji.status_code == 200 and emoji.json()["feedback"]["note"] == "\U0001F600"
