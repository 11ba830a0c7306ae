"""People's runs of consecutive frames -> temporal clip scores -> fused person scores.

Used when a video is sampled as short runs of consecutive frames (`models.serving.frames.sample_clips`)
rather than spread-out frames: faces are found and grouped into people as usual
(`models.serving.analysis.find_faces`, `models.serving.aggregate.group_faces`); each person's faces in consecutive
frames of one run form a track, cut into clips of at most the clip detector's `max_frames`; all
clips of the media are scored in one batched call; each person's frame scores and clip scores are
fused (`models.serving.fusion`). `temporal_evidence` does all of it for one media; `models.serving.aggregate`
turns the evidence into fused person scores, the temporal detector's score and its curve.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from models.serving.aggregate import FaceObservation, group_faces, robust_mean
from models.serving.analysis import UnusableScores
from models.serving.fusion import FusionConfig, fuse_person


@dataclass(frozen=True)
class TemporalEvidence:
    """One media's clip evidence: its people (observation ids), their clip scores, the per-frame curve."""

    detector: str
    people: list[list[int]]
    clip_scores: list[list[float]]  # per person, in run order (empty: no clip long enough)
    curve: dict[int, float]  # analysed frame position -> highest inconsistency of the clips covering it
    fusion: FusionConfig
    mouth_scores: list[list[float]] | None = None  # per person, when the clip detector has a mouth head

    def person_temporal(self, person: int) -> float | None:
        """A person's temporal evidence (top-half mean of their clip scores), None without a clip."""
        clips = self.clip_scores[person]
        return robust_mean(clips) if clips else None

    def person_mouth(self, person: int) -> float | None:
        """A person's mouth evidence (top-half mean of their clips' mouth scores), None without one."""
        clips = self.mouth_scores[person] if self.mouth_scores else []
        return robust_mean(clips) if clips else None

    def fused(self, person: int, frame_scores: Sequence[float]) -> float:
        """A person's fused score from their frame scores and clip scores."""
        return fuse_person(frame_scores, self.clip_scores[person], self.fusion)


def temporal_evidence(clip_detector, found: Sequence[dict], crops: np.ndarray,
                      observations: Sequence[FaceObservation], times: Sequence[float],
                      run_of_frame: Sequence[int], min_frames: int,
                      regions: Sequence[np.ndarray] | None = None) -> TemporalEvidence:
    """Group faces into people, cut their tracks into clips, score every clip in one call (UnusableScores
    when the clip detector answers with the wrong number of scores or non-finite ones). `regions`: the
    native face regions in crop order, for a clip detector that reads them."""
    people = group_faces(observations, times)
    runs = track_runs(found, people, run_of_frame, min_frames, clip_detector.max_frames)
    scored = score_runs(clip_detector, crops, found, runs, regions)
    mouth = scored.mouth
    usable = [scored.scores] if mouth is None else [scored.scores, mouth]
    if any(len(v) != len(runs) for v in usable) or not all(np.all(np.isfinite(v)) for v in [*usable, scored.curves]):
        raise UnusableScores(f"detector {clip_detector.name!r} returned unusable clip scores")
    curve: dict[int, float] = {}
    for (_, ids), row in zip(runs, scored.curves):
        for offset, face_id in enumerate(ids):
            position = found[face_id]["frame"]
            curve[position] = max(curve.get(position, 0.0), float(row[offset]))
    return TemporalEvidence(clip_detector.name, people, person_clip_scores(runs, scored.scores, len(people)),
                            curve, clip_detector.fusion,
                            None if mouth is None else person_clip_scores(runs, mouth, len(people)))


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


def score_runs(clip_detector, crops: np.ndarray, found: Sequence[dict], runs: Sequence[tuple[int, list[int]]],
               regions: Sequence[np.ndarray] | None = None):
    """ClipScores of every run in one batched call (runs padded to the longest, masked); a clip detector
    whose input_kind is "region" also gets each run's native face regions."""
    from models.detectors.detector import ClipScores

    if not runs:
        return ClipScores(np.zeros((0,), np.float32), np.zeros((0, 0), np.float32))
    length = max(len(ids) for _, ids in runs)
    clips = np.zeros((len(runs), length, *crops.shape[1:]), dtype=np.uint8)
    mask = np.zeros((len(runs), length), dtype=np.float32)
    for row, (_, ids) in enumerate(runs):
        clips[row, :len(ids)] = crops[[found[i]["crop"] for i in ids]]
        mask[row, :len(ids)] = 1.0
    if getattr(clip_detector, "input_kind", "aligned") != "region":
        return clip_detector.predict(clips, mask)
    if regions is None or len(regions) != len(crops):
        raise ValueError(f"clip detector {clip_detector.name!r} needs one native face region per crop")
    run_regions = [[regions[found[i]["crop"]] for i in ids] for _, ids in runs]
    return clip_detector.predict(clips, mask, regions=run_regions)


def person_clip_scores(runs: Sequence[tuple[int, list[int]]], scores: np.ndarray, n_people: int) -> list[list[float]]:
    """Each person's clip scores, in run order."""
    out: list[list[float]] = [[] for _ in range(n_people)]
    for (person, _), score in zip(runs, scores):
        out[person].append(float(score))
    return out
