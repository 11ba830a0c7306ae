"""The OpenAPI 3.1 document of the /v1 API (served at GET /v1/openapi.json)."""
from __future__ import annotations

ERROR_CODES = (
    "invalid_request", "invalid_json", "invalid_cursor", "unsupported_media_type", "token_missing", "bad_token",
    "origin_forbidden", "host_forbidden", "not_found", "method_not_allowed", "not_done", "too_large", "not_media",
    "undecodable", "fetch_failed", "queue_full", "model_missing", "interrupted", "internal_error",
    "bad_url", "unsupported_scheme", "empty_media", "image_too_large", "frames_too_large", "database_unusable",
    "token_unavailable",
)


def _ref(name: str) -> dict:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    """A JSON response object."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str, headers: dict | None = None) -> dict:
    """An error response with the shared error body."""
    response = _json(_ref("Error"), description)
    if headers:
        response["headers"] = headers
    return response


_COMMON_ERRORS = {
    "401": _error("token_missing or bad_token: no or wrong `Authorization: Bearer` token"),
    "403": _error("origin_forbidden (a web page's Origin) or host_forbidden (Host is not loopback)"),
    "500": _error("internal_error"),
}
_PUBLIC_ERRORS = {"403": _COMMON_ERRORS["403"], "500": _COMMON_ERRORS["500"]}
_ID_PARAM = {"name": "analysis_id", "in": "path", "required": True, "schema": {"type": "string"},
             "description": "The id returned by POST /v1/analyses."}


def _nullable(schema: dict) -> dict:
    """The schema or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def _schemas(max_frames: int) -> dict:
    """Component schemas: requests, analysis, result, health, error."""
    number01 = {"type": "number", "minimum": 0, "maximum": 1}
    return {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "string", "description": "Stable machine-readable code, for example: "
                                                          + ", ".join(ERROR_CODES) + " (fetch errors add "
                                                          "more specific fetch_* and url codes)."},
                "message": {"type": "string", "description": "Readable English explanation."}}}}},
        "UrlRequest": {"type": "object", "required": ["url"], "additionalProperties": False, "properties": {
            "url": {"type": "string", "format": "uri",
                    "description": "Absolute http(s) URL of an image or video file."}}},
        "PageUrlRequest": {"type": "object", "required": ["page_url"], "additionalProperties": False, "properties": {
            "page_url": {"type": "string", "format": "uri",
                         "description": "A video page (YouTube, Vimeo, ...) downloaded with yt-dlp."}}},
        "FramesRequest": {"type": "object", "required": ["frames"], "additionalProperties": False, "properties": {
            "frames": {"type": "array", "minItems": 1, "maxItems": max_frames,
                       "description": "Frames captured from a playing video (at most MAX_FRAMES_UPLOAD).",
                       "items": {"type": "object", "required": ["data", "timestamp"], "additionalProperties": False,
                                 "properties": {
                                     "data": {"type": "string", "contentEncoding": "base64",
                                              "description": "JPEG (or PNG/WebP) bytes, base64; "
                                                             "a data: URL is accepted."},
                                     "timestamp": {"type": "number", "minimum": 0,
                                                   "description": "Seconds into the video."}}}}}},
        "FileUpload": {"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "contentMediaType": "application/octet-stream",
                     "description": "An image or video file (the only part of the form)."}}},
        "Source": {"type": "object", "required": ["type"], "properties": {
            "type": {"enum": ["url", "page_url", "file", "frames"]}, "url": {"type": "string"},
            "page_url": {"type": "string"}, "filename": {"type": "string"}, "size": {"type": "integer"},
            "mime": {"type": "string"}, "count": {"type": "integer"}}},
        "Progress": {"type": "object", "required": ["fraction", "stage"], "properties": {
            "fraction": number01, "stage": {"type": "string", "description": "queued, starting, fetch, decode, "
                                                                          "faces, detect, aggregate, done or failed"}}},
        "Face": {"type": "object", "required": ["id", "box", "score", "frames", "too_small"], "properties": {
            "id": {"type": "integer", "description": "One person across frames."},
            "box": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4,
                    "description": "x, y, width, height in source pixels."},
            "score": _nullable({**number01, "description": "The person's score: frame evidence, fused with "
                                                           "temporal evidence for videos read as clips."}),
            "frames": {"type": "array", "items": {"type": "integer"}},
            "too_small": {"type": "boolean", "description": "Too small to score: below MIN_FACE_PX, or below "
                          "the smallest face any frame detector judges (its min_face_px)."},
            "too_blurred": {"type": "boolean", "description": "Big enough, but too blurred to judge: below the "
                            "least sharpness of every frame detector that judges its size (min_sharpness)."},
            "frame_score": _nullable({**number01, "description": "With a clip detector: the frame detectors' "
                                                                 "evidence alone."}),
            "temporal": _nullable({**number01, "description": "With a clip detector: the temporal detector's "
                                                              "evidence (None: no track long enough)."}),
            "mouth": _nullable({**number01, "description": "With a clip detector that has a mouth head: how "
                                                           "unlike a real speaker's the mouth moves (lip sync)."}),
            "thumbnail": _nullable({"type": "string", "description": "The face as a small data:image/jpeg URI."}),
            "brief": {"type": "boolean", "description": "In a video, scored in too few frames (under 3, and under "
                                                        "half) to call it likely fake alone: the score is held "
                                                        "below fake_from."},
            "weak": {"type": "array", "items": {"enum": ["grayscale", "small", "blurred", "compressed", "turned",
                                                         "brief"]},
                     "description": "Known weak cases of the detectors this face is (companion.evidence)."}}},
        "FrameScore": {"type": "object", "required": ["index", "timestamp", "score"], "properties": {
            "index": {"type": "integer"}, "timestamp": {"type": "number"}, "score": _nullable(number01),
            "detector": _nullable({"type": "string", "description": "Analysed frames: the detector that raised the "
                                                                    "frame most (a frame detector, or the clip "
                                                                    "detector where its curve is higher)."}),
            "thumbnail": _nullable({"type": "string", "description": "Analysed frames (not the temporal curve): "
                                                                     "the frame as a small data:image/jpeg URI."})}},
        "Result": {"type": "object",
                   "required": ["verdict", "score", "faces", "detectors", "model", "media", "timings"],
                   "properties": {
            "verdict": {"enum": ["likely_fake", "inconclusive", "likely_real", "no_face"]},
            "score": _nullable({**number01, "description": "Calibrated probability that a face is manipulated."}),
            "faces": {"type": "array", "items": _ref("Face")},
            "frames": {"type": "array", "items": _ref("FrameScore"), "description": "Videos and frames only."},
            "temporal": {"type": "array", "items": _ref("FrameScore"),
                         "description": "Videos read as clips: per analysed frame, the temporal detector's "
                                        "inconsistency (None where no clip covers the frame)."},
            "detectors": {"type": "object", "additionalProperties": _nullable(number01)},
            "clip_detector": {"type": "string", "description": "Videos read as clips: the clip detector whose "
                                                               "score is in `detectors`."},
            "model": {"type": "object", "required": ["name", "version"],
                      "properties": {"name": {"type": "string"}, "version": {"type": "string"}}},
            "media": {"type": "object", "properties": {
                "sha256": {"type": "string"}, "kind": {"enum": ["image", "video", "frames"]},
                "width": {"type": "integer"}, "height": {"type": "integer"}, "duration": _nullable({"type": "number"}),
                "frames_analyzed": {"type": "integer"}}},
            "timings": {"type": "object", "additionalProperties": {"type": "number"},
                        "description": "Seconds per stage."},
            "provenance": _ref("Provenance"),
            "bands": {"type": "object", "properties": {"real_below": number01, "fake_from": number01},
                      "description": "The score bands the verdict was judged by."},
            "checked_at": {"type": "string", "format": "date-time",
                           "description": "A cached answer only: when the result was computed."}}},
        **_provenance_schemas(),
        "Feedback": {"type": "object", "required": ["label", "note", "created_at"], "properties": {
            "label": {"enum": ["fake", "real"]}, "note": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"}}},
        "FeedbackRequest": {"type": "object", "required": ["label"], "additionalProperties": False, "properties": {
            "label": {"enum": ["fake", "real"], "description": "What the user believes the media is."},
            "note": {"type": "string", "maxLength": 2000}}},
        "Analysis": {"type": "object",
                     "required": ["id", "status", "created_at", "source", "progress", "model_version"],
                     "properties": {
            "id": {"type": "string"}, "status": {"enum": ["queued", "running", "done", "failed"]},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "source": _ref("Source"), "model_version": {"type": "string"}, "progress": _ref("Progress"),
            "cached": {"type": "boolean", "description": "True when the result was reused from an earlier analysis."},
            "result": {**_ref("Result"), "description": "Present when status is done."},
            "error": {"type": "object", "description": "Present when status is failed.",
                      "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
            "feedback": _ref("Feedback")}},
        "Accepted": {"type": "object", "required": ["id", "status"], "properties": {
            "id": {"type": "string"}, "status": {"enum": ["queued", "running"]}}},
        "AnalysisPage": {"type": "object", "required": ["items", "next_cursor"], "properties": {
            "items": {"type": "array", "items": _ref("Analysis")},
            "next_cursor": _nullable({"type": "string", "description": "Pass as ?cursor= for the next page."})}},
        "Health": {"type": "object", "required": ["status", "models", "queue", "version"], "properties": {
            "status": {"enum": ["ok", "degraded"]},
            "models": {"type": "array", "items": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string"}, "version": {"type": "string"},
                "missing": {"type": "string", "description": "Why this detector cannot run."}}}},
            "faces": {"type": "object", "required": ["ready"], "properties": {
                "ready": {"type": "boolean"}, "missing": {"type": "string"}}},
            "queue": {"type": "object", "properties": {
                "depth": {"type": "integer"}, "max": {"type": "integer"}, "workers": {"type": "integer"},
                "running": {"type": "integer"}}},
            "database": {"type": "object", "required": ["ok"], "properties": {
                "ok": {"type": "boolean"}, "problem": {"type": "string"}}},
            "version": {"type": "string"}}},
    }


def _provenance_schemas() -> dict:
    """Schemas of the result's `provenance` block: what the file itself states (C2PA, IPTC/XMP, EXIF, PNG text)."""
    text = {"type": "string"}
    maybe_text = _nullable(text)
    fact = {"type": "object", "required": ["kind", "field", "value", "source", "signals"], "properties": {
        "kind": {"enum": ["c2pa", "iptc", "xmp", "exif", "png_text"]},
        "field": {**text, "description": "The metadata field, e.g. digitalSourceType, Software, parameters."},
        "value": {**text, "description": "Its value (long values are cut and end with an ellipsis)."},
        "source": {**text, "description": "Where it was read, e.g. 'C2PA manifest action c2pa.created'."},
        "signals": {"type": "array", "items": {"enum": ["ai", "edit"]},
                    "description": "What the fact declares: AI generation and/or edits."}}}
    action = {"type": "object", "properties": {
        "action": text, "digital_source_type": maybe_text, "software_agent": maybe_text,
        "in": {**text, "description": "'manifest' (the active one) or the ingredient manifest it comes from."}}}
    c2pa = {"type": "object", "required": ["validation_state"], "properties": {
        "validation_state": {"enum": ["valid", "untrusted", "invalid"],
                             "description": "valid: intact and signed by a trusted signer "
                                            "(PROVENANCE_TRUST_ANCHORS); untrusted: intact, signer on no "
                                            "configured trust list; invalid: tampered or malformed."},
        "sdk_validation_state": {**maybe_text, "description": "The c2pa SDK's own state: Trusted, Valid, Invalid."},
        "failures": {"type": "array", "items": {"type": "object", "properties": {
            "code": text, "explanation": maybe_text}}, "description": "C2PA validation failure codes."},
        "active_manifest": maybe_text, "title": maybe_text, "claim_generator": maybe_text,
        "signer": _nullable({"type": "object", "properties": {
            "issuer": maybe_text, "common_name": maybe_text, "alg": maybe_text, "time": maybe_text}}),
        "actions": {"type": "array", "items": action},
        "ingredients": {"type": "array", "items": {"type": "object", "properties": {
            "title": text, "relationship": text, "format": maybe_text, "has_manifest": {"type": "boolean"}}}},
        "manifest_count": {"type": "integer"}}}
    summary = {"type": "object", "required": ["declares_ai", "declares_edits", "signed_by", "valid"], "properties": {
        "declares_ai": {"type": "boolean", "description": "A fact declares AI generation (see ai_declared_by)."},
        "declares_edits": {"type": "boolean"},
        "ai_declared_by": {"type": "array", "items": {"enum": ["c2pa", "iptc", "xmp", "exif", "png_text"]}},
        "signed_by": {**maybe_text, "description": "The C2PA signer's common name (or issuer)."},
        "valid": _nullable({"type": "boolean", "description": "C2PA manifest intact (null: no manifest)."}),
        "trusted": _nullable({"type": "boolean", "description": "C2PA signer trusted (null: no manifest)."})}}
    provenance = {"type": "object", "required": ["found", "facts", "summary", "c2pa", "errors"], "properties": {
        "found": {"type": "boolean", "description": "The file states anything about its origin."},
        "facts": {"type": "array", "items": _ref("ProvenanceFact")}, "summary": _ref("ProvenanceSummary"),
        "c2pa": _nullable(_ref("ContentCredentials")),
        "errors": {"type": "array", "items": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {**text, "description": "c2pa_invalid, c2pa_timeout, c2pa_busy, c2pa_unavailable, "
                                            "metadata_too_large, metadata_unreadable, xmp_malformed, "
                                            "trust_anchors_unusable"},
            "message": text}}},
        "note": {**maybe_text, "description": "Why nothing could be read (captured frames carry no metadata)."}},
        "description": "What the media file itself states about its origin, beside (never instead of) the "
                       "detectors' verdict. Unsigned metadata (iptc, xmp, exif, png_text) can be written by anyone."}
    return {"Provenance": provenance, "ProvenanceFact": fact, "ProvenanceSummary": summary,
            "ContentCredentials": c2pa}


def _paths() -> dict:
    """Every /v1 route with its request and responses."""
    analysis = _json(_ref("Analysis"), "The analysis")
    not_found = _error("not_found: no analysis with this id")
    return {
        "/v1/health": {"get": {"summary": "Whether the companion can analyse now", "security": [],
                               "operationId": "health",
                               "responses": {"200": _json(_ref("Health"), "Status, models and queue"),
                                             **_PUBLIC_ERRORS}}},
        "/v1/openapi.json": {"get": {"summary": "This document", "security": [], "operationId": "openapi",
                                     "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1 document"),
                                                   **_PUBLIC_ERRORS}}},
        "/v1/analyses": {
            "post": {"summary": "Analyse a URL, a video page, an uploaded file or captured frames",
                     "operationId": "createAnalysis",
                     "requestBody": {"required": True, "content": {
                         "application/json": {"schema": {"oneOf": [_ref("UrlRequest"), _ref("PageUrlRequest"),
                                                                   _ref("FramesRequest")]}},
                         "multipart/form-data": {"schema": _ref("FileUpload")}}},
                     "responses": {
                         "200": _json(_ref("Analysis"), "Answered from the cache: the same media (by sha256; "
                                                       "for a URL, the "
                                                       "sha256 an earlier finished analysis of that URL found) was "
                                                       "already analysed by the same model version. A new history "
                                                       "entry with `cached: true` carries the earlier result."),
                         "202": {**_json(_ref("Accepted"), "Queued, or joined an identical job already queued "
                                                           "or running; poll GET /v1/analyses/{analysis_id}"),
                                 "headers": {"Location": {"schema": {"type": "string"}}}},
                         "400": _error("invalid_request, invalid_json, bad_url or unsupported_scheme"),
                         "413": _error("too_large: the body exceeds MAX_UPLOAD_BYTES; image_too_large or "
                                       "frames_too_large: the frames' headers announce too many pixels"),
                         "415": _error("unsupported_media_type (body not JSON/multipart), not_media or "
                                       "empty_media (upload)"),
                         "503": _error("queue_full (retry after Retry-After seconds), model_missing or "
                                       "database_unusable",
                                       {"Retry-After": {"schema": {"type": "integer"}}}),
                         **_COMMON_ERRORS}},
            "get": {"summary": "History, newest first", "operationId": "listAnalyses",
                    "parameters": [
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                                                    "default": 20}},
                        {"name": "cursor", "in": "query", "schema": {"type": "string"},
                         "description": "next_cursor of the previous page"}],
                    "responses": {"200": _json(_ref("AnalysisPage"), "One page of history"),
                                  "400": _error("invalid_request or invalid_cursor"), **_COMMON_ERRORS}}},
        "/v1/analyses/{analysis_id}": {
            "parameters": [_ID_PARAM],
            "get": {"summary": "Status, progress and result of one analysis", "operationId": "getAnalysis",
                    "responses": {"200": analysis, "404": not_found, **_COMMON_ERRORS}},
            "delete": {"summary": "Remove an analysis from the history", "operationId": "deleteAnalysis",
                       "responses": {"204": {"description": "Removed"}, "404": not_found, **_COMMON_ERRORS}}},
        "/v1/analyses/{analysis_id}/feedback": {
            "parameters": [_ID_PARAM],
            "post": {"summary": "Record that a verdict looks wrong", "operationId": "postFeedback",
                     "requestBody": {"required": True,
                                     "content": {"application/json": {"schema": _ref("FeedbackRequest")}}},
                     "responses": {"200": _json(_ref("Analysis"), "The analysis with its feedback"),
                                   "400": _error("invalid_request or invalid_json"), "404": not_found,
                                   "409": _error("not_done: the analysis has no result to correct"),
                                   "415": _error("unsupported_media_type"), **_COMMON_ERRORS}}},
        "/v1/analyses/{analysis_id}/report": {
            "parameters": [_ID_PARAM,
                           {"name": "format", "in": "query", "required": False,
                            "schema": {"type": "string", "enum": ["html", "json"]},
                            "description": "html (default, or by Accept) or json"}],
            "get": {"summary": "The report of a finished analysis (self-contained HTML, or JSON)",
                    "operationId": "getReport",
                    "responses": {"200": {"description": "The report",
                                          "content": {"text/html": {"schema": {"type": "string"}},
                                                      "application/json": {"schema": {"type": "object"}}}},
                                  "400": _error("invalid_request: unknown format"), "404": not_found,
                                  "409": _error("not_done: the analysis has no result yet"), **_COMMON_ERRORS}}},
        "/v1/feedback.csv": {
            "get": {"summary": "Every correction with its result, as CSV", "operationId": "exportFeedback",
                    "responses": {"200": {"description": "CSV with a header row",
                                          "content": {"text/csv": {"schema": {"type": "string"}}}},
                                  **_COMMON_ERRORS}}},
    }


def openapi_document(version: str, max_frames: int = 64) -> dict:
    """The whole OpenAPI 3.1 document (frame limit as configured)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Unmask companion API", "version": version,
                 "description": "Local deepfake checks for the Unmask browser extension. Listens on 127.0.0.1 "
                                "only; every call but health and this document needs the pairing token."},
        "servers": [{"url": "http://127.0.0.1:8765"}],
        "security": [{"pairingToken": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"pairingToken": {"type": "http", "scheme": "bearer",
                                                 "description": "The token printed by `unmask token`."}},
            "schemas": _schemas(max_frames),
        },
    }
