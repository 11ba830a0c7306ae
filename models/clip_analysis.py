"""People's runs of consecutive frames -> temporal clip scores -> fused person scores.

Used when a video is sampled as short runs of consecutive frames (`models.frames.sample_clips`)
rather than spread-out frames: faces are found and grouped into people as usual
(`models.analysis.find_faces`, `models.aggregate.group_faces`); each person's faces in consecutive
frames of one run form a track, cut into clips of at most the clip detector's `max_frames`; all
clips of the media are scored in one batched call; each person's frame scores and clip scores are
fused (`models.fusion`).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from models.aggregate import FaceObservation
from models.fusion import FusionConfig, fuse_person


def track_runs(found: Sequence[dict], people: Sequence[Sequence[int]], run_of_frame: Sequence[int],
               min_frames: int, max_frames: int) -> list[tuple[int, list[int]]]:
    """(person, face ids) of every clip: a person's scored faces in consecutive frames of one run.

    `found` are find_faces' faces (frame position, crop index or None when too small), `people`
    group their ids, `run_of_frame[p]` is the run (clip of the video) frame position p belongs to.
    Tracks longer than `max_frames` are cut into pieces; pieces shorter than `min_frames` are dropped.
    """
    out = []
    for person, members in enumerate(people):
        track: list[int] = []
        for face_id in sorted(members, key=lambda i: found[i]["frame"]) + [None]:
            if face_id is not None and found[face_id]["crop"] is not None and track and _continues(
                    found[track[-1]]["frame"], found[face_id]["frame"], run_of_frame):
                track.append(face_id)
                continue
            out += [(person, piece) for piece in _pieces(track, min_frames, max_frames)]
            scorable = face_id is not None and found[face_id]["crop"] is not None
            track = [face_id] if scorable else []
    return out


def _continues(previous: int, frame: int, run_of_frame: Sequence[int]) -> bool:
    """True when `frame` directly follows `previous` within the same run."""
    return frame == previous + 1 and run_of_frame[frame] == run_of_frame[previous]


def _pieces(track: list[int], min_frames: int, max_frames: int) -> list[list[int]]:
    """A track cut into pieces of at most max_frames, keeping those of at least min_frames."""
    pieces = [track[i:i + max_frames] for i in range(0, len(track), max_frames)]
    return [p for p in pieces if len(p) >= min_frames]


def score_runs(clip_detector, crops: np.ndarray, found: Sequence[dict], runs: Sequence[tuple[int, list[int]]]):
    """ClipScores of every run in one batched call (runs padded to the longest, masked)."""
    from models.detector import ClipScores

    if not runs:
        return ClipScores(np.zeros((0,), np.float32), np.zeros((0, 0), np.float32))
    length = max(len(ids) for _, ids in runs)
    clips = np.zeros((len(runs), length, *crops.shape[1:]), dtype=np.uint8)
    mask = np.zeros((len(runs), length), dtype=np.float32)
    for row, (_, ids) in enumerate(runs):
        clips[row, :len(ids)] = crops[[found[i]["crop"] for i in ids]]
        mask[row, :len(ids)] = 1.0
    return clip_detector.predict(clips, mask)


def person_clip_scores(runs: Sequence[tuple[int, list[int]]], scores: np.ndarray, n_people: int) -> list[list[float]]:
    """Each person's clip scores, in run order."""
    out: list[list[float]] = [[] for _ in range(n_people)]
    for (person, _), score in zip(runs, scores):
        out[person].append(float(score))
    return out


def fused_people(observations: Sequence[FaceObservation], people: Sequence[Sequence[int]],
                 clip_scores: Sequence[Sequence[float]], config: FusionConfig) -> list[float | None]:
    """Each person's fused score (None for a person with no scored face)."""
    out = []
    for members, clips in zip(people, clip_scores):
        frames = [observations[i].score for i in members if observations[i].score is not None]
        out.append(fuse_person(frames, clips, config) if frames else None)
    return out
