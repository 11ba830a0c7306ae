"""Fetching media URLs against a real local HTTP server: sniffing, limits, timeouts, redirects, the SSRF guard."""
from __future__ import annotations

import hashlib
import socket
import ssl
import threading
import time

import pytest

from companion import netguard
from companion.config import DEFAULTS
from companion.errors import BadRequest, FetchFailed, Forbidden, NotMedia, TooLarge
from companion.fetch import USER_AGENT, fetch_url
from tests.helpers.http_server import TLS_CERT, FixtureServer, send_body
from tests.helpers.media import make_index_video, make_jpeg_bytes

MiB = 1024 * 1024
JPEG = make_jpeg_bytes()
SNIFF_HEAD = 600  # enough leading JPEG bytes for sniffing


@pytest.fixture
def server():
    """A fresh local HTTP fixture server."""
    with FixtureServer() as running:
        yield running


@pytest.fixture
def config():
    """Companion settings for fetching from the local server (private addresses allowed)."""
    return {**DEFAULTS, "ALLOW_PRIVATE_ADDRESSES": True, "FETCH_TIMEOUT_S": 5}


@pytest.fixture
def dest(tmp_path):
    """The folder downloads go to."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


def fetch_error(url, config, dest, error_type):
    """Run fetch_url, expecting `error_type`; checks no partial file is left; returns the error."""
    with pytest.raises(error_type) as caught:
        fetch_url(url, config, dest)
    assert list(dest.iterdir()) == []
    return caught.value


# ------------------------------------------------------------------ the guard's decisions


@pytest.mark.parametrize("address", ["10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "127.0.0.1",
                                     "::1", "::ffff:127.0.0.1", "::ffff:10.1.2.3", "224.0.0.1", "0.0.0.0", "::",
                                     "fe80::1", "fc00::1", "100.64.0.1", "240.0.0.1", "2002:7f00:1::1",
                                     "ff02::1", "64:ff9b::a9fe:a9fe", "2001:db8::1"])
def test_non_public_addresses_are_forbidden(address):
    assert netguard.forbidden_reason(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert netguard.forbidden_reason(address) is None


@pytest.mark.parametrize("url,code", [
    ("file:///etc/passwd", "unsupported_scheme"), ("ftp://example.com/a.jpg", "unsupported_scheme"),
    ("data:image/png;base64,AAAA", "unsupported_scheme"), ("javascript:alert(1)", "unsupported_scheme"),
    ("http://user:secret@example.com/a.jpg", "credentials_in_url"), ("http://", "bad_url"),
    ("http://exa mple.com/", "bad_url"), ("http://example.com:99999/", "bad_url"), ("", "bad_url"),
])
def test_bad_urls_are_refused_before_any_connection(url, code, config, dest):
    error = fetch_error(url, config, dest, BadRequest)
    assert (error.code, error.status) == (code, 400)


def test_a_host_with_any_private_address_is_refused(monkeypatch, config):
    """Several A records, one of them private (a classic rebinding set-up): the whole host is refused."""
    def fake_getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(Forbidden) as caught:
        netguard.open_checked_socket("mixed.example", 80, 1.0, {**config, "ALLOW_PRIVATE_ADDRESSES": False})
    assert (caught.value.code, caught.value.status) == ("private_address", 403)


def test_local_server_is_refused_when_private_addresses_are_not_allowed(server, config, dest):
    url = server.file("/a.jpg", JPEG, "image/jpeg")
    error = fetch_error(url, {**config, "ALLOW_PRIVATE_ADDRESSES": False}, dest, Forbidden)
    assert (error.code, error.status) == ("private_address", 403)
    assert server.requests == []


def test_each_redirect_is_checked_again(server, config, dest, monkeypatch):
    """Only 127.0.0.1 passes the guard here; a redirect to 127.0.0.2 must be refused before connecting."""
    real_reason = netguard.forbidden_reason
    monkeypatch.setattr(netguard, "forbidden_reason",
                        lambda ip: None if str(ip) == "127.0.0.1" else real_reason(ip))
    url = server.redirect("/hop", f"http://127.0.0.2:{server.port}/a.jpg")
    error = fetch_error(url, {**config, "ALLOW_PRIVATE_ADDRESSES": False}, dest, Forbidden)
    assert error.code == "private_address"
    assert [path for path, _ in server.requests] == ["/hop"]


def test_connection_is_pinned_to_the_one_checked_resolution(server, config, dest, monkeypatch):
    """The name is resolved once per connection and the Host header keeps the name, not the address."""
    real_getaddrinfo = socket.getaddrinfo
    lookups = []

    def counting_getaddrinfo(host, port, *args, **kwargs):
        lookups.append(host)
        return real_getaddrinfo("127.0.0.1" if host == "media.test" else host, port, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", counting_getaddrinfo)
    server.file("/a.jpg", JPEG, "image/jpeg")
    media = fetch_url(f"http://media.test:{server.port}/a.jpg", config, dest)
    assert media.kind == "image"
    assert lookups == ["media.test"]
    assert server.requests[0][1]["Host"] == f"media.test:{server.port}"


@pytest.fixture
def tls_server():
    """A local HTTPS server with a self-signed certificate for localhost."""
    with FixtureServer(tls=True) as running:
        running.file("/a.jpg", JPEG, "image/jpeg")
        yield running


@pytest.fixture
def trust_test_cert(monkeypatch):
    """Make the guarded HTTPS connections trust the fixture certificate (and nothing else)."""
    context = ssl.create_default_context(cafile=str(TLS_CERT))
    monkeypatch.setattr(netguard, "tls_context", lambda: context)


def test_https_verifies_the_host_name_while_connecting_to_the_pinned_address(tls_server, config, dest,
                                                                              trust_test_cert):
    media = fetch_url(tls_server.url("/a.jpg", host="localhost"), config, dest)
    assert media.path.read_bytes() == JPEG


def test_https_with_an_untrusted_certificate_fails(tls_server, config, dest):
    error = fetch_error(tls_server.url("/a.jpg", host="localhost"), config, dest, FetchFailed)
    assert error.code == "fetch_failed" and "certificate" in error.message.lower()


def test_https_certificate_for_another_name_fails(tls_server, config, dest, trust_test_cert, monkeypatch):
    """The name resolves to the right server, but its certificate does not cover that name."""
    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: real_getaddrinfo(
        "127.0.0.1" if host == "media.test" else host, *a, **k))
    error = fetch_error(tls_server.url("/a.jpg", host="media.test"), config, dest, FetchFailed)
    assert "hostname mismatch" in error.message.lower()


# ------------------------------------------------------------------ successful fetches


def test_image_is_saved_with_its_hash_kind_and_size(server, config, dest):
    url = server.file("/photo", JPEG, "image/jpeg")
    media = fetch_url(url, config, dest)
    assert (media.kind, media.mime, media.size, media.source_url) == ("image", "image/jpeg", len(JPEG), url)
    assert media.path.parent == dest and media.path.suffix == ".jpg"
    assert media.path.read_bytes() == JPEG
    assert media.sha256 == hashlib.sha256(JPEG).hexdigest()


def test_request_has_our_user_agent_and_no_cookies(server, config, dest):
    server.add("/set", lambda h: send_body(h, b"", status=302, headers={"Location": "/a.jpg",
                                                                         "Set-Cookie": "session=abc"}))
    server.file("/a.jpg", JPEG, "image/jpeg")
    fetch_url(server.url("/set"), config, dest)
    for _path, headers in server.requests:
        assert headers["User-Agent"] == USER_AGENT
        assert "Cookie" not in headers
        assert headers["Accept-Encoding"] == "identity"


def test_video_is_recognised_and_uses_the_video_limit(server, config, dest, tmp_path):
    video = make_index_video(tmp_path / "v.mp4", 60).read_bytes()
    url = server.file("/clip", video, "text/plain")
    media = fetch_url(url, {**config, "FETCH_IMAGE_MAX_BYTES": 1000}, dest)
    assert (media.kind, media.mime, media.size) == ("video", "video/mp4", len(video))
    assert media.path.suffix == ".mp4"


def test_sniffing_ignores_a_lying_content_type(server, config, dest):
    url = server.file("/page.html", JPEG, "text/html")
    assert fetch_url(url, config, dest).mime == "image/jpeg"


def test_text_behind_a_jpg_url_is_not_media(server, config, dest):
    url = server.file("/photo.jpg", b"<html><body>Sorry, login first</body></html>" * 20, "image/jpeg")
    error = fetch_error(url, config, dest, NotMedia)
    assert (error.code, error.status) == ("not_media", 415)


def test_zero_bytes_is_empty_media(server, config, dest):
    error = fetch_error(server.file("/empty.jpg", b"", "image/jpeg"), config, dest, NotMedia)
    assert (error.code, error.status) == ("empty_media", 415)


def test_body_without_content_length_is_read_to_the_end(server, config, dest):
    url = server.file("/stream.jpg", JPEG, "image/jpeg", content_length=False)
    assert fetch_url(url, config, dest).size == len(JPEG)


# ------------------------------------------------------------------ failures


@pytest.mark.parametrize("status", [404, 403, 500, 503])
def test_http_errors_name_the_status(server, config, dest, status):
    url = server.file("/x.jpg", b"nope", "text/plain", status=status)
    error = fetch_error(url, config, dest, FetchFailed)
    assert (error.code, error.status) == ("fetch_http_error", 502)
    assert str(status) in error.message


def test_slow_body_times_out_on_the_overall_deadline(server, config, dest):
    url = server.slow("/slow.jpg", JPEG[:4000], delay_s=0.2, every_bytes=100)  # would take 8 s
    started = time.monotonic()
    error = fetch_error(url, {**config, "FETCH_TIMEOUT_S": 1}, dest, FetchFailed)
    elapsed = time.monotonic() - started
    assert (error.code, error.status) == ("fetch_timeout", 504)
    assert 0.9 < elapsed < 2.5


def test_server_that_never_answers_times_out(server, config, dest):
    server.add("/stall", lambda h: server.stopping.wait(10))
    started = time.monotonic()
    error = fetch_error(server.url("/stall"), {**config, "FETCH_TIMEOUT_S": 1}, dest, FetchFailed)
    assert error.code == "fetch_timeout"
    assert time.monotonic() - started < 2.5


def test_headers_trickled_byte_by_byte_still_time_out(server, config, dest):
    """Every read gets a byte quickly, so only an overall deadline (not a read timeout) can stop this."""
    def trickle(h):
        h.wfile.write(b"HTTP/1.1 200 OK\r\nX-Pad: ")
        while not server.stopping.wait(0.05):
            h.wfile.write(b"a")
            h.wfile.flush()
    server.add("/trickle", trickle)
    started = time.monotonic()
    error = fetch_error(server.url("/trickle"), {**config, "FETCH_TIMEOUT_S": 1}, dest, FetchFailed)
    assert error.code == "fetch_timeout"
    assert time.monotonic() - started < 2.5


def test_hanging_name_lookup_counts_against_the_deadline(config, dest, monkeypatch):
    """The system resolver has no timeout; a lookup that hangs must not hang the fetch."""
    release = threading.Event()

    def hanging_getaddrinfo(*args, **kwargs):
        release.wait(10)
        raise socket.gaierror("gave up")
    monkeypatch.setattr(socket, "getaddrinfo", hanging_getaddrinfo)
    started = time.monotonic()
    try:
        error = fetch_error("http://slow-dns.test/a.jpg", {**config, "FETCH_TIMEOUT_S": 1}, dest, FetchFailed)
    finally:
        release.set()
    assert (error.code, error.status) == ("fetch_timeout", 504)
    assert time.monotonic() - started < 2.0


def test_redirects_are_followed_up_to_the_limit(server, config, dest):
    server.file("/final.jpg", JPEG, "image/jpeg")
    url = server.redirect_chain("/ok", 5, "/final.jpg")
    media = fetch_url(url, {**config, "FETCH_MAX_REDIRECTS": 5}, dest)
    assert media.source_url == server.url("/final.jpg")
    assert len(server.requests) == 6


def test_one_redirect_too_many_is_refused(server, config, dest):
    server.file("/final.jpg", JPEG, "image/jpeg")
    url = server.redirect_chain("/long", 6, "/final.jpg")
    error = fetch_error(url, {**config, "FETCH_MAX_REDIRECTS": 5}, dest, FetchFailed)
    assert error.code == "too_many_redirects"
    assert "/final.jpg" not in [path for path, _ in server.requests]


def test_redirect_to_a_file_url_is_refused(server, config, dest):
    url = server.redirect("/to-file", "file:///etc/passwd")
    assert fetch_error(url, config, dest, BadRequest).code == "unsupported_scheme"


def test_endless_image_stops_at_the_image_limit(server, config, dest):
    url = server.endless("/huge.jpg", JPEG[:SNIFF_HEAD])
    error = fetch_error(url, {**config, "FETCH_IMAGE_MAX_BYTES": 1 * MiB}, dest, TooLarge)
    assert (error.code, error.status) == ("media_too_large", 413)
    time.sleep(0.3)  # let the server notice the hang-up
    assert server.bytes_sent["/huge.jpg"] < 12 * MiB  # the limit plus socket buffers, not the 30 s stream


def test_announced_size_over_the_limit_is_refused_before_the_body(server, config, dest):
    url = server.endless("/big.jpg", JPEG[:SNIFF_HEAD], declare_length=50 * MiB, max_seconds=2)
    error = fetch_error(url, {**config, "FETCH_IMAGE_MAX_BYTES": 10 * MiB}, dest, TooLarge)
    assert error.code == "media_too_large" and "announces" in error.message


def test_video_over_the_fetch_limit_is_too_large(server, config, dest, tmp_path):
    video = make_index_video(tmp_path / "v.mp4", 60).read_bytes()
    url = server.file("/v.mp4", video, "video/mp4", content_length=False)
    error = fetch_error(url, {**config, "FETCH_MAX_BYTES": len(video) - 1}, dest, TooLarge)
    assert error.code == "media_too_large"


def test_body_cut_short_is_a_fetch_failure(server, config, dest):
    def truncated(h):
        h.send_response(200)
        h.send_header("Content-Length", str(len(JPEG)))
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(JPEG[:2000])
        h.close_connection = True
    server.add("/cut.jpg", truncated)
    error = fetch_error(server.url("/cut.jpg"), config, dest, FetchFailed)
    assert error.code == "fetch_failed"


def test_compressed_answer_is_refused(server, config, dest):
    server.add("/gz", lambda h: send_body(h, JPEG, content_type="image/jpeg", headers={"Content-Encoding": "gzip"}))
    assert fetch_error(server.url("/gz"), config, dest, FetchFailed).code == "fetch_failed"


def test_closed_port_is_a_fetch_failure(config, dest):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = fetch_error(f"http://127.0.0.1:{port}/a.jpg", config, dest, FetchFailed)
    assert (error.code, error.status) == ("fetch_failed", 502)

