"""The /v1 HTTP API: one blueprint per area."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach the health/openapi and analyses blueprints."""
    from companion.api import analyses, meta

    app.register_blueprint(meta.bp)
    app.register_blueprint(analyses.bp)
