"""BlazeFace (MediaPipe's face detector) run through LiteRT and decoded here: anchors, boxes, NMS.

A detection is a row of `DETECTION_WIDTH` floats in source-image pixels:
x_min, y_min, x_max, y_max, score, then 6 keypoints (x, y): subject's right eye (the image's
left), subject's left eye, nose tip, mouth centre, right ear tragion, left ear tragion.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from ai_edge_litert.interpreter import Interpreter

NUM_KEYPOINTS = 6
DETECTION_WIDTH = 5 + 2 * NUM_KEYPOINTS
SCORE_COLUMN = 4


@dataclass(frozen=True)
class BlazeFaceSpec:
    """One BlazeFace variant: its file, input side, anchor layout and score threshold."""

    filename: str
    input_size: int
    strides: tuple[int, ...]
    anchors_per_layer: int
    min_score: float


# Settings from MediaPipe's face_detection_short_range graph (score threshold, NMS overlap included).
SHORT_RANGE = BlazeFaceSpec("face_detection_short_range.tflite", 128, (8, 16, 16, 16), 2, 0.5)
NMS_IOU = 0.3


def ssd_anchor_centres(spec: BlazeFaceSpec, height: int, width: int) -> np.ndarray:
    """Anchor centres (N, 2) in input pixels, MediaPipe's SSD layout with fixed-size anchors."""
    centres = []
    layer = 0
    while layer < len(spec.strides):
        stride = spec.strides[layer]
        repeats = 0
        while layer < len(spec.strides) and spec.strides[layer] == stride:
            repeats += spec.anchors_per_layer
            layer += 1
        rows, cols = int(np.ceil(height / stride)), int(np.ceil(width / stride))
        ys, xs = np.meshgrid((np.arange(rows) + 0.5) / rows, (np.arange(cols) + 0.5) / cols, indexing="ij")
        cell_centres = np.stack([xs.ravel() * width, ys.ravel() * height], axis=1)
        centres.append(np.repeat(cell_centres, repeats, axis=0))
    return np.concatenate(centres)


def decode(
    raw_boxes: np.ndarray, raw_scores: np.ndarray, anchors: np.ndarray, min_score: float
) -> np.ndarray:
    """Model outputs -> detections (K, DETECTION_WIDTH) scoring at least `min_score`, in input pixels."""
    logits = np.clip(raw_scores.reshape(-1).astype(np.float64), -100.0, 100.0)
    scores = 1.0 / (1.0 + np.exp(-logits))
    keep = scores >= min_score
    raw = raw_boxes.reshape(-1, 4 + 2 * NUM_KEYPOINTS)[keep].astype(np.float64)
    centre = raw[:, 0:2] + anchors[keep]
    half = raw[:, 2:4] / 2.0
    keypoints = raw[:, 4:].reshape(-1, NUM_KEYPOINTS, 2) + anchors[keep][:, None, :]
    return np.hstack(
        [centre - half, centre + half, scores[keep][:, None], keypoints.reshape(-1, 2 * NUM_KEYPOINTS)]
    )


def iou_with(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one x_min,y_min,x_max,y_max box with many."""
    top_left = np.maximum(box[:2], boxes[:, :2])
    bottom_right = np.minimum(box[2:4], boxes[:, 2:4])
    inter = np.prod(np.clip(bottom_right - top_left, 0.0, None), axis=1)
    area = np.prod(box[2:4] - box[:2])
    areas = np.prod(boxes[:, 2:4] - boxes[:, :2], axis=1)
    return inter / np.maximum(area + areas - inter, 1e-12)


def weighted_nms(detections: np.ndarray, iou_threshold: float = NMS_IOU) -> np.ndarray:
    """MediaPipe's blending NMS: overlapping detections are averaged, weighted by score."""
    order = np.argsort(-detections[:, SCORE_COLUMN], kind="stable")
    remaining = detections[order]
    merged = []
    while len(remaining):
        overlap = iou_with(remaining[0], remaining) > iou_threshold
        overlap[0] = True
        group = remaining[overlap]
        weights = group[:, SCORE_COLUMN:SCORE_COLUMN + 1]
        blended = (group * weights).sum(axis=0) / weights.sum()
        blended[SCORE_COLUMN] = remaining[0, SCORE_COLUMN]
        merged.append(blended)
        remaining = remaining[~overlap]
    return np.array(merged, dtype=np.float64).reshape(-1, DETECTION_WIDTH)


def letterbox(image: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resize keeping aspect into a black side x side square, centred; return it, (sx, sy), offset."""
    height, width = image.shape[:2]
    scale = side / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    offset = np.array([(side - new_w) // 2, (side - new_h) // 2])
    square = np.zeros((side, side, 3), dtype=np.uint8)
    square[offset[1]:offset[1] + new_h, offset[0]:offset[0] + new_w] = resize(image, new_w, new_h)
    return square, np.array([new_w / width, new_h / height]), offset


def resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize with area averaging when shrinking (no aliasing), bilinear when enlarging."""
    shrinking = width < image.shape[1] or height < image.shape[0]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interpolation)


def to_image_pixels(detections: np.ndarray, scale: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Map detections from model-input units back to source-image pixels (centres at integers).

    The model's coordinates are continuous (a pixel's centre at +0.5), as are cv2.resize's, so the
    map is a pure scale and shift, then -0.5 to OpenCV's pixel-index convention.
    """
    out = detections.copy()
    coords = np.r_[0:4, 5:DETECTION_WIDTH]
    xy = out[:, coords].reshape(-1, 2)
    out[:, coords] = ((xy - offset) / scale - 0.5).reshape(len(out), len(coords))
    return out


def rescale_detections(detections: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Detections found on a copy resized by (fx, fy) -> the original image's pixels."""
    out = detections.copy()
    coords = np.r_[0:4, 5:DETECTION_WIDTH]
    xy = out[:, coords].reshape(-1, 2)
    out[:, coords] = ((xy + 0.5) / factors - 0.5).reshape(len(out), len(coords))
    return out


class BlazeFace:
    """One BlazeFace model with its own LiteRT interpreter (loaded once, resized on demand)."""

    def __init__(self, assets_dir: Path, spec: BlazeFaceSpec, num_threads: int = 2):
        """Load the model file named by `spec` from `assets_dir`."""
        self.spec = spec
        model_path = str(Path(assets_dir) / spec.filename)
        self.interpreter = Interpreter(model_path=model_path, num_threads=num_threads)
        self.input_shape = (-1, -1)
        self._prepare(spec.input_size, spec.input_size)

    def _prepare(self, height: int, width: int) -> None:
        """Size the input tensor (if it changed) and compute the matching anchors."""
        if (height, width) == self.input_shape:
            return
        self.interpreter.resize_tensor_input(0, [1, height, width, 3])
        self.interpreter.allocate_tensors()
        self.input_index = self.interpreter.get_input_details()[0]["index"]
        outputs = sorted(self.interpreter.get_output_details(), key=lambda d: -d["shape"][-1])
        self.boxes_index, self.scores_index = outputs[0]["index"], outputs[1]["index"]
        self.anchors = ssd_anchor_centres(self.spec, height, width)
        if len(self.anchors) != outputs[0]["shape"][1]:
            boxes = outputs[0]["shape"][1]
            raise ValueError(f"{self.spec.filename}: {boxes} boxes but {len(self.anchors)} anchors")
        self.input_shape = (height, width)

    def run(self, rgb: np.ndarray) -> np.ndarray:
        """Raw detections (before NMS) on an RGB uint8 model input, in its pixels."""
        self._prepare(*rgb.shape[:2])
        tensor = rgb.astype(np.float32)
        tensor *= 1.0 / 127.5
        tensor -= 1.0
        self.interpreter.set_tensor(self.input_index, tensor[None])
        self.interpreter.invoke()
        raw_boxes = self.interpreter.get_tensor(self.boxes_index)[0]
        raw_scores = self.interpreter.get_tensor(self.scores_index)[0]
        return decode(raw_boxes, raw_scores, self.anchors, self.spec.min_score)

    def detect(self, image_rgb: np.ndarray) -> np.ndarray:
        """Detections (before NMS) in source-image pixels, the whole image letterboxed to the model."""
        square, scale, offset = letterbox(image_rgb, self.spec.input_size)
        return to_image_pixels(self.run(square), scale, offset)

    def detect_at_size(self, image_rgb: np.ndarray) -> np.ndarray:
        """Detections (before NMS) with the model input sized to the image itself (small faces)."""
        stride = max(self.spec.strides)
        height, width = image_rgb.shape[:2]
        padded = np.zeros((-(-height // stride) * stride, -(-width // stride) * stride, 3), dtype=np.uint8)
        padded[:height, :width] = image_rgb
        return to_image_pixels(self.run(padded), np.ones(2), np.zeros(2))
