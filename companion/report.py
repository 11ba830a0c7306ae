"""The report of one check, for a fact-checker to keep: JSON, and self-contained HTML that prints well to PDF.

`build_report(analysis, original)` gathers what a reader needs to judge the check again later: the
media's address and sha256, when it was checked (the original check's time for a cached answer), the
models and their versions, the verdict and the manipulation score with the bands it was judged by,
each face (left to right) with its crop, score, known weak cases and a video's mouth-motion evidence, a
video's timeline with the frames it was computed on and the detector that raised each frame most,
what the file states about its provenance, and the caveats.

`render_html(report)` writes it as one HTML page with everything inline (images as data: URIs,
styles in the page, no script, no external fetch): every value from the analysis is escaped (the
media's address comes from a web page and may be hostile), and data: URIs are only kept when they
are base64 JPEG or PNG. `REPORT_CSP` is the Content-Security-Policy it is served with.
"""
from __future__ import annotations

import html
import re
from typing import Any

REPORT_VERSION = 1
META_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
REPORT_CSP = META_CSP + "; frame-ancestors 'none'"  # a <meta> cannot carry frame-ancestors; the header does
_DATA_URI = re.compile(r"^data:image/(?:jpeg|png);base64,[A-Za-z0-9+/]+={0,2}$")
WEAK_CASE_TEXT = {
    "grayscale": "black-and-white: the detectors were trained on colour faces",
    "small": "small face: little detail to judge",
    "blurred": "blurred face: blur hides the traces the detectors look for",
    "compressed": "heavy compression: compression artefacts hide or mimic manipulation traces",
    "turned": "face turned away: the detectors were trained on faces seen from the front",
}
DETECTOR_TEXT = {  # short names of the detectors (the extension's detector* messages); others shown as named
    "blend_cnn": "blend/swap detector",
    "generated_residual": "generated-face detector",
    "frame_cnn": "seed frame CNN",
    "frame_cnn_generated": "seed frame CNN (generated faces)",
    "hybrid_vit": "CNN+ViT hybrid",
    "temporal": "motion over time",
    "temporal_residual": "motion over time",
}
VERDICT_TEXT = {"likely_fake": "Likely fake", "inconclusive": "Inconclusive", "likely_real": "Likely real",
                "no_face": "No face"}
CAVEATS = (
    "The manipulation score is the detector's calibrated estimate that a face was manipulated (0% to 100%); "
    "it is not the probability that the media is real. The verdict comes from the bands listed.",
    "A verdict is a hint, not proof. The detectors were trained on real faces and pseudo-fakes made from them; "
    "kinds of manipulation they never saw can go unnoticed, and real faces are sometimes flagged.",
    "Only faces are judged: a real face in a manipulated scene, or a generated picture without faces, is not "
    "detected.",
    "Faces too small to be scored are listed but do not count in the score.",
    "Provenance is what the file states about itself; metadata can be removed or forged unless it is signed "
    "Content Credentials that validate.",
)


def _safe_image(value: Any) -> str | None:
    """A data: URI fit to inline (base64 JPEG or PNG), or None."""
    return value if isinstance(value, str) and _DATA_URI.match(value) else None


def _name(value: Any) -> str | None:
    """A detector's name as the result gives it, or None when it is not a non-empty string."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def _unit(value: Any) -> float | None:
    """A number kept in 0..1, or None (booleans, NaN and non-numbers included)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return min(1.0, max(0.0, float(value)))


def detector_text(name: Any) -> str:
    """A detector's short name for people ("" for none; an unknown name as it is)."""
    name = _name(name)
    return DETECTOR_TEXT.get(name, name) if name else ""


def _address(analysis: dict) -> str:
    """Where the checked media came from, as the user knows it."""
    source = analysis.get("source") or {}
    if source.get("type") == "frames":
        return f"{source.get('count', '?')} frames captured in the browser"
    return str(source.get("url") or source.get("page_url") or source.get("filename") or "")


def _models(result: dict) -> list[dict]:
    """Each model's name and version (the result joins several with '+')."""
    model = result.get("model") or {}
    names = str(model.get("name") or "").split("+")
    versions = str(model.get("version") or "").split("+")
    if len(names) != len(versions):
        return [{"name": model.get("name"), "version": model.get("version")}]
    return [{"name": name, "version": version} for name, version in zip(names, versions)]


def build_report(analysis: dict, original: dict | None = None) -> dict:
    """The report of a finished analysis. A cached answer's result carries the original check's time
    (`checked_at`); `original`, the analysis it was copied from, is the fallback."""
    result = analysis.get("result") or {}
    media = result.get("media") or {}
    faces = sorted(result.get("faces") or [], key=lambda face: (face.get("box") or [0])[0])
    checked_at = result.get("checked_at") or (original or {}).get("created_at") or analysis.get("created_at")
    report_faces = []
    for position, face in enumerate(faces, start=1):
        report_faces.append({
            "position": position, "id": face.get("id"), "box": face.get("box"), "score": face.get("score"),
            "too_small": bool(face.get("too_small")), "too_blurred": bool(face.get("too_blurred")),
            "frames": face.get("frames") or [],
            "frame_score": face.get("frame_score"), "temporal": face.get("temporal"),
            "mouth": _unit(face.get("mouth")),
            "weak": [w for w in face.get("weak") or [] if w in WEAK_CASE_TEXT],
            "crop": _safe_image(face.get("thumbnail")),
        })
    scores = [f["score"] for f in report_faces if isinstance(f["score"], (int, float))]
    flagged = next((f["position"] for f in report_faces if scores and f["score"] == max(scores)), None)
    feedback = analysis.get("feedback") or None
    return {
        "report_version": REPORT_VERSION,
        "analysis_id": analysis.get("id"),
        "address": _address(analysis),
        "source": analysis.get("source") or {},
        "sha256": media.get("sha256") or analysis.get("sha256"),
        "checked_at": checked_at,
        "looked_up_at": analysis.get("created_at") if analysis.get("cached") or analysis.get("cached_from") else None,
        "models": _models(result),
        "verdict": result.get("verdict"),
        "score": result.get("score"),
        "bands": result.get("bands"),
        "media": {key: media.get(key) for key in ("kind", "width", "height", "duration", "frames_analyzed")},
        "faces": report_faces,
        "flagged_face": flagged,
        "timeline": [{"timestamp": frame.get("timestamp"), "index": frame.get("index"), "score": frame.get("score"),
                      "detector": _name(frame.get("detector")), "thumbnail": _safe_image(frame.get("thumbnail"))}
                     for frame in result.get("frames") or []],
        "temporal": result.get("temporal"),
        "clip_detector": _name(result.get("clip_detector")),
        "provenance": result.get("provenance"),
        "correction": {"label": feedback.get("label"), "note": feedback.get("note")} if feedback else None,
        "caveats": list(CAVEATS),
    }


# ---------------------------------------------------------------- HTML

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;margin:24px auto;max-width:820px;
padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:22px 0 6px;border-bottom:1px solid #d0d7de;padding-bottom:2px}
.verdict{font-size:20px;font-weight:700}.v-likely_fake{color:#b3261e}.v-inconclusive{color:#7a4f01}
.v-likely_real{color:#1b5e20}.v-no_face{color:#57606a}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0}dt{color:#57606a}
dd{margin:0;overflow-wrap:anywhere}code{font-size:12px}
.bar{position:relative;height:14px;border:1px solid #57606a;border-radius:3px;display:flex;margin:8px 0 2px;
max-width:420px}.bar span{display:block;height:100%}.b-real{background:#c8e6c9}.b-unsure{background:#ffe0b2}
.b-fake{background:#ffcdd2}.bar i{position:absolute;top:-4px;bottom:-4px;width:3px;background:#1f2328;margin-left:-1px}
.scale{display:flex;justify-content:space-between;max-width:420px;font-size:11px;color:#57606a}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #d0d7de;padding:4px 6px;text-align:left;
vertical-align:middle}img.crop{width:72px;height:72px;border-radius:4px;border:1px solid #d0d7de}
.frames{display:flex;flex-wrap:wrap;gap:6px}.frames figure{margin:0;width:120px;font-size:11px}
.frames img{width:120px;border:2px solid #d0d7de;border-radius:3px}.frames .worst img{border-color:#b3261e}
.weak{color:#6d2a00}.muted{color:#57606a;font-size:12px}ul{padding-left:20px}
svg{width:100%;height:90px;background:#f6f8fa;border:1px solid #d0d7de}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}tr,figure{break-inside:avoid}}
"""


def _e(value: Any) -> str:
    """Text escaped for HTML (quotes too)."""
    return html.escape("" if value is None else str(value), quote=True)


def _percent(value: Any) -> str:
    """A 0..1 score as a whole percent, or a dash."""
    return f"{round(float(value) * 100)}%" if isinstance(value, (int, float)) else "–"


def _bar(score: Any, bands: dict | None) -> str:
    """The score on a bar showing the three bands."""
    if not isinstance(bands, dict) or not isinstance(score, (int, float)):
        return ""
    real, fake = float(bands.get("real_below", 0)), float(bands.get("fake_from", 1))
    parts = (f'<span class="b-real" style="width:{real * 100:.1f}%"></span>'
             f'<span class="b-unsure" style="width:{(fake - real) * 100:.1f}%"></span>'
             f'<span class="b-fake" style="width:{(1 - fake) * 100:.1f}%"></span>'
             f'<i style="left:{min(1.0, max(0.0, float(score))) * 100:.1f}%"></i>')
    label = (f"Manipulation score {_percent(score)} on a bar: likely real below {_percent(real)}, inconclusive "
             f"from {_percent(real)} to {_percent(fake)}, likely fake from {_percent(fake)}")
    return (f'<div class="bar" role="img" aria-label="{_e(label)}">{parts}</div>'
            f'<div class="scale"><span>0% likely real</span><span>inconclusive</span><span>likely fake 100%</span></div>'
            f'<p class="muted">Bands: likely real below {_percent(real)}; inconclusive from {_percent(real)} to '
            f'{_percent(fake)}; likely fake from {_percent(fake)}.</p>')


def _timeline_svg(timeline: list[dict]) -> str:
    """The per-frame score as an SVG polyline (score 1 at the top)."""
    points = [(f["timestamp"], f["score"]) for f in timeline
              if isinstance(f.get("timestamp"), (int, float)) and isinstance(f.get("score"), (int, float))]
    if not points:
        return ""
    start, end = min(p[0] for p in points), max(p[0] for p in points)
    span = (end - start) or 1.0
    coords = " ".join(f"{(t - start) / span * 600:.1f},{(1 - s) * 80 + 5:.1f}" for t, s in points)
    return (f'<svg viewBox="0 0 600 90" role="img" aria-label="Score per analysed frame from {start:.1f} s to '
            f'{end:.1f} s"><polyline points="{coords}" fill="none" stroke="#b3261e" stroke-width="2"/></svg>')


def _faces_html(report: dict) -> str:
    """The faces table."""
    if not report["faces"]:
        return "<p>No face was found.</p>"
    rows = []
    for face in report["faces"]:
        crop = f'<img class="crop" alt="Face {face["position"]}" src="{_e(face["crop"])}">' if face["crop"] else ""
        score = ("too small to score" if face["too_small"] else "too blurred to judge" if face["too_blurred"]
                 else _percent(face["score"]))
        weak = "; ".join(WEAK_CASE_TEXT[w] for w in face["weak"])
        flagged = " (flagged)" if face["position"] == report["flagged_face"] and len(report["faces"]) > 1 else ""
        box = ", ".join(str(round(float(v))) for v in face["box"] or [])
        extra = ""
        if isinstance(face.get("frame_score"), (int, float)) and isinstance(face.get("temporal"), (int, float)):
            extra = (f'<div class="muted">single frames {_percent(face["frame_score"])} · flicker over time '
                     f'{_percent(face["temporal"])}</div>')
        if isinstance(face.get("mouth"), (int, float)):
            extra += (f'<div class="muted mouth">mouth movement {_percent(face["mouth"])} unlike a real '
                      f'speaker</div>')
        rows.append(f"<tr><td>{crop}</td><td><strong>Face {face['position']} of {len(report['faces'])}"
                    f"{_e(flagged)}</strong><div class=\"muted\">box x, y, w, h: {_e(box)}</div></td>"
                    f"<td>{_e(score)}{extra}</td><td class=\"weak\">{_e(weak)}</td></tr>")
    return ("<table><thead><tr><th>Crop</th><th>Face (left to right)</th><th>Manipulation score</th>"
            "<th>Known weak cases</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _frames_html(report: dict) -> str:
    """The timeline and the frames it was computed on (the worst frame outlined), each with the detector that
    raised it most."""
    timeline = report["timeline"]
    if not timeline:
        return ""
    scored = [f["score"] for f in timeline if isinstance(f["score"], (int, float))]
    worst = max(scored) if scored else None
    figures = []
    for frame in timeline:
        image = (f'<img alt="Frame at {_e(frame["timestamp"])} s" src="{_e(frame["thumbnail"])}">'
                 if frame["thumbnail"] else "")
        css = ' class="worst"' if worst is not None and frame["score"] == worst else ""
        detector = detector_text(frame.get("detector"))
        by = f'<br><span class="muted by">raised most by: {_e(detector)}</span>' if detector else ""
        figures.append(f"<figure{css}>{image}<figcaption>{_e(frame['timestamp'])} s · "
                       f"{_e(_percent(frame['score']))}{by}</figcaption></figure>")
    return (f"<h2>Timeline ({len(timeline)} analysed frames)</h2>{_timeline_svg(timeline)}"
            f'<div class="frames">{"".join(figures)}</div>')


def _provenance_html(provenance: Any) -> str:
    """What the file states about its origin."""
    if not isinstance(provenance, dict):
        return "<p>Not read.</p>"
    summary = provenance.get("summary") or {}
    lines = []
    if provenance.get("note"):
        lines.append(f"<p>{_e(provenance['note'])}</p>")
    if not provenance.get("found"):
        lines.append("<p>The file states nothing about its origin (no Content Credentials, no generator in its "
                     "metadata).</p>")
    else:
        lines.append(f"<p>Declares AI generation: <strong>{'yes' if summary.get('declares_ai') else 'no'}</strong>"
                     f"{_e(' (' + ', '.join(summary.get('ai_declared_by') or []) + ')') if summary.get('declares_ai') else ''}"
                     f". Declares edits: {'yes' if summary.get('declares_edits') else 'no'}.</p>")
        if summary.get("signed_by"):
            lines.append(f"<p>Content Credentials signed by {_e(summary['signed_by'])}; valid: "
                         f"{_e(summary.get('valid'))}, trusted: {_e(summary.get('trusted'))}.</p>")
        facts = provenance.get("facts") or []
        if facts:
            items = "".join(f"<dt>{_e(fact.get('field'))}</dt><dd>{_e(fact.get('value'))} "
                            f"<span class=\"muted\">({_e(fact.get('kind'))})</span></dd>" for fact in facts[:40])
            lines.append(f'<dl class="facts">{items}</dl>')
    for error in provenance.get("errors") or []:
        lines.append(f'<p class="weak">{_e(error.get("message") if isinstance(error, dict) else error)}</p>')
    return "".join(lines)


def render_html(report: dict) -> str:
    """The report as one self-contained HTML page."""
    verdict = report.get("verdict") or ""
    models = ", ".join(f"{m['name']} {m['version']}" for m in report["models"])
    media = report["media"]
    size = f"{media.get('width')} × {media.get('height')} px" if media.get("width") else ""
    facts = [("Address", report["address"]), ("SHA-256", report["sha256"]), ("Checked", report["checked_at"]),
             ("Media", " · ".join(str(v) for v in (media.get("kind"), size,
                                                   f"{media['duration']} s" if media.get("duration") else "") if v)),
             ("Models", models), ("Analysis id", report["analysis_id"])]
    if report.get("looked_up_at"):
        facts.append(("Looked up again", report["looked_up_at"]))
    facts_html = "".join(f"<dt>{_e(term)}</dt><dd>{_e(value)}</dd>" for term, value in facts)
    score = "" if report["score"] is None else f" · manipulation score {_percent(report['score'])}"
    correction = ""
    if report.get("correction"):
        note = report["correction"].get("note") or ""
        correction = (f"<h2>Your correction</h2><p>Recorded as {_e(report['correction'].get('label'))}"
                      f"{_e(': ' + note) if note else ''}.</p>")
    caveats = "".join(f"<li>{_e(text)}</li>" for text in report["caveats"])
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_e(META_CSP)}\">"
        "<meta name=\"referrer\" content=\"no-referrer\">"
        f"<title>Unmask report · {_e(VERDICT_TEXT.get(verdict, verdict))}</title><style>{_STYLE}</style></head><body>"
        "<h1>Unmask report</h1><p class=\"muted\">A deepfake check run on this computer by Unmask.</p>"
        f"<p class=\"verdict v-{_e(verdict)}\">{_e(VERDICT_TEXT.get(verdict, verdict))}{_e(score)}</p>"
        f"{_bar(report['score'], report['bands'])}"
        f"<dl class=\"facts\">{facts_html}</dl>"
        f"<h2>Faces</h2>{_faces_html(report)}"
        f"{_frames_html(report)}"
        f"<h2>Provenance</h2>{_provenance_html(report['provenance'])}"
        f"{correction}"
        f"<h2>Caveats</h2><ul>{caveats}</ul>"
        "</body></html>"
    )
