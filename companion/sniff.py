"""What kind of media a file is, decided from its first bytes only (never from the URL or headers)."""
from __future__ import annotations

from companion.errors import NotMedia

SNIFF_BYTES = 512
"""How many leading bytes `sniff` wants; it works with fewer but can tell less (e.g. MPEG-TS needs 377)."""

EXTENSIONS = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
    "image/bmp": ".bmp", "image/tiff": ".tiff", "image/avif": ".avif", "image/jp2": ".jp2",
    "video/mp4": ".mp4", "video/quicktime": ".mov", "video/3gpp": ".3gp", "video/webm": ".webm",
    "video/x-matroska": ".mkv", "video/x-msvideo": ".avi", "video/mp2t": ".ts", "video/mpeg": ".mpg",
    "video/x-flv": ".flv",
}
BMP_HEADER_SIZES = {12, 40, 52, 56, 64, 108, 124}
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}


def sniff(first_bytes: bytes) -> tuple[str, str]:
    """Return (kind, mime) with kind "image" or "video"; raise NotMedia (415) for anything else."""
    if not first_bytes:
        raise NotMedia("The media is empty (zero bytes).", code="empty_media")
    head = bytes(first_bytes[:SNIFF_BYTES])
    for matcher in (_simple_image, _iso_media, _riff, _matroska, _mpeg_stream):
        found = matcher(head)
        if found:
            return found
    raise NotMedia(f"Not an image or video we can read (starts with {head[:8].hex(' ')}).")


def _simple_image(head: bytes) -> tuple[str, str] | None:
    """JPEG, PNG, GIF, BMP, TIFF and JPEG 2000 by their magic numbers."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image", "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image", "image/gif"
    if head.startswith(b"BM") and len(head) >= 18 and int.from_bytes(head[14:18], "little") in BMP_HEADER_SIZES:
        return "image", "image/bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image", "image/tiff"
    if head.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n"):
        return "image", "image/jp2"
    return None


def _iso_media(head: bytes) -> tuple[str, str] | None:
    """ISO base media files (MP4, MOV, 3GP, AVIF, HEIF) by their `ftyp` brands; old MOVs by atom name."""
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"):
        return "video", "video/quicktime"
    if head[4:8] != b"ftyp":
        return None
    box_size = int.from_bytes(head[:4], "big")
    major = head[8:12]
    brands = {major} | {head[i:i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)}
    if b"avif" in brands or b"avis" in brands:
        return "image", "image/avif"
    if brands & HEIF_BRANDS:
        raise NotMedia("HEIC/HEIF images are not supported; please use JPEG, PNG, WebP or AVIF.",
                       code="unsupported_media")
    if major in AUDIO_BRANDS:
        raise NotMedia("This is an audio file; there is no picture to check.")
    if major == b"qt  ":
        return "video", "video/quicktime"
    if major.startswith((b"3gp", b"3g2")):
        return "video", "video/3gpp"
    return "video", "video/mp4"


def _riff(head: bytes) -> tuple[str, str] | None:
    """WebP images and AVI videos (both RIFF containers)."""
    if not head.startswith(b"RIFF"):
        return None
    if head[8:12] == b"WEBP":
        return "image", "image/webp"
    if head[8:12] == b"AVI ":
        return "video", "video/x-msvideo"
    return None


def _matroska(head: bytes) -> tuple[str, str] | None:
    """WebM and Matroska by the EBML magic number and their DocType."""
    if not head.startswith(b"\x1a\x45\xdf\xa3"):
        return None
    return ("video", "video/webm") if b"webm" in head[:64] else ("video", "video/x-matroska")


def _mpeg_stream(head: bytes) -> tuple[str, str] | None:
    """MPEG transport streams (188/192-byte packets), MPEG program streams and FLV."""
    for offset, stride in ((0, 188), (4, 192)):
        syncs = range(offset, min(len(head), offset + 3 * stride), stride)
        if len(syncs) == 3 and all(head[i] == 0x47 for i in syncs):
            return "video", "video/mp2t"
    if head.startswith((b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")):
        return "video", "video/mpeg"
    if head.startswith(b"FLV\x01"):
        return "video", "video/x-flv"
    return None


def extension_for(mime: str) -> str:
    """The usual file extension for a mime type `sniff` returns."""
    return EXTENSIONS.get(mime, ".bin")
