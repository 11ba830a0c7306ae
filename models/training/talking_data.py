"""Training clips for `temporal_residual`: real clips, real talking heads, and generator-like pseudo-fakes.

Every clip is a run of consecutive frames. Each is damaged alike (`models.synth.talking.clip_damage`,
drawn once per clip), then read the way the companion reads a video: faces found by the serving
face detector in every frame, one face followed, its aligned crop and native region cut by the
serving functions, and the per-frame features of `models.detectors.temporal_residual` computed.

| kind         | made from                                       | label | mouth label |
|--------------|-------------------------------------------------|-------|-------------|
| real         | a run of a real video as it is                  | 0     | 0           |
| still        | a real photo moved by a smooth camera            | 0     | 0           |
| lip_sync     | a real run with the mouth of another run pasted  | 1     | 1           |
| animated     | a run's first frame (or a photo) warped over time | 1    | 1           |
| flicker      | a real run self-blended with new parameters per frame | 1 | ignored     |
| talking_head | a run of a real generator's talking-head video   | 1     | 1           |
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import cv2
import numpy as np

from models.faces.align import align_face
from models.faces.region import face_region
from models.serving.aggregate import distinct_faces, is_too_small
from models.synth.paste import self_blend_in_frame
from models.synth.talking import animate_still, clip_damage, lip_sync
from models.training.temporal_data import SavedArrays, followed_face

KINDS = ("real", "still", "lip_sync", "animated", "flicker", "talking_head")
LABELS = {"real": 0, "still": 0, "lip_sync": 1, "animated": 1, "flicker": 1, "talking_head": 1}
MOUTH_LABELS = {"real": 0, "still": 0, "lip_sync": 1, "animated": 1, "flicker": -1, "talking_head": 1}


@dataclass
class ServedTrack:
    """One face followed over a clip's frames: aligned crops, native regions and keypoints, as served."""

    crops: np.ndarray  # (T, 224, 224, 3) uint8
    regions: list[np.ndarray]
    keypoints: np.ndarray  # (T, 4, 2) in the analysed frames' pixels


def follow_face(frames: Sequence[np.ndarray], face_detector, min_face_px: int = 64) -> ServedTrack | None:
    """The largest face of the first frame followed frame by frame (nearest centre) while it is found and
    large enough; crops and regions cut as `models.serving.analysis.find_faces` cuts them. None: no face."""
    crops, regions, keypoints, centre = [], [], [], None
    for frame in frames:
        faces = face_detector.detect(frame)
        faces = [faces[i] for i in distinct_faces([f.box for f in faces], [f.score for f in faces])]
        faces = [f for f in faces if not is_too_small(tuple(float(v) for v in f.box), min_face_px)]
        if not faces:
            break
        face = followed_face(faces, centre)
        centre = np.asarray(face.keypoints).mean(0)
        crops.append(align_face(frame, face.keypoints)[0])
        regions.append(face_region(frame, tuple(float(v) for v in face.box)))
        keypoints.append(np.asarray(face.keypoints, dtype=np.float64))
    if not crops:
        return None
    return ServedTrack(np.stack(crops), regions, np.stack(keypoints))


def camera_clip(image: np.ndarray, rng: np.random.Generator, length: int, fps: float = 25.0) -> list[np.ndarray]:
    """A still moved by a smooth hand-held camera: slow pan, zoom and roll with a little shake."""
    h, w = image.shape[:2]
    u = np.arange(length) / fps
    angle = rng.uniform(-2, 2) * u / max(u[-1], 1e-6) + rng.uniform(0.1, 0.8) * np.sin(2 * np.pi * rng.uniform(0.3, 1.5) * u)
    zoom = 1.0 + rng.uniform(-0.05, 0.05) * u / max(u[-1], 1e-6)
    shift = (rng.uniform(-0.03, 0.03, 2)[None] * u[:, None] / max(u[-1], 1e-6)
             + rng.uniform(0, 0.004) * np.sin(2 * np.pi * rng.uniform(1, 3) * u[:, None] + rng.uniform(0, 6.3, 2)))
    out = []
    for t in range(length):
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), float(angle[t]), float(zoom[t]))
        matrix[:, 2] += shift[t] * np.array([w, h])
        out.append(cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101))
    return out


def flicker_frames(frames: Sequence[np.ndarray], keypoints: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """Each frame self-blended with parameters drawn anew (a per-frame face swap's flicker)."""
    return [self_blend_in_frame(f, kp, np.random.default_rng(int(rng.integers(0, 2**31))))
            for f, kp in zip(frames, keypoints)]


def run_fakes(frames: Sequence[np.ndarray], keypoints: np.ndarray, donor_frames: Sequence[np.ndarray] | None,
              donor_keypoints: np.ndarray | None, rng: np.random.Generator) -> dict[str, list[np.ndarray]]:
    """The pseudo-fakes of one real run: lip sync (the mouth of the donor run, or of the run played
    backwards), its first frame animated, flicker."""
    length = len(keypoints)
    frames = list(frames)[:length]
    out = {"animated": animate_still(frames[0], keypoints[0], rng, length),
           "flicker": flicker_frames(frames, keypoints, rng)}
    if donor_frames is None or donor_keypoints is None or len(donor_keypoints) < length or rng.random() < 0.5:
        donor_frames, donor_keypoints = frames[::-1], keypoints[::-1]  # the same run's mouth, played backwards
    out["lip_sync"] = lip_sync(frames, keypoints, list(donor_frames)[:length], donor_keypoints[:length], rng)
    return out


@dataclass
class TalkingBank(SavedArrays):
    """Per-frame features of many clips, padded to one length, with labels, kinds and groups."""

    features: np.ndarray  # (N, T, F) float16
    masks: np.ndarray  # (N, T) uint8
    labels: np.ndarray  # (N,) uint8
    mouth_labels: np.ndarray  # (N,) int8, -1 where the mouth is not judged
    kinds: np.ndarray  # (N,) uint8, index into KINDS
    groups: np.ndarray  # (N,) int64: the source (video or photo) each clip came from
    sources: np.ndarray  # (N,) str: the source's name (identity for talking heads)


Features = Callable[[ServedTrack], np.ndarray]


def bank_of(tracks: Sequence[tuple[ServedTrack, str, int, str]], features: Features, length: int,
            min_frames: int) -> TalkingBank | None:
    """A bank of (track, kind, group, source name) entries with at least `min_frames` frames; None when empty."""
    kept = [(t, k, g, s) for t, k, g, s in tracks if t is not None and len(t.crops) >= min_frames]
    if not kept:
        return None
    values = [features(track) for track, _, _, _ in kept]
    n, dim = len(kept), values[0].shape[1]
    out = TalkingBank(np.zeros((n, length, dim), np.float16), np.zeros((n, length), np.uint8),
                      np.array([LABELS[k] for _, k, _, _ in kept], np.uint8),
                      np.array([MOUTH_LABELS[k] for _, k, _, _ in kept], np.int8),
                      np.array([KINDS.index(k) for _, k, _, _ in kept], np.uint8),
                      np.array([g for _, _, g, _ in kept], np.int64), np.array([s for _, _, _, s in kept]))
    for i, frame_values in enumerate(values):
        t = min(length, len(frame_values))
        out.features[i, :t] = frame_values[:t]
        out.masks[i, :t] = 1
    return out
