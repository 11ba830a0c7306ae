"""Faces of every image row, found once by the serving face detector and cached (JSON lines).

Training, band choice and the holdout suite all read the face of a file from here, so every source
(with or without landmarks of its own) goes through the same detection and crop as serving.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import cv2
import numpy as np

from models.faces.detect import largest_face
from models.synth.oval import Outline
from models.training.sources import MediaRow

# The cache's file name under the runs' cache folder; a new name when its fields or the face it keeps
# change (v3: the largest face by its (x, y, w, h) box's area; v2 measured the box wrongly).
INDEX_FILE = "faces-v3.jsonl"


@dataclass(frozen=True)
class IndexedFace:
    """The largest face of one image: box (x0, y0, x1, y1), four alignment keypoints, image size, and
    the FaceMesh outline that blends are masked by."""

    path: str
    box: tuple[float, float, float, float]
    keypoints: tuple[tuple[float, float], ...]
    height: int
    width: int
    outline: Outline | None = None

    def to_json(self) -> str:
        """One JSON line."""
        record = {"path": self.path, "box": list(self.box), "keypoints": [list(p) for p in self.keypoints],
                  "height": self.height, "width": self.width}
        if self.outline is not None:
            record["oval"] = np.round(self.outline.oval, 2).tolist()
            record["inner"] = np.round(self.outline.inner, 2).tolist()
        return json.dumps(record)

    @classmethod
    def from_json(cls, line: str) -> "IndexedFace | None":
        """Parse one line; None for a file where no face was found."""
        record = json.loads(line)
        if record.get("box") is None:
            return None
        outline = Outline(np.array(record["oval"]), np.array(record["inner"])) if "oval" in record else None
        return cls(record["path"], tuple(record["box"]), tuple(tuple(p) for p in record["keypoints"]),
                   int(record["height"]), int(record["width"]), outline)


def read_rgb(data_root: Path, path: str) -> np.ndarray | None:
    """An image file of the data root as RGB uint8 (grey files become three equal channels)."""
    bgr = cv2.imread(str(Path(data_root) / path), cv2.IMREAD_COLOR)
    return None if bgr is None else np.ascontiguousarray(bgr[..., ::-1])


def build_face_index(rows: Iterable[MediaRow], data_root: Path, cache: Path, detector=None,
                     on_row: Callable[[int], None] | None = None) -> dict[str, IndexedFace | None]:
    """Faces of `rows` (image rows), read from `cache` and completed there: resumable, appended a
    line per file, so an interrupted run continues where it stopped."""
    cache = Path(cache)
    known: dict[str, IndexedFace | None] = {}
    if cache.exists():
        for line in cache.read_text(encoding="utf-8").splitlines():
            if line.strip():
                path = json.loads(line)["path"]
                known[path] = IndexedFace.from_json(line)
    todo = [r for r in rows if r.kind == "image" and r.path not in known]
    if todo and detector is None:
        from models.faces.detect import FaceDetector

        detector = FaceDetector(num_threads=1)
    cache.parent.mkdir(parents=True, exist_ok=True)
    with open(cache, "a", encoding="utf-8") as out:
        for done, row in enumerate(todo, 1):
            image = read_rgb(data_root, row.path)
            face = largest_face(detector.detect(image)) if image is not None else None
            entry = None
            if face is not None:
                outline = None if face.landmarks is None else Outline.from_mesh(face.landmarks)
                entry = IndexedFace(row.path, tuple(float(v) for v in face.box),
                                    tuple((float(x), float(y)) for x, y in np.asarray(face.keypoints)),
                                    image.shape[0], image.shape[1], outline)
                out.write(entry.to_json() + "\n")
            else:
                out.write(json.dumps({"path": row.path, "box": None}) + "\n")
            known[row.path] = entry
            if on_row and done % 200 == 0:
                out.flush()
                on_row(done)
    return known
