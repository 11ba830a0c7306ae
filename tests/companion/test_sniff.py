"""Sniffing media kinds from their first bytes, with real files of every container we accept."""
from __future__ import annotations

import numpy as np
import pytest

from companion.errors import NotMedia
from companion.sniff import SNIFF_BYTES, extension_for, sniff
from tests.helpers.media import make_image_bytes, make_index_video, make_jpeg_bytes

IMAGE_CASES = [(".jpg", "image/jpeg"), (".png", "image/png"), (".gif", "image/gif"), (".webp", "image/webp"),
               (".bmp", "image/bmp"), (".tiff", "image/tiff"), (".avif", "image/avif"), (".jp2", "image/jp2")]

# PyAV container format, codec, the mime sniff must report
VIDEO_CASES = [("mp4", "mpeg4", "video/mp4"), ("mov", "mpeg4", "video/quicktime"), ("3gp", "h263", "video/3gpp"),
               ("webm", "libvpx", "video/webm"), ("matroska", "mpeg4", "video/x-matroska"),
               ("avi", "mpeg4", "video/x-msvideo"), ("mpegts", "mpeg2video", "video/mp2t"),
               ("mpeg", "mpeg2video", "video/mpeg"), ("flv", "flv", "video/x-flv")]


def encode_video(container_format: str, codec: str) -> bytes:
    """A few frames in the given container (PyAV writes to memory)."""
    import io

    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=25)
        stream.width, stream.height, stream.pix_fmt = 176, 144, "yuv420p"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.full((144, 176, 3), i * 40, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


@pytest.mark.parametrize("ext,mime", IMAGE_CASES)
def test_images_are_recognised_by_their_bytes(ext, mime):
    data = make_image_bytes(np.full((64, 80, 3), 90, np.uint8), ext)  # JPEG 2000 wants >= 64 px
    assert sniff(data[:SNIFF_BYTES]) == ("image", mime)
    assert extension_for(mime) != ".bin"


@pytest.mark.parametrize("container_format,codec,mime", VIDEO_CASES)
def test_videos_are_recognised_by_their_bytes(container_format, codec, mime):
    assert sniff(encode_video(container_format, codec)[:SNIFF_BYTES]) == ("video", mime)


def test_opencv_mp4v_video_is_mp4(tmp_path):
    path = make_index_video(tmp_path / "a.mp4", 3)
    assert sniff(path.read_bytes()[:SNIFF_BYTES]) == ("video", "video/mp4")


def test_empty_input_is_empty_media():
    with pytest.raises(NotMedia) as caught:
        sniff(b"")
    assert (caught.value.code, caught.value.status) == ("empty_media", 415)


@pytest.mark.parametrize("data", [
    b"<!doctype html><html><body>a page</body></html>",
    b"%PDF-1.7\n" + b"x" * 600,
    b"BM but not a bitmap at all, just text starting with BM",
    b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40,
    b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom" + b"\x00" * 20,
    b"G" + b"." * 600,  # one MPEG-TS sync byte is not enough
    bytes(range(256)) * 2,
])
def test_other_bytes_are_not_media(data):
    with pytest.raises(NotMedia) as caught:
        sniff(data)
    assert (caught.value.code, caught.value.status) == ("not_media", 415)


def test_heic_is_named_as_unsupported():
    with pytest.raises(NotMedia) as caught:
        sniff(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 40)
    assert caught.value.code == "unsupported_media"


def test_only_the_bytes_decide_not_the_name_or_a_claimed_type():
    jpeg = make_jpeg_bytes()
    assert sniff(jpeg) == sniff(jpeg[:SNIFF_BYTES]) == ("image", "image/jpeg")
    assert sniff(jpeg[:3]) == ("image", "image/jpeg")
