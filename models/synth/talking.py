"""Pseudo-fakes that behave like today's video generators, made from real frames.

Talking-head generators do not flicker the way a per-frame face swap does. They leave other
traces over time, and these make them from real media so a temporal detector can learn them:

- `lip_sync`: the mouth of every frame replaced by the mouth of another moment of the same person
  (a different stretch of speech), often softer than the face around it, as a lip-sync model
  re-renders only the lower face;
- `animate_still`: one still's pixels warped over time: the head sways and the jaw opens, but the
  texture, the eyes and the hair never change (a face animated from one photo);
- `clip_damage`: one random damage (resize by any of four filters, blur, black-and-white, then
  H.264 at a random quality over the whole clip, or JPEG per frame) drawn once per clip and applied
  alike to real and fake clips: a model that learns a codec's traces over time learns nothing useful.

Frames are RGB uint8 (H, W, 3); keypoints are the serving face detector's four (eye on the image's
left, eye on the image's right, nose, mouth centre) in frame pixels.
"""
from __future__ import annotations

from typing import Callable, Sequence

import cv2
import numpy as np

from models.faces.align import TEMPLATE_WEIGHTS, similarity_transform
from models.synth.degrade import RESIZE_FILTERS, jpeg


def eye_distance(keypoints: np.ndarray) -> float:
    """Distance between the two eye keypoints, in pixels (at least 1)."""
    return max(1.0, float(np.linalg.norm(keypoints[1] - keypoints[0])))


def mouth_mask(keypoints: np.ndarray, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """float32 (H, W) feathered ellipse over the mouth and chin, the area a lip-sync model re-renders."""
    iod = eye_distance(keypoints)
    centre = keypoints[3] + np.array([0.0, rng.uniform(0.05, 0.2)]) * iod
    axes = (max(2, int(iod * rng.uniform(0.45, 0.65))), max(2, int(iod * rng.uniform(0.28, 0.45))))
    angle = float(np.degrees(np.arctan2(*(keypoints[1] - keypoints[0])[::-1])))
    mask = np.zeros(shape, dtype=np.float32)
    cv2.ellipse(mask, (int(round(centre[0])), int(round(centre[1]))), axes, angle, 0, 360, 1.0, -1)
    sigma = max(0.5, iod * rng.uniform(0.06, 0.14))
    return cv2.GaussianBlur(mask, (0, 0), sigma)


def _colour_matched(patch: np.ndarray, target: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """`patch` shifted and scaled per channel to `target`'s mean and spread under `weight`."""
    w = weight[..., None] / max(float(weight.sum()), 1e-6)
    out = patch.astype(np.float32)
    ref = target.astype(np.float32)
    mean_p, mean_t = (out * w).sum((0, 1)), (ref * w).sum((0, 1))
    std_p = np.sqrt(((out - mean_p) ** 2 * w).sum((0, 1))) + 1e-3
    std_t = np.sqrt(((ref - mean_t) ** 2 * w).sum((0, 1))) + 1e-3
    return (out - mean_p) * np.clip(std_t / std_p, 0.5, 2.0) + mean_t


def _softened(image: np.ndarray, factor: float, sigma: float) -> np.ndarray:
    """`image` rendered at `factor` of its size and brought back (a low-resolution generator), then blurred."""
    out = image
    if factor < 0.99:
        h, w = image.shape[:2]
        small = cv2.resize(image, (max(1, int(w * factor)), max(1, int(h * factor))), interpolation=cv2.INTER_AREA)
        out = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.GaussianBlur(out, (0, 0), sigma) if sigma > 0.05 else out


def lip_sync(frames: Sequence[np.ndarray], keypoints: np.ndarray, donors: Sequence[np.ndarray],
             donor_keypoints: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """Each frame with the mouth of the matching donor frame (the same person at another moment),
    aligned on the keypoints, colour-matched, softened and blended in a feathered ellipse."""
    if len(donors) < len(frames):
        raise ValueError("lip_sync needs a donor frame for every frame")
    factor = float(rng.uniform(0.35, 1.0))
    sigma = float(rng.uniform(0.0, 1.2))
    mask_seed = int(rng.integers(0, 2**31))
    out = []
    for frame, kp, donor, donor_kp in zip(frames, keypoints, donors, donor_keypoints):
        h, w = frame.shape[:2]
        matrix = similarity_transform(np.asarray(donor_kp, float), np.asarray(kp, float), TEMPLATE_WEIGHTS)
        moved = cv2.warpAffine(donor, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
        mask = mouth_mask(np.asarray(kp, float), (h, w), np.random.default_rng(mask_seed))
        mouth = _colour_matched(_softened(moved, factor, sigma), frame, mask)
        blended = frame * (1 - mask[..., None]) + mouth * mask[..., None]
        out.append(np.clip(np.rint(blended), 0, 255).astype(np.uint8))
    return out


def speech_signal(rng: np.random.Generator, length: int, fps: float = 25.0) -> np.ndarray:
    """(length,) mouth opening in [0, 1]: syllables of 3-6 Hz with pauses, smooth over frames."""
    t = np.arange(length) / fps
    rate = rng.uniform(3.0, 6.0)
    phase = rng.uniform(0, 2 * np.pi)
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.3, 1.0) * t + rng.uniform(0, 2 * np.pi))
    return np.clip(np.abs(np.sin(np.pi * rate * t + phase)) * envelope * rng.uniform(0.6, 1.0), 0.0, 1.0)


def animate_still(image: np.ndarray, keypoints: np.ndarray, rng: np.random.Generator, length: int,
                  fps: float = 25.0) -> list[np.ndarray]:
    """`length` frames of one still whose face is warped over time: a sway of the head (rotation and
    shift, fading out into a background that stays put) and a jaw that opens with a speech rhythm."""
    h, w = image.shape[:2]
    kp = np.asarray(keypoints, dtype=np.float64)
    iod = eye_distance(kp)
    centre = kp[:2].mean(0) * 0.5 + kp[3] * 0.5
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    head = np.exp(-(((xs - centre[0]) ** 2 + (ys - centre[1]) ** 2) / (2 * (1.4 * iod) ** 2)))
    jaw_x, jaw_y = kp[3][0], kp[3][1] + 0.15 * iod
    jaw = np.exp(-(((xs - jaw_x) ** 2) / (2 * (0.8 * iod) ** 2) + ((ys - jaw_y - 0.4 * iod) ** 2) / (2 * (0.6 * iod) ** 2)))
    jaw *= 1.0 / (1.0 + np.exp(-(ys - jaw_y) / (0.06 * iod)))  # only below the mouth's centre line
    u = np.arange(length) / fps
    sway = np.deg2rad(rng.uniform(1.0, 4.0)) * np.sin(2 * np.pi * rng.uniform(0.2, 0.8) * u + rng.uniform(0, 6.3))
    nod = rng.uniform(0.01, 0.05) * iod * np.sin(2 * np.pi * rng.uniform(0.2, 0.8) * u + rng.uniform(0, 6.3))
    opening = speech_signal(rng, length, fps) * rng.uniform(0.12, 0.3) * iod
    frames = []
    for t in range(length):
        cos, sin = np.cos(sway[t]), np.sin(sway[t])
        rx, ry = xs - centre[0], ys - centre[1]
        dx = (cos * rx - sin * ry - rx) * head
        dy = (sin * rx + cos * ry - ry + nod[t]) * head + opening[t] * jaw
        map_x, map_y = (xs - dx).astype(np.float32), (ys - dy).astype(np.float32)
        frames.append(cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101))
    return frames


def h264_round_trip(frames: Sequence[np.ndarray], crf: int, preset: str, fps: float = 25.0) -> list[np.ndarray]:
    """Frames encoded as H.264 (yuv420p, even sides) at `crf` and decoded again, as a video upload would be."""
    import io
    from fractions import Fraction

    import av

    h, w = frames[0].shape[:2]
    even = [np.ascontiguousarray(f[:h // 2 * 2, :w // 2 * 2]) for f in frames]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = even[0].shape[1], even[0].shape[0], "yuv420p"
        stream.options = {"crf": str(crf), "preset": preset, "threads": "1"}  # one thread: the same bytes every time
        for frame in even:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    buffer.seek(0)
    with av.open(buffer, "r") as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def clip_damage(rng: np.random.Generator) -> Callable[[Sequence[np.ndarray]], list[np.ndarray]]:
    """One random damage for a whole clip, the same for real and fake alike: black-and-white, a resize
    by any of four filters, blur, then (most often) H.264 at a random quality over the clip, else JPEG
    on each frame. The codec's own traces over time are part of every clip, of both classes."""
    grey = rng.random() < 0.1
    roll = rng.random()
    scale = float(rng.uniform(0.5, 0.95)) if roll < 0.35 else float(rng.uniform(1.05, 1.5)) if roll < 0.5 else 1.0
    resize_filter = RESIZE_FILTERS[int(rng.integers(len(RESIZE_FILTERS)))]
    sigma = float(rng.uniform(0.3, 1.0)) if rng.random() < 0.15 else 0.0
    codec = rng.random()
    crf, preset = int(rng.integers(18, 36)), str(rng.choice(["ultrafast", "veryfast", "medium"]))
    quality = int(rng.integers(60, 96))

    def frame_damage(frame: np.ndarray) -> np.ndarray:
        """The clip's damage on one frame, before the codec."""
        out = frame
        if grey:
            out = np.repeat(cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
        if scale != 1.0:
            h, w = out.shape[:2]
            out = cv2.resize(out, (max(8, int(round(w * scale))), max(8, int(round(h * scale)))),
                             interpolation=resize_filter)
        if sigma:
            out = cv2.GaussianBlur(out, (0, 0), sigma)
        return jpeg(out, quality) if 0.75 <= codec < 0.95 else np.ascontiguousarray(out)

    def damage(frames: Sequence[np.ndarray]) -> list[np.ndarray]:
        """The clip's damage applied to its frames."""
        out = [frame_damage(f) for f in frames]
        return h264_round_trip(out, crf, preset) if codec < 0.75 and out else out

    return damage
