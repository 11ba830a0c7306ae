"""Read C2PA Content Credentials with the official c2pa SDK, offline, with size and time limits."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Mapping

from companion.provenance.c2pa_store import describe_store, unreadable_store
from companion.provenance.deadline import DeadlineExceeded, DeadlineRunner, TooManyStuck
from companion.provenance.findings import Findings, clip
from companion.provenance.limits import (C2PA_MAX_FILE_BYTES, C2PA_MAX_MANIFEST_MB, C2PA_TIMEOUT_S,
                                         MAX_STUCK_READS, TRUST_ANCHORS_MAX_BYTES)

RUNNER = DeadlineRunner(MAX_STUCK_READS)
PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"


def reader_settings(anchors_pem: str | None) -> dict:
    """c2pa settings: verify everything, trust only the given anchors, never touch the network."""
    settings: dict[str, Any] = {
        "verify": {"verify_after_reading": True, "verify_trust": True, "remote_manifest_fetch": False,
                   "ocsp_fetch": False},
        # An empty allow-list refuses every network host (remote manifests, OCSP, anything else).
        "core": {"allowed_network_hosts": [], "max_decompressed_manifest_size_in_mb": C2PA_MAX_MANIFEST_MB},
    }
    if anchors_pem:
        settings["trust"] = {"user_anchors": anchors_pem}
    return settings


def load_trust_anchors(location: Any, findings: Findings) -> str | None:
    """The PEM bundle at PROVENANCE_TRUST_ANCHORS (None when unset; an error when it cannot be used)."""
    if not location:
        return None
    path = Path(location)
    try:
        if path.stat().st_size > TRUST_ANCHORS_MAX_BYTES:
            raise ValueError(f"larger than {TRUST_ANCHORS_MAX_BYTES} bytes")
        text = path.read_text("ascii")
        if PEM_CERTIFICATE not in text:
            raise ValueError("no PEM certificate in it")
        return text
    except (OSError, ValueError) as exc:
        findings.error("trust_anchors_unusable",
                       f"PROVENANCE_TRUST_ANCHORS ({path}) cannot be used ({exc}); signers were checked without it")
        return None


def _format_for(mime: str | None) -> str | None:
    """The MIME type to give the SDK when it knows it; None lets it detect the format from the bytes."""
    import c2pa

    return mime if mime and mime in c2pa.Reader.get_supported_mime_types() else None


def _read_store(path: Path, mime: str | None, context) -> dict | None:
    """The manifest store as the SDK's JSON, or None when the file carries no C2PA data (closes `context`)."""
    import c2pa

    with context, open(path, "rb") as handle:
        try:
            reader = c2pa.Reader(_format_for(mime), handle, context=context)
        except (c2pa.C2paError.ManifestNotFound, c2pa.C2paError.NotSupported):
            return None
        with reader:
            return json.loads(reader.json())


def remote_manifest_url(message: str) -> str | None:
    """The URL in the SDK's 'Remote: … url …' error, when the manifest lives on a server."""
    if not message.startswith("Remote"):
        return None
    match = re.search(r"https?://[^\s\"']+", message)
    return match.group(0) if match else ""


def read_c2pa(path: Path, mime: str | None, config: Mapping[str, Any], findings: Findings) -> dict | None:
    """The result's `c2pa` block (None when the file has no Content Credentials); problems go to findings."""
    limit = int(config.get("PROVENANCE_C2PA_MAX_BYTES") or C2PA_MAX_FILE_BYTES)
    size = path.stat().st_size
    if size > limit:
        findings.error("metadata_too_large", f"the file ({size} bytes) is larger than the {limit} bytes given to the "
                                             "C2PA reader; Content Credentials were not checked")
        return None
    try:
        import c2pa
    except ImportError as exc:
        findings.error("c2pa_unavailable", f"the c2pa SDK cannot be loaded ({exc}); Content Credentials not checked")
        return None
    settings = reader_settings(load_trust_anchors(config.get("PROVENANCE_TRUST_ANCHORS"), findings))
    try:
        context = c2pa.Context.from_dict(settings)
    except c2pa.C2paError as exc:
        findings.error("c2pa_unavailable", f"the C2PA reader rejected its settings ({clip(str(exc))}); "
                                           "Content Credentials not checked")
        return None
    seconds = float(config.get("PROVENANCE_TIMEOUT_S") or C2PA_TIMEOUT_S)
    try:
        store = RUNNER.call(lambda: _read_store(path, mime, context), seconds)
    except DeadlineExceeded:
        findings.error("c2pa_timeout", f"reading the Content Credentials took longer than {seconds:g} s; given up")
        return None
    except TooManyStuck as exc:
        findings.error("c2pa_busy", f"Content Credentials not checked: {exc}")
        return None
    except c2pa.C2paError as exc:
        return _reader_error(exc, findings)
    return None if store is None else describe_store(store, findings)


def _reader_error(error: Exception, findings: Findings) -> dict | None:
    """Sort an SDK error: a remote-only manifest (a fact, never fetched), a file whose structure the SDK
    cannot parse (metadata_unreadable: no sign of C2PA data), or broken C2PA data (c2pa_invalid)."""
    import c2pa

    message = str(error)
    url = remote_manifest_url(message)
    if url is not None:
        findings.fact("c2pa", "remote_manifest", url or "(no URL given)",
                      "C2PA remote manifest reference (not fetched: Unmask reads nothing from the network)")
        return None
    if isinstance(error, c2pa.C2paError.Io) or (isinstance(error, c2pa.C2paError.Other)
                                                 and "could not be parsed" in message):
        findings.error("metadata_unreadable", f"the C2PA reader cannot parse this file's structure: {clip(message)}")
        return None
    findings.error("c2pa_invalid", f"the file carries C2PA data that cannot be read: {clip(message)}")
    return unreadable_store(message)
