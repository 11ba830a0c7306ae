"""The Unmask companion: a Flask app on 127.0.0.1 that the browser extension asks for verdicts."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Mapping

from flask import Flask

log = logging.getLogger(__name__)


@dataclass
class Services:
    """What the routes share, kept in app.extensions["unmask"]."""

    store: Any
    pool: Any
    token: Any
    origin_patterns: list

    def close(self, wait: bool = True) -> None:
        """Stop the workers and close the database (tests and `unmask serve` on exit)."""
        self.pool.shutdown(wait=wait, timeout=10)
        self.store.close()


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings, data folder, token, history store, job pool, security, routes."""
    from companion.api import register_blueprints
    from companion.config import load_config
    from companion.errors import register_error_handlers
    from companion.jobs import JobPool
    from companion.security import init_security
    from companion.store import Store
    from companion.token import TokenFile
    from companion.work import clear_job_dirs, run_analysis

    app = Flask(__name__, static_folder=None)
    app.config.update(load_config(test_config))
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_UPLOAD_BYTES"]
    app.json.sort_keys = False
    os.makedirs(app.config["DATA_DIR"], mode=0o700, exist_ok=True)

    token = TokenFile(app.config["TOKEN_FILE"])
    token.ensure()
    store = Store(app.config["DATABASE"])
    interrupted = store.mark_interrupted()
    clear_job_dirs(app.config)
    if interrupted:
        log.warning("%d analyses left unfinished by a previous run were marked failed (interrupted)", interrupted)
    pool = JobPool(store, run_analysis, app.config)

    register_error_handlers(app)
    patterns = init_security(app, app.config["EXTENSION_IDS"])
    app.extensions["unmask"] = Services(store, pool, token, patterns)
    register_blueprints(app)
    return app
