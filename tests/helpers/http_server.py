"""A local HTTP server for fetch tests, with routes that misbehave on purpose (slow, endless, redirecting...)."""
from __future__ import annotations

import http.server
import ssl
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Callable

Handler = http.server.BaseHTTPRequestHandler
RouteFn = Callable[[Handler], None]
TLS_DIR = Path(__file__).parent / "tls"
TLS_CERT = TLS_DIR / "localhost.pem"  # self-signed for localhost and 127.0.0.1 until 2126; a test fixture only
TLS_KEY = TLS_DIR / "localhost.key"


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    """Dispatches each GET to the route registered for its path (404 when none)."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (http.server naming)
        """Record the request and run its route."""
        server: FixtureServer = self.server.fixture
        path = self.path.split("?", 1)[0]
        server.requests.append((self.path, dict(self.headers)))
        route = server.routes.get(path)
        try:
            if route is None:
                send_body(self, b"no such route", status=404, content_type="text/plain")
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up, which several tests provoke on purpose

    def log_message(self, *args):
        """Stay quiet."""


def send_body(handler: Handler, body: bytes, *, status: int = 200, content_type: str = "application/octet-stream",
              headers: dict[str, str] | None = None, content_length: bool = True) -> None:
    """Answer with `body` (with a Content-Length unless told not to, then the connection closes)."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    if content_length:
        handler.send_header("Content-Length", str(len(body)))
    else:
        handler.send_header("Connection", "close")
        handler.close_connection = True
    handler.end_headers()
    handler.wfile.write(body)
    handler.server.fixture.bytes_sent[handler.path.split("?", 1)[0]] += len(body)


class FixtureServer:
    """A threaded HTTP(S) server on 127.0.0.1 with configurable routes; use as a context manager."""

    def __init__(self, tls: bool = False):
        self.routes: dict[str, RouteFn] = {}
        self.requests: list[tuple[str, dict]] = []
        self.bytes_sent: dict[str, int] = defaultdict(int)
        self.stopping = threading.Event()
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RequestHandler)
        self._httpd.daemon_threads = True
        self._httpd.fixture = self
        self.scheme = "https" if tls else "http"
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(TLS_CERT, TLS_KEY)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fixture-http", daemon=True)

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return self._httpd.server_port

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """Absolute URL of `path` on this server (optionally naming it by another host name)."""
        return f"{self.scheme}://{host}:{self.port}{path}"

    def __enter__(self) -> "FixtureServer":
        """Start serving."""
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        """Stop serving and release the port (routes still sleeping are woken up)."""
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def add(self, path: str, route: RouteFn) -> str:
        """Register a route function for `path`; returns its URL."""
        self.routes[path] = route
        return self.url(path)

    def file(self, path: str, body: bytes, content_type: str = "application/octet-stream", *,
             status: int = 200, content_length: bool = True) -> str:
        """Serve fixed bytes with whatever Content-Type we claim."""
        return self.add(path, lambda h: send_body(h, body, status=status, content_type=content_type,
                                                  content_length=content_length))

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        """Answer with a redirect to `location`."""
        return self.add(path, lambda h: send_body(h, b"", status=status, headers={"Location": location}))

    def redirect_chain(self, prefix: str, hops: int, final_path: str) -> str:
        """`hops` redirects /prefix/hops -> ... -> /prefix/1 -> final_path; returns the first URL."""
        for i in range(1, hops + 1):
            self.redirect(f"{prefix}/{i}", f"{prefix}/{i - 1}" if i > 1 else final_path)
        return self.url(f"{prefix}/{hops}")

    def slow(self, path: str, body: bytes, *, delay_s: float, every_bytes: int = 1) -> str:
        """Send headers at once, then `every_bytes` of the body every `delay_s` seconds."""
        def route(h: Handler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", "image/jpeg")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            for start in range(0, len(body), every_bytes):
                if self.stopping.wait(delay_s):
                    return
                h.wfile.write(body[start:start + every_bytes])
                h.wfile.flush()
                self.bytes_sent[path] += every_bytes
        return self.add(path, route)

    def endless(self, path: str, head: bytes, chunk: bytes = b"\0" * 65536, *, declare_length: int | None = None,
                max_seconds: float = 30.0) -> str:
        """Send `head` then `chunk` again and again until the client hangs up (bytes counted)."""
        def route(h: Handler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", "application/octet-stream")
            if declare_length is not None:
                h.send_header("Content-Length", str(declare_length))
            h.send_header("Connection", "close")
            h.close_connection = True
            h.end_headers()
            h.wfile.write(head)
            self.bytes_sent[path] += len(head)
            stop_at = time.monotonic() + max_seconds
            while time.monotonic() < stop_at and not self.stopping.is_set():
                h.wfile.write(chunk)
                self.bytes_sent[path] += len(chunk)
        return self.add(path, route)
