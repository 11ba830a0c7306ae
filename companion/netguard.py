"""SSRF guard: only http(s) URLs to public addresses, with connections pinned to the address we checked.

Every outgoing connection the companion makes for a user-supplied URL goes through `open_checked_socket`:
it resolves the host once, refuses the whole host when ANY of its addresses is not public (unless
`ALLOW_PRIVATE_ADDRESSES`), and then connects to exactly those checked addresses. Because the check and
the connect use the same resolution, a DNS answer that changes between them (DNS rebinding) cannot
smuggle a private address in. TLS still verifies the certificate and sends SNI for the host *name*.
"""
from __future__ import annotations

import functools
import http.client
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlsplit

from companion.errors import BadRequest, FetchFailed, Forbidden

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits


@dataclass(frozen=True)
class Target:
    """A validated http(s) URL split into what a connection needs."""

    url: str
    scheme: str
    host: str
    port: int
    request_path: str


def parse_url(url: str) -> Target:
    """Validate scheme, credentials and host of `url`; raise 400 errors for anything else."""
    if not isinstance(url, str) or not url.strip():
        raise BadRequest("The URL is empty.", code="bad_url")
    url = url.strip()
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise BadRequest("The URL contains spaces or control characters.", code="bad_url")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise BadRequest(f"Only http and https URLs can be fetched, not {scheme or 'no'} scheme.",
                         code="unsupported_scheme")
    if parts.username is not None or parts.password is not None:
        raise BadRequest("URLs with a user name or password are refused.", code="credentials_in_url")
    host = _ascii_host(parts.hostname)
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise BadRequest(f"The URL has an invalid port: {exc}", code="bad_url") from exc
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(url=url, scheme=scheme, host=host, port=port, request_path=path)


def _ascii_host(hostname: str | None) -> str:
    """The host name as ASCII (IDNA for international names); 400 when missing or invalid."""
    if not hostname:
        raise BadRequest("The URL has no host.", code="bad_url")
    try:
        return hostname if hostname.isascii() else hostname.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise BadRequest(f"The URL's host name is invalid: {exc}", code="bad_url") from exc


def forbidden_reason(address: str | IPAddress) -> str | None:
    """Why connecting to `address` is refused (loopback, private, ...) or None for a public address."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = (ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
                    or (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in NAT64_PREFIX else None))
        if embedded is not None:
            inner = forbidden_reason(embedded)
            return f"{inner} (embedded in {ip})" if inner else None
    checks = (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback),
              ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
              ("private", ip.is_private), ("reserved", ip.is_reserved),
              ("not globally routable", not ip.is_global))
    return next((f"{ip} is {name}" for name, hit in checks if hit), None)


def resolve(host: str, port: int, timeout: float | None = None) -> list[tuple]:
    """All (family, type, proto, canonname, sockaddr) entries for host:port over TCP, within `timeout` s."""
    try:
        infos = _getaddrinfo_within(host, port, timeout)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchFailed(f"Could not resolve {host}: {exc}", code="fetch_failed") from exc
    if not infos:
        raise FetchFailed(f"{host} has no addresses.", code="fetch_failed")
    return infos


def _getaddrinfo_within(host: str, port: int, timeout: float | None) -> list[tuple]:
    """socket.getaddrinfo, given up after `timeout` seconds (the system resolver has no timeout of its own)."""
    if timeout is None:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    outcome: dict = {}

    def lookup() -> None:
        """Run the lookup, keeping its answer or its error."""
        try:
            outcome["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except BaseException as exc:  # handed over to the waiting thread
            outcome["error"] = exc

    worker = threading.Thread(target=lookup, name="unmask-dns", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise FetchFailed(f"Looking up {host} took longer than {timeout:.3g} s.", code="fetch_timeout",
                          status=504)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["infos"]


def check_addresses(host: str, infos: list[tuple], config: Mapping) -> None:
    """Raise 403 private_address when any resolved address of `host` is not public."""
    if config["ALLOW_PRIVATE_ADDRESSES"]:
        return
    for info in infos:
        reason = forbidden_reason(info[4][0].split("%")[0])
        if reason:
            raise Forbidden(f"Refusing to connect to {host}: {reason}.", code="private_address")


def open_checked_socket(host: str, port: int, timeout: float | None, config: Mapping) -> socket.socket:
    """Resolve once, check every address, then connect to one of exactly those addresses."""
    infos = resolve(host, port, timeout)
    check_addresses(host, infos, config)
    last_error: OSError | None = None
    for family, socktype, proto, _name, sockaddr in infos:
        sock = socket.socket(family, socktype, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            last_error = exc
    raise last_error or OSError(f"could not connect to {host}:{port}")


def _pinned_create_connection(config: Mapping, address: tuple[str, int],
                              timeout: float | None = None, source_address=None) -> socket.socket:
    """A drop-in for socket.create_connection (http.client's hook) that goes through the guard."""
    if timeout is socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
        timeout = None
    return open_checked_socket(address[0], address[1], timeout, config)


class GuardedHTTPConnection(http.client.HTTPConnection):
    """HTTPConnection whose socket comes from the guard (checked and pinned address)."""

    def __init__(self, host: str, port: int | None = None, *, config: Mapping, **kwargs):
        super().__init__(host, port, **kwargs)
        self._create_connection = functools.partial(_pinned_create_connection, config)


class GuardedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPSConnection on a guarded socket; the certificate and SNI use the host name, not the IP."""

    def __init__(self, host: str, port: int | None = None, *, config: Mapping, **kwargs):
        kwargs.setdefault("context", tls_context())
        super().__init__(host, port, **kwargs)
        self._create_connection = functools.partial(_pinned_create_connection, config)


@functools.lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """A verifying TLS context: the system's CAs, or certifi's bundle when the system has none."""
    context = ssl.create_default_context()
    if context.cert_store_stats().get("x509_ca", 0) == 0:
        try:
            import certifi
            context.load_verify_locations(cafile=certifi.where())
        except ImportError:
            pass
    return context


def open_connection(target: Target, timeout: float, config: Mapping) -> http.client.HTTPConnection:
    """An unconnected guarded HTTP(S) connection for `target` (the socket opens on first request)."""
    cls = GuardedHTTPSConnection if target.scheme == "https" else GuardedHTTPConnection
    return cls(target.host, target.port, timeout=timeout, config=config)
