"""Who may talk to the companion: loopback Host only, extension Origins only, and the pairing token."""
from __future__ import annotations

import re
from typing import Iterable

from flask import Flask, current_app, request
from flask_cors import CORS

from companion.errors import Forbidden, TooLarge, Unauthorized

CHROME_ID = r"[a-p]{32}"
FIREFOX_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_HOST_RE = re.compile(r"^(?P<host>\[[0-9a-fA-F:.]+\]|[^:\[\]]+)(?::(?P<port>[0-9]{1,5}))?$")
# Endpoints that answer without the token (they reveal nothing private).
PUBLIC_ENDPOINTS = frozenset({"meta.health", "meta.openapi"})


def extension_origin_patterns(extension_ids: Iterable[str] = ()) -> list[re.Pattern]:
    """Anchored regexes for allowed extension Origins: any id, or only the pinned ones."""
    ids = [re.escape(item.strip().lower()) for item in extension_ids if item.strip()]
    chrome = "|".join(ids) if ids else CHROME_ID
    firefox = "|".join(ids) if ids else FIREFOX_UUID
    return [re.compile(rf"^chrome-extension://(?:{chrome})\Z", re.IGNORECASE),
            re.compile(rf"^moz-extension://(?:{firefox})\Z", re.IGNORECASE)]


def origin_allowed(origin: str | None, patterns: list[re.Pattern]) -> bool:
    """No Origin (service-worker and non-browser clients) or an extension Origin; nothing else."""
    if origin is None:
        return True
    return any(pattern.match(origin) for pattern in patterns)


def host_is_loopback(host_header: str | None) -> bool:
    """Whether a Host header names this machine's loopback (defeats DNS rebinding)."""
    if not host_header:
        return False
    match = _HOST_RE.match(host_header.strip())
    if not match or (match["port"] and not 0 < int(match["port"]) < 65536):
        return False
    return match["host"].lower() in LOOPBACK_HOSTS


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, None when absent or of another scheme."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def check_request() -> None:
    """Before any work: Host, then Origin, then body size, then the token for /v1 routes."""
    if not host_is_loopback(request.headers.get("Host")):
        raise Forbidden("this companion only answers requests addressed to 127.0.0.1 or localhost",
                        code="host_forbidden")
    if not origin_allowed(request.headers.get("Origin"), current_app.extensions["unmask"].origin_patterns):
        raise Forbidden("requests from web pages are not allowed; only the Unmask extension may call",
                        code="origin_forbidden")
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(f"the request body is larger than {limit} bytes")
    if request.method == "OPTIONS" or request.endpoint in PUBLIC_ENDPOINTS:
        return
    if request.path.startswith("/v1/") or request.path == "/v1":
        check_token()


def check_token() -> None:
    """Reject the request unless it carries the current pairing token."""
    presented = bearer_token(request.headers.get("Authorization"))
    challenge = {"WWW-Authenticate": 'Bearer realm="unmask"'}
    if presented is None:
        raise Unauthorized("this call needs the pairing token (Authorization: Bearer <token>); "
                           "run `unmask token` to see it", code="token_missing", headers=challenge)
    if not current_app.extensions["unmask"].token.matches(presented):
        raise Unauthorized("the pairing token is wrong; run `unmask token` and paste it into the extension",
                           code="bad_token", headers=challenge)


def init_security(app: Flask, extension_ids: Iterable[str]) -> list[re.Pattern]:
    """Install the request checks and CORS limited to extension Origins; returns the Origin patterns."""
    patterns = extension_origin_patterns(extension_ids)
    app.before_request(check_request)
    CORS(app, resources={r"/v1/*": {"origins": patterns}}, allow_headers=["Authorization", "Content-Type"],
         methods=["GET", "POST", "DELETE", "OPTIONS"], expose_headers=["Retry-After"], max_age=600,
         supports_credentials=False, send_wildcard=False, vary_header=True)
    return patterns
