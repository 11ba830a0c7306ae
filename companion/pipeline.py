"""media -> frames -> faces -> detectors -> aggregate -> result.

`analyze_media` takes a fetched file (image or video) or the frames a browser captured from a
playing video, finds every face in every analysed frame, crops each face with the shared alignment,
scores all crops of the media in ONE batched call per frame detector, and aggregates
(models.serving.aggregate). With a clip detector configured (`temporal`), a video is read as short runs of
consecutive frames instead of spread-out single frames; each person's faces in a run form a clip,
all clips are scored in one call, and each person's frame and clip evidence are fused
(models.serving.clip_analysis, models.serving.fusion). Images and browser-captured frames (not consecutive) use the
frame detectors only.
"""
from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from companion import evidence
from companion.detectors import ModelMissing, load_detectors
from companion.errors import TooLarge, Undecodable, UnmaskError
from companion.provenance import media_provenance
from models.detectors.detector import ScoreBands
from models.serving.aggregate import FrameRef, aggregate, resolve_bands
from models.serving.analysis import UnusableScores, find_faces, judged_observations, reads_regions, score_crops
from models.serving.clip_analysis import temporal_evidence
from models.serving.frame_score import frame_bands

Progress = Callable[[float, str], None]

STAGES = ("fetch", "decode", "faces", "detect", "aggregate", "provenance")
# Share of the progress bar each stage ends at.
_DECODE_END, _FACES_END, _DETECT_END = 0.15, 0.8, 0.95
# Video frames larger than this (longer side, pixels) are shrunk before face detection, to bound memory
# (32 frames of 4K would take 800 MB); faces are still reported in the video's own pixels.
VIDEO_MAX_SIDE = 2560
# Images with more pixels are analysed shrunk to about this many (JPEGs decoded at 1/2, 1/4 or 1/8 scale,
# never in full), so a 49 M pixel photo does not take the companion past 1 GB; boxes stay in its own pixels.
IMAGE_KEEP_PIXELS = 16_000_000


@dataclass(frozen=True)
class FrameUpload:
    """One frame a browser captured from a video: JPEG (or PNG/WebP) bytes and its time in seconds."""

    data: bytes
    timestamp: float


@dataclass
class _Decoded:
    """Frames ready for face detection plus what the result says about the media."""

    refs: list[FrameRef]
    images: list[np.ndarray]
    media: dict
    scales: list[float] | None = None  # source pixels per analysed pixel, per frame (None: all 1.0)
    run_of_frame: list[int] | None = None  # which run of consecutive frames each frame is in (clips only)


def _noop_progress(fraction: float, stage: str) -> None:
    """Progress sink used when the caller gives none."""


# ---------------------------------------------------------------- models, loaded once per process

_MODELS_LOCK = threading.Lock()
_FACE_DETECTOR_CACHE: dict[Any, Any] = {}


def load_face_detector(config: Mapping[str, Any]):
    """The face detector, created once per assets folder; missing model files -> 503 model_missing."""
    from models.faces.detect import FaceDetector, FaceModelMissing

    assets_dir = config.get("FACE_ASSETS_DIR")
    with _MODELS_LOCK:
        if assets_dir not in _FACE_DETECTOR_CACHE:
            try:
                _FACE_DETECTOR_CACHE[assets_dir] = FaceDetector(assets_dir=assets_dir)
            except FaceModelMissing as exc:
                raise ModelMissing(f"the face detector cannot run: {exc}") from None
        return _FACE_DETECTOR_CACHE[assets_dir]


# ---------------------------------------------------------------- decode


def _decode_bytes(data: bytes, config: Mapping[str, Any], decode_image, keep_pixels: int | None = None) -> np.ndarray:
    """decode_image with its errors translated into the companion's typed errors."""
    from models.serving.imageio_safe import ImageTooLarge

    try:
        return decode_image(data, max_pixels=config.get("MAX_IMAGE_PIXELS", 50_000_000), keep_pixels=keep_pixels)
    except ImageTooLarge as exc:
        raise TooLarge(str(exc), code="image_too_large") from None
    except ValueError as exc:
        raise Undecodable(f"the image cannot be decoded: {exc}", code="undecodable_image") from None


def _decode_image(media, config: Mapping[str, Any]) -> _Decoded:
    """One image -> one analysed frame (shrunk to IMAGE_KEEP_PIXELS; faces reported in its own pixels)."""
    from models.serving.imageio_safe import decode_image, oriented_size

    data = Path(media.path).read_bytes()
    image = _decode_bytes(data, config, decode_image, IMAGE_KEEP_PIXELS)
    width, height = oriented_size(data, image.shape)
    info = _media_info(media.sha256, "image", width, height, None, 1)
    return _Decoded([FrameRef(0, 0.0)], [image], info, [width / image.shape[1]])


def _refuse_huge_video_frames(width: int, height: int, config: Mapping[str, Any]) -> None:
    """413 media_too_large when a video's frames have more pixels than MAX_IMAGE_PIXELS (before sampling)."""
    limit = int(config.get("MAX_IMAGE_PIXELS", 50_000_000))
    if width * height > limit:
        raise TooLarge(f"the video's frames are {width}x{height} pixels; the limit is {limit:,} (MAX_IMAGE_PIXELS)",
                       code="media_too_large")


def _decode_video(media, config: Mapping[str, Any], clip_frames: int | None) -> _Decoded:
    """A video -> FRAMES_PER_VIDEO frames (shrunk to VIDEO_MAX_SIDE when larger): evenly spaced, or
    with `clip_frames` as FRAMES_PER_VIDEO // clip_frames evenly spaced runs of consecutive frames."""
    from models.serving.frames import VideoDecodeError, VideoTooLong, probe_video, sample_clips, sample_frames

    path, limit = Path(media.path), config.get("VIDEO_MAX_DURATION_S", 1800)
    count = int(config.get("FRAMES_PER_VIDEO", 32))
    try:
        info = probe_video(path, max_duration_s=limit)
        _refuse_huge_video_frames(info.width, info.height, config)
        if clip_frames:
            runs = sample_clips(path, max(1, count // clip_frames), clip_frames, max_duration_s=limit,
                                max_side=VIDEO_MAX_SIDE, distinct=True)
        else:
            runs = [[f] for f in sample_frames(path, n=count, max_duration_s=limit, max_side=VIDEO_MAX_SIDE)]
    except VideoTooLong as exc:
        raise TooLarge(str(exc), code="video_too_long") from None
    except VideoDecodeError as exc:
        raise Undecodable(f"the video cannot be decoded: {exc}", code="undecodable_video") from None
    frames = [f for run in runs for f in run]
    if not frames:
        raise Undecodable("the video has no decodable frames", code="undecodable_video")
    refs = [FrameRef(int(f.index), float(f.timestamp)) for f in frames]
    scales = [info.width / f.image.shape[1] for f in frames]
    meta = _media_info(media.sha256, "video", info.width, info.height, info.duration, len(frames))
    run_of_frame = [number for number, run in enumerate(runs) for _ in run] if clip_frames else None
    return _Decoded(refs, [f.image for f in frames], meta, scales, run_of_frame)


def frames_sha256(frames: Sequence[FrameUpload]) -> str:
    """A stable id for a set of uploaded frames: sha256 over each frame's timestamp and bytes."""
    digest = hashlib.sha256()
    for frame in frames:
        digest.update(f"{float(frame.timestamp):.6f}:{len(frame.data)}:".encode())
        digest.update(frame.data)
    return digest.hexdigest()


def as_frame_uploads(items: Iterable[Any]) -> list[FrameUpload]:
    """FrameUpload objects from FrameUploads, {"data", "timestamp"} mappings or (data, timestamp) pairs."""
    uploads = []
    for item in items:
        if isinstance(item, FrameUpload):
            uploads.append(item)
        elif isinstance(item, Mapping):
            uploads.append(FrameUpload(bytes(item["data"]), float(item["timestamp"])))
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            uploads.append(FrameUpload(bytes(item[0]), float(item[1])))
        else:
            uploads.append(FrameUpload(bytes(item.data), float(item.timestamp)))
    return uploads


def _decode_uploaded_frames(frames: Sequence[FrameUpload], config: Mapping[str, Any]) -> _Decoded:
    """Browser-captured frames in the order given (no resampling), decoded one at a time within the
    request's pixel budget, each shrunk before the next is decoded (companion.frame_budget)."""
    from companion.frame_budget import decode_frames
    from models.serving.imageio_safe import decode_image

    if not frames:
        raise Undecodable("no frames to analyse")
    images, scales, (width, height) = decode_frames(
        [frame.data for frame in frames], config, lambda data, keep: _decode_bytes(data, config, decode_image, keep))
    refs = [FrameRef(i, float(frame.timestamp)) for i, frame in enumerate(frames)]
    stamps = [frame.timestamp for frame in frames]
    duration = float(max(stamps) - min(stamps)) if len(stamps) > 1 else 0.0
    info = _media_info(frames_sha256(frames), "frames", width, height, duration, len(frames))
    return _Decoded(refs, images, info, scales)


def _media_info(sha256: str, kind: str, width: int, height: int, duration: float | None, n: int) -> dict:
    """The result's `media` block."""
    return {
        "sha256": sha256, "kind": kind, "width": int(width), "height": int(height),
        "duration": None if duration is None else round(float(duration), 3), "frames_analyzed": int(n),
    }


def decode_media(media, config: Mapping[str, Any], clip_frames: int | None = None) -> _Decoded:
    """Frames and media info for a FetchedMedia (image or video) or a sequence of uploaded frames;
    with `clip_frames`, a video is read as runs of that many consecutive frames."""
    if isinstance(media, (list, tuple)):
        return _decode_uploaded_frames(as_frame_uploads(media), config)
    if media.kind == "image":
        return _decode_image(media, config)
    if media.kind == "video":
        return _decode_video(media, config, clip_frames)
    raise Undecodable(f"cannot analyse media of kind {media.kind!r}")


# ---------------------------------------------------------------- faces and scores


def _bands(detectors: Sequence, config: Mapping[str, Any], temporal=None):
    """Verdict bands: the fused score's bands with temporal evidence, else the bands of the frame
    detectors' combined score (`models.serving.frame_score`); either side overridden by the config."""
    model_bands = frame_bands(detectors) if all(hasattr(d, "bands") for d in detectors) else None
    if temporal is not None and temporal.fusion.bands:
        model_bands = ScoreBands(**temporal.fusion.bands)
    try:
        return resolve_bands(model_bands, config.get("THRESHOLD_REAL"), config.get("THRESHOLD_FAKE"))
    except ValueError as exc:
        raise ModelMissing(f"no usable score thresholds: {exc}") from None


def split_detectors(detectors: Sequence) -> tuple[list, Any]:
    """(frame detectors, the clip detector or None); refuses none of the first or several of the second."""
    from models.detectors.detector import ClipDetector

    frame = [d for d in detectors if not isinstance(d, ClipDetector)]
    clip = [d for d in detectors if isinstance(d, ClipDetector)]
    if not frame or len(clip) > 1:
        raise ModelMissing("configure at least one frame detector and at most one clip detector (DETECTORS)")
    return frame, (clip[0] if clip else None)


def model_info(detectors: Sequence) -> dict:
    """The result's `model` block: detector names and versions, joined with '+' when several."""
    return {"name": "+".join(d.name for d in detectors), "version": "+".join(d.version for d in detectors)}


# ---------------------------------------------------------------- the whole pipeline


def analyze_media(media, config: Mapping[str, Any], progress: Progress | None = None,
                  detectors: Sequence | None = None, face_detector=None, *,
                  fetch_seconds: float = 0.0) -> dict:
    """Analyse a FetchedMedia or uploaded frames and return the result dict of the API contract.

    `detectors` and `face_detector` default to the process-wide instances for `config`;
    `fetch_seconds` is how long the caller spent fetching the media (reported in `timings`).
    """
    progress = progress or _noop_progress
    timings = {"fetch": round(float(fetch_seconds), 4)}
    detectors = list(detectors) if detectors is not None else load_detectors(config)
    frame_detectors, clip_detector = split_detectors(detectors)
    face_detector = face_detector if face_detector is not None else load_face_detector(config)

    progress(0.0, "decode")
    clock = time.perf_counter()
    clip_frames = min(int(config.get("CLIP_FRAMES", 8)), clip_detector.max_frames) if clip_detector else None
    decoded = decode_media(media, config, clip_frames)
    clock = _lap(timings, "decode", clock)
    progress(_DECODE_END, "faces")

    refs, media_info = decoded.refs, decoded.media
    recorder = evidence.Recorder(face_detector, decoded.scales, frame_thumbnails=media_info["kind"] != "image")
    regions = [] if reads_regions(detectors) else None
    found, crops = find_faces(decoded.images, recorder, int(config.get("MIN_FACE_PX", 64)),
                              decoded.scales, _frame_progress(progress), regions)
    clock = _lap(timings, "faces", clock)

    progress(_FACES_END, "detect")
    try:
        obs = judged_observations(found, score_crops(frame_detectors, crops, regions), frame_detectors)
        temporal = None if decoded.run_of_frame is None else temporal_evidence(
            clip_detector, found, crops, obs, [r.timestamp for r in refs], decoded.run_of_frame,
            int(config.get("CLIP_MIN_FRAMES", 4)), regions)
    except UnusableScores as exc:
        raise UnmaskError(str(exc)) from None
    clock = _lap(timings, "detect", clock)

    progress(_DETECT_END, "aggregate")
    bands = _bands(frame_detectors, config, temporal)
    result = aggregate(refs, obs, bands, [d.name for d in frame_detectors],
                       timeline=media_info["kind"] != "image", temporal=temporal)
    evidence.annotate(result, found, recorder, bands)  # thumbnails, weak cases, the bands
    clock = _lap(timings, "aggregate", clock)
    result["provenance"] = media_provenance(media, config)  # what the file states, beside the estimate
    _lap(timings, "provenance", clock)
    result.update({"model": model_info(detectors), "media": media_info, "timings": timings})
    progress(1.0, "done")
    return result


def _frame_progress(progress: Progress):
    """A per-frame callback (frames done, total) reporting the faces stage on the overall bar."""
    def on_frame(done: int, total: int) -> None:
        """Report one more frame searched for faces."""
        progress(_DECODE_END + (_FACES_END - _DECODE_END) * done / total, "faces")
    return on_frame


def _lap(timings: dict, stage: str, since: float) -> float:
    """Record the seconds since `since` under `stage`; return the new clock."""
    now = time.perf_counter()
    timings[stage] = round(now - since, 4)
    return now
