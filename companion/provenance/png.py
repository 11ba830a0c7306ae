"""PNG: walk the chunks; read text chunks (tEXt, zTXt, iTXt: generator parameters, XMP) and eXIf."""
from __future__ import annotations

import zlib

from companion.provenance.exif import read_exif
from companion.provenance.findings import Findings, ProvenanceIssue
from companion.provenance.limits import EXIF_MAX_BYTES, MAX_CONTAINER_ENTRIES, MAX_TEXT_CHUNKS, TEXT_CHUNK_MAX_BYTES
from companion.provenance.scan import BoundedFile, check_length
from companion.provenance.signals import (FREE_TEXT_KEYS, GENERATOR_TEXT_KEYS, TOOL_TEXT_KEYS, free_text_signals,
                                          tool_signals)
from companion.provenance.xmp import read_xmp

SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
XMP_KEYWORD = "XML:com.adobe.xmp"
TOOL_KEYS = {key.lower() for key in TOOL_TEXT_KEYS}
FREE_KEYS = {key.lower() for key in FREE_TEXT_KEYS}


def read_png(file: BoundedFile, findings: Findings) -> None:
    """Record the text chunks and EXIF of a PNG, chunk by chunk up to IEND."""
    offset, texts = len(SIGNATURE), 0
    for _ in range(MAX_CONTAINER_ENTRIES):
        if not file.has(offset, 8):
            return
        header = file.read(offset, 8, "PNG chunk header")
        length, chunk_type = int.from_bytes(header[:4], "big"), header[4:8]
        if chunk_type == b"IEND":
            return
        if chunk_type in TEXT_CHUNKS:
            texts += 1
            if texts > MAX_TEXT_CHUNKS:
                raise ProvenanceIssue("metadata_too_large", f"PNG: more than {MAX_TEXT_CHUNKS} text chunks")
            _guarded(lambda: _read_text_chunk(file, offset, length, chunk_type, findings), findings)
        elif chunk_type == b"eXIf":
            _guarded(lambda: _read_exif_chunk(file, offset, length, findings), findings)
        offset += 12 + length
    raise ProvenanceIssue("metadata_too_large", f"PNG: more than {MAX_CONTAINER_ENTRIES} chunks")


def _guarded(read, findings: Findings) -> None:
    """Run one chunk's reader; an oversized or malformed chunk is an error and the walk goes on."""
    try:
        read()
    except ProvenanceIssue as issue:
        findings.issue(issue)


def _read_exif_chunk(file: BoundedFile, offset: int, length: int, findings: Findings) -> None:
    """The eXIf chunk: a TIFF-structured EXIF block."""
    check_length(length, EXIF_MAX_BYTES, "PNG eXIf chunk")
    read_exif(file.read(offset + 8, length, "PNG eXIf chunk"), findings, "PNG eXIf chunk")


def _inflate(data: bytes, what: str) -> bytes:
    """zlib-decompress at most TEXT_CHUNK_MAX_BYTES; larger output is metadata_too_large."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, TEXT_CHUNK_MAX_BYTES + 1)
    except zlib.error as exc:
        raise ProvenanceIssue("metadata_unreadable", f"PNG: the {what} does not decompress ({exc})") from None
    if len(out) > TEXT_CHUNK_MAX_BYTES or inflater.unconsumed_tail:
        raise ProvenanceIssue("metadata_too_large", f"PNG: the {what} decompresses to more than "
                                                    f"{TEXT_CHUNK_MAX_BYTES} bytes")
    return out


def _decode_text_chunk(chunk_type: bytes, data: bytes) -> tuple[str, bytes, str]:
    """(keyword, text bytes, text encoding) of a tEXt, zTXt or iTXt chunk."""
    keyword, sep, rest = data.partition(b"\x00")
    if not sep or not 1 <= len(keyword) <= 79:
        raise ProvenanceIssue("metadata_unreadable", f"PNG: a {chunk_type.decode()} chunk has no valid keyword")
    name = keyword.decode("latin-1")
    if chunk_type == b"tEXt":
        return name, rest, "latin-1"
    if chunk_type == b"zTXt":
        return name, _inflate(rest[1:], f"zTXt chunk {name!r}"), "latin-1"
    if len(rest) < 2:
        raise ProvenanceIssue("metadata_unreadable", f"PNG: the iTXt chunk {name!r} is truncated")
    compressed, fields = rest[0], rest[2:]
    _language, _, fields = fields.partition(b"\x00")
    _translated, _, text = fields.partition(b"\x00")
    return name, _inflate(text, f"iTXt chunk {name!r}") if compressed else text, "utf-8"


def _read_text_chunk(file: BoundedFile, offset: int, length: int, chunk_type: bytes, findings: Findings) -> None:
    """Record a generator's parameters, a descriptive text, or the XMP packet a text chunk holds."""
    kind = chunk_type.decode()
    check_length(length, TEXT_CHUNK_MAX_BYTES, f"PNG {kind} chunk")
    keyword, text, encoding = _decode_text_chunk(chunk_type, file.read(offset + 8, length, f"PNG {kind} chunk"))
    if keyword == XMP_KEYWORD:
        read_xmp(text, findings, f"PNG {kind} XMP")
        return
    value = text.decode(encoding, "replace")
    generator = GENERATOR_TEXT_KEYS.get(keyword.lower())
    if generator:
        findings.fact("png_text", keyword, value, f"PNG {kind} '{keyword}' ({generator})", ("ai",))
    elif keyword.lower() in TOOL_KEYS | FREE_KEYS:
        signals = tool_signals(value) if keyword.lower() in TOOL_KEYS else free_text_signals(value)
        findings.fact("png_text", keyword, value, f"PNG {kind} '{keyword}'", signals)
