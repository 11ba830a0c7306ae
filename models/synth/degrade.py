"""The damage media suffers on the web: JPEG at any quality, downscaling, blur, noise, colour grades, tight cuts."""
from __future__ import annotations

import cv2
import numpy as np


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """Re-encode an RGB uint8 image as JPEG at `quality`."""
    ok, buf = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].copy()


def downscale(image: np.ndarray, factor: float, enlarge: int = cv2.INTER_LINEAR) -> np.ndarray:
    """Shrink by `factor` then enlarge back (by the `enlarge` filter), losing detail as a small upload does."""
    h, w = image.shape[:2]
    small = cv2.resize(image, (max(8, int(w * factor)), max(8, int(h * factor))), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=enlarge)


def random_degrade(image: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Apply a random chain of web damage; `strength` in [0, 1] scales how often each happens."""
    out = image
    if rng.random() < 0.3 * strength:
        out = downscale(out, rng.uniform(0.4, 0.9))
    if rng.random() < 0.2 * strength:
        sigma = rng.uniform(0.3, 1.5)
        out = cv2.GaussianBlur(out, (0, 0), sigma)
    if rng.random() < 0.2 * strength:
        noise = rng.normal(0, rng.uniform(1, 6), out.shape)
        out = np.clip(out.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.6 * strength:
        out = jpeg(out, int(rng.integers(40, 96)))
    return np.ascontiguousarray(out)


# Resampling filters a web pipeline may use; chosen at random so no class owns one.
RESIZE_FILTERS = (cv2.INTER_AREA, cv2.INTER_LINEAR, cv2.INTER_CUBIC, cv2.INTER_LANCZOS4)


def tone_shift(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random colour grade: a cast (per-channel gain), a gamma and a saturation change, as film
    stocks, white balance and phone filters give."""
    out = image.astype(np.float32) / 255.0
    out = out * rng.uniform(0.85, 1.15, size=3).astype(np.float32)
    out = np.clip(out, 0.0, 1.0) ** float(rng.uniform(0.7, 1.4))
    grey = out.mean(axis=2, keepdims=True)
    out = grey + (out - grey) * float(rng.uniform(0.5, 1.5))
    return np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)


def blow_up(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A small copy (0.3-0.7 of the size) enlarged back to the original size by a smooth filter."""
    factor = float(rng.uniform(0.3, 0.7))
    return downscale(image, factor, RESIZE_FILTERS[int(rng.integers(1, len(RESIZE_FILTERS)))])


# A face blur's Gaussian sigma, in face sides / FACE_BLUR_UNIT: the same look at every face size
# (1 is a soft focus, 3 leaves little more than the face's shape).
FACE_BLUR_UNIT = 128.0
FACE_BLUR_SIGMA = (0.3, 3.2)


def blur_face(image: np.ndarray, face_side: float, level: float) -> np.ndarray:
    """The image under a Gaussian blur of sigma `level` x face_side / FACE_BLUR_UNIT (level 0: itself)."""
    if level <= 0:
        return image
    return cv2.GaussianBlur(image, (0, 0), max(float(level) * float(face_side) / FACE_BLUR_UNIT, 0.1))


def face_blur(image: np.ndarray, face_side: float, rng: np.random.Generator) -> np.ndarray:
    """The image out of focus, or a small face blown up, by a random blur scaled to its face's side."""
    return blur_face(image, face_side, float(rng.uniform(*FACE_BLUR_SIGMA)))


# A shallow depth of field: the background's Gaussian sigma in face sides, and the sharp head's
# half-axes in face box widths and heights (the hair above the face included).
FOCUS_SIGMA = (0.02, 0.12)
FOCUS_AXES = ((0.65, 1.0), (0.85, 1.3))


def head_mask(shape: tuple[int, int], face_box, rng: np.random.Generator) -> np.ndarray:
    """float32 (H, W) soft ellipse over the head around a face box (x, y, w, h): 1 on the head, 0 far off."""
    x, y, w, h = (float(v) for v in face_box)
    centre = (int(round(x + w / 2)), int(round(y + h / 2 - 0.15 * h)))
    axes = (max(2, int(w * rng.uniform(*FOCUS_AXES[0]))), max(2, int(h * rng.uniform(*FOCUS_AXES[1]))))
    mask = np.zeros(shape, dtype=np.float32)
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 1.0, -1)
    return cv2.GaussianBlur(mask, (0, 0), max(0.12 * min(w, h), 1.0))


def depth_of_field(image: np.ndarray, face_box, rng: np.random.Generator) -> np.ndarray:
    """The photo with its background out of focus and the head sharp, as portrait modes and long
    lenses take people: the blur grows away from the head (`head_mask`), never inside the face."""
    side = max(min(float(face_box[2]), float(face_box[3])), 1.0)
    background = cv2.GaussianBlur(image, (0, 0), max(float(rng.uniform(*FOCUS_SIGMA)) * side, 0.5))
    mask = head_mask(image.shape[:2], face_box, rng)[..., None]
    return np.clip(image * mask + background * (1.0 - mask) + 0.5, 0, 255).astype(np.uint8)


GRAIN_SIGMA = (1.5, 8.0)  # sensor noise or film grain, in 8-bit levels


def grain(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sensor noise or film grain over the whole picture: Gaussian, of one random strength, in
    brightness only or in every channel apart."""
    sigma = float(rng.uniform(*GRAIN_SIGMA))
    channels = 1 if rng.random() < 0.5 else 3
    noise = rng.normal(0.0, sigma, size=image.shape[:2] + (channels,)).astype(np.float32)
    return np.clip(image.astype(np.float32) + noise + 0.5, 0, 255).astype(np.uint8)


SMOOTH_COLOUR = (15.0, 70.0)  # the bilateral filter's colour sigma, in 8-bit levels
SMOOTH_SPACE = (0.02, 0.06)   # ... and its space sigma, in face sides


def smooth_picture(image: np.ndarray, face_side: float, colour: float, space: float = 0.05,
                   passes: int = 2) -> np.ndarray:
    """The whole picture under `passes` bilateral filters: colour sigma `colour` (8-bit levels),
    space sigma `space` face sides; skin turns flat while edges stay sharp."""
    sigma = max(float(space) * float(face_side), 1.0)
    diameter = int(min(max(3, int(2 * sigma) | 1), 25))
    out = np.ascontiguousarray(image)
    for _ in range(int(passes)):
        out = cv2.bilateralFilter(out, diameter, float(colour), sigma)
    return out


def smoothing(image: np.ndarray, face_side: float, rng: np.random.Generator) -> np.ndarray:
    """The whole picture smoothed by an edge-preserving filter of random strength (`smooth_picture`),
    as beauty filters, phone denoising and heavy re-compression leave skin: flat, with sharp edges."""
    space, colour = float(rng.uniform(*SMOOTH_SPACE)), float(rng.uniform(*SMOOTH_COLOUR))
    return smooth_picture(image, face_side, colour, space, int(rng.integers(1, 3)))


SHARPEN_SIGMA = (0.6, 2.0)   # an unsharp mask's radius (Gaussian sigma), in pixels
SHARPEN_AMOUNT = (0.5, 2.5)  # ... and its strength: the share of the detail added back


def sharpen_picture(image: np.ndarray, amount: float, sigma: float = 1.0) -> np.ndarray:
    """The whole picture under an unsharp mask: `amount` x (picture - its blur of `sigma` px) added
    back, the halo along every edge that editors, phones and sites leave (amount 0: itself)."""
    if amount <= 0:
        return image
    soft = cv2.GaussianBlur(image.astype(np.float32), (0, 0), max(float(sigma), 0.1))
    return np.clip(image + float(amount) * (image - soft) + 0.5, 0, 255).astype(np.uint8)


def sharpening(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The whole picture sharpened by an unsharp mask of random radius and strength (`sharpen_picture`)."""
    return sharpen_picture(image, float(rng.uniform(*SHARPEN_AMOUNT)), float(rng.uniform(*SHARPEN_SIGMA)))


def photo_damage(image: np.ndarray, rng: np.random.Generator, tone: float = 0.0,
                 upscaled: float = 0.0, blurred: float = 0.0,
                 face_side: float | None = None, focus: float = 0.0, grainy: float = 0.0,
                 smooth: float = 0.0, face_box=None, sharp: float = 0.0) -> tuple[np.ndarray, float]:
    """What a photo meets between camera (or generator) and page, at random, the same for real and
    fake: black-and-white, a resize kept at its new size (any filter), blur, JPEG at any quality;
    with probability `tone` a colour grade first, with probability `focus` (given the face's box) a
    background out of focus (`depth_of_field`), with probability `upscaled` a shrink and enlarge
    back (a small copy blown up, as film stills and reposts are), with probability `blurred` (given
    the face's side in pixels) a blur scaled to the face (`face_blur`: soft focus, motion, a still),
    with probability `smooth` (given the face's side) an edge-preserving smoothing (`smoothing`),
    with probability `grainy` sensor noise or film grain (`grain`), with probability `sharp` an
    unsharp mask (`sharpening`).
    Extras left at 0 draw nothing, so older configs see the same random stream.
    Returns the damaged image and its scale against the input (to move face boxes along)."""
    out, scale = image, 1.0
    if tone and rng.random() < tone:
        out = tone_shift(out, rng)
    if focus and face_box is not None and rng.random() < focus:
        out = depth_of_field(out, face_box, rng)
    if upscaled and rng.random() < upscaled:
        out = blow_up(out, rng)
    if blurred and face_side and rng.random() < blurred:
        out = face_blur(out, face_side, rng)
    if smooth and face_side and rng.random() < smooth:
        out = smoothing(out, face_side, rng)
    if grainy and rng.random() < grainy:
        out = grain(out, rng)
    if sharp and rng.random() < sharp:
        out = sharpening(out, rng)
    if rng.random() < 0.15:
        grey = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)
        out = np.repeat(grey[..., None], 3, axis=2)
    roll = rng.random()
    if roll < 0.45:
        scale = float(rng.uniform(0.45, 0.95))
    elif roll < 0.55:
        scale = float(rng.uniform(1.05, 1.6))
    if scale != 1.0:
        h, w = out.shape[:2]
        size = (max(8, int(round(w * scale))), max(8, int(round(h * scale))))
        out = cv2.resize(out, size, interpolation=RESIZE_FILTERS[int(rng.integers(len(RESIZE_FILTERS)))])
        scale = size[0] / w
    if rng.random() < 0.1:
        out = cv2.GaussianBlur(out, (0, 0), float(rng.uniform(0.3, 1.2)))
    if rng.random() < 0.8:
        out = jpeg(out, int(rng.integers(55, 99)))
    return np.ascontiguousarray(out), scale


def tight_window(box, shape: tuple[int, int], rng: np.random.Generator) -> tuple[int, int, int, int]:
    """A crop window around a face box as thumbnails, profile pictures and film-still crops cut it:
    1.0-1.5 x the box on each side, shifted up to a tenth of it; (left, top, right, bottom) inside
    an image of `shape` (rows, columns)."""
    x, y, w, h = (float(v) for v in box)
    grow, shift = rng.uniform(1.0, 1.5, size=2), rng.uniform(-0.1, 0.1, size=2)
    cx, cy = x + w / 2 + shift[0] * w, y + h / 2 + shift[1] * h
    left, right = int(round(max(0.0, cx - grow[0] * w / 2))), int(round(min(shape[1], cx + grow[0] * w / 2)))
    top, bottom = int(round(max(0.0, cy - grow[1] * h / 2))), int(round(min(shape[0], cy + grow[1] * h / 2)))
    return left, top, min(shape[1], max(right, left + 8)), min(shape[0], max(bottom, top + 8))


def shrink_face(image: np.ndarray, box, sides: tuple[float, float], rng: np.random.Generator
                ) -> tuple[np.ndarray, float]:
    """The image resized (any filter) so the face box's shorter side is a random size in `sides` px,
    as a thumbnail or a distant face shows it; unchanged when the face is that small already.
    Returns the image and its scale against the input."""
    factor = float(rng.uniform(*sides)) / max(min(float(box[2]), float(box[3])), 1.0)
    if factor >= 1.0:
        return image, 1.0
    h, w = image.shape[:2]
    size = (max(8, int(round(w * factor))), max(8, int(round(h * factor))))
    out = cv2.resize(image, size, interpolation=RESIZE_FILTERS[int(rng.integers(len(RESIZE_FILTERS)))])
    return out, size[0] / w
