"""Small face fixtures the tests make themselves from scikit-image's public-domain astronaut photo."""
from __future__ import annotations

import numpy as np
from skimage import data

from models.faces.align import CROP_SIZE, align_face, mean_landmarks
from models.training.dataset_index import FaceSet

# The astronaut's eye centres, nose tip and mouth centre, read off the photo once by hand.
ASTRONAUT_KEYPOINTS = np.array([[203.0, 101.0], [245.0, 103.0], [223.0, 123.0], [223.0, 146.0]])


def astronaut_crop(size: int = CROP_SIZE) -> np.ndarray:
    """The astronaut's aligned face crop (RGB uint8)."""
    return align_face(data.astronaut(), ASTRONAUT_KEYPOINTS, size)[0]


def tiny_face_set(n: int = 8, size: int = CROP_SIZE, seed: int = 0) -> FaceSet:
    """`n` varied copies of the astronaut's face (colour, brightness, slight shifts) with landmarks."""
    rng = np.random.default_rng(seed)
    image = data.astronaut()
    crops, marks = [], []
    for _ in range(n):
        kp = ASTRONAUT_KEYPOINTS + rng.normal(0, 2.0, ASTRONAUT_KEYPOINTS.shape)
        crop = align_face(image, kp, size)[0].astype(np.float32)
        crop = crop * rng.uniform(0.8, 1.2, 3) + rng.uniform(-20, 20)
        crops.append(np.clip(crop, 0, 255).astype(np.uint8))
        marks.append(mean_landmarks(size))
    return FaceSet(np.stack(crops), np.stack(marks), [f"astronaut-{i}" for i in range(n)])


