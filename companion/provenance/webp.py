"""WebP: walk the RIFF chunks; read the EXIF and XMP chunks."""
from __future__ import annotations

from companion.provenance.exif import read_exif
from companion.provenance.findings import Findings, ProvenanceIssue
from companion.provenance.limits import EXIF_MAX_BYTES, MAX_CONTAINER_ENTRIES, XMP_MAX_BYTES
from companion.provenance.scan import BoundedFile, check_length
from companion.provenance.xmp import read_xmp

EXIF_PREFIX = b"Exif\x00\x00"


def read_webp(file: BoundedFile, findings: Findings) -> None:
    """Record the EXIF and XMP chunks of a WebP file (image data is skipped unread)."""
    offset = 12
    for _ in range(MAX_CONTAINER_ENTRIES):
        if not file.has(offset, 8):
            return
        header = file.read(offset, 8, "WebP chunk header")
        fourcc, size = header[:4], int.from_bytes(header[4:8], "little")
        try:
            if fourcc == b"EXIF":
                check_length(size, EXIF_MAX_BYTES, "WebP EXIF chunk")
                data = file.read(offset + 8, size, "WebP EXIF chunk")
                read_exif(data[len(EXIF_PREFIX):] if data.startswith(EXIF_PREFIX) else data, findings,
                          "WebP EXIF chunk")
            elif fourcc == b"XMP ":
                check_length(size, XMP_MAX_BYTES, "WebP XMP chunk")
                read_xmp(file.read(offset + 8, size, "WebP XMP chunk"), findings, "WebP XMP chunk")
        except ProvenanceIssue as issue:
            findings.issue(issue)
        offset += 8 + size + (size & 1)
    raise ProvenanceIssue("metadata_too_large", f"WebP: more than {MAX_CONTAINER_ENTRIES} chunks")
