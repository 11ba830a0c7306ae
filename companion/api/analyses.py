"""The /v1/analyses routes: submit, read, list, delete, and the user's corrections."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from companion.api.submission import InvalidRequest, Submission, parse_count, parse_json_body, parse_submission
from companion.detectors import load_detectors, model_version
from companion.errors import NotFound, UnmaskError
from companion.store import InvalidCursor

bp = Blueprint("analyses", __name__, url_prefix="/v1")

DEFAULT_PAGE = 20
MAX_PAGE = 100
MAX_NOTE_CHARS = 2000
FEEDBACK_LABELS = ("fake", "real")
CSV_COLUMNS = ("analysis_id", "analysed_at", "feedback_at", "label", "note", "verdict", "score", "model_version",
               "media_kind", "sha256", "source_type", "source")


def _services():
    """The app's store, job pool and token (see companion.create_app)."""
    return current_app.extensions["unmask"]


def _get_or_404(analysis_id: str) -> dict:
    """An analysis, or 404 not_found."""
    analysis = _services().store.get(analysis_id)
    if analysis is None:
        raise NotFound(f"no analysis with id {analysis_id!r}")
    return analysis


@bp.post("/analyses")
def create_analysis():
    """Start an analysis (202), join an identical running one (202), or answer from the cache (200)."""
    submission = parse_submission(request, current_app.config)
    try:
        version = model_version(load_detectors(current_app.config))
        return _submit(submission, version)
    except BaseException:
        submission.cleanup()
        raise


def _submit(submission: Submission, version: str):
    """Cache hit -> a new history entry (cached: true) with the earlier result; else queue or join a job.

    The cache key is (media sha256, model version). Uploads and frames know their sha256 at once; a URL
    uses the sha256 that an earlier finished analysis of the same URL found (content changed behind an
    unchanged URL is not noticed until that analysis is deleted).
    """
    services = _services()
    sha256 = submission.sha256 or services.store.sha256_for_source(submission.source_key)
    cached = services.store.find_done(sha256, version) if sha256 else None
    if cached is not None:
        submission.cleanup()
        new_id = services.store.create(source=submission.source, source_key=submission.source_key, sha256=sha256,
                                       model_version=version, status="done",
                                       result={"checked_at": cached["created_at"], **cached["result"]},
                                       cached_from=cached["id"])
        return jsonify(services.store.get(new_id)), 200

    def create() -> str:
        """The history entry of the new job."""
        return services.store.create(source=submission.source, source_key=submission.source_key,
                                     model_version=version, sha256=submission.sha256)

    job_id, is_new = services.pool.submit((submission.source_key, version), create, submission.work,
                                          submission.cleanup)
    if not is_new:
        submission.cleanup()
    body = {"id": job_id, "status": services.store.status_of(job_id) or "queued"}
    return jsonify(body), 202, {"Location": url_for("analyses.get_analysis", analysis_id=job_id)}


@bp.get("/analyses/<analysis_id>")
def get_analysis(analysis_id: str):
    """One analysis: status, progress, and its result or error."""
    return jsonify(_get_or_404(analysis_id))


@bp.get("/analyses/<analysis_id>/report")
def analysis_report(analysis_id: str):
    """The report of a finished analysis: self-contained HTML (default) or JSON (?format=json, or Accept)."""
    from companion.report import REPORT_CSP, build_report, render_html

    analysis = _get_or_404(analysis_id)
    if analysis["status"] != "done":
        raise UnmaskError("only a finished analysis has a report", code="not_done", status=409)
    report = build_report(analysis)
    wanted = request.args.get("format") or request.accept_mimetypes.best_match(["text/html", "application/json"])
    if wanted in ("json", "application/json"):
        answer = jsonify(report)
    elif wanted in (None, "html", "text/html"):
        answer = Response(render_html(report), mimetype="text/html")
        answer.headers["Content-Security-Policy"] = REPORT_CSP
    else:
        raise InvalidRequest("format must be html or json")
    answer.headers["X-Content-Type-Options"] = "nosniff"
    answer.headers["Referrer-Policy"] = "no-referrer"
    answer.headers["Cache-Control"] = "no-store"
    extension = "json" if answer.mimetype == "application/json" else "html"
    answer.headers["Content-Disposition"] = f'inline; filename="unmask-report-{analysis["id"]}.{extension}"'
    return answer


@bp.get("/analyses")
def list_analyses():
    """History, newest first: ?limit=1..100 (20) and ?cursor=<next_cursor of the previous page>."""
    limit = parse_count(request.args.get("limit", str(DEFAULT_PAGE)), "limit", 1, MAX_PAGE)
    try:
        items, next_cursor = _services().store.list(limit, request.args.get("cursor"))
    except InvalidCursor:
        raise InvalidRequest("cursor is not one this companion handed out", code="invalid_cursor") from None
    return jsonify({"items": items, "next_cursor": next_cursor})


@bp.delete("/analyses/<analysis_id>")
def delete_analysis(analysis_id: str):
    """Remove an analysis (and its correction) from the history; a running job's result is discarded."""
    services = _services()
    if not services.store.delete(analysis_id):
        raise NotFound(f"no analysis with id {analysis_id!r}")
    services.pool.forget(analysis_id)
    return "", 204


@bp.post("/analyses/<analysis_id>/feedback")
def post_feedback(analysis_id: str):
    """Record "this looks wrong": {"label": "fake"|"real", "note": optional text} on a finished analysis."""
    body = parse_json_body(request)
    if not isinstance(body, dict) or not set(body) <= {"label", "note"} or body.get("label") not in FEEDBACK_LABELS:
        raise InvalidRequest('send {"label": "fake" | "real", "note": "optional text"}')
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
        raise InvalidRequest(f"note must be text of at most {MAX_NOTE_CHARS} characters")
    analysis = _get_or_404(analysis_id)
    if analysis["status"] != "done":
        raise UnmaskError("only a finished analysis can be corrected", code="not_done", status=409)
    _services().store.set_feedback(analysis_id, body["label"], note)
    return jsonify(_get_or_404(analysis_id))


def _csv_safe(value) -> str:
    """A cell spreadsheets will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_row(analysis: dict) -> list[str]:
    """One correction with its analysis, as CSV cells."""
    result, source, feedback = analysis.get("result") or {}, analysis["source"], analysis["feedback"]
    media = result.get("media") or {}
    where = source.get("url") or source.get("page_url") or source.get("filename") or ""
    values = (analysis["id"], analysis["created_at"], feedback["created_at"], feedback["label"], feedback["note"],
              result.get("verdict"), result.get("score"), analysis["model_version"], media.get("kind"),
              media.get("sha256"), source.get("type"), where)
    return [_csv_safe(value) for value in values]


@bp.get("/feedback.csv")
def export_feedback():
    """Every correction with the result it corrects, as CSV (for retraining and bug reports)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for analysis in _services().store.feedback_rows():
        writer.writerow(_csv_row(analysis))
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="unmask-feedback.csv"'})
