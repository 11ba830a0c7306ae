"""EXIF: the TIFF directory (IFD0 and the Exif sub-directory) fields that name software, camera or tool."""
from __future__ import annotations

import struct

from companion.provenance.findings import Findings, ProvenanceIssue
from companion.provenance.limits import EXIF_MAX_BYTES, MAX_IFD_ENTRIES
from companion.provenance.scan import check_length
from companion.provenance.signals import free_text_signals, tool_signals

# tag -> EXIF field name, for the text tags reported (IFD0 unless noted).
TEXT_TAGS = {0x010E: "ImageDescription", 0x010F: "Make", 0x0110: "Model", 0x0131: "Software", 0x013B: "Artist",
             0x9286: "UserComment"}
TOOL_TAGS = {0x010F, 0x0110, 0x0131}  # name the device or software; the others are free text
EXIF_IFD_POINTER = 0x8769
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}
ASCII, UNDEFINED = 2, 7
USER_COMMENT_PREFIXES = {b"ASCII\x00\x00\x00": "ascii", b"UNICODE\x00": "utf-16", b"\x00" * 8: "ascii"}


def _issue(message: str) -> ProvenanceIssue:
    """The error for a broken EXIF block."""
    return ProvenanceIssue("metadata_unreadable", f"EXIF: {message}")


class _Tiff:
    """A TIFF block with its byte order; every read is checked against the block's end."""

    def __init__(self, data: bytes):
        if data[:4] not in (b"II*\x00", b"MM\x00*"):
            raise _issue("no TIFF header")
        self.data = data
        self.order = "<" if data[:2] == b"II" else ">"

    def unpack(self, fmt: str, offset: int) -> tuple:
        """struct.unpack at `offset`, or metadata_unreadable when it runs past the block."""
        size = struct.calcsize(self.order + fmt)
        if offset < 0 or offset + size > len(self.data):
            raise _issue("an entry points outside the EXIF block")
        return struct.unpack_from(self.order + fmt, self.data, offset)

    def entries(self, offset: int):
        """(tag, type, count, value_bytes) of the directory at `offset`."""
        (count,) = self.unpack("H", offset)
        if count > MAX_IFD_ENTRIES:
            raise _issue(f"a directory claims {count} entries")
        for index in range(count):
            tag, kind, number = self.unpack("HHI", offset + 2 + 12 * index)
            size = TYPE_SIZES.get(kind, 0) * number
            if size == 0:
                continue
            start = offset + 2 + 12 * index + 8
            if size > 4:
                (start,) = self.unpack("I", start)
            if start + size > len(self.data):
                raise _issue(f"tag 0x{tag:04x} points outside the EXIF block")
            yield tag, kind, number, self.data[start:start + size]


def _text(tag: int, kind: int, raw: bytes, order: str) -> str:
    """The text of an ASCII tag or of a UserComment (charset prefix honoured)."""
    if tag == 0x9286 and kind == UNDEFINED:
        encoding = USER_COMMENT_PREFIXES.get(raw[:8])
        if encoding == "utf-16":
            return raw[8:].decode("utf-16-le" if order == "<" else "utf-16-be", "replace").rstrip("\x00 ")
        return raw[8:].decode("latin-1").rstrip("\x00 ") if encoding else ""
    if kind != ASCII:
        return ""
    return raw.split(b"\x00", 1)[0].decode("utf-8", "replace").strip()


def read_exif(data: bytes, findings: Findings, source: str) -> None:
    """Record the text tags of a TIFF-structured EXIF block (IFD0 plus the Exif IFD's UserComment)."""
    check_length(len(data), EXIF_MAX_BYTES, "EXIF block")
    tiff = _Tiff(data)
    (ifd0,) = tiff.unpack("I", 4)
    exif_ifd = _read_directory(tiff, ifd0, findings, source)
    if exif_ifd is not None and exif_ifd != ifd0:
        _read_directory(tiff, exif_ifd, findings, source + " (Exif IFD)")


def _read_directory(tiff: _Tiff, offset: int, findings: Findings, source: str) -> int | None:
    """Record one directory's text tags; returns the Exif IFD's offset when this directory points to it."""
    exif_ifd = None
    for tag, kind, number, raw in tiff.entries(offset):
        if tag == EXIF_IFD_POINTER and kind == 4 and number == 1:
            (exif_ifd,) = struct.unpack(tiff.order + "I", raw)
        elif tag in TEXT_TAGS:
            text = _text(tag, kind, raw, tiff.order)
            if text:
                signals = tool_signals(text) if tag in TOOL_TAGS else free_text_signals(text)
                findings.fact("exif", TEXT_TAGS[tag], text, f"{source} tag 0x{tag:04X}", signals)
    return exif_ifd
