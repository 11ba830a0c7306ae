"""A crop detector served from its shipped .tflite through LiteRT, with calibrated scores.

A manifest entry may name more than one way to look at a face, and the detector's score is the
mean of them in calibrated logit space: `members` (more networks trained for the same detector,
each with its own file, sha256 and calibration) and `views` (the crop as it is, its mirror, a closer cut).
Averaging looks that err apart lowers the scores that only one of them raises by chance.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from models.detectors.calibration import Calibration, logit, sigmoid
from models.detectors.detector import Detector, ScoreBands
from models.detectors.litert_runner import TFLiteRunner
from models.detectors.weights_manifest import verified_entry, verified_file
from models.faces.align import CROP_SIZE, resize_crops, to_model_input


def _zoomed(crops: np.ndarray) -> np.ndarray:
    """The middle 7/8 of each aligned crop (the face a little closer, less of the photo around it)."""
    margin = crops.shape[1] // 16
    return crops[:, margin:crops.shape[1] - margin, margin:crops.shape[2] - margin]


# How each named view turns a batch of aligned crops (N, S, S, 3), before they are shrunk to the model's
# input: the crop as it is, its mirror (still an aligned face), and a closer cut of it.
VIEWS = {"identity": lambda x: x, "mirror": lambda x: x[:, :, ::-1], "zoom": _zoomed}


class ServedDetector(Detector):
    """Loads `name`'s manifest entry and .tflite; subclasses only say how to build the Keras model."""

    def __init__(self, weights_dir: Path | None = None, num_threads: int = 2):
        entry, path = verified_entry(self.name, weights_dir)
        self._entry = entry
        self._runner = TFLiteRunner(path, num_threads=num_threads)
        self.calibration = Calibration.from_dict(entry["calibration"])
        self._members = [(TFLiteRunner(verified_file(path.parent, member, self.name),
                                       num_threads=num_threads), Calibration.from_dict(member["calibration"]))
                         for member in entry.get("members", [])]
        self.views = tuple(entry.get("views", ["identity"]))
        unknown = [v for v in self.views if v not in VIEWS]
        if unknown or not self.views:
            raise ValueError(f"{self.name}: unknown views {unknown or self.views} (known: {', '.join(VIEWS)})")
        self.bands = ScoreBands(**entry["bands"])
        self.bands_with = entry.get("bands_with", {})  # bands chosen for this detector with partners
        self.input_size = int(entry.get("input_size", CROP_SIZE))
        self.min_face_px = int(entry.get("min_face_px", 0))  # scripts/choose_face_sizes.py
        self.min_sharpness = float(entry.get("min_sharpness", 0.0))  # scripts/choose_sharpness.py

    def preprocess(self, crops: np.ndarray) -> np.ndarray:
        """Aligned 224x224 crops shrunk (area interpolation, as in training) to the size the weights were trained at."""
        return to_model_input(resize_crops(crops, self.input_size))

    def predict(self, crops: np.ndarray) -> np.ndarray:
        """Calibrated probability of manipulation for each aligned 224x224 crop, in one call per network."""
        if len(crops) == 0:
            return np.zeros((0,), dtype=np.float32)
        if not self._members and self.views == ("identity",):
            return self.calibration.apply(self._runner.run(self.preprocess(crops)).reshape(-1))
        looks = np.concatenate([self.preprocess(np.ascontiguousarray(VIEWS[v](crops))) for v in self.views])
        logits = [logit(calibration.apply(runner.run(looks).reshape(len(self.views), len(crops))))
                  for runner, calibration in [(self._runner, self.calibration), *self._members]]
        return sigmoid(np.concatenate(logits).mean(axis=0)).astype(np.float32)

    @property
    def version(self) -> str:
        """sha256 prefix of the weights and config."""
        return self._entry["version"]
