"""Training clips for the temporal detector: real clips, and the same clips with a per-frame fake.

Sources of real clips (one person's face in consecutive frames):
- real videos: runs of consecutive frames (`models.serving.frames.sample_clips`), the face found in every
  frame by the serving face detector;
- real stills with 49 landmarks (All-Age-Faces), made into clips by a smooth camera motion
  (slow pan, zoom and roll, a little hand shake), with the served crop aligned on keypoints
  that carry a face detector's frame-to-frame noise.

Each source is held as work crops: frames stabilised on the (smoothed) face track with a margin, so
a manipulation can be made once per frame and the served crop (aligned on that frame's own
keypoints, as serving does) cut from it. Each source gives three clips of the same frames:

| kind    | what                                                         | clip label | frame labels |
|---------|--------------------------------------------------------------|------------|--------------|
| real    | the frames as they are                                       | 0          | 0            |
| smooth  | a self-blend or swap with the SAME parameters on every frame | 0          | 0            |
| flicker | the same kind of fake whose parameters drift frame by frame  | 1          | 1 where they drift |

The temporal detector's label is "temporal inconsistency", not "manipulated". A smooth fake is
still a fake, but nothing in it flickers; labelling it 0 makes the model learn the flicker rather
than the blend, which the frame detectors (frame_cnn, hybrid_vit) already see, and fusion
(`models.serving.fusion`) adds the two kinds of evidence. A clip's label is the largest of its valid
frames' labels, so a clip cut short before its flicker starts is labelled 0. All three clips of a
source get the same web damage (drawn once per source: a video is compressed as a whole).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import cv2
import numpy as np

from models.faces.align import (CROP_SIZE, alignment_matrix, keypoints_from_intraface49, mean_landmarks,
                                transform_points)
from models.faces.detect import largest_face
from models.synth.temporal import (ClipDegrade, flicker_sequence, render, sample_flicker, sample_params,
                                   smooth_sequence, swap_source)
from models.serving.temporal_signals import N_SIGNALS, frame_signals

WORK_RATIO = 288 / 224  # work crops: the served crop's scale with a margin, so slips stay inside
CLIP_KINDS = ("real", "smooth", "flicker")


def work_size(size: int) -> int:
    """Side of the work crops for served crops of side `size` (288 for 224)."""
    return int(round(size * WORK_RATIO))


def margin(size: int) -> float:
    """The work crops' margin on each side for served crops of side `size`."""
    return (work_size(size) - size) / 2.0


@dataclass
class ClipSource:
    """One face over consecutive frames: work crops, 49 landmarks in them, and the serving alignment."""

    frames: np.ndarray  # (T, W, W, 3) uint8 RGB, stabilised on the face, W = work_size(size)
    landmarks: np.ndarray  # (T, 49, 2) IntraFace landmarks in work-crop pixels
    to_served: np.ndarray  # (T, 2, 3) work crop -> served crop, from each frame's own keypoints
    name: str
    size: int = CROP_SIZE  # side of the served crops


@dataclass
class Clip:
    """One training clip: served crops, per-frame labels, the clip label and its kind."""

    crops: np.ndarray  # (T, S, S, 3) uint8 served crops
    frame_labels: np.ndarray  # (T,) float32
    label: float
    kind: str
    params: list | None = None  # per-frame BlendParams of a fake


def compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """The 2x3 affine map `outer` after `inner`."""
    return np.hstack([outer[:, :2] @ inner[:, :2], (outer[:, :2] @ inner[:, 2] + outer[:, 2])[:, None]])


def work_matrix(keypoints: np.ndarray, size: int = CROP_SIZE) -> np.ndarray:
    """Source pixels -> work crop: the served alignment (crops of side `size`) with a margin on every side."""
    matrix = alignment_matrix(keypoints, size).copy()
    matrix[:, 2] += margin(size)
    return matrix


def detector_noise(keypoints: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Keypoints (T, 4, 2) with independent noise of `sigma` inter-ocular distances per frame."""
    iod = np.linalg.norm(keypoints[:, 1] - keypoints[:, 0], axis=1)[:, None, None]
    return keypoints + rng.normal(0, 1, keypoints.shape) * sigma * iod


def camera_path(rng: np.random.Generator, length: int, size: int = CROP_SIZE) -> np.ndarray:
    """(T, 2, 3) smooth similarity motions about the work crop's centre: pan, zoom, roll, slight shake.

    Pan and shake are in pixels of a 224 crop, scaled to `size`.
    """
    u = np.linspace(-0.5, 0.5, length)
    phase = rng.uniform(0, 2 * np.pi, 3)
    freq = rng.uniform(0.5, 2.0)
    shake = rng.uniform(0.0, 1.5)
    angle = np.deg2rad(rng.uniform(-4, 4) * u + rng.uniform(-0.8, 0.8) * np.sin(2 * np.pi * freq * u + phase[0]))
    zoom = 1 + rng.uniform(-0.08, 0.08) * u
    shift = rng.uniform(-14, 14, 2) * u[:, None] + shake * np.sin(2 * np.pi * freq * u[:, None] + phase[1:])
    shift = shift * size / 224.0
    centre = np.full(2, work_size(size) / 2.0)
    out = np.zeros((length, 2, 3))
    for t in range(length):
        rot = zoom[t] * np.array([[np.cos(angle[t]), -np.sin(angle[t])], [np.sin(angle[t]), np.cos(angle[t])]])
        out[t, :, :2] = rot
        out[t, :, 2] = centre + shift[t] - rot @ centre
    return out


def still_source(image: np.ndarray, landmarks: np.ndarray, rng: np.random.Generator, length: int,
                 name: str = "still", noise: tuple[float, float] = (0.003, 0.015),
                 size: int = CROP_SIZE) -> ClipSource:
    """A real still (RGB, 49 landmarks in its pixels) made into a clip by a smooth camera motion."""
    base = work_matrix(keypoints_from_intraface49(landmarks), size)
    side = work_size(size)
    frames, marks, keypoints = [], [], []
    for motion in camera_path(rng, length, size):
        matrix = compose(motion, base)
        frames.append(cv2.warpAffine(image, matrix, (side, side), flags=cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_REFLECT_101))
        marks.append(transform_points(landmarks, matrix))
        keypoints.append(keypoints_from_intraface49(marks[-1]))
    noisy = detector_noise(np.stack(keypoints), rng, float(rng.uniform(*noise)))
    to_served = np.stack([alignment_matrix(kp, size) for kp in noisy])
    return ClipSource(np.stack(frames), np.stack(marks).astype(np.float32), to_served, name, size)


def smooth_track(keypoints: np.ndarray, sigma: float = 1.5) -> np.ndarray:
    """Keypoints (T, 4, 2) smoothed over time with a Gaussian (edges handled by renormalising)."""
    t = np.arange(len(keypoints))
    weights = np.exp(-0.5 * ((t[:, None] - t[None, :]) / sigma) ** 2)
    weights /= weights.sum(axis=1, keepdims=True)
    return np.einsum("st,tkc->skc", weights, keypoints)


def followed_face(faces: Sequence, centre: np.ndarray | None):
    """The face a track follows: the largest at its start, then the one nearest the last keypoints' centre."""
    if centre is None:
        return largest_face(faces)
    return min(faces, key=lambda f: np.linalg.norm(np.asarray(f.keypoints).mean(0) - centre))


def track_keypoints(images: Sequence[np.ndarray], face_detector) -> np.ndarray:
    """Keypoints (n, 4, 2) of one face followed from the first frame (its largest face) while found."""
    out, centre = [], None
    for image in images:
        faces = face_detector.detect(image)
        if not faces:
            break
        face = followed_face(faces, centre)
        out.append(np.asarray(face.keypoints, dtype=np.float64))
        centre = out[-1].mean(0)
    return np.stack(out) if out else np.zeros((0, 4, 2))


def video_frames_source(images: Sequence[np.ndarray], keypoints: np.ndarray, name: str,
                        size: int = CROP_SIZE) -> ClipSource:
    """A real video run as a ClipSource: work crops on the smoothed track, served crops on raw keypoints.

    The mask landmarks are the mean face shape (the video has no 49-point landmarks), fixed in the
    work crops, which follow the smoothed track.
    """
    smooth = smooth_track(keypoints)
    side = work_size(size)
    frames, to_served = [], []
    for image, raw, steady in zip(images, keypoints, smooth):
        work = work_matrix(steady, size)
        frames.append(cv2.warpAffine(image, work, (side, side), flags=cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_REFLECT_101))
        to_served.append(compose(alignment_matrix(raw, size), cv2.invertAffineTransform(work)))
    marks = np.repeat((mean_landmarks(size) + margin(size))[None], len(frames), axis=0)
    return ClipSource(np.stack(frames), marks.astype(np.float32), np.stack(to_served), name, size)


def video_sources(path: Path, face_detector, n_clips: int, length: int, min_length: int = 4,
                  size: int = CROP_SIZE) -> list[ClipSource]:
    """ClipSources from `n_clips` runs of `length` consecutive frames of a real video (tracks from its first frame)."""
    from models.serving.frames import sample_clips

    sources = []
    for number, run in enumerate(sample_clips(path, n_clips, length, max_side=1280)):
        images = [frame.image for frame in run]
        keypoints = track_keypoints(images, face_detector)
        if len(keypoints) >= min_length:
            name = f"{Path(path).name}#{number}"
            sources.append(video_frames_source(images[:len(keypoints)], keypoints, name, size))
    return sources


@dataclass
class Donors:
    """Faces for swaps: work-size crops of real stills and their 49 landmarks in crop pixels."""

    images: np.ndarray
    landmarks: np.ndarray

    @classmethod
    def from_stills(cls, stills: Sequence[tuple[np.ndarray, np.ndarray]], size: int = CROP_SIZE) -> "Donors":
        """Donors from (RGB image, 49 landmarks) pairs, each aligned into a work crop for `size` crops."""
        images, marks = [], []
        side = work_size(size)
        for image, landmarks in stills:
            matrix = work_matrix(keypoints_from_intraface49(landmarks), size)
            images.append(cv2.warpAffine(image, matrix, (side, side), borderMode=cv2.BORDER_REFLECT_101))
            marks.append(transform_points(landmarks, matrix))
        return cls(np.stack(images), np.stack(marks).astype(np.float32))


def fake_frames(source: ClipSource, params: list, donor: tuple | None, fixed_colour: bool) -> np.ndarray:
    """Work crops with the per-frame blend of `params` (a swap from `donor` when given)."""
    out, stats = [], None
    for frame, marks, p in zip(source.frames, source.landmarks, params):
        donor_face = None
        if donor is not None:
            donor_face, used = swap_source(frame, marks, donor[0], donor[1], stats if fixed_colour else None)
            stats = used
        out.append(render(frame, marks, p, donor_face)[0])
    return np.stack(out)


def make_clip(source: ClipSource, kind: str, rng: np.random.Generator, degrade: ClipDegrade, noise_seed: int,
              donors: Donors | None = None, swap_prob: float = 0.3) -> Clip:
    """The real, smooth-fake or flickering-fake clip of a source, served as crops with web damage."""
    length = len(source.frames)
    params = None
    if kind == "real":
        work, labels = source.frames, np.zeros(length, dtype=np.float32)
    elif kind in ("smooth", "flicker"):
        base = sample_params(rng)
        if kind == "smooth":
            params, labels = smooth_sequence(base, length)
            colour_drifts = False
        else:
            flicker = sample_flicker(rng, length)
            params, labels = flicker_sequence(base, flicker, length, rng)
            colour_drifts = "colour" in flicker.groups
        donor = None
        if donors is not None and len(donors.images) and rng.random() < swap_prob:
            j = int(rng.integers(len(donors.images)))
            donor = (donors.images[j], donors.landmarks[j])
        work = fake_frames(source, params, donor, fixed_colour=not colour_drifts)
    else:
        raise ValueError(f"unknown clip kind {kind!r}; known: {CLIP_KINDS}")
    noise_rng = np.random.default_rng(noise_seed)
    crops = np.stack([
        cv2.warpAffine(degrade.apply(frame, noise_rng), matrix, (source.size, source.size), flags=cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REFLECT_101)
        for frame, matrix in zip(work, source.to_served)
    ])
    return Clip(crops, labels, float(labels.max()), kind, params)


def source_clips(source: ClipSource, seed: Sequence[int], donors: Donors | None = None,
                 swap_prob: float = 0.3) -> list[Clip]:
    """The three clips (real, smooth, flicker) of one source, reproducible from `seed`."""
    rng = np.random.default_rng(list(seed))
    degrade = ClipDegrade.sample(rng)
    noise_seed = int(rng.integers(0, 2**31))
    return [make_clip(source, kind, np.random.default_rng([*seed, k]), degrade, noise_seed, donors, swap_prob)
            for k, kind in enumerate(CLIP_KINDS)]


class SavedArrays:
    """A dataclass of equally long arrays kept as one .npz: save, load, join and select rows."""

    def save(self, path: Path) -> None:
        """Write as .npz (atomically: a temporary file renamed)."""
        tmp = Path(path).with_suffix(".tmp.npz")
        np.savez(tmp, **self.__dict__)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path):
        """Read a saved one."""
        with np.load(path, allow_pickle=False) as data:
            return cls(**{name: data[name] for name in cls.__dataclass_fields__})

    @classmethod
    def concat(cls, banks: Sequence):
        """Several joined row-wise."""
        return cls(**{name: np.concatenate([getattr(b, name) for b in banks]) for name in cls.__dataclass_fields__})

    def subset(self, keep: np.ndarray):
        """The rows where `keep` is true."""
        return type(self)(**{name: getattr(self, name)[keep] for name in self.__dataclass_fields__})


@dataclass
class ClipBank(SavedArrays):
    """Per-frame features of many clips, padded to one length, with masks, labels and kinds."""

    features: np.ndarray  # (N, T, F) float16
    masks: np.ndarray  # (N, T) uint8, valid frames first
    frame_labels: np.ndarray  # (N, T) uint8
    labels: np.ndarray  # (N,) uint8
    kinds: np.ndarray  # (N,) uint8, index into CLIP_KINDS
    groups: np.ndarray  # (N,) int64, the source each clip came from


Embed = Callable[[np.ndarray], np.ndarray]


def bank_of(clips: Sequence[Clip], groups: Sequence[int], embed: Embed, length: int) -> ClipBank:
    """A ClipBank of clips (each at most `length` frames), embedding all their crops in one call.

    A frame's features are the frame CNN's embedding (`embed`) followed by the measured signals.
    """
    lengths = [len(c.crops) for c in clips]
    if max(lengths) > length:
        raise ValueError(f"a clip has {max(lengths)} frames; the bank holds {length}")
    embedded = np.asarray(embed(np.concatenate([c.crops for c in clips])), dtype=np.float32)
    n, dim = len(clips), embedded.shape[1]
    features = np.zeros((n, length, dim + N_SIGNALS), dtype=np.float16)
    masks = np.zeros((n, length), dtype=np.uint8)
    frame_labels = np.zeros((n, length), dtype=np.uint8)
    start = 0
    for i, (clip, t) in enumerate(zip(clips, lengths)):
        features[i, :t, :dim] = embedded[start:start + t]
        features[i, :t, dim:] = frame_signals(clip.crops)
        masks[i, :t] = 1
        frame_labels[i, :t] = clip.frame_labels
        start += t
    return ClipBank(features, masks, frame_labels,
                    np.array([c.label for c in clips], dtype=np.uint8),
                    np.array([CLIP_KINDS.index(c.kind) for c in clips], dtype=np.uint8),
                    np.asarray(groups, dtype=np.int64))
