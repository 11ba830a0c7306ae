"""`unmask scan PATH_OR_URL...`: analyse files, folders and URLs in-process, no server needed.

Folders are walked recursively and every file whose first bytes sniff as an image or a video is
analysed. A progress bar goes to stderr; a table (or `--json`) to stdout; `--csv FILE` writes a CSV;
`--report DIR` writes each input's report (companion.report: HTML that prints to PDF, and JSON).
The table and the CSV say whether the file declares AI generation in its own metadata (provenance).
The exit status is 0 when every input was analysed, 1 when any failed.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, TextIO

from companion.errors import NotMedia, UnmaskError

SNIFF_BYTES = 4096
CSV_COLUMNS = ("source", "kind", "verdict", "score", "faces", "too_small_faces", "too_blurred_faces",
               "frames_analyzed", "duration", "sha256", "model_version", "declares_ai", "seconds", "error_code",
               "error_message")


@dataclass(frozen=True)
class ScanInput:
    """One thing to analyse: a local media file or a URL."""

    source: str
    path: Path | None = None

    @property
    def is_url(self) -> bool:
        """True for http(s) URLs."""
        return self.path is None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `scan` command's arguments."""
    parser.add_argument("inputs", nargs="+", metavar="PATH_OR_URL",
                        help="media files, folders (searched recursively) or http(s) URLs")
    parser.add_argument("--json", action="store_true", help="print the full results as JSON instead of a table")
    parser.add_argument("--csv", metavar="FILE", type=Path, help="also write one CSV row per input to FILE")
    parser.add_argument("--report", metavar="DIR", type=Path,
                        help="also write each input's report to DIR (unmask-report-N-NAME.html and .json)")
    parser.add_argument("--no-progress", action="store_true", help="do not draw the progress bar on stderr")


# ---------------------------------------------------------------- inputs


def _sniff_file(path: Path) -> tuple[str, str]:
    """(kind, mime) of a file from its first bytes; raises NotMedia."""
    from companion.sniff import sniff

    with open(path, "rb") as handle:
        return sniff(handle.read(SNIFF_BYTES))


def _is_media(path: Path) -> bool:
    """Whether a file sniffs as an image or a video (unreadable files count as not media)."""
    try:
        _sniff_file(path)
        return True
    except (NotMedia, OSError):
        return False


def _walk_media(folder: Path) -> Iterator[Path]:
    """Media files under a folder, recursively, in a stable (sorted) order."""
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            if path.is_file() and _is_media(path):
                yield path


def collect_inputs(arguments: list[str]) -> list[ScanInput]:
    """Expand arguments into scan inputs: URLs as given, files as given, folders into their media files."""
    inputs = []
    for argument in arguments:
        if argument.lower().startswith(("http://", "https://")):
            inputs.append(ScanInput(argument))
        elif Path(argument).is_dir():
            inputs.extend(ScanInput(str(path), path) for path in _walk_media(Path(argument)))
        else:
            inputs.append(ScanInput(argument, Path(argument)))
    return inputs


def local_media(path: Path):
    """A FetchedMedia for a local file: sniffed kind and mime, sha256, size."""
    from companion.fetch import FetchedMedia

    if not path.is_file():
        raise UnmaskError(f"no such file: {path}", code="not_found", status=404)
    kind, mime = _sniff_file(path)
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return FetchedMedia(path=path, sha256=digest.hexdigest(), kind=kind, mime=mime,
                        size=path.stat().st_size, source_url=None)


def fetch_remote(url: str, config: Mapping[str, Any], dest_dir: Path):
    """Fetch a media URL; a URL that is a web page is tried as a video page (yt-dlp)."""
    from companion.fetch import fetch_url

    try:
        return fetch_url(url, config, dest_dir)
    except NotMedia:
        from companion.video_pages import download_page_video

        return download_page_video(url, config, dest_dir)


# ---------------------------------------------------------------- progress and output


class ProgressBar:
    """A one-line progress bar on a terminal; one line per finished input when not a terminal."""

    WIDTH = 24

    def __init__(self, stream: TextIO, total: int, enabled: bool = True):
        """A bar for `total` inputs on `stream`; draws nothing when not `enabled`."""
        self.stream, self.total, self.enabled = stream, total, enabled
        self.tty = enabled and hasattr(stream, "isatty") and stream.isatty()
        self.position, self.label = 0, ""

    def start(self, position: int, label: str) -> None:
        """Begin the input number `position` (1-based)."""
        self.position, self.label = position, label if len(label) <= 40 else "..." + label[-37:]
        self.update(0.0, "start")

    def update(self, fraction: float, stage: str) -> None:
        """Redraw the bar (terminals only)."""
        if not self.tty:
            return
        filled = int(round(self.WIDTH * max(0.0, min(1.0, fraction))))
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(f"\r[{self.position}/{self.total}] {self.label}  [{bar}] {fraction:4.0%} {stage:<9}")
        self.stream.flush()

    def finish(self, outcome: str) -> None:
        """End the current input with a one-word outcome."""
        if not self.enabled:
            return
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(f"[{self.position}/{self.total}] {self.label}: {outcome}\n")
        self.stream.flush()


def _row(entry: dict) -> dict:
    """A flat row (the CSV columns) for one scanned input."""
    result, error = entry.get("result") or {}, entry.get("error") or {}
    media, faces = result.get("media") or {}, result.get("faces") or []
    return {
        "source": entry["source"], "kind": media.get("kind", ""), "verdict": result.get("verdict", "error"),
        "score": "" if result.get("score") is None else f"{result['score']:.4f}",
        "faces": sum(f.get("score") is not None for f in faces), "too_small_faces": sum(f["too_small"] for f in faces),
        "too_blurred_faces": sum(bool(f.get("too_blurred")) for f in faces),
        "frames_analyzed": media.get("frames_analyzed", ""), "duration": media.get("duration") or "",
        "sha256": media.get("sha256", ""), "model_version": (result.get("model") or {}).get("version", ""),
        "declares_ai": _declares_ai(result), "seconds": f"{entry['seconds']:.2f}", "error_code": error.get("code", ""),
        "error_message": error.get("message", ""),
    }


def _declares_ai(result: dict) -> str:
    """"yes" (and how) when the file declares AI generation in its provenance, "no", or "" when not read."""
    provenance = result.get("provenance")
    if not isinstance(provenance, dict):
        return ""
    summary = provenance.get("summary") or {}
    if provenance.get("found") and summary.get("declares_ai"):
        return "yes (" + ", ".join(summary.get("ai_declared_by") or []) + ")" if summary.get("ai_declared_by") else "yes"
    return "no"


def format_table(entries: list[dict]) -> str:
    """A plain-text table: source, verdict, score, faces, kind, declares AI, seconds (errors show their code)."""
    header = ("SOURCE", "VERDICT", "SCORE", "FACES", "KIND", "DECLARES AI", "TIME")
    lines = [header]
    for entry in entries:
        row = _row(entry)
        verdict = row["verdict"] if not row["error_code"] else f"error: {row['error_code']}"
        lines.append((row["source"], verdict, row["score"] or "-", "-" if row["error_code"] else str(row["faces"]),
                      row["kind"] or "-", row["declares_ai"] or "-", f"{row['seconds']}s"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines)


def write_csv(path: Path, entries: list[dict]) -> None:
    """One CSV row per scanned input."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for entry in entries:
            writer.writerow(_row(entry))


def _report_name(position: int, source: str) -> str:
    """A safe file name stem for an input's report: its position and the last part of its name."""
    import re

    tail = source.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or "media"
    return f"unmask-report-{position}-{re.sub(r'[^A-Za-z0-9._-]+', '_', tail)[:60]}"


def write_reports(folder: Path, entries: list[dict]) -> list[Path]:
    """Each analysed input's report as HTML and JSON in `folder` (made if needed); the paths written."""
    from datetime import datetime, timezone

    from companion.report import build_report, render_html

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for position, entry in enumerate(entries, start=1):
        if "result" not in entry:
            continue
        is_url = entry["source"].startswith(("http://", "https://"))
        analysis = {"id": None, "created_at": entry.get("checked_at") or datetime.now(timezone.utc).isoformat(),
                    "source": {"type": "url", "url": entry["source"]} if is_url else
                    {"type": "file", "filename": entry["source"]}, "result": entry["result"]}
        report = build_report(analysis)
        stem = _report_name(position, entry["source"])
        html_path, json_path = folder / f"{stem}.html", folder / f"{stem}.json"
        html_path.write_text(render_html(report), encoding="utf-8")
        json_path.write_text(json.dumps(report, indent=2), encoding="utf-8")
        written += [html_path, json_path]
    return written


def _quiet_native_stderr():
    """A context manager sending file descriptor 2 to /dev/null (the LiteRT runtime's INFO line on loading)."""
    import contextlib

    @contextlib.contextmanager
    def quiet():
        try:
            sys.stderr.flush()
            saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
        except OSError:
            yield
            return
        os.dup2(null, 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(null)
    return quiet()


# ---------------------------------------------------------------- the command


def scan_one(item: ScanInput, config: Mapping[str, Any], bar: ProgressBar) -> dict:
    """Analyse one input; returns {"source", "seconds", "result"} or {"source", "seconds", "error"}."""
    from companion.pipeline import analyze_media

    started = time.perf_counter()
    checked_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    try:
        with tempfile.TemporaryDirectory(prefix="unmask-scan-") as tmp:
            if item.is_url:
                bar.update(0.0, "fetch")
                media = fetch_remote(item.source, config, Path(tmp))
            else:
                media = local_media(item.path)
            fetched = time.perf_counter() - started if item.is_url else 0.0
            result = analyze_media(media, config, bar.update, fetch_seconds=fetched)
        return {"source": item.source, "seconds": round(time.perf_counter() - started, 3), "checked_at": checked_at,
                "result": result}
    except UnmaskError as exc:
        error = {"code": exc.code, "message": exc.message}
    except Exception as exc:  # one broken input must not end the whole scan
        error = {"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"}
    return {"source": item.source, "seconds": round(time.perf_counter() - started, 3), "error": error}


def scan(inputs: list[ScanInput], config: Mapping[str, Any], bar: ProgressBar) -> list[dict]:
    """Analyse every input in turn, reporting progress on `bar`."""
    entries = []
    for position, item in enumerate(inputs, start=1):
        bar.start(position, item.source)
        entry = scan_one(item, config, bar)
        bar.finish(entry["result"]["verdict"] if "result" in entry else f"error ({entry['error']['code']})")
        entries.append(entry)
    return entries


def run(args: argparse.Namespace, config: Mapping[str, Any], stdout: TextIO | None = None,
        stderr: TextIO | None = None) -> int:
    """Run `unmask scan` with parsed arguments and a loaded config; returns the exit status."""
    from companion.pipeline import load_face_detector, load_detectors

    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    inputs = collect_inputs(args.inputs)
    if not inputs:
        stderr.write("unmask scan: no media files found\n")
        return 1
    try:
        with _quiet_native_stderr():
            load_detectors(config)
            load_face_detector(config)
    except UnmaskError as exc:
        stderr.write(f"unmask scan: {exc.message} ({exc.code})\n")
        return 1
    entries = scan(inputs, config, ProgressBar(stderr, len(inputs), enabled=not args.no_progress))
    if args.json:
        stdout.write(json.dumps(entries, indent=2) + "\n")
    else:
        stdout.write(format_table(entries) + "\n")
    if args.csv:
        write_csv(args.csv, entries)
    if getattr(args, "report", None):
        written = write_reports(args.report, entries)
        stderr.write(f"unmask scan: {len(written) // 2} report(s) written to {args.report}\n")
    return 1 if any("error" in entry for entry in entries) else 0
