"""Typed errors and the only place they become JSON responses: {"error": {"code", "message"}}."""
from __future__ import annotations


class UnmaskError(Exception):
    """An error a client can act on: a stable `code`, an HTTP `status` and a readable message."""

    code = "internal_error"
    status = 500

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.headers = headers or {}

    def to_dict(self) -> dict:
        """The JSON body of this error."""
        return {"error": {"code": self.code, "message": self.message}}


class BadRequest(UnmaskError):
    code, status = "bad_request", 400


class Unauthorized(UnmaskError):
    code, status = "bad_token", 401


class Forbidden(UnmaskError):
    code, status = "forbidden", 403


class NotFound(UnmaskError):
    code, status = "not_found", 404


class TooLarge(UnmaskError):
    code, status = "too_large", 413


class NotMedia(UnmaskError):
    code, status = "not_media", 415


class Undecodable(UnmaskError):
    code, status = "undecodable", 422


class FetchFailed(UnmaskError):
    code, status = "fetch_failed", 502


class Unavailable(UnmaskError):
    code, status = "unavailable", 503


# Stable codes for the HTTP errors Flask and werkzeug raise themselves.
HTTP_CODES = {
    400: "bad_request", 401: "bad_token", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    406: "not_acceptable", 408: "request_timeout", 409: "conflict", 411: "length_required",
    413: "too_large", 414: "uri_too_long", 415: "unsupported_media_type", 429: "too_many_requests",
    431: "headers_too_large", 500: "internal_error", 501: "not_implemented", 503: "unavailable",
}


# Codes for the errors waitress answers itself, before the app sees the request (it has no route to them).
SERVER_CODES = {**HTTP_CODES, 400: "invalid_request"}
SERVER_MESSAGES = {413: "the request body is larger than this companion accepts"}


def error_body(code: str, message: str) -> bytes:
    """The JSON bytes of `{"error": {"code", "message"}}` (for answers made outside Flask)."""
    import json

    return json.dumps({"error": {"code": code, "message": message}}).encode("utf-8")


def server_error_response(status: int, detail: str) -> tuple[list[tuple[str, str]], bytes]:
    """Headers and JSON body for an error the HTTP server (waitress) answers before the app runs."""
    message = SERVER_MESSAGES.get(status) or str(detail).strip() or "the request could not be read"
    return [("Content-Type", "application/json")], error_body(SERVER_CODES.get(status, "http_error"), message)


def _json_response(status: int, code: str, message: str, headers: dict | None = None):
    """A Flask JSON error response."""
    from flask import jsonify

    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def register_error_handlers(app) -> None:
    """Make every error a JSON `{"error": {"code", "message"}}` response; never leak a traceback."""
    from werkzeug.exceptions import HTTPException

    @app.errorhandler(UnmaskError)
    def _unmask_error(error: UnmaskError):
        """A typed error: its status, code, message and headers."""
        return _json_response(error.status, error.code, error.message, error.headers)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        """An HTTP error raised by Flask or werkzeug (404, 405, 413, ...) with a stable code."""
        status = error.code or 500
        headers = {k: v for k, v in error.get_headers() if k.lower() not in ("content-type", "content-length")}
        code = HTTP_CODES.get(status, "http_error")
        message = error.description or error.name
        if status == 413:
            message = "the request body is larger than this companion accepts"
        return _json_response(status, code, message, headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        """Any other exception: logged with its traceback, answered with a generic 500."""
        app.logger.exception("unexpected error while answering a request")
        return _json_response(500, "internal_error", "the companion hit an unexpected error; see its log")
