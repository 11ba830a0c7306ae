"""Frames -> faces -> aligned crops -> detector scores -> observations: the core of every analysis.

The companion's pipeline (with fetching, progress and typed errors around it) and `unmask evaluate`
both call these, so evaluation scores media exactly the way the companion does.
"""
from __future__ import annotations

import math
import threading
from typing import Callable, Mapping, Sequence

import numpy as np

from models.faces.align import CROP_SIZE, align_face
from models.faces.quality import sharpness
from models.faces.region import face_region
from models.serving.aggregate import FaceObservation, distinct_faces, is_too_small
from models.serving.frame_score import (anchors_of, judged_by_sharpness, judged_by_size, min_faces_of,
                                        min_sharpness_of)

Progress = Callable[[int, int], None]

# One face detector instance may be shared by threads; its interpreters are not thread-safe.
FACE_LOCK = threading.Lock()


class UnusableScores(ValueError):
    """A detector returned the wrong number of scores, or non-finite ones."""


def find_faces(images: list[np.ndarray], face_detector, min_face_px: int,
               scales: Sequence[float] | None = None, on_frame: Progress | None = None,
               regions: list | None = None) -> tuple[list[dict], np.ndarray]:
    """Faces of every frame (frame position, box, size, sharpness, too_small) and the aligned crops of the scorable ones.

    With a `regions` list, each scorable face's native-scale region (models/faces/region.py) is
    appended to it too, in crop order, for detectors that read unresampled pixels.

    Boxes are reported in source pixels (`scales[i]` source pixels per pixel of image i); the size
    check and `size` (the box's shorter side) use the analysed pixels, the resolution the detector
    sees, and so does `sharpness` (`models.faces.quality.sharpness` of the face's native region).
    The images list is emptied as it is read, so each decoded frame can be freed once its faces are
    cropped.
    """
    found, crops, total = [], [], len(images)
    for position in range(total):
        image, images[position] = images[position], None
        scale = scales[position] if scales else 1.0
        with FACE_LOCK:
            faces = face_detector.detect(image)
        faces = [faces[i] for i in distinct_faces([f.box for f in faces], [f.score for f in faces])]
        for face in faces:
            box = tuple(float(v) for v in face.box)
            small = is_too_small(box, min_face_px)
            region = None if small else face_region(image, box)
            found.append({"frame": position, "box": tuple(v * scale for v in box), "too_small": small,
                          "size": min(box[2], box[3]), "crop": None if small else len(crops),
                          "sharpness": None if small else sharpness(region)})
            if not small:
                crops.append(align_face(image, face.keypoints)[0])
                if regions is not None:
                    regions.append(region)
        if on_frame:
            on_frame(position + 1, total)
    batch = np.stack(crops) if crops else np.zeros((0, CROP_SIZE, CROP_SIZE, 3), dtype=np.uint8)
    return found, batch


def reads_regions(detectors: Sequence) -> bool:
    """Whether any of these detectors reads native-scale face regions instead of aligned crops."""
    return any(getattr(d, "input_kind", "aligned") == "region" for d in detectors)


def score_crops(detectors: Sequence, crops: np.ndarray, regions: Sequence[np.ndarray] | None = None
                ) -> dict[str, np.ndarray]:
    """Each detector's calibrated probabilities for all faces, one batched predict call per detector:
    aligned crops, or the faces' native regions for a detector whose `input_kind` is "region"."""
    if len(crops) == 0:
        return {d.name: np.zeros((0,), dtype=np.float32) for d in detectors}
    if reads_regions(detectors) and (regions is None or len(regions) != len(crops)):
        raise ValueError("a region detector needs one native face region per crop")
    scores = {}
    for detector in detectors:
        inputs = regions if getattr(detector, "input_kind", "aligned") == "region" else crops
        values = np.asarray(detector.predict(inputs), dtype=np.float64).reshape(-1)
        if values.shape[0] != len(crops) or not np.all(np.isfinite(values)):
            raise UnusableScores(f"detector {detector.name!r} returned unusable scores")
        scores[detector.name] = values
    return scores


def observations(found: list[dict], scores: Mapping[str, np.ndarray], anchors: Mapping | None = None,
                 min_faces: Mapping[str, int] | None = None,
                 min_sharpness: Mapping[str, float] | None = None) -> list[FaceObservation]:
    """Join faces with their crops' scores (and the detectors' own bands their score is anchored to).

    `min_faces` gives each detector's smallest judged face (`frame_score.min_faces_of`) and
    `min_sharpness` its least judged sharpness (`frame_score.min_sharpness_of`): a face below either
    is left to the others; one that none of them judges is reported too small, or, when some judge
    its size, too blurred.
    """
    out = []
    for f in found:
        by_size = {} if f["crop"] is None else judged_by_size(
            {n: s[f["crop"]] for n, s in scores.items()}, f.get("size", math.inf), min_faces or {})
        judged = judged_by_sharpness(by_size, _sharpness_of(f), min_sharpness or {})
        unjudged = f["crop"] is not None and not judged
        out.append(FaceObservation(frame=f["frame"], box=f["box"], scores=judged, anchors=anchors,
                                   too_small=f["too_small"] or (unjudged and not by_size),
                                   too_blurred=unjudged and bool(by_size)))
    return out


def judged_observations(found: list[dict], scores: Mapping[str, np.ndarray], detectors: Sequence
                        ) -> list[FaceObservation]:
    """`observations` as served: anchored to the frame detectors' own bands, behind their size and sharpness gates."""
    return observations(found, scores, anchors_of(detectors), min_faces_of(detectors), min_sharpness_of(detectors))


def _sharpness_of(found_face: Mapping) -> float:
    """A found face's sharpness (unmeasured: as sharp as can be, so no gate holds it back)."""
    value = found_face.get("sharpness")
    return math.inf if value is None else float(value)
