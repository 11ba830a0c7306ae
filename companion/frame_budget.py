"""The pixel budget of a `frames` request: checked from the frames' headers before the job is queued,
and kept while decoding (one frame at a time, each shrunk before the next is decoded)."""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from companion.errors import TooLarge, Undecodable

# Pixels all kept frames of one request may hold together after shrinking (32 M pixels = 96 MB of RGB).
KEEP_PIXELS = 32_000_000
# No kept frame is longer than this (the same bound as video frames).
MAX_SIDE = 2560


def check_frame_sizes(frames: Sequence[bytes], config: Mapping[str, Any]) -> list[tuple[int, int]]:
    """(width, height) of each frame from its header; 413 image_too_large / frames_too_large over the limits."""
    from models.serving.imageio_safe import ImageDecodeError, image_size

    max_image, budget = int(config["MAX_IMAGE_PIXELS"]), int(config["MAX_FRAMES_PIXELS"])
    sizes, total = [], 0
    for position, data in enumerate(frames):
        try:
            width, height = image_size(data)
        except ImageDecodeError as exc:
            raise Undecodable(f"frames[{position}] cannot be decoded: {exc}", code="undecodable_image") from None
        if width * height > max_image:
            raise TooLarge(f"frames[{position}] is {width}x{height} pixels; the limit is {max_image:,} "
                           "(MAX_IMAGE_PIXELS)", code="image_too_large")
        total += width * height
        if total > budget:
            raise TooLarge(f"the frames add up to more than {budget:,} pixels (MAX_FRAMES_PIXELS); send fewer or "
                           "smaller frames", code="frames_too_large")
        sizes.append((width, height))
    return sizes


def keep_scale(width: int, height: int, count: int) -> float:
    """The factor (<= 1) a frame of `count` is shrunk by so that all kept frames fit KEEP_PIXELS and MAX_SIDE."""
    share = KEEP_PIXELS / max(1, count)
    return min(1.0, MAX_SIDE / max(width, height), math.sqrt(share / max(1, width * height)))


def decode_frames(frames: Sequence[bytes], config: Mapping[str, Any], decode: Callable[[bytes, int], np.ndarray]
                  ) -> tuple[list[np.ndarray], list[float], tuple[int, int]]:
    """Decode frames one by one, shrinking each before the next: (images, source pixels per kept pixel,
    the first frame's own size). `decode(data, keep_pixels)` may already return the frame shrunk."""
    import cv2

    sizes = check_frame_sizes(frames, config)
    images, scales, first = [], [], None
    for data, (header_width, header_height) in zip(frames, sizes):
        factor = keep_scale(header_width, header_height, len(frames))
        image = decode(data, max(1, int(factor ** 2 * header_width * header_height)))
        decoded_height, decoded_width = image.shape[:2]
        turned = (decoded_width >= decoded_height) != (header_width >= header_height)  # EXIF orientation
        width, height = (header_height, header_width) if turned else (header_width, header_height)
        target = (max(1, round(width * factor)), max(1, round(height * factor)))
        if decoded_width > target[0] + 1:  # the decoder did not shrink it (enough)
            image = cv2.resize(image, target, interpolation=cv2.INTER_AREA)
        first = first or (width, height)
        images.append(image)
        scales.append(width / image.shape[1])
    return images, scales, first or (0, 0)
