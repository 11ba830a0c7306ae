"""Face detection for Unmask: BlazeFace boxes, FaceMesh landmarks, four alignment keypoints.

Models: MediaPipe's BlazeFace short range and FaceMesh (files from the pinned mediapipe 0.10.21
wheel, see models/faces/assets.py), run through LiteRT and decoded here. Steps per image:

1. BlazeFace (128x128 input, pixels scaled to [-1, 1]) on the whole image, letterboxed: finds
   faces from about 1/8 of the long side up to about 0.7 of it.
2. Small faces: BlazeFace is fully convolutional, so it also runs with its input resized to the
   image shrunk until a `min_face_px` (48 px) face is 16 px wide, the size it needs (at most
   1024 px on the long side; 1920x1080 -> 640x360). Skipped when that copy is no larger than 128.
3. Tight crops: when steps 1-2 give no face, once more inside a mid-grey border of 50% of the
   long side on each side (a face filling the frame is too big for BlazeFace).
4. MediaPipe's weighted ("blending") NMS, then FaceMesh on each detection: ROI = box x1.5,
   levelled on the eyes, 192x192, pixels in [0, 1]; then again on the ROI from its own
   landmarks. A face is kept when the mean of the two face-presence scores is >= 0.5.
5. Keypoints [eye on the image's left, eye on the image's right, nose, mouth centre] are means of
   the mesh points that match, one for one, the IntraFace 49-point groups of
   models.faces.align.keypoints_from_intraface49 (so serving crops match training crops). The
   IntraFace "nose tip" (point 16) is the base of the nose between the nostrils: mesh point 2.
   Eye order is anatomical (subject's right eye first), which is the image's left for any face
   turned less than 90 degrees, as in IntraFace's own numbering.

Measured (scripts/check_face_keypoints.py and ad-hoc runs; 2 LiteRT threads on a shared 2-core
machine with a load average of about 5, so times are pessimistic):
- All-Age-Faces val, 300 photos: recall 300/300; keypoint distance to the IntraFace-derived
  keypoints, in inter-ocular distances, mean 0.026 / median 0.022 (per keypoint medians: eyes
  0.022 and 0.024, nose 0.024, mouth 0.020; p90 0.04-0.05); remaining median bias <= 0.014.
  Model coordinates are converted to OpenCV's pixel-centre convention (-0.5 px), which removed a
  0.015 inter-ocular bias.
- web-faces (tight and loose crops), 300 sampled: recall 300/300.
- AAF faces cropped to 0.85 / 1.0 / 1.2 x their landmarks' extent: 196 / 200 / 200 of 200 found.
- Small faces: 48 synthetic 1920x1080 frames with 4 pasted AAF faces each; found by face width
  32 px 5/24, 40 px 12/24, 48 px 19/24, 64 px and up (64-300) 24/24 each.
  The full-range BlazeFace (192 input) on the letterboxed frame only reaches faces of about 8% of
  the long side (150 px at 1080p); tiling it over 640 px tiles matched the resized short-range
  pass on recall at about twice the time, and next to steps 1-3 it added no recall on AAF,
  web-faces, tight crops or these frames, so it is not used (nor fetched).
- False faces: none on coffee, noise, flat images; a cat's face (scikit-image chelsea) is
  detected by BlazeFace but dropped by the FaceMesh presence check.
- Speed: 640x480 frame with one face 8-9 ms (BlazeFace both passes ~5 ms, FaceMesh ~3.5 ms for
  the two runs); 1280x720 ~16 ms; 1920x1080 ~32 ms. On an idle core one 128x128 BlazeFace
  inference is ~0.7 ms and one FaceMesh inference ~1 ms.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.faces.assets import FaceModelCorrupt, FaceModelMissing, ensure_assets
from models.faces.blazeface import SHORT_RANGE, BlazeFace, iou_with, rescale_detections, resize, weighted_nms
from models.faces.facemesh import FaceMesh, keypoints_from_mesh, roi_around, roi_from_landmarks

__all__ = ["Face", "FaceDetector", "FaceModelMissing", "FaceModelCorrupt", "as_rgb_uint8"]

# The short-range model finds faces from about 16 input pixels wide (1/8 of its 128 input).
MIN_FACE_INPUT_PX = 16
# Tight crops: when nothing is found, retry with a mid-grey border (fraction of the long side) on
# each side. Grey beats black and edge-replication on tight All-Age-Faces crops.
TIGHT_CROP_BORDER = 0.5
TIGHT_CROP_GREY = 128
TIGHT_CROP_MAX_SIDE = 512  # the tight-crop pass works on a copy no longer than this (BlazeFace sees 128 px)
DUPLICATE_IOU = 0.5


@dataclass
class Face:
    """One detected face: box (x, y, w, h), score, keypoints (4, 2) and landmarks (468, 2) or None."""

    box: tuple[float, float, float, float]
    score: float
    keypoints: np.ndarray
    landmarks: np.ndarray | None = None


def box_area(box) -> float:
    """The area of an (x, y, w, h) box."""
    return float(box[2]) * float(box[3])


def largest_face(faces: list) -> object | None:
    """The face (anything with an (x, y, w, h) `box`) with the largest box, or None."""
    return max(faces, key=lambda f: box_area(f.box)) if faces else None


def as_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """A contiguous (H, W, 3) uint8 RGB array from RGB, RGBA or grayscale uint8 input."""
    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got dtype {array.dtype}")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ValueError(f"expected an (H, W), (H, W, 3) or (H, W, 4) image, got shape {array.shape}")
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(f"empty image, shape {array.shape}")
    return np.ascontiguousarray(array[:, :, :3])


def shift_detections(detections: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Detections moved by (dx, dy) pixels (boxes and keypoints)."""
    out = detections.copy()
    out[:, [0, 2] + list(range(5, out.shape[1], 2))] += dx
    out[:, [1, 3] + list(range(6, out.shape[1], 2))] += dy
    return out


class FaceDetector:
    """Finds faces in RGB images; one LiteRT interpreter per model, loaded once per instance.

    num_threads: LiteRT threads per model. min_face_px: smallest face width searched for (the
    resized pass); max_scaled_side: cap on that pass's input side. landmarks=False skips FaceMesh:
    keypoints are then BlazeFace's own (nose = the tip itself, coarser) and nothing filters
    BlazeFace's false detections. min_presence: FaceMesh face-presence needed to keep a face.
    max_faces: detections refined per image, best first. Not thread-safe: one caller at a time.
    """

    def __init__(
        self,
        assets_dir: Path | str | None = None,
        num_threads: int = 2,
        min_face_px: float = 48.0,
        max_scaled_side: int = 1024,
        landmarks: bool = True,
        min_presence: float = 0.5,
        max_faces: int = 16,
    ):
        """Load the models from `assets_dir` (default: models/faces/assets), verified by sha256."""
        folder = ensure_assets(assets_dir)
        self.whole = BlazeFace(folder, SHORT_RANGE, num_threads)
        self.enlarged = BlazeFace(folder, SHORT_RANGE, num_threads)
        self.mesh = FaceMesh(folder, num_threads) if landmarks else None
        self.min_face_px = float(min_face_px)
        self.max_scaled_side = int(max_scaled_side)
        self.min_presence = float(min_presence)
        self.max_faces = int(max_faces)

    def detect(self, image_rgb: np.ndarray) -> list[Face]:
        """Faces in an RGB (or gray / RGBA) uint8 image, best score first; [] when there are none.

        When the whole image yields no face, it is searched again inside a grey border: a face
        that fills the frame is too large for BlazeFace.
        """
        image = as_rgb_uint8(image_rgb)
        faces = self.faces_from(image, self.whole_image_passes(image))
        return faces if faces else self.faces_from(image, self.tight_crop_pass(image))

    def faces_from(self, image: np.ndarray, detections: np.ndarray) -> list[Face]:
        """Raw detections -> NMS -> FaceMesh-checked faces, best score first, duplicates dropped."""
        candidates = weighted_nms(detections)[: self.max_faces]
        faces = [face for face in (self.refine(image, row) for row in candidates) if face is not None]
        faces.sort(key=lambda face: -face.score)
        return drop_duplicates(faces)

    def whole_image_passes(self, image: np.ndarray) -> np.ndarray:
        """The letterboxed image (large faces), plus the image at a scale where min_face_px faces
        are big enough for BlazeFace (the model is fully convolutional: its input is resized)."""
        height, width = image.shape[:2]
        scale = min(MIN_FACE_INPUT_PX / self.min_face_px, self.max_scaled_side / max(height, width))
        if scale * max(height, width) <= SHORT_RANGE.input_size:
            return self.whole.detect(image)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        copy = resize(image, *size)
        found = np.concatenate([self.whole.detect(copy), self.enlarged.detect_at_size(copy)])
        return rescale_detections(found, np.array([size[0] / width, size[1] / height]))

    def tight_crop_pass(self, image: np.ndarray) -> np.ndarray:
        """Detections on a copy with a grey border, for faces that fill the whole image.

        The copy is shrunk to TIGHT_CROP_MAX_SIDE first: BlazeFace sees it at 128 px anyway, and a border
        at full size costs more than the image (a 7000x7000 photo: 588 MB; a 65535x1 one: 24 GiB).
        """
        height, width = image.shape[:2]
        scale = min(1.0, TIGHT_CROP_MAX_SIDE / max(height, width))
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = image if scale == 1.0 else resize(image, *size)
        border = int(round(TIGHT_CROP_BORDER * max(size)))
        padded = np.full((size[1] + 2 * border, size[0] + 2 * border, 3), TIGHT_CROP_GREY, dtype=np.uint8)
        padded[border:border + size[1], border:border + size[0]] = small
        found = shift_detections(self.whole.detect(padded), -border, -border)
        return found if scale == 1.0 else rescale_detections(found, np.array([size[0] / width, size[1] / height]))

    def refine(self, image: np.ndarray, detection: np.ndarray) -> Face | None:
        """A Face from one detection, None if FaceMesh sees no face there.

        FaceMesh runs twice, MediaPipe-style: on the ROI from the detection, then on the ROI from
        its own landmarks. The face is kept when the mean of the two face-presence scores reaches
        `min_presence` (one run alone lets a cat through, or drops very tight crops), with the
        landmarks of the run that scored higher.
        """
        box = clipped_box(detection[:4], image.shape)
        score = float(detection[4])
        blaze_points = detection[5:].reshape(-1, 2)
        if self.mesh is None:
            return Face(box=box, score=score, keypoints=blaze_points[:4].copy())
        first = self.mesh.run(image, roi_around(detection[:4], blaze_points[0], blaze_points[1]))
        second = self.mesh.run(image, roi_from_landmarks(first[0]))
        if (first[1] + second[1]) / 2.0 < self.min_presence:
            return None
        landmarks = max(first, second, key=lambda result: result[1])[0]
        return Face(box=box, score=score, keypoints=keypoints_from_mesh(landmarks), landmarks=landmarks)


def clipped_box(box_xyxy: np.ndarray, shape: tuple[int, ...]) -> tuple[float, float, float, float]:
    """(x, y, w, h) of an x_min, y_min, x_max, y_max box clipped to the image."""
    x0, x1 = np.clip([box_xyxy[0], box_xyxy[2]], 0.0, float(shape[1]))
    y0, y1 = np.clip([box_xyxy[1], box_xyxy[3]], 0.0, float(shape[0]))
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


def drop_duplicates(faces: list[Face]) -> list[Face]:
    """Drop faces whose landmarks' box overlaps a better-scored face's (two detections, one face)."""
    kept: list[Face] = []
    kept_boxes: list[np.ndarray] = []
    for face in faces:
        points = face.landmarks if face.landmarks is not None else face.keypoints
        box = np.r_[points.min(axis=0), points.max(axis=0)]
        if kept_boxes and iou_with(box, np.array(kept_boxes)).max() > DUPLICATE_IOU:
            continue
        kept.append(face)
        kept_boxes.append(box)
    return kept
