"""Face scores -> people -> frame, image and video scores and a verdict (pure numpy).

How scores are combined:
- a face's score is that of its most alarmed frame detector, each measured against its own bands
  (`models.serving.frame_score.combine`: a specialist's alarm is not averaged away);
- faces are grouped across the sampled frames into people (tracks) by box overlap and centre
  distance (from the last box, or from a constant-velocity guess of where a moving face will be),
  allowing more movement the more seconds lie between two sampled frames;
- a person's score is the mean of the top half of that person's frame scores (ceil(n / 2) highest).
  A manipulation often shows only in some frames (a turn of the head, a blink), so the low half is
  dropped; averaging the top half rather than taking the max keeps one odd frame from deciding;
- a frame's score is the highest face score in it; a media's score is the highest person score
  (a video is fake if anyone in it is); an image is a media of one frame;
- within a frame, a face box mostly inside (or around) a better-detected one is dropped as a second
  detection of the same face;
- in a video, a person scored in fewer than BRIEF_FRAMES analysed frames, and in fewer than half
  of them (a face turned to the camera once, a passer-by), is `brief`: their score is held below
  the bands' `fake_from`, so one or two frames can make a video inconclusive but never likely fake
  on their own;
- faces whose box is smaller than `min_face_px` on its shorter side are reported with
  `too_small: true` and never scored; faces too blurred for every detector that judges their size
  (`min_sharpness`) with `too_blurred: true`; with no scored face the verdict is `no_face`;
- with temporal evidence (a video read as runs of consecutive frames and a clip detector,
  `models.serving.clip_analysis.TemporalEvidence`), a person's score is their frame score fused with their
  clip scores (`models.serving.fusion`), each face also reports its frame and temporal evidence, the
  detectors list the clip detector's score, and the timeline gets the per-frame inconsistency curve.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from models.detectors.detector import ScoreBands
from models.faces.detect import largest_face
from models.serving.frame_score import combine, most_alarmed

NO_FACE = "no_face"

# Two boxes belong to one person only when their sizes are within this ratio of each other.
MAX_SIZE_RATIO = 2.0
# ... and their centres (or the track's predicted centre) are at most this many face sizes apart,
# plus FACE_SPEED face sizes for every second between the two frames (sampled frames of a long video
# are seconds apart), never more than MAX_REACH face sizes.
MAX_CENTRE_DISTANCE = 1.5
FACE_SPEED = 1.0
MAX_REACH = 4.0
# Two faces in one frame whose boxes share this much of the smaller box are one face found twice.
DUPLICATE_OVERLAP = 0.6
# In a video, a person scored in fewer analysed frames than this cannot call it likely fake alone.
BRIEF_FRAMES = 3


@dataclass(frozen=True)
class FrameRef:
    """One analysed frame: its index in the source video (0 for an image) and its timestamp in s."""

    index: int
    timestamp: float


@dataclass(frozen=True)
class FaceObservation:
    """One face found in one analysed frame; `scores` maps detector name -> probability (empty when too small)."""

    frame: int  # position in the list of analysed frames, not the source frame index
    box: tuple[float, float, float, float]  # x, y, w, h in image pixels
    scores: Mapping[str, float] = field(default_factory=dict)
    too_small: bool = False
    too_blurred: bool = False  # big enough, but below the least sharpness of every detector judging its size
    anchors: Mapping[str, ScoreBands] | None = None  # each detector's own bands (frame_score.combine)

    @property
    def score(self) -> float | None:
        """The combined score of this face's detectors (the most alarmed), None when it was not scored."""
        if self.too_small or self.too_blurred or not self.scores:
            return None
        return combine(self.scores, self.anchors)


def is_too_small(box: Sequence[float], min_face_px: float) -> bool:
    """True when a face box's shorter side is below `min_face_px`."""
    return min(box[2], box[3]) < min_face_px


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return float(inter / union) if union > 0 else 0.0


def overlap_of_smaller(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection of two (x, y, w, h) boxes as a fraction of the smaller box's area."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    smaller = min(a[2] * a[3], b[2] * b[3])
    return float(ix * iy / smaller) if smaller > 0 else 0.0


def distinct_faces(boxes: Sequence[Sequence[float]], scores: Sequence[float]) -> list[int]:
    """Indices of the faces to keep in one frame, best first: a box mostly covering (or covered by) a
    better-scored one is a second detection of the same face, not a second person."""
    kept: list[int] = []
    for i in sorted(range(len(boxes)), key=lambda k: -scores[k]):
        if all(overlap_of_smaller(boxes[i], boxes[k]) < DUPLICATE_OVERLAP for k in kept):
            kept.append(i)
    return kept


def _centre(box: Sequence[float]) -> np.ndarray:
    """Centre (x, y) of an (x, y, w, h) box."""
    return np.array([box[0] + box[2] / 2.0, box[1] + box[3] / 2.0])


def _size(box: Sequence[float]) -> float:
    """Side of the square with the box's area: a face's size in pixels."""
    return math.sqrt(max(box[2], 1e-6) * max(box[3], 1e-6))


def reach(gap_seconds: float) -> float:
    """How far (in face sizes) a face may move between two frames `gap_seconds` apart."""
    return min(MAX_CENTRE_DISTANCE + FACE_SPEED * max(gap_seconds, 0.0), MAX_REACH)


def match_similarity(expected: Sequence[float], box: Sequence[float], limit: float = MAX_CENTRE_DISTANCE) -> float:
    """How well `box` continues a track expected at `expected`; -inf when it cannot be the same person.

    `limit` is the largest centre distance allowed, in face sizes (see `reach`).
    """
    size_a, size_b = _size(expected), _size(box)
    if max(size_a, size_b) / min(size_a, size_b) > MAX_SIZE_RATIO:
        return -math.inf
    distance = float(np.linalg.norm(_centre(expected) - _centre(box))) / ((size_a + size_b) / 2.0)
    if distance > limit:
        return -math.inf
    return box_iou(expected, box) + (1.0 - distance / limit)


class _Track:
    """A person being followed through the frames: observation ids, frames and boxes so far."""

    def __init__(self, obs_id: int, obs: FaceObservation, time: float):
        """Start a track with its first observation, seen at `time` seconds."""
        self.members = [obs_id]
        self.frames = [obs.frame]
        self.times = [time]
        self.boxes = [tuple(float(v) for v in obs.box)]

    def expected_boxes(self, frame: int) -> list[tuple[float, float, float, float]]:
        """Where this person's face may be in `frame`: the last box, and it moved at the last velocity."""
        last = self.boxes[-1]
        if len(self.boxes) < 2:
            return [last]
        step = (_centre(last) - _centre(self.boxes[-2])) / (self.frames[-1] - self.frames[-2])
        shift = step * (frame - self.frames[-1])
        return [last, (last[0] + shift[0], last[1] + shift[1], last[2], last[3])]

    def similarity(self, frame: int, time: float, box: Sequence[float]) -> float:
        """Best match of `box` (seen at `time`) with this track's expected boxes; -inf when none fits."""
        limit = reach(time - self.times[-1])
        return max(match_similarity(expected, box, limit) for expected in self.expected_boxes(frame))

    def add(self, obs_id: int, obs: FaceObservation, time: float) -> None:
        """Append one observation."""
        self.members.append(obs_id)
        self.frames.append(obs.frame)
        self.times.append(time)
        self.boxes.append(tuple(float(v) for v in obs.box))


def group_faces(observations: Sequence[FaceObservation], times: Sequence[float] | None = None) -> list[list[int]]:
    """Group observations into people; returns lists of observation indices, in order of first appearance.

    `times[f]` is the timestamp (s) of analysed frame f; without it frames count as simultaneous (no
    extra reach for time between them). Within a frame, the best-matching pairs are linked first.
    """
    tracks: list[_Track] = []
    by_frame: dict[int, list[int]] = {}
    for obs_id, obs in enumerate(observations):
        by_frame.setdefault(obs.frame, []).append(obs_id)
    for frame in sorted(by_frame):
        ids, time = by_frame[frame], float(times[frame]) if times is not None else 0.0
        pairs = [(track.similarity(frame, time, observations[obs_id].box), t, obs_id)
                 for t, track in enumerate(tracks) for obs_id in ids]
        used_tracks, used_obs = set(), set()
        for sim, t, obs_id in sorted(pairs, key=lambda p: -p[0]):
            if sim > -math.inf and t not in used_tracks and obs_id not in used_obs:
                tracks[t].add(obs_id, observations[obs_id], time)
                used_tracks.add(t)
                used_obs.add(obs_id)
        for obs_id in ids:
            if obs_id not in used_obs:
                tracks.append(_Track(obs_id, observations[obs_id], time))
    return [track.members for track in tracks]


def robust_mean(scores: Sequence[float]) -> float:
    """Mean of the top half (ceil(n / 2) highest) of the scores."""
    if len(scores) == 0:
        raise ValueError("robust_mean of no scores")
    ordered = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    return float(ordered[: math.ceil(len(ordered) / 2)].mean())


def resolve_bands(model_bands: ScoreBands | None, threshold_real: float | None,
                  threshold_fake: float | None) -> ScoreBands:
    """The model's calibrated bands with either threshold replaced when the config sets it (not None)."""
    if model_bands is None and (threshold_real is None or threshold_fake is None):
        raise ValueError("no score bands: the model has none and the config does not set both thresholds")
    real = threshold_real if threshold_real is not None else model_bands.real_below
    fake = threshold_fake if threshold_fake is not None else model_bands.fake_from
    if not 0.0 <= real <= fake <= 1.0:
        raise ValueError(f"thresholds must satisfy 0 <= real ({real}) <= fake ({fake}) <= 1")
    return ScoreBands(real_below=float(real), fake_from=float(fake))


def _frame_values(members: Sequence[FaceObservation], detector: str | None) -> list[float]:
    """One person's scored frames: the combined score (None) or one detector's."""
    if detector is None:
        return [m.score for m in members if m.score is not None]
    return [m.scores[detector] for m in members if not m.too_small and detector in m.scores]


def _person_score(members: Sequence[FaceObservation], detector: str | None) -> float | None:
    """Robust mean over one person's scored frames, for one detector or (None) the combined score."""
    values = _frame_values(members, detector)
    return robust_mean(values) if values else None


def _representative(members: Sequence[FaceObservation]) -> FaceObservation:
    """The observation that stands for a person: its highest-scored one, else its largest box."""
    scored = [m for m in members if m.score is not None]
    if scored:
        return max(scored, key=lambda m: m.score)
    return largest_face(members)


def _max_or_none(values) -> float | None:
    """Largest of the values that are not None; None when there are none."""
    present = [v for v in values if v is not None]
    return max(present) if present else None


def aggregate(frames: Sequence[FrameRef], observations: Sequence[FaceObservation],
              bands: ScoreBands, detectors: Sequence[str], *, timeline: bool, temporal=None) -> dict:
    """The result's verdict, score, faces (people), per-detector scores and, when `timeline`, frames.

    `temporal` (a models.serving.clip_analysis.TemporalEvidence or None) fuses clip evidence into each
    person's score; `bands` must then be the fused score's bands.
    """
    groups = temporal.people if temporal else group_faces(observations, [f.timestamp for f in frames])
    people = [[observations[i] for i in group] for group in groups]
    faces = [_face_entry(person_id, members, frames, temporal, bands) for person_id, members in enumerate(people)]
    score = _max_or_none(f["score"] for f in faces)
    result = {"verdict": NO_FACE if score is None else bands.verdict(score), "score": score, "faces": faces}
    if timeline:
        result["frames"] = frame_timeline(frames, observations, temporal)
    result["detectors"] = {
        name: _round(_max_or_none(_person_score(members, name) for members in people)) for name in detectors
    }
    if temporal:
        result["clip_detector"] = temporal.detector
        result["detectors"][temporal.detector] = _round(_max_or_none(f["temporal"] for f in faces))
        if timeline:
            result["temporal"] = [{"index": int(f.index), "timestamp": round(float(f.timestamp), 3),
                                   "score": _round(temporal.curve.get(pos))} for pos, f in enumerate(frames)]
    return result


def is_brief(scored_frames: int, analysed_frames: int) -> bool:
    """Whether a person scored in `scored_frames` of a media's `analysed_frames` was seen too briefly
    to call it likely fake alone: fewer than BRIEF_FRAMES, and fewer than half of the frames (so
    never in a photo, and never a person not scored at all)."""
    return 0 < scored_frames < min(BRIEF_FRAMES, math.ceil(analysed_frames / 2))


def held_below(score: float, bands: ScoreBands) -> float:
    """The score, at most one 4-decimal step under fake_from as the result rounds it (inconclusive at most)."""
    ceiling = round(math.floor(float(bands.fake_from) * 10_000) / 10_000 - 0.0001, 4)
    return min(float(score), max(ceiling, 0.0))


def _face_entry(person_id: int, members: Sequence[FaceObservation], frames: Sequence[FrameRef], temporal,
                bands: ScoreBands) -> dict:
    """One person of the result: box, score (fused with clip evidence when there is some; held below
    fake_from when brief), frames."""
    values = _frame_values(members, None)
    frame_score = robust_mean(values) if values else None
    score = temporal.fused(person_id, values) if temporal and values else frame_score
    brief = is_brief(len(values), len(frames))
    blurred = score is None and any(m.too_blurred for m in members)
    if brief:
        score = held_below(score, bands)
    entry = {
        "id": person_id,
        "box": [round(float(v), 1) for v in _representative(members).box],
        "score": _round(score),
        "frames": sorted({frames[m.frame].index for m in members}),
        "too_small": score is None and not blurred,
        "too_blurred": blurred,
        "brief": brief,
    }
    if temporal:
        entry["frame_score"] = _round(frame_score)
        entry["temporal"] = _round(temporal.person_temporal(person_id) if values else None)
        if temporal.mouth_scores is not None:
            entry["mouth"] = _round(temporal.person_mouth(person_id) if values else None)
    return entry


def frame_timeline(frames: Sequence[FrameRef], observations: Sequence[FaceObservation], temporal=None) -> list[dict]:
    """Per analysed frame: source index, timestamp, its highest face score (None without a scored face)
    and the detector that raised the frame most: the frame detector behind that score, or the clip
    detector when its curve on the frame is higher."""
    best: dict[int, float] = {}
    raised_by: dict[int, str] = {}
    for obs in observations:
        if obs.score is not None and obs.score > best.get(obs.frame, -1.0):
            best[obs.frame] = obs.score
            raised_by[obs.frame] = most_alarmed(obs.scores, obs.anchors)
    if temporal is not None:
        for pos, value in temporal.curve.items():
            if pos in best and value > best[pos]:
                raised_by[pos] = temporal.detector
    return [
        {"index": int(f.index), "timestamp": round(float(f.timestamp), 3), "score": _round(best.get(pos)),
         "detector": raised_by.get(pos)}
        for pos, f in enumerate(frames)
    ]


def _round(value: float | None) -> float | None:
    """A score rounded to 4 decimals for the result (None stays None)."""
    return None if value is None else round(float(value), 4)
