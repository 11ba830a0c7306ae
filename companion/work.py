"""What one job does: get the media (fetch, page video, upload, frames) in a private folder, then analyse it."""
from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class UrlSource:
    """Media at a direct URL (an image or a video file)."""

    url: str


@dataclass(frozen=True)
class PageSource:
    """A page whose video yt-dlp downloads (YouTube, Vimeo, ...)."""

    page_url: str


@dataclass(frozen=True)
class UploadSource:
    """A file the user uploaded, already saved in its own folder (`media` is a FetchedMedia)."""

    media: Any


@dataclass(frozen=True)
class FramesSource:
    """Frames a browser captured from a playing video: companion.pipeline.FrameUpload items, or FrameFile
    items whose bytes wait on disk (so queued jobs do not hold their frames in memory)."""

    frames: Sequence[Any]


@dataclass(frozen=True)
class FrameFile:
    """One uploaded frame saved in its job's private folder, and its time in seconds."""

    path: Path
    timestamp: float


def save_frames(frames: Sequence[Any], folder: Path) -> list[FrameFile]:
    """Write each frame's bytes (FrameUpload items) into `folder`; the FrameFile list that stands for them."""
    saved = []
    for position, frame in enumerate(frames):
        path = folder / f"frame-{position:04d}"
        path.write_bytes(frame.data)
        saved.append(FrameFile(path, frame.timestamp))
    return saved


def jobs_dir(config: Mapping[str, Any]) -> Path:
    """The folder under DATA_DIR that holds every job's private folder."""
    return Path(config["DATA_DIR"]) / "jobs"


def new_private_dir(config: Mapping[str, Any]) -> Path:
    """A fresh folder only this user can read, for one job's files (the job removes it when it ends)."""
    parent = jobs_dir(config)
    parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="job-", dir=parent))


def clear_job_dirs(config: Mapping[str, Any]) -> None:
    """Remove the files of jobs a previous process left behind (called at start, with `interrupted`)."""
    shutil.rmtree(jobs_dir(config), ignore_errors=True)


def remover(folder: Path) -> Callable[[], None]:
    """A callable that deletes `folder` and everything in it."""
    def remove() -> None:
        """Delete the folder, ignoring that it is already gone."""
        shutil.rmtree(folder, ignore_errors=True)
    return remove


def _obtain(source: Any, config: Mapping[str, Any], folder: Path):
    """The FetchedMedia (or frames) a source stands for, downloaded into `folder` when needed."""
    if isinstance(source, UrlSource):
        from companion.fetch import fetch_url
        return fetch_url(source.url, config, folder)
    if isinstance(source, PageSource):
        from companion.video_pages import download_page_video
        return download_page_video(source.page_url, config, folder)
    if isinstance(source, UploadSource):
        return source.media
    if isinstance(source, FramesSource):
        from companion.pipeline import FrameUpload
        return [FrameUpload(Path(f.path).read_bytes(), f.timestamp) if isinstance(f, FrameFile) else f
                for f in source.frames]
    raise TypeError(f"unknown analysis source {type(source).__name__}")


def run_analysis(source: Any, config: Mapping[str, Any], progress: Progress) -> tuple[dict, str | None]:
    """Fetch and analyse one source; returns the result and the media's sha256 (for the cache)."""
    from companion.pipeline import analyze_media

    folder = new_private_dir(config)
    try:
        progress(0.0, "fetch")
        started = time.perf_counter()
        media = _obtain(source, config, folder)
        result = analyze_media(media, config, progress, fetch_seconds=time.perf_counter() - started)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return result, (result.get("media") or {}).get("sha256")
