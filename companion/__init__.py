"""The Unmask companion: a Flask app on 127.0.0.1 that the browser extension asks for verdicts."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Mapping

from flask import Flask

log = logging.getLogger(__name__)

# OpenCV's own ceiling on decoded pixels, read when cv2 is loaded (see opencv_pixel_limit).
OPENCV_PIXELS_ENV = "OPENCV_IO_MAX_IMAGE_PIXELS"


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


def opencv_pixel_limit(max_pixels: int) -> None:
    """Make OpenCV itself refuse images over `max_pixels`, whatever our header parsers say.

    OpenCV reads OPENCV_IO_MAX_IMAGE_PIXELS once, when cv2 is loaded (default 2**30), so this only takes
    effect before the first `import cv2` in the process; later calls just log when the limits differ.
    """
    import sys

    if "cv2" not in sys.modules:
        os.environ[OPENCV_PIXELS_ENV] = str(int(max_pixels))
    elif os.environ.get(OPENCV_PIXELS_ENV) != str(int(max_pixels)):
        log.warning("OpenCV was loaded with %s=%s; MAX_IMAGE_PIXELS=%d is enforced by the header check only",
                    OPENCV_PIXELS_ENV, os.environ.get(OPENCV_PIXELS_ENV, "2**30"), max_pixels)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings, data folder, token, history store, job pool, security, routes."""
    from companion.config import load_config

    config = load_config(test_config)
    opencv_pixel_limit(config["MAX_IMAGE_PIXELS"])  # before anything below can import cv2

    from companion.api import register_blueprints
    from companion.errors import register_error_handlers
    from companion.jobs import JobPool
    from companion.private_files import private_dir
    from companion.security import init_security
    from companion.store import Store
    from companion.token import TokenFile
    from companion.work import clear_job_dirs, run_analysis

    app = Flask(__name__, static_folder=None)
    app.config.update(config)
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_UPLOAD_BYTES"]
    app.json.sort_keys = False
    private_dir(app.config["DATA_DIR"])

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
