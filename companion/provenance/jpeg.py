"""JPEG: walk the segments before the image data; read APP1 EXIF and APP1 XMP."""
from __future__ import annotations

from companion.provenance.exif import read_exif
from companion.provenance.findings import Findings, ProvenanceIssue
from companion.provenance.limits import MAX_CONTAINER_ENTRIES
from companion.provenance.scan import BoundedFile
from companion.provenance.xmp import read_xmp

EXIF_ID = b"Exif\x00\x00"
XMP_ID = b"http://ns.adobe.com/xap/1.0/\x00"
APP1, SOS, EOI = 0xE1, 0xDA, 0xD9
STANDALONE = {0x01, 0xD8} | set(range(0xD0, 0xD8))


def read_jpeg(file: BoundedFile, findings: Findings) -> None:
    """Record the EXIF and XMP of every APP1 segment up to the start of the scan (SOS)."""
    offset = 2
    for _ in range(MAX_CONTAINER_ENTRIES):
        if not file.has(offset, 2):
            return
        marker = file.read(offset, 2, "JPEG marker")
        if marker[0] != 0xFF:
            raise ProvenanceIssue("metadata_unreadable", f"JPEG: no segment marker at byte {offset}")
        if marker[1] == 0xFF:
            offset += 1  # fill byte
            continue
        if marker[1] in STANDALONE:
            offset += 2
            continue
        if marker[1] in (SOS, EOI):
            return
        length = int.from_bytes(file.read(offset + 2, 2, "JPEG segment length"), "big")
        if length < 2:
            raise ProvenanceIssue("metadata_unreadable", f"JPEG: segment at byte {offset} has length {length}")
        if marker[1] == APP1:
            _read_app1(file.read(offset + 4, length - 2, "JPEG APP1 segment"), findings)
        offset += 2 + length
    raise ProvenanceIssue("metadata_too_large", f"JPEG: more than {MAX_CONTAINER_ENTRIES} segments")


def _read_app1(payload: bytes, findings: Findings) -> None:
    """EXIF or XMP in one APP1 segment; a broken one is an error, the walk goes on."""
    try:
        if payload.startswith(EXIF_ID):
            read_exif(payload[len(EXIF_ID):], findings, "JPEG APP1 EXIF")
        elif payload.startswith(XMP_ID):
            read_xmp(payload[len(XMP_ID):], findings, "JPEG APP1 XMP")
    except ProvenanceIssue as issue:
        findings.issue(issue)
