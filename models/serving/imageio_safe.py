"""Decode images into RGB uint8 safely: read the size from the header and refuse huge images before decoding.

OpenCV allocates the full bitmap before it notices anything, so a 60000x60000 PNG of a few kilobytes
(a "decompression bomb") would take gigabytes. `image_size` parses only the header of each supported
format; `decode_image` refuses anything over `max_pixels` before calling `cv2.imdecode`.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path

import cv2
import numpy as np

DEFAULT_MAX_PIXELS = 50_000_000
JPEG_SOF_MARKERS = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
JPEG_STANDALONE_MARKERS = set(range(0xD0, 0xDA)) | {0x01}


class ImageDecodeError(ValueError):
    """The bytes are not an image we can decode (unknown format, truncated or corrupt)."""


class ImageTooLarge(ValueError):
    """The image has more pixels than allowed; raised before any pixel is decoded."""

    def __init__(self, width: int, height: int, max_pixels: int):
        super().__init__(f"Image is {width}x{height} = {width * height:,} pixels; "
                         f"the limit is {max_pixels:,}.")
        self.width, self.height, self.max_pixels = width, height, max_pixels


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the header alone; ImageDecodeError for unknown or truncated headers."""
    for parser in (_png_size, _jpeg_size, _gif_size, _webp_size, _bmp_size, _tiff_size, _jp2_size,
                   _avif_size):
        try:
            size = parser(data)
        except (struct.error, IndexError) as exc:
            raise ImageDecodeError(f"The image header is truncated ({parser.__name__[1:-5]}).") from exc
        if size is not None:
            if size[0] <= 0 or size[1] <= 0:
                raise ImageDecodeError(f"The image header says its size is {size[0]}x{size[1]}.")
            return size
    raise ImageDecodeError("Unknown image format.")


def _png_size(data: bytes) -> tuple[int, int] | None:
    """PNG: width and height of the IHDR chunk."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    if data[12:16] != b"IHDR":
        raise ImageDecodeError("PNG without an IHDR chunk.")
    return struct.unpack(">II", data[16:24])


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """JPEG: walk the marker segments up to the first start-of-frame."""
    if not data.startswith(b"\xff\xd8"):
        return None
    pos = 2
    while True:
        while data[pos] != 0xFF:  # tolerate junk between segments, as decoders do
            pos += 1
        while data[pos] == 0xFF:
            pos += 1
        marker = data[pos]
        pos += 1
        if marker in JPEG_STANDALONE_MARKERS:
            continue
        if marker == 0xDA or marker == 0xD9:
            raise ImageDecodeError("JPEG has no frame header before its image data.")
        (length,) = struct.unpack(">H", data[pos:pos + 2])
        if marker in JPEG_SOF_MARKERS:
            height, width = struct.unpack(">HH", data[pos + 3:pos + 7])
            return width, height
        pos += length


def _gif_size(data: bytes) -> tuple[int, int] | None:
    """GIF: the logical screen size."""
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        return None
    return struct.unpack("<HH", data[6:10])


def _webp_size(data: bytes) -> tuple[int, int] | None:
    """WebP: lossy (VP8), lossless (VP8L) and extended (VP8X) headers."""
    if not (data.startswith(b"RIFF") and data[8:12] == b"WEBP"):
        return None
    chunk = data[12:16]
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        (bits,) = struct.unpack("<I", data[21:25])
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8X":
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    raise ImageDecodeError(f"Unknown WebP chunk {chunk!r}.")


def _bmp_size(data: bytes) -> tuple[int, int] | None:
    """BMP: OS/2 (16-bit) or Windows (32-bit, height may be negative) info headers."""
    if not data.startswith(b"BM"):
        return None
    (header_size,) = struct.unpack("<I", data[14:18])
    if header_size == 12:
        return struct.unpack("<HH", data[18:22])
    width, height = struct.unpack("<ii", data[18:26])
    return width, abs(height)


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    """TIFF: ImageWidth (256) and ImageLength (257) of the first image directory."""
    order = {b"II*\x00": "<", b"MM\x00*": ">"}.get(data[:4])
    if order is None:
        return None
    (ifd,) = struct.unpack(order + "I", data[4:8])
    (count,) = struct.unpack(order + "H", data[ifd:ifd + 2])
    found: dict[int, int] = {}
    for i in range(count):
        tag, kind, _n, raw = struct.unpack(order + "HHI4s", data[ifd + 2 + 12 * i:ifd + 14 + 12 * i])
        if tag in (256, 257):
            found[tag] = struct.unpack(order + ("H" if kind == 3 else "I"), raw[:2 if kind == 3 else 4])[0]
    if len(found) < 2:
        raise ImageDecodeError("TIFF without width or height.")
    return found[256], found[257]


def _jp2_size(data: bytes) -> tuple[int, int] | None:
    """JPEG 2000 (JP2 container): the image header box."""
    if not data.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n"):
        return None
    pos = data.find(b"ihdr")
    if pos < 0:
        raise ImageDecodeError("JPEG 2000 without an image header.")
    height, width = struct.unpack(">II", data[pos + 4:pos + 12])
    return width, height


def _avif_size(data: bytes) -> tuple[int, int] | None:
    """AVIF: the largest `ispe` (image spatial extents) property; grids list one per tile and the whole."""
    if data[4:8] != b"ftyp":
        return None
    sizes = []
    pos = data.find(b"ispe")
    while pos >= 0:
        sizes.append(struct.unpack(">II", data[pos + 8:pos + 16]))
        pos = data.find(b"ispe", pos + 4)
    if not sizes:
        raise ImageDecodeError("AVIF/HEIF without image size properties.")
    return max(sizes, key=lambda wh: wh[0] * wh[1])


def _has_alpha(data: bytes) -> bool:
    """Whether a PNG or WebP header declares transparency (other formats are decoded without alpha)."""
    if data.startswith(b"\x89PNG"):
        return (len(data) > 25 and data[25] in (4, 6)) or b"tRNS" in data[:4096]
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        if data[12:16] == b"VP8X":
            return bool(data[20] & 0x10)
        if data[12:16] == b"VP8L":
            return bool(struct.unpack("<I", data[21:25])[0] >> 28 & 1)
    return False


def _read_source(source: bytes | bytearray | memoryview | str | os.PathLike) -> bytes:
    """The raw bytes of `source` (bytes as they are, or the content of a file path)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise ImageDecodeError(f"Cannot read {source}: {exc.strerror}") from exc


def decode_image(source: bytes | str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode to an RGB uint8 (H, W, 3) array: EXIF orientation applied, grey expanded, alpha over white."""
    data = _read_source(source)
    width, height = image_size(data)
    if width * height > max_pixels:
        raise ImageTooLarge(width, height, max_pixels)
    buffer = np.frombuffer(data, np.uint8)
    if _has_alpha(data):
        image = _flatten_alpha(cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED))
    else:
        image = cv2.imdecode(buffer, cv2.IMREAD_COLOR_RGB)
    if image is None or image.size == 0:
        raise ImageDecodeError("The image is truncated or corrupt.")
    return np.ascontiguousarray(image, dtype=np.uint8)


def _flatten_alpha(image: np.ndarray | None) -> np.ndarray | None:
    """Composite an OpenCV BGRA/grey-alpha image over white and return RGB uint8."""
    if image is None:
        return None
    if image.dtype != np.uint8:
        image = (image.astype(np.float32) / (np.iinfo(image.dtype).max / 255.0)).round().astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    if image.shape[2] == 2:
        image = np.dstack([image[:, :, 0]] * 3 + [image[:, :, 1]])
    colour = image[:, :, :3].astype(np.float32)
    alpha = image[:, :, 3:4].astype(np.float32) / 255.0
    flat = colour * alpha + 255.0 * (1.0 - alpha)
    return cv2.cvtColor(flat.round().astype(np.uint8), cv2.COLOR_BGR2RGB)
