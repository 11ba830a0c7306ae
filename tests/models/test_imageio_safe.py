"""Safe image decoding: sizes from headers, refusal before decoding, orientation, alpha, grey, corrupt bytes."""
from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
import pytest

from models.serving.imageio_safe import ImageDecodeError, ImageTooLarge, decode_image, image_size
from tests.helpers.media import make_image_bytes, make_jpeg_bytes

FORMATS = [".jpg", ".png", ".webp", ".bmp", ".tiff", ".gif", ".avif", ".jp2"]


def half_red(width: int = 80, height: int = 40) -> np.ndarray:
    """RGB image: left half red, right half blue."""
    image = np.zeros((height, width, 3), np.uint8)
    image[:, : width // 2] = (230, 0, 0)
    image[:, width // 2:] = (0, 0, 230)
    return image


def png_with_size(width: int, height: int) -> bytes:
    """A tiny PNG whose IHDR claims width x height (a decompression-bomb header)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
            + b"\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.mark.parametrize("ext", FORMATS)
def test_every_format_decodes_to_rgb_with_the_header_size(ext):
    data = make_image_bytes(half_red(), ext)
    assert image_size(data) == (80, 40)
    image = decode_image(data)
    assert image.shape == (40, 80, 3) and image.dtype == np.uint8
    left, right = image[20, 10].astype(int), image[20, 70].astype(int)
    assert left[0] > 150 and left[2] < 80, ext
    assert right[2] > 150 and right[0] < 80, ext


def test_jpeg_exif_orientation_is_applied():
    data = make_jpeg_bytes(half_red(), exif_orientation=6)  # "rotate 90 degrees clockwise to display"
    image = decode_image(data)
    assert image.shape == (80, 40, 3)
    assert image[10, 20, 0] > 150 and image[70, 20, 2] > 150  # red half now on top


def test_transparent_pixels_become_white_and_grey_becomes_rgb():
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[:, :10] = (200, 0, 0, 255)
    for ext in (".png", ".webp"):
        image = decode_image(make_image_bytes(rgba, ext)).astype(int)
        assert image.shape == (20, 20, 3)
        assert np.abs(image[5, 2] - (200, 0, 0)).max() < 12, ext
        assert np.abs(image[5, 15] - (255, 255, 255)).max() < 12, ext
    grey = decode_image(make_image_bytes(np.full((10, 12), 77, np.uint8), ".png"))
    assert grey.shape == (10, 12, 3) and tuple(grey[0, 0]) == (77, 77, 77)
    deep = decode_image(make_image_bytes(np.full((10, 12, 3), 65535, np.uint16), ".png"))
    assert deep.dtype == np.uint8 and tuple(deep[0, 0]) == (255, 255, 255)


def test_huge_dimensions_are_refused_before_decoding():
    with pytest.raises(ImageTooLarge) as caught:
        decode_image(png_with_size(60_000, 60_000), max_pixels=50_000_000)
    assert (caught.value.width, caught.value.height) == (60_000, 60_000)
    jpeg = bytearray(make_jpeg_bytes(half_red()))
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5:sof + 9] = struct.pack(">HH", 65_000, 65_000)
    with pytest.raises(ImageTooLarge):
        decode_image(bytes(jpeg))
    with pytest.raises(ImageTooLarge):
        decode_image(make_image_bytes(half_red(), ".webp"), max_pixels=3199)
    assert decode_image(make_image_bytes(half_red(), ".webp"), max_pixels=3200).shape == (40, 80, 3)


def test_corrupt_truncated_and_unknown_bytes_are_undecodable():
    jpeg = make_jpeg_bytes()
    cases = [jpeg[: len(jpeg) // 2], jpeg[:40], b"\x89PNG\r\n\x1a\n\x00\x00", b"<html>hello</html>",
             png_with_size(20, 20), b"", b"RIFF\x10\x00\x00\x00WEBPXXXX"]
    for data in cases:
        with pytest.raises(ImageDecodeError):
            decode_image(data)


def test_paths_are_read_and_missing_files_are_errors(tmp_path):
    path = tmp_path / "a.png"
    path.write_bytes(make_image_bytes(half_red(), ".png"))
    assert decode_image(path).shape == (40, 80, 3)
    assert decode_image(str(path)).shape == (40, 80, 3)
    with pytest.raises(ImageDecodeError):
        decode_image(tmp_path / "missing.png")


def test_header_sizes_of_real_photos():
    big = cv2.resize(half_red(), (1234, 567))
    for ext in FORMATS:
        assert image_size(make_image_bytes(big, ext)) == (1234, 567), ext
    assert image_size(make_jpeg_bytes()) == (512, 512)
