"""Faces of the training sources held in memory with some context, for trainers that damage,
blend and crop them on the fly: from image files (through the face index) and from video frames."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.faces.detect import largest_face
from models.faces.region import face_region, region_bounds
from models.synth.oval import Outline
from models.training.face_index import INDEX_FILE, build_face_index, read_rgb
from models.training.sources import MediaRow, all_rows, in_fold, select, split_train

CONTEXT_SCALE = 1.8  # the stored context around a face, as a multiple of its box side (default)


@dataclass
class FaceSample:
    """A face with some context (uint8 RGB, native pixels): its (x, y, w, h) box, four alignment
    keypoints and FaceMesh outline in context pixels, its label and where it came from."""

    context: np.ndarray
    box: tuple[float, float, float, float]
    keypoints: np.ndarray
    outline: Outline | None
    source: str
    label: int
    path: str

    def region(self) -> np.ndarray:
        """The served face region of the undamaged context."""
        return face_region(self.context, self.box)


def context_sample(image: np.ndarray, box, keypoints, outline: Outline | None, row: MediaRow,
                   name: str | None = None, scale: float = CONTEXT_SCALE) -> FaceSample:
    """Cut a face's context (`scale` x its side, even-aligned) out of a whole image; the face's
    geometry moves into the context's pixels."""
    left, top, right, bottom = region_bounds(box, image.shape[0], image.shape[1], scale)
    shift = np.array([left, top], dtype=np.float64)
    moved = None if outline is None else Outline(outline.oval - shift, outline.inner - shift)
    return FaceSample(np.ascontiguousarray(image[top:bottom, left:right]),
                      (box[0] - left, box[1] - top, box[2], box[3]),
                      np.asarray(keypoints, dtype=np.float64) - shift, moved, row.source, row.label,
                      name or row.path)


def image_samples(rows: list[MediaRow], data_root: Path, faces: dict, scale: float = CONTEXT_SCALE) -> list[FaceSample]:
    """Samples of image rows whose face the index found."""
    out = []
    for row in rows:
        face = faces.get(row.path)
        image = read_rgb(data_root, row.path) if face is not None else None
        if image is not None:
            out.append(context_sample(image, face.box, face.keypoints, face.outline, row, scale=scale))
    return out


def video_samples(rows: list[MediaRow], data_root: Path, frames_per_clip: int, detector=None,
                  scale: float = CONTEXT_SCALE) -> list[FaceSample]:
    """Samples of evenly spaced frames of video rows (the largest face of each frame)."""
    from models.serving.frames import sample_frames

    if detector is None:
        from models.faces.detect import FaceDetector

        detector = FaceDetector(num_threads=1)
    out = []
    for row in rows:
        for frame in sample_frames(Path(data_root) / row.path, n=frames_per_clip, max_side=2560):
            face = largest_face(detector.detect(frame.image))
            if face is not None:
                outline = None if face.landmarks is None else Outline.from_mesh(face.landmarks)
                out.append(context_sample(frame.image, face.box, face.keypoints, outline, row,
                                          f"{row.path}#{frame.index}", scale))
    return out


def source_weights(samples: list[FaceSample], power: float) -> np.ndarray:
    """Sampling probabilities: each source gets weight count**power, shared by its samples
    (power 0: sources equal; 1: files equal)."""
    sources = [s.source for s in samples]
    counts = {name: sources.count(name) for name in set(sources)}
    weights = np.array([counts[name] ** power / counts[name] for name in sources])
    return weights / weights.sum()


def per_source(samples: list[FaceSample], scores: np.ndarray) -> dict[str, np.ndarray]:
    """Scores grouped by source name."""
    groups: dict[str, list[float]] = {}
    for sample, score in zip(samples, scores):
        groups.setdefault(sample.source, []).append(float(score))
    return {k: np.array(v) for k, v in groups.items()}


@dataclass
class TrainingFaces:
    """Training pools, and the faces that choose the checkpoint and calibration, and the bands."""

    fit_reals: list[FaceSample]
    fit_fakes: list[FaceSample]
    choose: list[FaceSample]     # train-role faces kept out of fitting (model choice, calibration)
    band_reals: list[FaceSample]  # val-role reals and held-back real clip frames (band choice)


def load_training_faces(config: dict, log) -> TrainingFaces:
    """Every train / val source through the serving face detector (cached), split as configured."""
    root = Path(config["data_root"])
    rows = all_rows(root, kind=None)
    images = [r for r in rows if r.kind == "image" and r.role in ("train", "val")]
    faces = build_face_index(images, root, Path(config["run_dir"]).parent / "cache" / INDEX_FILE,
                             on_row=lambda n: log(f"face index: {n} files"))
    fraction = float(config["choose_fraction"])
    real_sources = tuple(config["real_sources"])
    with_fakes = bool(config.get("train_fakes", True))  # the train role's fakes (real generators)
    train_imgs = [r for r in select(images, ("train",)) if (r.label == 1 and with_fakes) or r.source in real_sources]
    fit_rows, choose_rows = split_train(train_imgs, fraction)
    scale = float(config.get("context_scale", CONTEXT_SCALE))
    fit = image_samples(fit_rows, root, faces, scale)
    choose = image_samples(choose_rows, root, faces, scale)
    clips = [r for r in rows if r.kind == "video" and r.label == 0 and r.role == "train"]
    band_clips = [r for r in clips if in_fold(r.path, float(config["band_clip_fraction"]), "bands")]
    fit_clips = [r for r in clips if r not in band_clips]
    per_clip = int(config["frames_per_clip"])
    fit += video_samples(fit_clips, root, per_clip, scale=scale)
    band_reals = (image_samples(select(images, ("val",), label=0), root, faces, scale)
                  + video_samples(band_clips, root, per_clip, scale=scale))
    log(f"faces: fit {len(fit)}, choose {len(choose)}, band reals {len(band_reals)}; "
        f"clips fit {len(fit_clips)}, bands {len(band_clips)}")
    return TrainingFaces([s for s in fit if s.label == 0], [s for s in fit if s.label == 1], choose, band_reals)
