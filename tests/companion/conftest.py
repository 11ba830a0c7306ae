"""Shared fixtures: apps on temporary folders, a real HTTP server per test, untrained detector weights."""
from __future__ import annotations

import hashlib
import http.server
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
from werkzeug.serving import make_server

from companion import create_app

EXTENSION_ORIGIN = "chrome-extension://" + "abcdefghijklmnopabcdefghijklmnop"
FIREFOX_ORIGIN = "moz-extension://0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"


@pytest.fixture(autouse=True)
def _no_user_settings(monkeypatch):
    """Keep the developer's UNMASK_* environment variables out of every test."""
    for name in list(os.environ):
        if name.startswith("UNMASK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def base_config(tmp_path) -> dict:
    """Settings for a test app: its own data and config folders, local fetches allowed."""
    return {"DATA_DIR": tmp_path / "data", "CONFIG_DIR": tmp_path / "config", "TESTING": True,
            "ALLOW_PRIVATE_ADDRESSES": True}


@pytest.fixture
def make_app(base_config):
    """Factory: make_app(**overrides) -> app (workers stopped and database closed after the test)."""
    apps = []

    def make(**overrides):
        """A new app on the test folders."""
        app = create_app({**base_config, **overrides})
        apps.append(app)
        return app

    yield make
    for app in reversed(apps):
        app.extensions["unmask"].close(wait=True)


@dataclass
class LiveServer:
    """A running companion: base URL, pairing token and the app behind it."""

    base_url: str
    app: object
    server: object = field(repr=False)

    @property
    def token(self) -> str:
        """The current pairing token."""
        return self.app.extensions["unmask"].token.current()

    @property
    def auth(self) -> dict:
        """Headers carrying the token."""
        return {"Authorization": f"Bearer {self.token}"}

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return self.base_url + path


@pytest.fixture
def start_server(make_app):
    """Factory: start_server(**overrides) -> LiveServer on 127.0.0.1 (a real socket, werkzeug, threaded)."""
    servers = []

    def start(app=None, **overrides) -> LiveServer:
        """Serve `app` (or a new one with the overrides) on a free port."""
        app = app or make_app(**overrides)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server",
                                  daemon=True)
        thread.start()
        servers.append((server, thread))
        return LiveServer(f"http://127.0.0.1:{server.server_port}", app, server)

    yield start
    for server, thread in servers:
        server.shutdown()
        thread.join(10)
        server.server_close()


@pytest.fixture
def live_server(start_server) -> LiveServer:
    """A companion with the default test settings (detector weights: the configured/shipped ones)."""
    return start_server()


def _build_untrained_tflite(path: Path) -> None:
    """A tiny real frame model (pooling + dense + sigmoid, random weights) converted to .tflite."""
    import tensorflow as tf

    inputs = tf.keras.Input((None, None, 3))
    pooled = tf.keras.layers.GlobalAveragePooling2D()(inputs)
    outputs = tf.keras.layers.Dense(1, activation="sigmoid")(pooled)
    model = tf.keras.Model(inputs, outputs)
    path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())


@pytest.fixture(scope="session")
def untrained_weights_dir(tmp_path_factory) -> Path:
    """A weights folder with an untrained frame_cnn and its manifest, so detectors load in tests.

    For tests of the service (queueing, caching, validation) that need the model to load but not to be
    any good; verdict quality is tested against the shipped weights elsewhere.
    """
    from models.detectors.weights_manifest import write_entry

    folder = tmp_path_factory.mktemp("untrained-weights")
    model = folder / "frame_cnn.tflite"
    _build_untrained_tflite(model)
    sha256 = hashlib.sha256(model.read_bytes()).hexdigest()
    write_entry("frame_cnn", {"file": model.name, "sha256": sha256, "version": f"untrained-{sha256[:12]}",
                              "calibration": {"a": 1.0, "b": 0.0},
                              "bands": {"real_below": 0.3, "fake_from": 0.7}}, folder)
    return folder


@pytest.fixture
def model_server(start_server, untrained_weights_dir) -> Callable[..., LiveServer]:
    """Factory: a live server whose detector loads (an untrained frame_cnn alone); overrides as keyword arguments."""
    def start(**overrides) -> LiveServer:
        """A live server with the untrained weights."""
        return start_server(**{"WEIGHTS_DIR": untrained_weights_dir, "DETECTORS": ["frame_cnn"], **overrides})
    return start


class HeldHandler(http.server.BaseHTTPRequestHandler):
    """Answers 404 to every request, but only once the test releases it."""

    def do_GET(self):  # noqa: N802 (http.server naming)
        """Record the request, wait for the release, answer 404."""
        self.server.arrived.release()
        self.server.release.wait(30)
        body = b"not here"
        self.send_response(404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args):
        """Stay quiet."""


@pytest.fixture
def held_http_server():
    """A local web server whose answers wait for `server.release.set()`; `server.arrived` counts requests."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HeldHandler)
    server.daemon_threads = True
    server.release = threading.Event()
    server.arrived = threading.Semaphore(0)
    server.base_url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
