"""GET /v1/health and GET /v1/openapi.json: the two routes that need no token."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify

from companion.detectors import ModelMissing, detector_statuses
from companion.openapi import openapi_document

log = logging.getLogger(__name__)

bp = Blueprint("meta", __name__, url_prefix="/v1")


def companion_version() -> str:
    """The installed package version of Unmask."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("unmask")
    except PackageNotFoundError:
        return "0+unknown"


def face_detector_problem(config) -> str | None:
    """Why the face detector cannot run (no paths in the text), or None when it loads."""
    try:
        from companion.pipeline import load_face_detector
        load_face_detector(config)
    except ModelMissing:
        return "the face detector's model files are not installed (run scripts/fetch_face_models.py)"
    except ImportError:
        return "the face detector is not available in this installation"
    except Exception:
        log.exception("the face detector failed to load")
        return "the face detector failed to load; see the companion's log"
    return None


@bp.get("/health")
def health():
    """Whether the companion can analyse now: detectors (version or why missing), face detector, queue."""
    services = current_app.extensions["unmask"]
    statuses = detector_statuses(current_app.config)
    faces_problem = face_detector_problem(current_app.config)
    database_problem = services.store.check()
    ok = faces_problem is None and database_problem is None and all(status.missing is None for status in statuses)
    return jsonify({
        "status": "ok" if ok else "degraded",
        "models": [status.to_dict() for status in statuses],
        "faces": {"ready": True} if faces_problem is None else {"ready": False, "missing": faces_problem},
        "queue": services.pool.stats(),
        "database": {"ok": True} if database_problem is None else {"ok": False, "problem": database_problem},
        "version": companion_version(),
    })


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document(companion_version(), current_app.config["MAX_FRAMES_UPLOAD"]))
