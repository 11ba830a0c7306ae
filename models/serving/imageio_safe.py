"""Decode images into RGB uint8 safely: read the size from the header and refuse huge images before decoding.

OpenCV allocates the full bitmap before it notices anything, so a 60000x60000 PNG of a few kilobytes
(a "decompression bomb") would take gigabytes. Three guards, each enough on its own for what it covers:

1. `image_size` parses the header of each supported format the way its decoder does (structures walked,
   duplicate or conflicting size fields refused), and `decode_image` refuses anything whose decode would
   cost more than `max_pixels` (bigger pixels, as 16-bit TIFF or JPEG 2000 components, count for more).
2. OpenCV's own ceiling, OPENCV_IO_MAX_IMAGE_PIXELS, checked by OpenCV on the size its decoder read:
   it is read once when cv2 is loaded, so it is set here (unless set already) before `import cv2`; the
   companion sets it from MAX_IMAGE_PIXELS before anything imports cv2. Its refusal is ImageTooLarge.
3. AVIF, whose AV1 frame may be larger than the `ispe` size its container states (libavif decodes the
   frame before OpenCV sees a size), is decoded in a child process whose memory is capped.
Any other format (HDR, PNM, PFM, Sun raster, raw JPEG 2000 codestreams, BigTIFF...) is refused as unknown.
"""
from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

DEFAULT_MAX_PIXELS = 50_000_000
OPENCV_PIXELS_ENV = "OPENCV_IO_MAX_IMAGE_PIXELS"
os.environ.setdefault(OPENCV_PIXELS_ENV, str(DEFAULT_MAX_PIXELS))

import cv2  # noqa: E402  (after OPENCV_IO_MAX_IMAGE_PIXELS, which OpenCV reads when it is loaded)
import numpy as np  # noqa: E402

# Bytes per pixel of a plain 8-bit RGB decode: the unit of the decode cost (see decode_cost).
RGB_BYTES = 3
# OpenCV 5's GIF decoder: about this many bytes per pixel of the logical screen (measured: 7000x7000, 470 MB).
GIF_BYTES_PER_PIXEL = 10
# Rows composited at a time when flattening alpha (bounds the float copies to a strip).
ALPHA_ROWS = 256
# The child process that decodes AVIF: memory beyond Python + OpenCV, per allowed pixel, and a time limit.
ISOLATED_BASE_BYTES = 384 * 1024 * 1024
ISOLATED_BYTES_PER_PIXEL = 10
ISOLATED_TIMEOUT_S = 60
JPEG_SOF_MARKERS = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
JPEG_STANDALONE_MARKERS = set(range(0xD0, 0xDA)) | {0x01}


class ImageDecodeError(ValueError):
    """The bytes are not an image we can decode (unknown format, truncated or corrupt)."""


class ImageTooLarge(ValueError):
    """The image has more pixels than allowed (or costs as much to decode); raised before decoding it."""

    def __init__(self, width: int | None, height: int | None, max_pixels: int, cost: float = 1.0):
        if width is None or height is None:
            text = f"The decoder found the image larger than the limit of {max_pixels:,} pixels."
        else:
            text = f"Image is {width}x{height} = {width * height:,} pixels; the limit is {max_pixels:,}."
            if cost > 1.0:
                text += f" Its pixels cost {cost:.3g}x an RGB pixel to decode."
        super().__init__(text)
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


TIFF_WIDTH, TIFF_LENGTH, TIFF_BITS, TIFF_SAMPLES = 256, 257, 258, 277
TIFF_SIZE_TAGS = (TIFF_WIDTH, TIFF_LENGTH, TIFF_BITS, TIFF_SAMPLES)
TIFF_SHORT, TIFF_LONG = 3, 4
TIFF_MAX_ENTRIES = 4096


def _tiff_fields(data: bytes) -> tuple[str, dict[int, int]] | None:
    """TIFF: the first image directory's width, length, bits and samples per pixel, read as libtiff reads them.

    A tag listed twice, a size of another type than SHORT/LONG or listed with several values, or a
    directory outside the file is refused: decoders disagree on which copy wins.
    """
    order = {b"II*\x00": "<", b"MM\x00*": ">"}.get(data[:4])
    if order is None:
        return None
    (ifd,) = struct.unpack(order + "I", data[4:8])
    (count,) = struct.unpack(order + "H", data[ifd:ifd + 2])
    if ifd < 8 or count == 0 or count > TIFF_MAX_ENTRIES or ifd + 2 + 12 * count > len(data):
        raise ImageDecodeError("TIFF image directory is empty, too long or outside the file.")
    found: dict[int, int] = {}
    for i in range(count):
        tag, kind, n, raw = struct.unpack(order + "HHI4s", data[ifd + 2 + 12 * i:ifd + 14 + 12 * i])
        if tag not in TIFF_SIZE_TAGS:
            continue
        if tag in found:
            raise ImageDecodeError(f"TIFF lists tag {tag} twice; refused (decoders disagree on which counts).")
        if kind not in (TIFF_SHORT, TIFF_LONG) or n < 1 or (n > 1 and tag != TIFF_BITS):
            raise ImageDecodeError(f"TIFF tag {tag} has an unexpected type or count.")
        found[tag] = _tiff_value(data, order, kind, n, raw)
    if TIFF_WIDTH not in found or TIFF_LENGTH not in found:
        raise ImageDecodeError("TIFF without width or height.")
    return order, found


def _tiff_value(data: bytes, order: str, kind: int, n: int, raw: bytes) -> int:
    """The largest of a TIFF entry's n SHORT/LONG values (inline, or at the offset the entry gives)."""
    size = 2 if kind == TIFF_SHORT else 4
    if n * size > 4:
        (offset,) = struct.unpack(order + "I", raw)
        raw = data[offset:offset + n * size]
        if len(raw) != n * size:
            raise ImageDecodeError("TIFF values outside the file.")
    return max(struct.unpack(order + ("H" if kind == TIFF_SHORT else "I") * n, raw[:n * size]))


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    """TIFF: ImageWidth (256) and ImageLength (257) of the first image directory."""
    fields = _tiff_fields(data)
    return None if fields is None else (fields[1][TIFF_WIDTH], fields[1][TIFF_LENGTH])


def _tiff_bytes_per_pixel(data: bytes) -> float:
    """Bytes per pixel libtiff hands OpenCV (samples x bytes per sample): 16-bit RGBA is 8."""
    _, found = _tiff_fields(data)
    bits, samples = found.get(TIFF_BITS, 1), found.get(TIFF_SAMPLES, 1)
    if bits > 64 or samples > 16:
        raise ImageDecodeError(f"TIFF with {samples} samples of {bits} bits is not supported.")
    return samples * max(1.0, bits / 8)


JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"


def _jp2_boxes(data: bytes, start: int, end: int):
    """(type, payload start, payload end) of each box between start and end (JPEG 2000 / ISO layout)."""
    pos = start
    while pos + 8 <= end:
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        header = 8
        if length == 1:
            (length,) = struct.unpack(">Q", data[pos + 8:pos + 16])
            header = 16
        elif length == 0:
            length = end - pos
        if length < header or pos + length > end:
            raise ImageDecodeError(f"JPEG 2000 box {kind!r} runs past its container.")
        yield kind, pos + header, pos + length
        pos += length


def _jp2_fields(data: bytes) -> tuple[int, int, int] | None:
    """JPEG 2000 (JP2): (width, height, components) from the one jp2h/ihdr, checked against the codestream's SIZ.

    The boxes are walked as OpenJPEG walks them (an `ihdr` hidden in another box does not count); a
    second header box, or a codestream whose SIZ size differs from the header, is refused.
    """
    if not data.startswith(JP2_SIGNATURE):
        return None
    headers, codestreams = [], []
    for kind, start, end in _jp2_boxes(data, 0, len(data)):
        if kind == b"jp2h":
            headers.extend((k, s, e) for k, s, e in _jp2_boxes(data, start, end) if k == b"ihdr")
        elif kind == b"jp2c":
            codestreams.append(start)
    if len(headers) != 1 or len(codestreams) != 1:
        raise ImageDecodeError("JPEG 2000 needs exactly one image header and one codestream.")
    _, start, _ = headers[0]
    height, width, components = struct.unpack(">IIH", data[start:start + 10])
    if _j2k_size(data, codestreams[0]) != (width, height, components):
        raise ImageDecodeError("JPEG 2000 image header and codestream disagree on the size; refused.")
    return width, height, components


def _j2k_size(data: bytes, pos: int) -> tuple[int, int, int]:
    """A JPEG 2000 codestream's (width, height, components) from its SIZ marker segment."""
    if data[pos:pos + 4] != b"\xff\x4f\xff\x51":
        raise ImageDecodeError("JPEG 2000 codestream does not start with SOC, SIZ.")
    xsiz, ysiz, xosiz, yosiz = struct.unpack(">IIII", data[pos + 8:pos + 24])
    (components,) = struct.unpack(">H", data[pos + 40:pos + 42])
    return xsiz - xosiz, ysiz - yosiz, components


def _jp2_size(data: bytes) -> tuple[int, int] | None:
    """JPEG 2000 (JP2 container): the image header box, checked against the codestream."""
    fields = _jp2_fields(data)
    return None if fields is None else fields[:2]


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


def decode_cost(data: bytes) -> float:
    """How many RGB pixels' worth of memory one pixel of this image takes to decode (at least 1)."""
    if data.startswith(JP2_SIGNATURE):  # OpenJPEG holds every component as int32, then OpenCV's RGB copy
        components = _jp2_fields(data)[2]
        return (4 * components + RGB_BYTES) / RGB_BYTES
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return max(1.0, _tiff_bytes_per_pixel(data) / RGB_BYTES)
    if data[:6] in (b"GIF87a", b"GIF89a"):  # OpenCV's GIF decoder keeps an RGBA canvas, codes and a frame
        return GIF_BYTES_PER_PIXEL / RGB_BYTES
    if data.startswith(b"\x89PNG") and _has_alpha(data):  # decoded unchanged: RGBA, 16-bit stays 16-bit
        return (8 if data[24] == 16 else 4) / RGB_BYTES
    if _has_alpha(data):
        return 4 / RGB_BYTES
    return 1.0


def decode_image(source: bytes | str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS,
                 keep_pixels: int | None = None) -> np.ndarray:
    """Decode to an RGB uint8 (H, W, 3) array: EXIF orientation applied, grey expanded, alpha over white.

    With `keep_pixels`, a larger image comes back shrunk to about that many pixels (a JPEG is decoded at
    1/2, 1/4 or 1/8 scale by libjpeg, so its full size is never allocated); see `oriented_size`.
    """
    data = _read_source(source)
    width, height = image_size(data)
    try:
        cost = decode_cost(data)
    except (struct.error, IndexError) as exc:
        raise ImageDecodeError("The image header is truncated.") from exc
    if width * height * cost > max_pixels:
        raise ImageTooLarge(width, height, max_pixels, cost)
    if _avif_size(data) is not None:
        image = _decode_isolated(data, max_pixels, keep_pixels)
    else:
        image = _decode_here(data, max_pixels, _jpeg_reduction(data, width * height, keep_pixels))
    if image is None or image.size == 0:
        raise ImageDecodeError("The image is truncated or corrupt.")
    if image.shape[0] * image.shape[1] > max_pixels:
        raise ImageTooLarge(image.shape[1], image.shape[0], max_pixels)
    if keep_pixels and image.shape[0] * image.shape[1] > keep_pixels:
        factor = (keep_pixels / (image.shape[0] * image.shape[1])) ** 0.5
        size = (max(1, int(image.shape[1] * factor)), max(1, int(image.shape[0] * factor)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image, dtype=np.uint8)


def oriented_size(data: bytes, decoded_shape: tuple[int, ...]) -> tuple[int, int]:
    """The (width, height) of the image in its own pixels, turned like the decoded (maybe shrunk) array."""
    width, height = image_size(data)
    if (decoded_shape[1] >= decoded_shape[0]) != (width >= height):
        width, height = height, width  # EXIF orientation turned it by 90 degrees
    return width, height


# libjpeg's scaled decodes: reduction factor -> OpenCV flag (BGR out).
_JPEG_REDUCED = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}


def _jpeg_reduction(data: bytes, pixels: int, keep_pixels: int | None) -> int:
    """The largest 1, 2, 4 or 8 that a JPEG can be decoded at while keeping at least `keep_pixels`."""
    if not keep_pixels or not data.startswith(b"\xff\xd8"):
        return 1
    factor = 1
    while factor < 8 and pixels / (2 * factor) ** 2 >= keep_pixels:
        factor *= 2
    return factor


def _decode_here(data: bytes, max_pixels: int, reduction: int = 1) -> np.ndarray | None:
    """cv2.imdecode in this process; OpenCV's own pixel ceiling refusing is ImageTooLarge."""
    buffer = np.frombuffer(data, np.uint8)
    try:
        if _has_alpha(data):
            return _flatten_alpha(cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED))
        if reduction > 1:
            image = cv2.imdecode(buffer, _JPEG_REDUCED[reduction])
            return None if image is None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB, dst=image)
        return cv2.imdecode(buffer, cv2.IMREAD_COLOR_RGB)
    except cv2.error as exc:
        if "CV_IO_MAX_IMAGE" in str(exc):
            raise ImageTooLarge(None, None, max_pixels) from None
        raise ImageDecodeError("The image is truncated or corrupt.") from None


_ISOLATED_DECODER = """
import os, resource, sys
limit, keep = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
import numpy as np, cv2
data = sys.stdin.buffer.read()
try:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR_RGB)
except cv2.error as exc:
    sys.exit(4 if "CV_IO_MAX_IMAGE" in str(exc) else 3)
if image is None or image.ndim != 3:
    sys.exit(3)
if keep and image.shape[0] * image.shape[1] > keep:
    factor = (keep / (image.shape[0] * image.shape[1])) ** 0.5
    size = (max(1, int(image.shape[1] * factor)), max(1, int(image.shape[0] * factor)))
    image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
sys.stdout.buffer.write(b"%d %d\\n" % image.shape[:2])
sys.stdout.buffer.write(np.ascontiguousarray(image).data)
"""


def _decode_isolated(data: bytes, max_pixels: int, keep_pixels: int | None = None) -> np.ndarray:
    """Decode in a child process that cannot allocate more than an image of `max_pixels` needs
    (shrunk there to `keep_pixels`, so only what is kept crosses the pipe)."""
    limit = ISOLATED_BASE_BYTES + ISOLATED_BYTES_PER_PIXEL * max_pixels
    env = {**os.environ, OPENCV_PIXELS_ENV: str(max_pixels), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    try:
        done = subprocess.run([sys.executable, "-c", _ISOLATED_DECODER, str(limit), str(keep_pixels or 0)],
                              input=data, env=env,
                              capture_output=True, timeout=ISOLATED_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise ImageDecodeError("The image took too long to decode.") from None
    if done.returncode == 4:
        raise ImageTooLarge(None, None, max_pixels)
    if done.returncode != 0:
        if done.returncode < 0 or b"MemoryError" in done.stderr or b"memory" in done.stderr.lower():
            raise ImageTooLarge(None, None, max_pixels)
        raise ImageDecodeError("The image is truncated or corrupt.")
    start = done.stdout.index(b"\n") + 1
    height, width = (int(value) for value in done.stdout[:start].split())
    if height * width > max_pixels or len(done.stdout) - start != height * width * 3:
        raise ImageTooLarge(width, height, max_pixels)
    return np.frombuffer(done.stdout, np.uint8, offset=start).reshape(height, width, 3).copy()


def _flatten_alpha(image: np.ndarray | None) -> np.ndarray | None:
    """Composite an OpenCV BGRA/grey-alpha image over white and return RGB uint8 (a strip of rows at a time)."""
    if image is None:
        return None
    if image.dtype != np.uint8:
        image = _to_uint8(image)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    out = np.empty(image.shape[:2] + (3,), np.uint8)
    for top in range(0, image.shape[0], ALPHA_ROWS):
        strip = image[top:top + ALPHA_ROWS]
        if strip.shape[2] == 2:
            strip = np.dstack([strip[:, :, 0]] * 3 + [strip[:, :, 1]])
        colour = strip[:, :, :3].astype(np.float32)
        alpha = strip[:, :, 3:4].astype(np.float32) / 255.0
        flat = colour * alpha + 255.0 * (1.0 - alpha)
        out[top:top + ALPHA_ROWS] = cv2.cvtColor(flat.round().astype(np.uint8), cv2.COLOR_BGR2RGB)
    return out


def _to_uint8(image: np.ndarray) -> np.ndarray:
    """16-bit (or other integer) samples scaled to uint8, a strip of rows at a time."""
    scale = np.iinfo(image.dtype).max / 255.0
    out = np.empty(image.shape, np.uint8)
    for top in range(0, image.shape[0], ALPHA_ROWS):
        out[top:top + ALPHA_ROWS] = (image[top:top + ALPHA_ROWS].astype(np.float32) / scale).round()
    return out
