"""Read frames from video files: probe them, sample N evenly spaced frames, or short runs of consecutive frames.

Two ways to reach a frame with OpenCV's FFmpeg backend:

* seek (`CAP_PROP_POS_FRAMES`): OpenCV seeks to the key frame before `target - 16` and decodes forward,
  so one seek costs about `16 + GOP/2` decoded frames. Cheap when key frames are close together.
* sequential: `grab()` every frame (decodes, no colour conversion) and `retrieve()` only the wanted ones.
  Costs one decode per frame up to the last wanted frame, whatever the key frame spacing.

`auto` starts sequentially from frame 0 (never wasted work), watches the frame types (`CAP_PROP_FRAME_TYPE`)
to measure the distance between key frames, and switches to seeking as soon as the cost model says the
remaining seeks are cheaper than decoding on; with far-apart key frames it stays sequential. Every seek
is verified (the reported position and the frame's timestamp must match the target); a file where seeking
lands elsewhere (variable frame rate, broken index) is read sequentially instead, so returned frames always
carry their true index.

Frame counts come from the container. When it has none (raw streams) frames are counted by decoding; when
it overstates the count the stream's real end is found and the samples are spread again. A count that is
too low (some MPEG program streams) cannot be noticed without decoding to the end: those samples cover the
announced part only.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import cv2
import numpy as np

SEEK_LEAD_FRAMES = 16  # OpenCV seeks to the key frame before (target - 16) and decodes forward from there
SEEK_OVERHEAD_FRAMES = 4  # container seek + decoder flush, in units of one decoded frame (bench_frames.py)
MAX_PLAUSIBLE_FPS = 1000.0
FALLBACK_FPS = 25.0  # FFmpeg's own assumption for streams without timing (raw H.264)
KEY_FRAME_TYPE = ord("I")
STRATEGIES = ("auto", "seek", "grab")


class VideoDecodeError(Exception):
    """The file cannot be opened or decoded as a video."""


class VideoTooLong(Exception):
    """The video lasts longer than allowed; raised from the header, before decoding frames."""

    def __init__(self, duration: float, max_duration: float):
        super().__init__(f"The video lasts {duration:.0f} s; the limit is {max_duration:.0f} s.")
        self.duration, self.max_duration = duration, max_duration


@dataclass(frozen=True)
class VideoInfo:
    """Basic facts about a video stream."""

    width: int
    height: int
    fps: float
    frame_count: int
    duration: float


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its index in the stream, its time in seconds and the RGB uint8 image."""

    index: int
    timestamp: float
    image: np.ndarray


class _EndOfStream(VideoDecodeError):
    """The stream ended (or broke) before a wanted frame: the frame count in the header was wrong."""

    def __init__(self, position: int):
        super().__init__(f"The video ended or broke off at frame {position}, before a frame it announced.")
        self.position = position


class _SeekMissed(Exception):
    """A seek did not land on the requested frame."""


@contextmanager
def _open_capture(path: str | Path) -> Iterator[cv2.VideoCapture]:
    """An opened FFmpeg VideoCapture for `path`, released afterwards; VideoDecodeError if it won't open."""
    if not Path(path).is_file():
        raise VideoDecodeError(f"No such video file: {path}")
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        if not cap.isOpened():
            raise VideoDecodeError("The file could not be opened as a video.")
        yield cap
    finally:
        cap.release()


def probe_video(path: str | Path, max_duration_s: float | None = None) -> VideoInfo:
    """Size, frame rate, frame count and duration; VideoTooLong before decoding when over `max_duration_s`."""
    with _open_capture(path) as cap:
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = _plausible_fps(cap.get(cv2.CAP_PROP_FPS))
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        if fps and math.isfinite(count) and count >= 1:
            frame_count, duration = int(count), count / fps
            _refuse_if_too_long(duration, max_duration_s)
        else:
            frame_count, fps = _count_frames(cap, fps, max_duration_s)
            duration = frame_count / fps
    if frame_count < 1 or width < 1 or height < 1:
        raise VideoDecodeError("The video has no decodable frames.")
    return VideoInfo(width=width, height=height, fps=fps, frame_count=frame_count, duration=duration)


def _plausible_fps(fps: float) -> float:
    """`fps` when it is a sane frame rate, else 0.0 (unknown)."""
    return float(fps) if math.isfinite(fps) and 0 < fps <= MAX_PLAUSIBLE_FPS else 0.0


def _refuse_if_too_long(duration: float, max_duration_s: float | None) -> None:
    """Raise VideoTooLong when a limit is set and `duration` exceeds it."""
    if max_duration_s is not None and duration > max_duration_s:
        raise VideoTooLong(duration, max_duration_s)


def _count_frames(cap: cv2.VideoCapture, fps: float, max_duration_s: float | None) -> tuple[int, float]:
    """Count frames by grabbing them all (for containers without a usable count); returns (count, fps)."""
    count, last_ms = 0, 0.0
    while cap.grab():
        count += 1
        last_ms = max(last_ms, cap.get(cv2.CAP_PROP_POS_MSEC))
        seconds = count / fps if fps else last_ms / 1000.0
        _refuse_if_too_long(seconds, max_duration_s)
    if not fps:
        fps = _plausible_fps(count / (last_ms / 1000.0)) if last_ms > 0 else 0.0
    return count, fps or FALLBACK_FPS


def segment_centres(frame_count: int, n: int) -> list[int]:
    """Indices of the centres of `n` equal segments covering all frames (all frames when n >= count)."""
    if n <= 0 or frame_count <= 0:
        return []
    if n >= frame_count:
        return list(range(frame_count))
    return [int((i + 0.5) * frame_count / n) for i in range(n)]


def clip_starts(frame_count: int, n_clips: int, clip_len: int, distinct: bool = False) -> list[int]:
    """First indices of `n_clips` runs of `clip_len` frames spread evenly over the video.

    Runs of a short video may overlap (training takes them as they come); with `distinct`, a video
    too short for that many separate runs gets fewer, each centred in its share of the video, so no
    frame is analysed twice.
    """
    if n_clips <= 0 or clip_len <= 0 or frame_count <= 0:
        return []
    free = max(frame_count - clip_len, 0)
    if free == 0:
        return [0]
    starts = sorted({int((i + 0.5) * (free + 1) / n_clips) for i in range(n_clips)})
    if distinct and any(b - a < clip_len for a, b in zip(starts, starts[1:])):
        count = max(1, frame_count // clip_len)
        share = frame_count / count
        starts = [int(i * share + (share - clip_len) / 2) for i in range(count)]
    return starts


def sample_frames(path: str | Path, n: int = 32, *, strategy: str = "auto", max_duration_s: float | None = None,
                  max_side: int | None = None, stats: dict | None = None) -> list[Frame]:
    """`n` evenly spaced frames over the whole video (segment centres), RGB, in time order."""
    info = probe_video(path, max_duration_s)
    targets = segment_centres(info.frame_count, n)
    try:
        return read_frames(path, targets, info, strategy=strategy, max_side=max_side, stats=stats)
    except _EndOfStream:
        info = _recount(path, info, max_duration_s)
        return read_frames(path, segment_centres(info.frame_count, n), info, strategy="grab",
                           max_side=max_side, stats=stats)


def sample_clips(path: str | Path, n_clips: int, clip_len: int, *, strategy: str = "auto",
                 max_duration_s: float | None = None, max_side: int | None = None,
                 distinct: bool = False) -> list[list[Frame]]:
    """`n_clips` runs of `clip_len` consecutive frames spread evenly over the video (shorter if it is);
    `distinct`: no frame in two runs (fewer runs for a short video, see `clip_starts`)."""
    info = probe_video(path, max_duration_s)
    try:
        return _read_clips(path, info, n_clips, clip_len, strategy, max_side, distinct)
    except _EndOfStream:
        info = _recount(path, info, max_duration_s)
        return _read_clips(path, info, n_clips, clip_len, "grab", max_side, distinct)


def _read_clips(path: str | Path, info: VideoInfo, n_clips: int, clip_len: int, strategy: str,
                max_side: int | None, distinct: bool = False) -> list[list[Frame]]:
    """Read the frames of every clip in one pass and group them per clip."""
    starts = clip_starts(info.frame_count, n_clips, clip_len, distinct)
    runs = [range(start, min(start + clip_len, info.frame_count)) for start in starts]
    frames = read_frames(path, [i for run in runs for i in run], info, strategy=strategy, max_side=max_side)
    by_index = {frame.index: frame for frame in frames}
    return [[by_index[i] for i in run] for run in runs]


def _recount(path: str | Path, info: VideoInfo, max_duration_s: float | None) -> VideoInfo:
    """`info` with the frame count measured by decoding, for files whose header overstated it."""
    with _open_capture(path) as cap:
        count, fps = _count_frames(cap, info.fps, max_duration_s)
    if count < 1:
        raise VideoDecodeError("The video has no decodable frames.")
    return VideoInfo(info.width, info.height, fps, count, count / fps)


def read_frames(path: str | Path, indices: Sequence[int], info: VideoInfo, *, strategy: str = "auto",
                max_side: int | None = None, stats: dict | None = None) -> list[Frame]:
    """Decode the frames at `indices` with a strategy ("auto", "seek" or "grab"), in index order.

    `stats`, when given, receives "strategy": how the frames were finally read ("seek", "grab", or
    "grab-after-missed-seek").
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, not {strategy!r}")
    targets = sorted(set(indices))
    with _open_capture(path) as cap:
        reader = _Reader(cap, info.fps, max_side)
        try:
            if strategy == "grab":
                reader.read_sequentially(targets)
            elif strategy == "seek":
                reader.read_seeking(targets)
            else:
                reader.read_auto(targets)
        except _SeekMissed:
            reader = None
    if reader is None:  # seeking is unreliable for this file: start again without it
        frames = read_frames(path, targets, info, strategy="grab", max_side=max_side)
        _note(stats, "grab-after-missed-seek")
        return frames
    _note(stats, reader.chosen)
    return [reader.frames[i] for i in targets]


def _note(stats: dict | None, strategy: str) -> None:
    """Record the strategy used in the caller's `stats` dict, if any."""
    if stats is not None:
        stats["strategy"] = strategy


class _Reader:
    """Walks one VideoCapture, tracking the index of the next frame and collecting wanted frames."""

    def __init__(self, cap: cv2.VideoCapture, fps: float, max_side: int | None):
        self.cap, self.fps, self.max_side = cap, fps, max_side
        self.position = 0  # index of the frame the next grab() returns
        self.frames: dict[int, Frame] = {}
        self.start_ms: float | None = None
        self.chosen = "grab"  # auto reads sequentially until it decides otherwise

    def grab(self) -> None:
        """Decode the next frame without converting it; _EndOfStream when there is none."""
        if not self.cap.grab():
            raise _EndOfStream(self.position)
        if self.start_ms is None and self.position == 0:
            self.start_ms = self.cap.get(cv2.CAP_PROP_POS_MSEC)
        self.position += 1

    def keep(self) -> None:
        """Convert the frame just grabbed to RGB and store it under its index."""
        ok, bgr = self.cap.retrieve()
        if not ok or bgr is None:
            raise VideoDecodeError(f"Frame {self.position - 1} could not be decoded.")
        index = self.position - 1
        ms = self.cap.get(cv2.CAP_PROP_POS_MSEC) - (self.start_ms or 0.0)
        timestamp = ms / 1000.0 if ms > 0 or index == 0 else index / self.fps
        self.frames[index] = Frame(index, timestamp, self._to_rgb(bgr))

    def _to_rgb(self, bgr: np.ndarray) -> np.ndarray:
        """BGR to RGB, shrunk so the longer side is at most `max_side` when that is set."""
        if self.max_side and max(bgr.shape[:2]) > self.max_side:
            scale = self.max_side / max(bgr.shape[:2])
            size = (max(1, round(bgr.shape[1] * scale)), max(1, round(bgr.shape[0] * scale)))
            bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def advance_to(self, target: int) -> None:
        """Grab forward until `target` is the current frame, then keep it."""
        while self.position <= target:
            self.grab()
        self.keep()

    def seek_to(self, target: int) -> None:
        """Seek to `target`, keep it, and verify it is really that frame (else _SeekMissed)."""
        if self.start_ms is None:
            self.grab()  # frame 0 gives the timestamp offset that seeks are checked against
        if 0 <= target - self.position <= SEEK_LEAD_FRAMES:
            return self.advance_to(target)
        self.cap.set(cv2.CAP_PROP_POS_FRAMES, target)
        self.position = target
        self.grab()
        self._verify_landing(target)
        self.keep()

    def _verify_landing(self, target: int) -> None:
        """Compare the capture's own frame position and timestamp with what `target` should have."""
        reported = round(self.cap.get(cv2.CAP_PROP_POS_FRAMES)) - 1
        expected_ms = (self.start_ms or 0.0) + target * 1000.0 / self.fps
        actual_ms = self.cap.get(cv2.CAP_PROP_POS_MSEC)
        if reported != target or abs(actual_ms - expected_ms) > 500.0 / self.fps:
            raise _SeekMissed(target)

    def read_sequentially(self, targets: Sequence[int]) -> None:
        """Grab every frame up to the last target, converting only the targets."""
        self.chosen = "grab"
        for target in targets:
            self.advance_to(target)

    def read_seeking(self, targets: Sequence[int]) -> None:
        """Seek to each target (consecutive or nearby targets are reached by grabbing forward)."""
        self.chosen = "seek"
        for target in targets:
            self.seek_to(target)

    def read_auto(self, targets: Sequence[int]) -> None:
        """Read sequentially while measuring key frame spacing; switch to seeking once it is cheaper."""
        gop, pending = _GopWatch(), list(targets)
        while pending:
            self.grab()
            if self.position - 1 == pending[0]:
                self.keep()
                pending.pop(0)
            gop.observe(self.position - 1, self.cap.get(cv2.CAP_PROP_FRAME_TYPE))
            decision = gop.decide(self.position, pending) if pending else None
            if decision == "seek":
                return self.read_seeking(pending)
            if decision == "grab":
                return self.read_sequentially(pending)


class _GopWatch:
    """Tracks key frames seen while grabbing and decides whether seeking would beat grabbing on."""

    def __init__(self):
        self.key_frames: list[int] = []
        self.types_known: bool | None = None

    def observe(self, index: int, frame_type: float) -> None:
        """Record the picture type of frame `index` ('I' marks a key frame)."""
        if self.types_known is None:
            self.types_known = frame_type == KEY_FRAME_TYPE  # a stream starts with a key frame
        if frame_type == KEY_FRAME_TYPE:
            self.key_frames.append(index)

    def decide(self, position: int, remaining: Sequence[int]) -> str | None:
        """"seek", "grab" (final), or None (keep watching) for the `remaining` targets from `position`."""
        if not self.types_known:
            return "grab"
        if len(self.key_frames) >= 2:
            gap = max(b - a for a, b in zip(self.key_frames, self.key_frames[1:]))
            return "seek" if _seek_cost(position, remaining, gap) < _grab_cost(position, remaining) else "grab"
        gap_at_least = position - self.key_frames[0]
        if _seek_cost(position, remaining, gap_at_least) >= _grab_cost(position, remaining):
            return "grab"
        return None


def _seeks_needed(position: int, remaining: Sequence[int]) -> int:
    """How many of `remaining` would need a real seek (the others are reached by grabbing forward)."""
    seeks, current = 0, position
    for target in remaining:
        if not 0 <= target - current <= SEEK_LEAD_FRAMES:
            seeks += 1
        current = target + 1
    return seeks


def _seek_cost(position: int, remaining: Sequence[int], gop: int) -> float:
    """Estimated decoded frames to reach `remaining` by seeking, with key frames `gop` apart."""
    per_seek = SEEK_LEAD_FRAMES + gop / 2.0 + SEEK_OVERHEAD_FRAMES
    return _seeks_needed(position, remaining) * per_seek + len(remaining)


def _grab_cost(position: int, remaining: Sequence[int]) -> float:
    """Decoded frames to reach `remaining` by grabbing every frame."""
    return float(remaining[-1] - position + 1) if remaining else 0.0
