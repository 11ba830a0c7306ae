"""What a result shows beside the score: each face's thumbnail and known weak cases, each video frame's thumbnail.

The pipeline hands the face detector wrapped in a `Recorder`: while `find_faces` reads every frame,
the recorder sees the frame and the faces found in it, and keeps, per face, a small JPEG of the face
(a square around its box, as people recognise it) and the known weak cases of the detectors, from
cheap statistics of that region and the face's keypoints:

* ``grayscale``: the face has (almost) no colour (black-and-white photos and films);
* ``small``: the face is under ``SMALL_FACE_PX`` pixels on its shorter side;
* ``blurred``: little fine detail (variance of the Laplacian on the face, at a fixed size);
* ``compressed``: strong 8x8 block edges (heavy JPEG / video compression);
* ``turned``: the face is turned away (the nose far off the middle of the eyes);
* ``brief``: in a video, the person was scored in too few frames to call it likely fake alone
  (`models.serving.aggregate.is_brief`; their score is held below the fake band).

For videos (and browser-captured frames) it also keeps a thumbnail of each analysed frame.
`annotate` then adds these to the aggregated result: ``faces[i].thumbnail`` (a data: URI) and
``faces[i].weak`` (a list of the names above), ``frames[i].thumbnail``, and ``bands``.
"""
from __future__ import annotations

import base64
from typing import Any, Sequence

import cv2
import numpy as np

from models.faces.quality import gray, sharpness

WEAK_CASES = ("grayscale", "small", "blurred", "compressed", "turned", "brief")
SMALL_FACE_PX = 80
GRAY_CHROMA = 4.0  # mean |channel - mean of channels| below this (0..255) reads as black-and-white
BLUR_VARIANCE = 60.0  # models.faces.quality.sharpness of the face below this reads as blurred
BLOCKINESS = 1.6  # mean step across 8x8 block edges over the step inside blocks above this: heavy compression
TURNED_RATIO = 0.35  # nose's offset from the eyes' middle, in inter-ocular distances
FACE_THUMB_PX = 96
FRAME_THUMB_WIDTH = 160
THUMB_QUALITY = 80


def jpeg_data_uri(image: np.ndarray, quality: int = THUMB_QUALITY) -> str:
    """An RGB uint8 image as a data:image/jpeg;base64 URI."""
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("the thumbnail cannot be encoded")
    return "data:image/jpeg;base64," + base64.b64encode(encoded.tobytes()).decode("ascii")


def face_region(image: np.ndarray, box: Sequence[float], margin: float = 0.2) -> np.ndarray:
    """The square around a face box (x, y, w, h), grown by `margin` on each side, kept inside the image."""
    height, width = image.shape[:2]
    x, y, w, h = (float(v) for v in box)
    side = min(max(w, h) * (1 + 2 * margin), width, height)
    cx, cy = x + w / 2, y + h / 2
    left = int(round(min(max(0.0, cx - side / 2), width - side)))
    top = int(round(min(max(0.0, cy - side / 2), height - side)))
    side = max(1, int(round(side)))
    return image[top:top + side, left:left + side]


def is_grayscale(region: np.ndarray) -> bool:
    """Whether a region has (almost) no colour."""
    if region.ndim < 3 or region.shape[2] < 3 or region.size == 0:
        return True
    rgb = region[..., :3].astype(np.float32)
    chroma = np.abs(rgb - rgb.mean(axis=2, keepdims=True)).mean()
    return bool(chroma < GRAY_CHROMA)


def blockiness(region: np.ndarray) -> float:
    """Mean step across 8-pixel block edges over the mean step inside blocks (about 1: no block grid).

    Measured on the region in its own pixels (the grid of a JPEG or a video codec is in those), on the
    horizontal and vertical neighbour differences.
    """
    grey = gray(region)
    if grey.shape[0] < 24 or grey.shape[1] < 24:
        return 1.0
    ratios = []
    for diffs in (np.abs(np.diff(grey, axis=1)), np.abs(np.diff(grey, axis=0)).T):
        columns = diffs.mean(axis=0)  # step between column j and j + 1
        positions = np.arange(columns.shape[0])
        # The grid's phase is unknown for a crop: take the phase with the strongest edges.
        by_phase = [columns[positions % 8 == phase].mean() for phase in range(8)]
        edge = max(by_phase)
        inside = (sum(by_phase) - edge) / 7
        ratios.append(edge / max(inside, 1e-3))
    return float(np.mean(ratios))


def is_turned(keypoints: Any) -> bool:
    """Whether the four alignment keypoints (eye, eye, nose tip, mouth) show a face turned away."""
    if keypoints is None:
        return False
    points = np.asarray(keypoints, dtype=np.float64).reshape(-1, 2)
    if points.shape[0] < 3:
        return False
    eye_a, eye_b, nose = points[0], points[1], points[2]
    distance = float(np.linalg.norm(eye_b - eye_a))
    if distance < 1e-6:
        return True
    middle = (eye_a + eye_b) / 2
    axis = (eye_b - eye_a) / distance
    return bool(abs(float(np.dot(nose - middle, axis))) / distance > TURNED_RATIO)


def weak_cases(region: np.ndarray, box: Sequence[float], keypoints: Any = None) -> list[str]:
    """The known weak cases of one face: its region of the frame, its box in source pixels, its keypoints."""
    flags = []
    if is_grayscale(region):
        flags.append("grayscale")
    if min(float(box[2]), float(box[3])) < SMALL_FACE_PX:
        flags.append("small")
    if sharpness(region) < BLUR_VARIANCE:
        flags.append("blurred")
    if blockiness(region) > BLOCKINESS:
        flags.append("compressed")
    if is_turned(keypoints):
        flags.append("turned")
    return flags


class Recorder:
    """The face detector, seeing each frame on its way: faces' thumbnails and weak cases, frames' thumbnails.

    Frames come in the order `find_faces` reads them; `scales[i]` is the source pixels per analysed
    pixel of frame i (as find_faces reports boxes), so the recorded boxes match the found ones exactly.
    """

    def __init__(self, detector, scales: Sequence[float] | None = None, frame_thumbnails: bool = False):
        self.detector = detector
        self.scales = scales
        self.frame_thumbnails = frame_thumbnails
        self.faces: dict[tuple, dict] = {}  # (frame position, source box) -> {thumbnail, weak}
        self.frames: list[str | None] = []

    def __getattr__(self, name):
        """Anything else is the wrapped detector's."""
        return getattr(self.detector, name)

    def detect(self, image: np.ndarray):
        """The wrapped detector's faces; records what the result shows about them and the frame."""
        faces = self.detector.detect(image)
        position = len(self.frames)
        scale = self.scales[position] if self.scales else 1.0
        try:
            for face in faces:
                box = tuple(float(v) for v in face.box)
                source_box = tuple(v * scale for v in box)
                region = face_region(image, box)
                thumb = cv2.resize(region, (FACE_THUMB_PX, FACE_THUMB_PX), interpolation=cv2.INTER_AREA)
                self.faces[(position, source_box)] = {
                    "thumbnail": jpeg_data_uri(thumb),
                    "weak": weak_cases(region, source_box, getattr(face, "keypoints", None)),
                }
            self.frames.append(self._frame_thumbnail(image) if self.frame_thumbnails else None)
        except Exception:  # never let the extras fail an analysis
            self.frames.append(None)
        return faces

    @staticmethod
    def _frame_thumbnail(image: np.ndarray) -> str:
        """A thumbnail of a whole frame, FRAME_THUMB_WIDTH wide."""
        height, width = image.shape[:2]
        size = (FRAME_THUMB_WIDTH, max(1, round(height * FRAME_THUMB_WIDTH / width)))
        return jpeg_data_uri(cv2.resize(image, size, interpolation=cv2.INTER_AREA))


def annotate(result: dict, found: Sequence[dict], recorder: Recorder, bands=None) -> dict:
    """Add the recorded thumbnails and weak cases to an aggregated result (in place; returns it)."""
    by_box: dict[tuple, dict] = {}
    for entry in found:
        extra = recorder.faces.get((entry["frame"], tuple(entry["box"])))
        if extra:
            by_box.setdefault(tuple(round(float(v), 1) for v in entry["box"]), extra)
    for face in result.get("faces", []):
        extra = by_box.get(tuple(round(float(v), 1) for v in face.get("box", ())))
        face["thumbnail"] = extra["thumbnail"] if extra else None
        face["weak"] = (list(extra["weak"]) if extra else []) + (["brief"] if face.get("brief") else [])
    for position, frame in enumerate(result.get("frames") or []):
        frame["thumbnail"] = recorder.frames[position] if position < len(recorder.frames) else None
    if bands is not None:
        result["bands"] = {"real_below": round(float(bands.real_below), 4), "fake_from": round(float(bands.fake_from), 4)}
    return result
