"""Images whose headers lie: each format's size fields rewritten, duplicated or hidden, for the fuzz tests."""
from __future__ import annotations

import random
import struct
import zlib

import cv2
import numpy as np

FORMATS = (".png", ".jpg", ".gif", ".webp", ".bmp", ".tiff", ".jp2", ".avif")
# Formats OpenCV can open that the companion refuses outright (sniffed as not media, or unsupported).
REFUSED = {
    "hdr": b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 60000 +X 60000\n" + b"\x02\x02\x00\x10" * 64,
    "pnm": b"P6\n60000 60000\n255\n" + b"\x00" * 256,
    "pfm": b"PF\n60000 60000\n-1.0\n" + b"\x00" * 256,
    "sunraster": b"\x59\xa6\x6a\x95" + struct.pack(">IIIIIII", 60000, 60000, 24, 0, 1, 0, 0) + b"\x00" * 256,
    "bigtiff": b"II+\x00\x08\x00\x00\x00" + b"\x00" * 256,
    "j2k": b"\xff\x4f\xff\x51\x00\x29\x00\x00" + struct.pack(">IIII", 60000, 60000, 0, 0) + b"\x00" * 256,
    "exr": b"\x76\x2f\x31\x01\x02\x00\x00\x00" + b"\x00" * 256,
    "heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 256,
}


def encode(ext: str, width: int = 64, height: int = 48, seed: int = 0) -> bytes:
    """A real image of the given size in the format of `ext` (smooth content: small files)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (4, 4, 3), dtype=np.uint8)
    image = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    ok, data = cv2.imencode(ext, image)
    assert ok, ext
    return data.tobytes()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    """A PNG chunk with its CRC."""
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def set_size(data: bytes, ext: str, width: int, height: int) -> bytes:
    """The same file with every size field the header parser reads rewritten (CRCs kept valid)."""
    out = bytearray(data)
    if ext == ".png":
        ihdr = struct.pack(">II", width, height) + bytes(out[24:29])
        return bytes(out[:8]) + _png_chunk(b"IHDR", ihdr) + bytes(out[33:])
    if ext == ".jpg":
        pos = _jpeg_sof(out)
        out[pos + 5:pos + 9] = struct.pack(">HH", height, width)
    elif ext == ".gif":
        out[6:10] = struct.pack("<HH", width, height)
        pos = out.index(b",", 13)
        out[pos + 5:pos + 9] = struct.pack("<HH", width, height)
    elif ext == ".webp":
        _webp_set(out, width, height)
    elif ext == ".bmp":
        out[18:26] = struct.pack("<ii", width, height)
    elif ext == ".tiff":
        for tag, value in ((256, width), (257, height)):
            _tiff_set(out, tag, value)
    elif ext == ".jp2":
        pos = out.index(b"ihdr") + 4
        out[pos:pos + 8] = struct.pack(">II", height, width)
        siz = out.index(b"\xff\x4f\xff\x51")
        out[siz + 8:siz + 24] = struct.pack(">IIII", width, height, 0, 0)
    elif ext == ".avif":
        pos = out.find(b"ispe")
        while pos >= 0:
            out[pos + 8:pos + 16] = struct.pack(">II", width, height)
            pos = out.find(b"ispe", pos + 4)
    return bytes(out)


def _jpeg_sof(data: bytearray) -> int:
    """Offset of the first start-of-frame marker."""
    for marker in (b"\xff\xc0", b"\xff\xc2", b"\xff\xc1"):
        pos = data.find(marker, 2)
        if pos > 0:
            return pos
    raise ValueError("no SOF")


def _webp_set(out: bytearray, width: int, height: int) -> None:
    """Rewrite a VP8L or VP8 header's size (VP8L: 14 bits each, minus one)."""
    width, height = min(max(width, 1), 16384), min(max(height, 1), 16384)
    if out[12:16] == b"VP8L":
        (bits,) = struct.unpack("<I", out[21:25])
        bits = (bits & 0xF0000000) | (width - 1) | ((height - 1) << 14)
        out[21:25] = struct.pack("<I", bits)
    else:
        out[26:30] = struct.pack("<HH", min(width, 16383), min(height, 16383))


def _tiff_entries(data: bytes):
    """(offset of entry, tag, type) of each entry of the first TIFF directory."""
    order = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", data[4:8])
    (count,) = struct.unpack(order + "H", data[ifd:ifd + 2])
    for i in range(count):
        pos = ifd + 2 + 12 * i
        tag, kind = struct.unpack(order + "HH", data[pos:pos + 4])
        yield pos, tag, kind, order


def _tiff_set(out: bytearray, tag: int, value: int) -> None:
    """Set a SHORT/LONG TIFF entry (as LONG, so big values fit)."""
    for pos, entry_tag, _kind, order in _tiff_entries(out):
        if entry_tag == tag:
            out[pos + 2:pos + 12] = struct.pack(order + "HII", 4, 1, value)


def tiff_duplicate_size(data: bytes, big: tuple[int, int], small: tuple[int, int]) -> bytes:
    """A TIFF whose directory lists width and height twice: first `big` (libtiff keeps it), then `small`."""
    out = bytearray(data)
    entries = list(_tiff_entries(out))
    order = entries[0][3]
    (ifd,) = struct.unpack(order + "I", out[4:8])
    count = len(entries)
    raw = [bytes(out[ifd + 2 + 12 * i:ifd + 14 + 12 * i]) for i in range(count)]
    extra = [struct.pack(order + "HHII", 256, 4, 1, small[0]), struct.pack(order + "HHII", 257, 4, 1, small[1])]
    for i, entry in enumerate(raw):
        tag = struct.unpack(order + "H", entry[:2])[0]
        if tag in (256, 257):
            raw[i] = struct.pack(order + "HHII", tag, 4, 1, big[tag - 256])
    new = sorted(raw + extra, key=lambda e: struct.unpack(order + "H", e[:2])[0])
    next_ifd = bytes(out[ifd + 2 + 12 * count:ifd + 6 + 12 * count])
    directory = struct.pack(order + "H", len(new)) + b"".join(new) + next_ifd
    tail = len(out)
    out += directory
    out[4:8] = struct.pack(order + "I", tail)
    return bytes(out)


def jp2_hidden_ihdr(data: bytes, small: tuple[int, int]) -> bytes:
    """A JP2 with a `uuid` box holding a small `ihdr` placed before the real header (a naive search finds it)."""
    fake = b"\x00\x00\x00\x16ihdr" + struct.pack(">IIHBBBB", small[1], small[0], 3, 7, 7, 0, 0)
    uuid = b"uuid" + b"\x00" * 16 + fake
    box = struct.pack(">I", len(uuid) + 4) + uuid
    return data[:12] + box + data[12:]


def gif_small_screen(data: bytes, screen: tuple[int, int]) -> bytes:
    """A GIF whose logical screen is small and whose image is its real (larger) size."""
    out = bytearray(data)
    out[6:10] = struct.pack("<HH", *screen)
    return bytes(out)


def webp_small_canvas(data: bytes, canvas: tuple[int, int]) -> bytes:
    """An extended WebP (VP8X) announcing a small canvas around the original, larger, image."""
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00" * 4 + (canvas[0] - 1).to_bytes(3, "little") + \
        (canvas[1] - 1).to_bytes(3, "little")
    body = b"WEBP" + vp8x + data[12:]
    return b"RIFF" + struct.pack("<I", len(body)) + body


def jpeg_two_frames(data: bytes, big: tuple[int, int]) -> bytes:
    """A JPEG with a second start-of-frame segment announcing a bigger size after the first."""
    pos = _jpeg_sof(bytearray(data))
    length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
    segment = bytearray(data[pos:pos + 2 + length])
    segment[5:9] = struct.pack(">HH", big[1], big[0])
    return data[:pos + 2 + length] + bytes(segment) + data[pos + 2 + length:]


def mutations(data: bytes, count: int, seed: int, span: int = 64) -> list[bytes]:
    """`count` copies with 1-4 random bytes of the first `span` changed, and truncated copies."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        copy = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            copy[rng.randrange(min(span, len(copy)))] = rng.randrange(256)
        out.append(bytes(copy))
    out.extend(data[:cut] for cut in (8, 30, len(data) // 2))
    return out
