"""Media fixtures the tests make themselves: JPEG/PNG bytes, face videos, videos whose frames carry their index."""
from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
from skimage import data

INDEX_BITS = 12  # frame indices up to 4095 fit in the bar code
FACE_BOX = (10, 250, 125, 345)  # rows and columns of the astronaut's head (with some margin)


def astronaut_head() -> np.ndarray:
    """The astronaut's head and shoulders (RGB uint8, 240x220), a real face for detectors."""
    top, bottom, left, right = FACE_BOX
    return data.astronaut()[top:bottom, left:right].copy()


def make_jpeg_bytes(image: np.ndarray | None = None, quality: int = 90, exif_orientation: int | None = None) -> bytes:
    """`image` (RGB, default the astronaut) as JPEG bytes, optionally with an EXIF orientation tag."""
    image = data.astronaut() if image is None else image
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    jpeg = encoded.tobytes()
    if exif_orientation is None:
        return jpeg
    tiff = (b"MM\x00*" + struct.pack(">IH", 8, 1) + struct.pack(">HHIHH", 0x0112, 3, 1, exif_orientation, 0)
            + struct.pack(">I", 0))
    app1 = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:]


def make_image_bytes(image: np.ndarray, ext: str) -> bytes:
    """`image` (RGB, RGBA, or grey) encoded by OpenCV in the format of `ext` (".png", ".webp", ...)."""
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA)
    elif image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(ext, image)
    assert ok, ext
    return encoded.tobytes()


def make_face_video(path: str | Path, seconds: float = 2.0, size: tuple[int, int] = (640, 360),
                    fps: float = 25.0, flicker: float = 0.0, seed: int = 0) -> Path:
    """An mp4v video of the astronaut's head gliding across a grey background (size is width, height).

    With `flicker` > 0 the face is "swapped" frame by frame the way a per-frame pipeline does it:
    a blurred oval over the face gets a new colour gain (about +-flicker), offset and outline on
    every frame, so the face's colour and blending boundary jitter over time.
    """
    width, height = size
    head = astronaut_head()
    scale = min(1.0, 0.8 * height / head.shape[0], 0.5 * width / head.shape[1])
    head = cv2.resize(head, (round(head.shape[1] * scale), round(head.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(seed)
    n = max(1, round(seconds * fps))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    assert writer.isOpened(), path
    for i in range(n):
        frame = np.full((height, width, 3), 128, np.uint8)
        x = round((width - head.shape[1]) * (0.5 + 0.4 * np.sin(2 * np.pi * i / max(n, 2))))
        y = (height - head.shape[0]) // 2
        face = head if flicker <= 0 else _flickered(head, flicker, rng)
        frame[y:y + head.shape[0], x:x + head.shape[1]] = face
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return Path(path)


def _flickered(head: np.ndarray, amount: float, rng: np.random.Generator) -> np.ndarray:
    """The head with its face region recoloured through a jittered, blurred oval (one frame's blend)."""
    h, w = head.shape[:2]
    mask = np.zeros((h, w), np.float32)
    centre = (round(w * (0.5 + rng.uniform(-0.03, 0.03))), round(h * (0.42 + rng.uniform(-0.03, 0.03))))
    axes = (round(w * rng.uniform(0.22, 0.28)), round(h * rng.uniform(0.26, 0.32)))
    cv2.ellipse(mask, centre, axes, rng.uniform(-10, 10), 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), w * 0.03)[..., None]
    gain = 1.0 + rng.uniform(-amount, amount, size=3)
    recoloured = np.clip(head.astype(np.float32) * gain, 0, 255)
    return (head * (1 - mask) + recoloured * mask).round().astype(np.uint8)


def index_frame(index: int, size: tuple[int, int]) -> np.ndarray:
    """An RGB frame whose top half is a bar code of `index` (white column = 1) and bottom half a shade."""
    width, height = size
    frame = np.zeros((height, width, 3), np.uint8)
    for bit in range(INDEX_BITS):
        if index >> bit & 1:
            frame[: height // 2, bit * width // INDEX_BITS:(bit + 1) * width // INDEX_BITS] = 255
    frame[height // 2:] = (index * 37) % 200 + 30
    return frame


def read_frame_index(image: np.ndarray) -> int:
    """The index an `index_frame` carries, read back from a decoded (lossy) frame."""
    height, width = image.shape[:2]
    row = image[height // 4]
    return sum(1 << bit for bit in range(INDEX_BITS)
               if row[(2 * bit + 1) * width // (2 * INDEX_BITS)].mean() > 128)


def make_index_video(path: str | Path, n_frames: int, size: tuple[int, int] = (320, 240), fps: float = 30.0,
                     gop: int | None = None) -> Path:
    """A video whose frame i shows `index_frame(i)`.

    gop=None: OpenCV's mp4v writer (MPEG-4 part 2, a key frame every 12 frames, no B-frames).
    gop=N: H.264 through PyAV with a key frame exactly every N frames and B-frames, like web videos;
    OpenCV's writer cannot set the key frame interval (VIDEOWRITER_PROP_KEY_INTERVAL only applies to
    raw stream muxing), hence PyAV.
    """
    if gop is None:
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        assert writer.isOpened(), path
        for i in range(n_frames):
            writer.write(cv2.cvtColor(index_frame(i, size), cv2.COLOR_RGB2BGR))
        writer.release()
        return Path(path)
    return _write_h264(Path(path), (index_frame(i, size) for i in range(n_frames)), size, fps, gop)


def _write_h264(path: Path, frames, size: tuple[int, int], fps: float, gop: int) -> Path:
    """Encode RGB frames as H.264 (superfast preset, B-frames on, no scene-cut key frames)."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.codec_context.gop_size = gop
        stream.options = {"preset": "superfast", "crf": "23", "sc_threshold": "0", "keyint_min": str(gop),
                          "bf": "2"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def make_long_video(path: str | Path, seconds: float, fps: float = 0.1, size: tuple[int, int] = (32, 32)) -> Path:
    """A cheap video lasting `seconds` (a few frames at a very low frame rate)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    assert writer.isOpened(), path
    for i in range(max(1, round(seconds * fps))):
        writer.write(np.full((size[1], size[0], 3), i % 256, np.uint8))
    writer.release()
    return Path(path)
