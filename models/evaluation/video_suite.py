"""The video suite: real and synthetic clips read the companion's way, per source, for several systems.

Each video is decoded as runs of consecutive frames, its faces found, scored by the frame detectors
and the clip detector, and judged by the fused score and bands, as `companion.pipeline` does
(`models.evaluation.evaluate.read_file_faces`). Per source and system: the count, the AUC of its
videos against the holdout real clips (a bootstrap interval: these sources are small), and the
shares flagged likely fake and inconclusive, with the number of videos behind each share.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from models.evaluation.holdout_suite import auc_with_interval
from models.serving.aggregate import aggregate
from models.serving.frame_score import frame_bands

REAL_SOURCE = "real clips (holdout)"


@dataclass(frozen=True)
class VideoItem:
    """One video: path, label (1 fake), the source it is reported under."""

    path: Path
    label: int
    source: str


@dataclass
class VideoSystem:
    """A named set of frame detectors and one clip detector, judged by the fused bands."""

    name: str
    frame_detectors: list
    clip_detector: object

    @property
    def bands(self):
        """The fused score's bands when the clip detector has them, else the frame detectors' bands."""
        from models.detectors.detector import ScoreBands

        fusion = getattr(self.clip_detector, "fusion", None)
        if fusion is not None and fusion.bands:
            return ScoreBands(**fusion.bands)
        return frame_bands(self.frame_detectors)


def video_items(data_root: Path, eval_folder: Path | None = None) -> list[VideoItem]:
    """The holdout clips of manifest-v2.csv, the talking heads of the train role (reported as trained
    on), and, when given, an evaluation folder's real/** and fake/<kind>-*/** videos."""
    from models.training.sources import all_rows

    items = []
    for row in all_rows(data_root, kind="video"):
        if row.role == "holdout":
            source = REAL_SOURCE if row.label == 0 else f"{row.source} (holdout)"
        elif row.label == 1:
            source = f"{row.source} (trained on)"
        else:
            continue
        items.append(VideoItem(Path(data_root) / row.path, row.label, source))
    items = list({item.path: item for item in items}.values())
    if eval_folder is not None:
        for path in sorted(Path(eval_folder).glob("real/**/*.mp4")):
            items.append(VideoItem(path, 0, f"{Path(eval_folder).name}: real"))
        for path in sorted(Path(eval_folder).glob("fake/**/*.mp4")):
            kind = path.relative_to(Path(eval_folder) / "fake").parts[0].split("-")[0]
            items.append(VideoItem(path, 1, f"{Path(eval_folder).name}: {kind} fakes"))
    return items


def reencoded(item: VideoItem, folder: Path, crf: int = 23) -> VideoItem:
    """The item saved again as H.264 at `crf` (every video alike, streamed frame by frame): the control that
    tells a detector's figure from its reading of each source's own encoding."""
    import av

    out = Path(folder) / f"{abs(hash(str(item.path))):x}-{Path(item.path).stem}.mp4"
    with av.open(str(item.path)) as source, av.open(str(out), "w") as target:
        video = source.streams.video[0]
        stream = target.add_stream("libx264", rate=video.average_rate or 25)
        stream.width, stream.height = video.codec_context.width // 2 * 2, video.codec_context.height // 2 * 2
        stream.pix_fmt, stream.options = "yuv420p", {"crf": str(crf), "preset": "veryfast"}
        for frame in source.decode(video):
            image = frame.to_ndarray(format="rgb24")[:stream.height, :stream.width]
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")):
                target.mux(packet)
        for packet in stream.encode():
            target.mux(packet)
    return VideoItem(out, item.label, item.source)


def score_video(item: VideoItem, face_detector, system: VideoSystem, options) -> dict:
    """One video's fused score, verdict and people (frame evidence, temporal, mouth, brief, too blurred) for one system."""
    from models.evaluation.evaluate import read_file_faces

    read = read_file_faces(item.path, "video", face_detector, system.frame_detectors, system.clip_detector, options)
    result = aggregate(read.refs, read.observations, system.bands, [d.name for d in system.frame_detectors],
                       timeline=False, temporal=read.temporal)
    people = [{key: face.get(key) for key in ("score", "frame_score", "temporal", "mouth", "brief", "too_blurred")}
              for face in result["faces"]]
    return {"score": result["score"], "verdict": result["verdict"], "people": people}


def run_video_suite(items: Sequence[VideoItem], face_detector, systems: Sequence[VideoSystem], options,
                    log=print) -> list[dict]:
    """Per video: path, label, source and each system's score (unreadable videos kept with their error)."""
    rows = []
    for number, item in enumerate(items, 1):
        row = {"path": str(item.path), "label": item.label, "source": item.source, "systems": {}}
        for system in systems:
            try:
                row["systems"][system.name] = score_video(item, face_detector, system, options)
            except Exception as exc:  # noqa: BLE001 - an unreadable video is reported, not fatal
                row["systems"][system.name] = {"error": f"{type(exc).__name__}: {exc}"}
        log(f"[{number}/{len(items)}] {item.source}: {Path(item.path).name} " + ", ".join(
            f"{name} {_short(result)}" for name, result in row["systems"].items()))
        rows.append(row)
    return rows


def _short(result: dict) -> str:
    """A system's result for one video in a few characters."""
    if "error" in result:
        return "error"
    if result["score"] is None:
        return "too blurred" if any(p.get("too_blurred") for p in result.get("people", [])) else "no face"
    return f"{result['score']:.3f} ({result['verdict']})"


def reference_reals(source: str) -> str:
    """The real source a fake source is ranked against: its evaluation folder's reals, else the holdout clips."""
    folder, sep, _ = source.partition(": ")
    return f"{folder}: real" if sep else REAL_SOURCE


def summarise(rows: Sequence[dict], systems: Sequence[VideoSystem], seed: int = 0) -> dict:
    """Per source and system: count, scored, AUC against its reference reals, flagged, inconclusive."""
    rng = np.random.default_rng(seed)
    sources = sorted({r["source"] for r in rows}, key=lambda s: (s != REAL_SOURCE, s))
    out = {}
    for system in systems:
        bands = system.bands
        scores = {s: np.array([v for v in (r["systems"][system.name].get("score") for r in rows if r["source"] == s)
                               if v is not None], dtype=np.float64) for s in sources}
        table = {}
        for source in sources:
            values = scores[source]
            label = next(r["label"] for r in rows if r["source"] == source)
            entry = {"count": sum(r["source"] == source for r in rows), "scored": int(len(values)), "label": label,
                     "flagged": int(np.sum(values >= bands.fake_from)),
                     "inconclusive": int(np.sum((values >= bands.real_below) & (values < bands.fake_from)))}
            if label == 1:
                reference = reference_reals(source)
                entry.update(auc_with_interval(values, scores.get(reference, np.zeros(0)), rng), against=reference)
            table[source] = entry
        out[system.name] = {"bands": {"real_below": bands.real_below, "fake_from": bands.fake_from}, "sources": table}
    return out


def format_summary(summary: dict) -> str:
    """The summary as one plain-text table per system."""
    lines = []
    for system, block in summary.items():
        bands = block["bands"]
        lines.append(f"{system} (real below {bands['real_below']:.3f}, fake from {bands['fake_from']:.3f})")
        for source, row in block["sources"].items():
            auc = "" if row.get("auc") is None else (f"AUC {row['auc']:.3f} [{row['interval'][0]:.2f}, "
                                                     f"{row['interval'][1]:.2f}] against {row['against']}")
            lines.append(f"  {source:38} n={row['count']:3} flagged {row['flagged']:3} inconclusive "
                         f"{row['inconclusive']:3} {auc}")
    return "\n".join(lines)


def fusion_methods(systems: Sequence[VideoSystem]) -> dict:
    """Each system's fusion method: a stored run's scores hold only while its systems' methods do."""
    return {s.name: getattr(getattr(s.clip_detector, "fusion", None), "method", None) for s in systems}


def rescorable(stored: dict, systems: Sequence[VideoSystem]) -> list[dict]:
    """A stored run's rows, when every system was scored there under the fusion method it has now."""
    methods = stored.get("fusion_methods", {})
    for name, method in fusion_methods(systems).items():
        if methods.get(name) != method:
            raise ValueError(f"system {name!r} was scored under fusion {methods.get(name)!r}, not {method!r}: "
                             "run the suite again")
    return list(stored["videos"])


def write_outputs(rows: Sequence[dict], summary: dict, out: Path, systems: Sequence[VideoSystem]) -> Path:
    """The per-video rows, the systems' fusion methods and the summary as one JSON file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"summary": summary, "fusion_methods": fusion_methods(systems), "videos": list(rows)},
                              indent=1))
    return out
