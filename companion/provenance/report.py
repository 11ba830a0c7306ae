"""Put it together: read a media file's provenance into the result's `provenance` block."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from companion.provenance.c2pa_read import read_c2pa
from companion.provenance.findings import Findings, ProvenanceIssue
from companion.provenance.jpeg import read_jpeg
from companion.provenance.limits import SCAN_BUDGET_BYTES
from companion.provenance.png import SIGNATURE as PNG_SIGNATURE, read_png
from companion.provenance.scan import BoundedFile
from companion.provenance.webp import read_webp

FRAMES_NOTE = ("Frames captured by the browser are new JPEG images made from the playing video; they carry none "
               "of the original file's metadata, so no provenance can be read from them.")


def _container_reader(head: bytes):
    """The metadata walker for a file's format (JPEG, PNG, WebP), or None for other formats."""
    if head.startswith(b"\xff\xd8\xff"):
        return read_jpeg
    if head.startswith(PNG_SIGNATURE):
        return read_png
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return read_webp
    return None


def read_embedded_metadata(path: Path, findings: Findings) -> None:
    """Record the EXIF, XMP/IPTC and PNG text of an image file, reading at most SCAN_BUDGET_BYTES."""
    with open(path, "rb") as handle:
        size = path.stat().st_size
        file = BoundedFile(handle, size, SCAN_BUDGET_BYTES)
        reader = _container_reader(file.read(0, min(size, 16), "file header"))
        if reader:
            reader(file, findings)


def summarize(facts: list[dict], c2pa: dict | None) -> dict:
    """What the facts add up to: declared AI, declared edits, who signed, whether the credentials hold."""
    state = c2pa["validation_state"] if c2pa else None
    signer = (c2pa or {}).get("signer") or {}
    return {
        "declares_ai": any("ai" in fact["signals"] for fact in facts),
        "declares_edits": any("edit" in fact["signals"] for fact in facts),
        "ai_declared_by": sorted({fact["kind"] for fact in facts if "ai" in fact["signals"]}),
        "signed_by": signer.get("common_name") or signer.get("issuer"),
        "valid": None if state is None else state != "invalid",
        "trusted": None if state is None else state == "valid",
    }


def assemble(findings: Findings, c2pa: dict | None, note: str | None = None) -> dict:
    """The `provenance` block of the result."""
    return {"found": bool(findings.facts) or c2pa is not None, "facts": findings.facts,
            "summary": summarize(findings.facts, c2pa), "c2pa": c2pa, "errors": findings.errors, "note": note}


def _guarded(read, findings: Findings, what: str) -> Any:
    """Run one reader; typed issues and any unexpected failure become errors, never exceptions."""
    try:
        return read()
    except ProvenanceIssue as issue:
        findings.issue(issue)
    except Exception as exc:  # hostile metadata must never fail the analysis
        findings.error("metadata_unreadable", f"the {what} could not be read ({type(exc).__name__}: {exc})")
    return None


def read_provenance(path: str | Path, kind: str, config: Mapping[str, Any], mime: str | None = None) -> dict:
    """The provenance of a media file: embedded metadata (images) and C2PA Content Credentials (all media)."""
    path, findings = Path(path), Findings()
    if kind == "image":
        _guarded(lambda: read_embedded_metadata(path, findings), findings, "embedded metadata")
    c2pa = _guarded(lambda: read_c2pa(path, mime, config, findings), findings, "C2PA data")
    return assemble(findings, c2pa)


def frames_provenance() -> dict:
    """The `provenance` block for frames captured by the browser: nothing to read, and why."""
    return assemble(Findings(), None, FRAMES_NOTE)


def media_provenance(media: Any, config: Mapping[str, Any]) -> dict:
    """Provenance of what the pipeline analyses: a FetchedMedia (file) or a list of captured frames."""
    if isinstance(media, (list, tuple)):
        return frames_provenance()
    return read_provenance(media.path, media.kind, config, getattr(media, "mime", None))
