"""Host, Origin and token checks, CORS for the extension only, and the token file, over a real socket."""
from __future__ import annotations

import os
import stat

import pytest
import requests

from companion.security import bearer_token, extension_origin_patterns, host_is_loopback, origin_allowed

EXTENSION_ORIGIN = "chrome-extension://" + "abcdefghijklmnopabcdefghijklmnop"
FIREFOX_ORIGIN = "moz-extension://0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"

WEB_ORIGINS = ["https://evil.example", "http://127.0.0.1:8000", "null", "chrome-extension://notanid",
               "http://localhost", "file://"]


@pytest.mark.parametrize("host, ok", [
    ("127.0.0.1", True), ("127.0.0.1:8765", True), ("localhost:1", True), ("LOCALHOST", True),
    ("[::1]:8765", True), ("[::1]", True), ("evil.example", False), ("127.0.0.1.evil.example", False),
    ("localhost.evil.example:80", False), ("127.0.0.2", False), ("127.0.0.1:99999", False), ("", False),
    (None, False), ("127.0.0.1:80:80", False),
])
def test_host_is_loopback(host, ok):
    assert host_is_loopback(host) is ok


def test_bearer_token_parsing():
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token(None) is None


def test_origin_patterns_any_and_pinned():
    any_id = extension_origin_patterns([])
    assert origin_allowed(None, any_id)
    assert origin_allowed(EXTENSION_ORIGIN, any_id) and origin_allowed(FIREFOX_ORIGIN, any_id)
    assert not origin_allowed(EXTENSION_ORIGIN + ".evil.example", any_id)
    pinned = extension_origin_patterns(["abcdefghijklmnopabcdefghijklmnop"])
    assert origin_allowed(EXTENSION_ORIGIN, pinned)
    assert not origin_allowed("chrome-extension://" + "p" * 32, pinned)
    assert not origin_allowed(FIREFOX_ORIGIN, pinned)
    for origin in WEB_ORIGINS:
        assert not origin_allowed(origin, any_id), origin


def test_health_needs_no_token_and_shows_no_secrets(live_server):
    response = requests.get(live_server.url("/v1/health"), timeout=10)
    assert response.status_code == 200
    assert response.json()["status"] in ("ok", "degraded")
    assert live_server.token not in response.text
    assert str(live_server.app.config["DATA_DIR"]) not in response.text


@pytest.mark.parametrize("headers, code", [({}, "token_missing"), ({"Authorization": "Bearer wrong"}, "bad_token"),
                                           ({"Authorization": "Basic abc"}, "token_missing")])
def test_token_required(live_server, headers, code):
    for method, path in (("GET", "/v1/analyses"), ("POST", "/v1/analyses"), ("GET", "/v1/analyses/x"),
                         ("DELETE", "/v1/analyses/x"), ("GET", "/v1/feedback.csv"), ("GET", "/v1/nowhere")):
        response = requests.request(method, live_server.url(path), headers=headers, json={}, timeout=10)
        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["code"] == code
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("origin", WEB_ORIGINS)
def test_web_origins_refused_everywhere(live_server, origin):
    headers = {"Origin": origin, **live_server.auth}
    for method, path in (("GET", "/v1/health"), ("GET", "/v1/openapi.json"), ("GET", "/v1/analyses"),
                         ("POST", "/v1/analyses"), ("OPTIONS", "/v1/analyses")):
        response = requests.request(method, live_server.url(path), headers=headers, json={"url": "https://a.b/c"},
                                    timeout=10)
        assert response.status_code == 403, (method, path)
        assert response.json()["error"]["code"] == "origin_forbidden"
        assert "Access-Control-Allow-Origin" not in response.headers
    assert live_server.app.extensions["unmask"].store.count() == 0


@pytest.mark.parametrize("origin", [EXTENSION_ORIGIN, FIREFOX_ORIGIN])
def test_extension_origin_gets_cors_headers(live_server, origin):
    response = requests.get(live_server.url("/v1/analyses"), headers={"Origin": origin, **live_server.auth},
                            timeout=10)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == origin
    unauthorised = requests.get(live_server.url("/v1/analyses"), headers={"Origin": origin}, timeout=10)
    assert unauthorised.status_code == 401  # readable by the extension: CORS headers on errors too
    assert unauthorised.headers["Access-Control-Allow-Origin"] == origin


def test_preflight_from_extension(live_server):
    response = requests.options(live_server.url("/v1/analyses"), headers={
        "Origin": EXTENSION_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == EXTENSION_ORIGIN
    allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers.get("Access-Control-Allow-Credentials") is None


def test_pinned_extension_ids(start_server):
    server = start_server(EXTENSION_IDS=["abcdefghijklmnopabcdefghijklmnop"])
    ok = requests.get(server.url("/v1/health"), headers={"Origin": EXTENSION_ORIGIN}, timeout=10)
    assert ok.status_code == 200 and ok.headers["Access-Control-Allow-Origin"] == EXTENSION_ORIGIN
    other = requests.get(server.url("/v1/health"), headers={"Origin": "chrome-extension://" + "p" * 32}, timeout=10)
    assert other.status_code == 403 and other.json()["error"]["code"] == "origin_forbidden"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.nip.io"])
def test_non_loopback_host_refused(live_server, host):
    for path in ("/v1/health", "/v1/analyses"):
        response = requests.get(live_server.url(path), headers={"Host": host, **live_server.auth}, timeout=10)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "host_forbidden"


def test_localhost_host_allowed(live_server):
    port = live_server.base_url.rsplit(":", 1)[1]
    response = requests.get(live_server.url("/v1/health"), headers={"Host": f"localhost:{port}"}, timeout=10)
    assert response.status_code == 200


def test_token_file_private_and_fixed(make_app, base_config):
    app = make_app()
    path = app.config["TOKEN_FILE"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    token = app.extensions["unmask"].token.current()
    assert len(token) >= 43 and path.read_text().strip() == token
    os.chmod(path, 0o644)
    again = make_app()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert again.extensions["unmask"].token.current() == token  # kept across restarts


def test_rotated_token_takes_effect_on_running_server(live_server):
    old = live_server.token
    new = live_server.app.extensions["unmask"].token.rotate()
    assert new != old
    rejected = requests.get(live_server.url("/v1/analyses"), headers={"Authorization": f"Bearer {old}"}, timeout=10)
    assert rejected.status_code == 401
    accepted = requests.get(live_server.url("/v1/analyses"), headers={"Authorization": f"Bearer {new}"}, timeout=10)
    assert accepted.status_code == 200
