"""`unmask evaluate DIR`: score DIR/real/** and DIR/fake/** the way the companion does; report metrics.

Each file is decoded (images whole, videos as evenly spaced frames), its faces found, aligned and
scored by the detectors in one batch, and aggregated (models.serving.analysis, models.serving.aggregate: the code the
companion runs). Frame level: every analysed frame with a scored face (an image is one frame),
scored by its highest face. Video level: each video's aggregated score. Sources are the first
folder under real/ or fake/ (files directly inside count as "real" / "fake").
"""
from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.evaluation import metrics
from models.serving.aggregate import FrameRef, aggregate
from models.serving.analysis import find_faces, judged_observations, observations, reads_regions, score_crops
from models.serving.frame_score import min_faces_of, min_sharpness_of

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".webm", ".mkv", ".avi", ".m4v"}


@dataclass
class Scored:
    """One file's outcome: per-frame scores, its aggregated score (None: no face) and label."""

    path: Path
    label: int
    source: str
    kind: str
    score: float | None
    frame_scores: list[float] = field(default_factory=list)
    error: str | None = None


def collect(folder: Path) -> list[tuple[Path, int, str, str]]:
    """(path, label, source, kind) for every image and video under real/ and fake/."""
    items = []
    for label, name in ((0, "real"), (1, "fake")):
        root = folder / name
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            suffix = path.suffix.lower()
            kind = "image" if suffix in IMAGE_SUFFIXES else "video" if suffix in VIDEO_SUFFIXES else None
            if kind and path.is_file():
                rel = path.relative_to(root).parts
                items.append((path, label, rel[0] if len(rel) > 1 else name, kind))
    if not items:
        raise FileNotFoundError(f"no images or videos under {folder}/real or {folder}/fake")
    return items


def decode(path: Path, kind: str, frames_per_video: int):
    """Frame references, RGB frames and per-frame scales for one file."""
    from models.serving.frames import sample_frames
    from models.serving.imageio_safe import decode_image

    if kind == "image":
        return [FrameRef(0, 0.0)], [decode_image(path)], None
    frames = sample_frames(path, n=frames_per_video, max_side=2560)
    return [FrameRef(int(f.index), float(f.timestamp)) for f in frames], [f.image for f in frames], None


def score_file(path: Path, kind: str, face_detector, detectors, bands, min_face_px: int,
               frames_per_video: int) -> tuple[float | None, list[float]]:
    """A file's aggregated score (None when no face was scored) and its frames' scores."""
    refs, images, scales = decode(path, kind, frames_per_video)
    regions = [] if reads_regions(detectors) else None
    found, crops = find_faces(images, face_detector, min_face_px, scales, regions=regions)
    scores = score_crops(detectors, crops, regions)
    obs = judged_observations(found, scores, detectors)
    result = aggregate(refs, obs, bands, [d.name for d in detectors], timeline=True)
    frame_scores = [f["score"] for f in result.get("frames", []) if f.get("score") is not None]
    return result.get("score"), frame_scores


def run_all(items, face_detector, detectors, bands, min_face_px: int, frames_per_video: int, log=print):
    """Score every file; failures are kept with their reason, never counted as a score."""
    out = []
    for n, (path, label, source, kind) in enumerate(items, 1):
        try:
            score, frames = score_file(path, kind, face_detector, detectors, bands, min_face_px,
                                       frames_per_video)
            out.append(Scored(path, label, source, kind, score, frames))
        except Exception as exc:  # noqa: BLE001 - an unreadable file is reported, not fatal
            out.append(Scored(path, label, source, kind, None, error=f"{type(exc).__name__}: {exc}"))
        if n % 25 == 0 or n == len(items):
            log(f"scored {n}/{len(items)}")
    return out


def _metrics(scores, labels, threshold):
    """metrics.summary when both classes are present, else rates on the one class."""
    scores, labels = np.asarray(scores, float), np.asarray(labels, int)
    if len(scores) == 0:
        return {"n": 0}
    if labels.min() != labels.max():
        return metrics.summary(scores, labels, threshold)
    flagged = float((scores >= threshold).mean())
    key = "fpr" if labels[0] == 0 else "tpr"
    return {"n": int(len(scores)), key: flagged, "mean_score": float(scores.mean())}


def frame_level(rows):
    """Every scored frame's score and label."""
    scores = [s for r in rows for s in r.frame_scores]
    labels = [r.label for r in rows for _ in r.frame_scores]
    return scores, labels


def report(rows: list[Scored], threshold: float) -> dict:
    """Frame- and video-level metrics, overall and per source, plus no-face and error counts."""
    scored = [r for r in rows if r.score is not None]
    videos = [r for r in scored if r.kind == "video"]
    out = {
        "threshold": threshold,
        "files": len(rows), "no_face": sum(r.score is None and r.error is None for r in rows),
        "errors": [{"path": str(r.path), "error": r.error} for r in rows if r.error],
        "frame_level": _metrics(*frame_level(scored), threshold),
        "video_level": _metrics([r.score for r in videos], [r.label for r in videos], threshold),
        "per_source": {},
    }
    reals = [r for r in scored if r.label == 0]
    for source in sorted({r.source for r in scored}):
        mine = [r for r in scored if r.source == source]
        kind = mine[0].kind
        pool = mine if mine[0].label == 0 else mine + [r for r in reals if r.kind == kind]
        entry = {"kind": kind, "label": "fake" if mine[0].label else "real",
                 "frame_level": _metrics(*frame_level(pool), threshold)}
        if kind == "video":
            entry["video_level"] = _metrics([r.score for r in pool], [r.label for r in pool], threshold)
        out["per_source"][source] = entry
    return out


def per_file(rows: list[Scored]) -> list[dict]:
    """Every file's scores, so that other thresholds can be read off a report later."""
    return [{"path": str(r.path), "source": r.source, "label": r.label, "kind": r.kind, "score": r.score,
             "frame_scores": r.frame_scores, "error": r.error} for r in rows]


def plot_roc(rows: list[Scored], path: Path) -> None:
    """ROC curves (frame level, and video level when there are videos of both classes) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    scored = [r for r in rows if r.score is not None]
    curves = {"frame level": frame_level(scored),
              "video level": ([r.score for r in scored if r.kind == "video"],
                              [r.label for r in scored if r.kind == "video"])}
    for name, (scores, labels) in curves.items():
        if len(set(labels)) == 2:
            fpr, tpr, _ = metrics.roc_curve(scores, labels)
            ax.plot(fpr, tpr, label=f"{name} (AUC {metrics.auc(scores, labels):.3f})")
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set_xlabel("false-positive rate (real flagged)")
    ax.set_ylabel("true-positive rate (fake flagged)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def load_scoring(weights_dir: Path | None, detector_names: list[str]):
    """The face detector, the detectors and the bands of the frame detectors' combined score."""
    from models.detectors import registry
    from models.detectors.detector import ClipDetector
    from models.faces.detect import FaceDetector
    from models.serving.frame_score import frame_bands

    detectors = [registry.create(name, weights_dir=weights_dir) for name in detector_names]
    return FaceDetector(), detectors, frame_bands([d for d in detectors if not isinstance(d, ClipDetector)])


def main(argv: list[str] | None = None) -> int:
    """Command line: unmask evaluate DIR [--out OUT] [--detectors frame_cnn] [--weights-dir W]."""
    parser = argparse.ArgumentParser(prog="unmask evaluate", description=__doc__ + SIDE_BY_SIDE_HELP,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="a folder with real/ and fake/ subfolders")
    parser.add_argument("--out", type=Path, help="where report.json and roc.png go (default: FOLDER/evaluation)")
    parser.add_argument("--detectors", default="frame_cnn", help="comma-separated registered detector names")
    parser.add_argument("--weights-dir", type=Path, help="weights folder (default: the shipped models/weights)")
    parser.add_argument("--frames-per-video", type=int, default=32)
    parser.add_argument("--min-face-px", type=int, default=64)
    parser.add_argument("--clip-frames", type=int, default=8,
                        help="with a clip detector: videos are read as runs of this many consecutive frames")
    parser.add_argument("--clip-min-frames", type=int, default=4, help="shortest track a clip detector scores")
    args = parser.parse_args(argv)
    items = collect(args.folder)
    if "," in args.detectors or any(is_clip_detector(name) for name in args.detectors.split(",")):
        return main_side_by_side(args, items)
    face_detector, detectors, bands = load_scoring(args.weights_dir, args.detectors.split(","))
    rows = run_all(items, face_detector, detectors, bands, args.min_face_px, args.frames_per_video)
    result = report(rows, bands.fake_from)
    result["model"] = {d.name: d.version for d in detectors}
    result["per_file"] = per_file(rows)
    out = args.out or args.folder / "evaluation"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(result, indent=2))
    plot_roc(rows, out / "roc.png")
    print(format_summary(result))
    print(f"wrote {out / 'report.json'} and {out / 'roc.png'}")
    return 0


def format_summary(result: dict) -> str:
    """A readable table of the report."""
    lines = [f"files {result['files']}, no face {result['no_face']}, errors {len(result['errors'])}, "
             f"threshold {result['threshold']:.3f}"]
    for level in ("frame_level", "video_level"):
        lines.append(f"{level:12} " + _fmt(result[level]))
    for source, entry in result["per_source"].items():
        lines.append(f"  {source:24} frames " + _fmt(entry["frame_level"]))
        if "video_level" in entry:
            lines.append(f"  {'':24} videos " + _fmt(entry["video_level"]))
    return "\n".join(lines)


def _fmt(m: dict) -> str:
    """One metrics dict as text."""
    keys = ("n_real", "n_fake", "n", "auc", "eer", "ap", "accuracy", "fpr", "tpr", "mean_score")
    return " ".join(f"{k} {m[k]:.3f}" if isinstance(m[k], float) else f"{k} {m[k]}" for k in keys if k in m)



# --- several detectors side by side, and fusion with a clip (temporal) detector ---------------------

SIDE_BY_SIDE_HELP = """
Several detectors (--detectors frame_cnn,hybrid_vit,temporal): the report's top level is the frame
detectors together (the highest per face under the bands chosen for the set, as the companion
combines them: models.serving.frame_score); `per_detector` has each
detector alone (each frame detector at its own threshold; a clip detector on videos only, a video
scored by its most suspect person's clip scores); with a clip detector, `fusion` has the fused
person scores (models.serving.fusion, the method shipped in the clip detector's manifest entry), video
level. With a clip detector, videos are read as runs of --clip-frames consecutive frames
(frames-per-video / clip-frames runs) for every detector, so all columns see the same frames.
"""


def is_clip_detector(name: str) -> bool:
    """True when `name` is a registered clip (temporal) detector."""
    from models.detectors import registry
    from models.detectors.detector import ClipDetector

    registry.names()
    return issubclass(registry.DETECTORS.get(name, object), ClipDetector)


def decode_runs(path: Path, frames_per_video: int, clip_frames: int):
    """Frame references, RGB frames and the run of each frame, from runs of consecutive frames."""
    from models.serving.frames import sample_clips

    runs = sample_clips(path, max(1, frames_per_video // clip_frames), clip_frames, max_side=2560, distinct=True)
    frames = [(number, f) for number, run in enumerate(runs) for f in run]
    refs = [FrameRef(int(f.index), float(f.timestamp)) for _, f in frames]
    return refs, [f.image for _, f in frames], [number for number, _ in frames]


def _score_and_frames(result: dict) -> tuple[float | None, list[float]]:
    """An aggregate result's score and its frames' scores."""
    frame_scores = [f["score"] for f in result.get("frames", []) if f.get("score") is not None]
    return result.get("score"), frame_scores


@dataclass
class FileFaces:
    """One file read the companion's way: its frames, faces, frame detectors' scores, clip evidence."""

    refs: list
    found: list
    scores: dict
    observations: list
    temporal: object = None  # models.serving.clip_analysis.TemporalEvidence for a video read with a clip detector


def read_file_faces(path: Path, kind: str, face_detector, frame_detectors, clip_detector, options) -> FileFaces:
    """Decode (a video as runs of frames when there is a clip detector), find faces, score them."""
    from models.serving.clip_analysis import temporal_evidence

    runs_of_frame = None
    if clip_detector is not None and kind == "video":
        refs, images, runs_of_frame = decode_runs(path, options.frames_per_video, options.clip_frames)
    else:
        refs, images, _ = decode(path, kind, options.frames_per_video)
    readers = frame_detectors if clip_detector is None else [*frame_detectors, clip_detector]
    regions = [] if reads_regions(readers) else None
    found, crops = find_faces(images, face_detector, options.min_face_px, regions=regions)
    scores = score_crops(frame_detectors, crops, regions)
    obs = judged_observations(found, scores, frame_detectors)
    evidence = None if runs_of_frame is None else temporal_evidence(
        clip_detector, found, crops, obs, [f.timestamp for f in refs], runs_of_frame, options.clip_min_frames,
        regions)
    return FileFaces(refs, found, scores, obs, evidence)


def score_file_side_by_side(path: Path, kind: str, face_detector, frame_detectors, clip_detector, bands,
                            options) -> dict[str, tuple[float | None, list[float]]]:
    """(score, frame scores) of one file for: the frame detectors together ("combined"), each detector
    alone, and "fusion" (with a clip detector; videos only for the clip detector and fusion)."""
    read = read_file_faces(path, kind, face_detector, frame_detectors, clip_detector, options)
    names = [d.name for d in frame_detectors]
    out = {"combined": _score_and_frames(aggregate(read.refs, read.observations, bands, names, timeline=True))}
    for name in names:
        alone = observations(read.found, {name: read.scores[name]}, min_faces=min_faces_of(frame_detectors),
                             min_sharpness=min_sharpness_of(frame_detectors))
        out[name] = _score_and_frames(aggregate(read.refs, alone, bands, [name], timeline=True))
    if read.temporal is not None:
        fused = aggregate(read.refs, read.observations, bands, names, timeline=False, temporal=read.temporal)
        out[clip_detector.name] = (fused["detectors"][clip_detector.name], [])
        out["fusion"] = (fused["score"], [])
    return out


def run_all_side_by_side(items, face_detector, frame_detectors, clip_detector, bands, options, log=print):
    """Scored rows per column ("combined", each detector, "fusion"); failures kept with their reason."""
    columns = ["combined", *[d.name for d in frame_detectors]]
    if clip_detector is not None:
        columns += [clip_detector.name, "fusion"]
    rows: dict[str, list[Scored]] = {column: [] for column in columns}
    for n, (path, label, source, kind) in enumerate(items, 1):
        try:
            scored = score_file_side_by_side(path, kind, face_detector, frame_detectors, clip_detector, bands, options)
            error = None
        except Exception as exc:  # noqa: BLE001 - an unreadable file is reported, not fatal
            scored, error = {}, f"{type(exc).__name__}: {exc}"
        for column in columns:
            if column in (clip_detector.name if clip_detector else None, "fusion") and kind != "video":
                continue  # the clip detector and fusion are measured on videos
            score, frames = scored.get(column, (None, []))
            rows[column].append(Scored(path, label, source, kind, score, frames, error))
        if n % 25 == 0 or n == len(items):
            log(f"scored {n}/{len(items)}")
    return rows


def main_side_by_side(args, items) -> int:
    """`unmask evaluate` with several detectors: each alone, together, and fused with a clip detector."""
    from models.detectors.detector import ClipDetector

    face_detector, detectors, bands = load_scoring(args.weights_dir, args.detectors.split(","))
    frame_detectors = [d for d in detectors if not isinstance(d, ClipDetector)]
    clip_detectors = [d for d in detectors if isinstance(d, ClipDetector)]
    if not frame_detectors or len(clip_detectors) > 1:
        raise SystemExit("unmask evaluate: name at least one frame detector and at most one clip detector")
    clip_detector = clip_detectors[0] if clip_detectors else None
    rows = run_all_side_by_side(items, face_detector, frame_detectors, clip_detector, bands, args)
    result = report(rows["combined"], bands.fake_from)
    result["per_detector"] = {d.name: report(rows[d.name], d.bands.fake_from) for d in detectors}
    if clip_detector is not None:
        fusion_bands = clip_detector.fusion.bands or {"fake_from": bands.fake_from}
        result["fusion"] = {"config": clip_detector.fusion.to_dict(),
                            **report(rows["fusion"], fusion_bands["fake_from"])}
    result["model"] = {d.name: d.version for d in detectors}
    result["per_file"] = per_file(rows["combined"])
    out = args.out or args.folder / "evaluation"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(result, indent=2))
    plot_roc(rows["combined"], out / "roc.png")
    print(format_summary(result))
    print(format_side_by_side(result))
    print(f"wrote {out / 'report.json'} and {out / 'roc.png'}")
    return 0


def format_side_by_side(result: dict) -> str:
    """One line per detector (and fusion): threshold, frame-level and video-level metrics."""
    columns = dict(result["per_detector"])
    if "fusion" in result:
        columns["fusion"] = result["fusion"]
    lines = ["side by side:"]
    for name, entry in columns.items():
        lines.append(f"  {name:12} threshold {entry['threshold']:.3f}")
        lines.append(f"  {'':12} frames {_fmt(entry['frame_level'])}")
        lines.append(f"  {'':12} videos {_fmt(entry['video_level'])}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
