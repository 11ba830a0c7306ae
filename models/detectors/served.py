"""A crop detector served from its shipped .tflite through LiteRT, with calibrated scores."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from models.detectors.calibration import Calibration
from models.detectors.detector import Detector, ScoreBands
from models.detectors.litert_runner import TFLiteRunner
from models.detectors.weights_manifest import verified_entry
from models.faces.align import CROP_SIZE, resize_crops, to_model_input


class ServedDetector(Detector):
    """Loads `name`'s manifest entry and .tflite; subclasses only say how to build the Keras model."""

    def __init__(self, weights_dir: Path | None = None, num_threads: int = 2):
        entry, path = verified_entry(self.name, weights_dir)
        self._entry = entry
        self._runner = TFLiteRunner(path, num_threads=num_threads)
        self.calibration = Calibration.from_dict(entry["calibration"])
        self.bands = ScoreBands(**entry["bands"])
        self.bands_with = entry.get("bands_with", {})  # bands chosen for this detector with partners
        self.input_size = int(entry.get("input_size", CROP_SIZE))
        self.min_face_px = int(entry.get("min_face_px", 0))  # scripts/choose_face_sizes.py
        self.min_sharpness = float(entry.get("min_sharpness", 0.0))  # scripts/choose_sharpness.py

    def preprocess(self, crops: np.ndarray) -> np.ndarray:
        """Aligned 224x224 crops shrunk (area interpolation, as in training) to the size the weights were trained at."""
        return to_model_input(resize_crops(crops, self.input_size))

    def predict(self, crops: np.ndarray) -> np.ndarray:
        """Calibrated probability of manipulation for each aligned 224x224 crop, in one call."""
        if len(crops) == 0:
            return np.zeros((0,), dtype=np.float32)
        raw = self._runner.run(self.preprocess(crops)).reshape(-1)
        return self.calibration.apply(raw)

    @property
    def version(self) -> str:
        """sha256 prefix of the weights and config."""
        return self._entry["version"]
