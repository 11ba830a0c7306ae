"""FaceMesh (MediaPipe's 468-point face landmark model) through LiteRT, on a rotated face ROI.

The ROI follows MediaPipe's recipe: a square around the detection box, 1.5x its long side,
rotated so the eyes are level, resampled to 192x192 with pixel values in [0, 1].
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from ai_edge_litert.interpreter import Interpreter

FACEMESH_FILE = "face_landmark.tflite"
INPUT_SIZE = 192
NUM_LANDMARKS = 468
ROI_SCALE = 1.5
# Outer eye corners, subject's right (image left) then subject's left: they level the ROI.
EYE_CORNERS = (33, 263)


@dataclass(frozen=True)
class Roi:
    """A rotated square in image pixels (centres at integers): centre (x, y), side, rotation (radians)."""

    centre: tuple[float, float]
    side: float
    rotation: float

    def matrix(self) -> np.ndarray:
        """2x3 affine from image pixels into the INPUT_SIZE x INPUT_SIZE model input."""
        scale = INPUT_SIZE / self.side
        cos, sin = np.cos(self.rotation) * scale, np.sin(self.rotation) * scale
        linear = np.array([[cos, sin], [-sin, cos]])
        shift = (INPUT_SIZE - 1) / 2.0 - linear @ np.asarray(self.centre, dtype=np.float64)
        return np.hstack([linear, shift[:, None]])


def roi_around(box_xyxy: np.ndarray, left_eye: np.ndarray, right_eye: np.ndarray) -> Roi:
    """ROI for a box (x_min, y_min, x_max, y_max), levelled on the subject's right then left eye."""
    dx, dy = np.asarray(right_eye, dtype=np.float64) - np.asarray(left_eye, dtype=np.float64)
    centre = ((box_xyxy[0] + box_xyxy[2]) / 2.0, (box_xyxy[1] + box_xyxy[3]) / 2.0)
    side = max(box_xyxy[2] - box_xyxy[0], box_xyxy[3] - box_xyxy[1]) * ROI_SCALE
    rotation = float(np.arctan2(dy, dx))
    return Roi(centre=(float(centre[0]), float(centre[1])), side=float(side), rotation=rotation)


def roi_from_landmarks(landmarks: np.ndarray) -> Roi:
    """MediaPipe's tracking ROI: landmarks' bounding box, levelled on the outer eye corners."""
    box = np.r_[landmarks.min(axis=0), landmarks.max(axis=0)]
    return roi_around(box, landmarks[EYE_CORNERS[0]], landmarks[EYE_CORNERS[1]])


def extract_patch(image_rgb: np.ndarray, roi: Roi) -> tuple[np.ndarray, np.ndarray]:
    """The ROI resampled to the model input (black outside the image) and its image->input matrix.

    A large ROI is first cut out and shrunk by an integer factor with area averaging (fast), so
    the final bilinear warp never decimates by more than 2x (no aliasing).
    """
    matrix = roi.matrix()
    factor = int(np.ceil(roi.side / (2.0 * INPUT_SIZE)))
    source, to_source = image_rgb, np.eye(3)
    if factor > 1:
        half = 0.75 * roi.side
        height, width = image_rgb.shape[:2]
        x0, y0 = (max(0, int(np.floor(c - half))) for c in roi.centre)
        x1 = x0 + (min(width, int(np.ceil(roi.centre[0] + half))) - x0) // factor * factor
        y1 = y0 + (min(height, int(np.ceil(roi.centre[1] + half))) - y0) // factor * factor
        if x1 > x0 and y1 > y0:
            size = ((x1 - x0) // factor, (y1 - y0) // factor)
            source = cv2.resize(image_rgb[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA)
            # Area shrink by k maps pixel centres as u -> (u + 0.5) / k - 0.5.
            to_source = np.array([[1 / factor, 0.0, (0.5 - x0) / factor - 0.5],
                                  [0.0, 1 / factor, (0.5 - y0) / factor - 0.5], [0.0, 0.0, 1.0]])
    warp = (np.vstack([matrix, [0.0, 0.0, 1.0]]) @ np.linalg.inv(to_source))[:2]
    patch = cv2.warpAffine(
        source, warp, (INPUT_SIZE, INPUT_SIZE), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0),
    )
    return patch, matrix


class FaceMesh:
    """The FaceMesh model with its own LiteRT interpreter (loaded once)."""

    def __init__(self, assets_dir: Path, num_threads: int = 2):
        """Load face_landmark.tflite from `assets_dir`."""
        model_path = str(Path(assets_dir) / FACEMESH_FILE)
        self.interpreter = Interpreter(model_path=model_path, num_threads=num_threads)
        self.interpreter.allocate_tensors()
        self.input_index = self.interpreter.get_input_details()[0]["index"]
        outputs = sorted(self.interpreter.get_output_details(), key=lambda d: -d["shape"][-1])
        self.landmarks_index, self.presence_index = outputs[0]["index"], outputs[1]["index"]

    def run(self, image_rgb: np.ndarray, roi: Roi) -> tuple[np.ndarray, float]:
        """468 (x, y) landmarks in image pixels and the face-presence probability for one ROI."""
        patch, matrix = extract_patch(image_rgb, roi)
        self.interpreter.set_tensor(self.input_index, patch.astype(np.float32)[None] / 255.0)
        self.interpreter.invoke()
        # The model's coordinates put pixel centres at +0.5; ours (OpenCV's) at integers.
        points = self.interpreter.get_tensor(self.landmarks_index).reshape(NUM_LANDMARKS, 3)[:, :2] - 0.5
        logit = float(self.interpreter.get_tensor(self.presence_index).reshape(-1)[0])
        inverse = cv2.invertAffineTransform(matrix)
        landmarks = points.astype(np.float64) @ inverse[:, :2].T + inverse[:, 2]
        return landmarks, 1.0 / (1.0 + np.exp(-np.clip(logit, -100.0, 100.0)))


# FaceMesh points matching, one for one, the IntraFace 49-point groups used for training crops
# (models.faces.align.keypoints_from_intraface49): each IntraFace point's nearest mesh point,
# measured on 300 All-Age-Faces photos. Image-left eye = the subject's right eye. The IntraFace
# "nose tip" (point 16) is the bottom of the nose between the nostrils: mesh point 2, not 1.
MESH_EYE_IMAGE_LEFT = (246, 160, 158, 173, 153, 144)
MESH_EYE_IMAGE_RIGHT = (398, 385, 386, 466, 373, 380)
MESH_NOSE_TIP = (2,)
MESH_MOUTH = (61, 40, 37, 0, 267, 269, 291, 321, 314, 17, 181, 91, 81, 12, 311, 402, 14, 178)


def keypoints_from_mesh(landmarks: np.ndarray) -> np.ndarray:
    """The four alignment keypoints (eye image-left, eye image-right, nose tip, mouth centre), (4, 2)."""
    groups = (MESH_EYE_IMAGE_LEFT, MESH_EYE_IMAGE_RIGHT, MESH_NOSE_TIP, MESH_MOUTH)
    return np.stack([landmarks[list(group)].mean(axis=0) for group in groups])
