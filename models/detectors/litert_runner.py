"""Batched inference on a .tflite model through LiteRT (TensorFlow's interpreter as a fallback)."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np


def _interpreter_class():
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # LiteRT has no build for this platform: TensorFlow's copy of it
        from tensorflow.lite import Interpreter  # type: ignore[no-redef]
    return Interpreter


# Rows per interpreter invoke. The activations of a whole video's crops at once take ~16 MB per crop
# (32 crops: +500 MB resident); chunks of 8 keep that near 110 MB and run as fast.
MAX_CHUNK = 8


class TFLiteRunner:
    """One interpreter for one model file; `run(batch)` returns the first output for the whole batch."""

    def __init__(self, path: Path, num_threads: int = 2):
        self._interpreter = _interpreter_class()(model_path=str(path), num_threads=num_threads)
        self._input = self._interpreter.get_input_details()[0]
        self._output_index = self._interpreter.get_output_details()[0]["index"]
        self._batch = None
        self._lock = threading.Lock()

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Run the model on a float32 batch in one call; inside, MAX_CHUNK rows per invoke."""
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        with self._lock:
            if len(batch) == 0:
                return self._invoke(batch)
            return np.concatenate([self._invoke(batch[i:i + MAX_CHUNK]) for i in range(0, len(batch), MAX_CHUNK)])

    def _invoke(self, chunk: np.ndarray) -> np.ndarray:
        """One interpreter invoke (resizing the input when the chunk's shape changes); caller holds the lock."""
        if chunk.shape != self._batch:
            self._interpreter.resize_tensor_input(self._input["index"], chunk.shape)
            self._interpreter.allocate_tensors()
            self._batch = chunk.shape
        self._interpreter.set_tensor(self._input["index"], chunk)
        self._interpreter.invoke()
        return np.array(self._interpreter.get_tensor(self._output_index))
