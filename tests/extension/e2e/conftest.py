"""End-to-end fixtures: the real companion (a subprocess with the shipped model), the fixture site, and the
system Chromium with the extension loaded (Playwright drives it; no browser is ever downloaded)."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[3]
EXTENSION = ROOT / "extension"
WEIGHTS_MANIFEST = ROOT / "models" / "weights" / "manifest.json"
CHROMIUM = os.environ.get("UNMASK_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "tests" / "extension" / "screenshots"
UNMASK = Path(sys.executable).with_name("unmask")


def require(condition: bool, message: str) -> None:
    """Fail (never skip) with a message saying how to get what is missing."""
    if not condition:
        pytest.fail(message, pytrace=False)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.2, what: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@dataclass
class Companion:
    """A running `unmask serve` subprocess: its address, token and log."""

    base_url: str
    token: str
    log_path: Path
    process: subprocess.Popen

    @property
    def auth(self) -> dict:
        """Headers carrying the pairing token."""
        return {"Authorization": f"Bearer {self.token}"}

    def analyses(self, limit: int = 100) -> list[dict]:
        """The history, newest first."""
        answer = requests.get(f"{self.base_url}/v1/analyses?limit={limit}", headers=self.auth, timeout=10)
        answer.raise_for_status()
        return answer.json()["items"]

    def log(self) -> str:
        """What the companion printed so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def start_companion(tmp: Path, **settings: str) -> Companion:
    """Start `unmask serve` on a free port with its own folders, local fetches allowed, and UNMASK_<settings>."""
    require(UNMASK.exists(), f"{UNMASK} is missing: run `make setup-test` (pip install -e '.[test]')")
    env = {key: value for key, value in os.environ.items() if not key.startswith("UNMASK_")}
    env.update(UNMASK_DATA_DIR=str(tmp / "data"), UNMASK_CONFIG_DIR=str(tmp / "config"),
               UNMASK_ALLOW_PRIVATE_ADDRESSES="true", PYTHONUNBUFFERED="1")
    env.update({f"UNMASK_{key}": value for key, value in settings.items()})
    port = free_port()
    log_path = tmp / "companion.log"
    log = open(log_path, "w", encoding="utf-8")
    process = subprocess.Popen([str(UNMASK), "serve", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                               env=env, cwd=ROOT)
    base_url = f"http://127.0.0.1:{port}"

    def banner_token():
        """The token from the start banner, once printed."""
        if process.poll() is not None:
            raise AssertionError(f"the companion exited with {process.returncode}:\n{log_path.read_text()}")
        match = re.search(r"Pairing token: (\S+)", log_path.read_text())
        return match and match.group(1)

    token = wait_until(banner_token, 60, what="the companion's start banner")
    wait_until(lambda: requests.get(f"{base_url}/v1/health", timeout=2).ok, 30, what="GET /v1/health")
    return Companion(base_url, token, log_path, process)


@pytest.fixture(scope="session")
def companion(tmp_path_factory):
    """The real companion with the shipped detector weights, for the whole session."""
    require(WEIGHTS_MANIFEST.exists(), f"{WEIGHTS_MANIFEST} is missing: the shipped detector weights must be in "
                                       "models/weights (the end-to-end tests use the real model)")
    server = start_companion(tmp_path_factory.mktemp("companion"))
    health = requests.get(f"{server.base_url}/v1/health", timeout=10).json()
    require(health["status"] == "ok", f"the companion cannot analyse: {health}")
    yield server
    server.process.terminate()
    try:
        server.process.wait(15)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def site():
    """The fixture web site on 127.0.0.1 (also reachable as localhost, a second "site")."""
    from tests.extension.e2e.site import start_site

    server = start_site()
    yield server
    server.__exit__(None, None, None)


@dataclass
class Browser:
    """Chromium with the extension: the Playwright context, the extension's id and its service worker."""

    context: object
    extension_id: str

    @property
    def origin(self) -> str:
        """chrome-extension://<id>"""
        return f"chrome-extension://{self.extension_id}"

    def worker(self):
        """The extension's service worker; when Chromium stopped it, an extension page wakes it up again."""
        for worker in self.context.service_workers:
            if worker.url.startswith(self.origin):
                return worker
        with self.context.expect_event("serviceworker", timeout=20000) as started:
            waker = self.page("src/popup/popup.html")
        waker.close()
        return started.value

    def page(self, path: str):
        """Open one of the extension's pages in a new tab."""
        page = self.context.new_page()
        page.goto(f"{self.origin}/{path}")
        return page


def chromium_args(extension: Path) -> list[str]:
    """Command-line switches: load the extension, stay quiet and offline."""
    return [f"--disable-extensions-except={extension}", f"--load-extension={extension}", "--no-sandbox",
            "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--disable-default-apps", "--autoplay-policy=no-user-gesture-required"]


def launch_chromium(playwright, user_data_dir: Path, extension: Path = EXTENSION) -> Browser:
    """The system Chromium, headless, with the extension loaded from `extension`."""
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run `make setup-browsers` "
                                     "(apt-get install chromium firefox-esr)")
    context = playwright.chromium.launch_persistent_context(
        str(user_data_dir), executable_path=CHROMIUM, headless=True, args=chromium_args(extension),
        viewport={"width": 1100, "height": 900}, accept_downloads=True)
    worker = next((w for w in context.service_workers if w.url.startswith("chrome-extension://")), None)
    worker = worker or context.wait_for_event("serviceworker", timeout=20000)
    return Browser(context, worker.url.split("/")[2])


@pytest.fixture(scope="session")
def playwright_instance():
    """One Playwright driver for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance, tmp_path_factory):
    """Chromium with the extension, shared by the end-to-end tests (one browser: the machine is small)."""
    chromium = launch_chromium(playwright_instance, tmp_path_factory.mktemp("chromium-profile"))
    yield chromium
    chromium.context.close()


@pytest.fixture(scope="session")
def screenshots():
    """The folder the README's screenshots are written to."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def pair_in_options(browser: Browser, companion: Companion, token: str | None = None):
    """Pair as a person does: the options page, the companion's address and token, "Save and connect"."""
    page = browser.page("src/options/options.html")
    page.fill("#companion-url", companion.base_url)
    page.fill("#token", token if token is not None else companion.token)
    page.click("#pair-form button[type=submit]")
    return page


@pytest.fixture
def paired(browser, companion):
    """The extension paired with the companion (through the options page, once per session)."""
    stored = browser.worker().evaluate("chrome.storage.local.get(['pairingToken', 'companionUrl'])")
    if stored.get("pairingToken") != companion.token or stored.get("companionUrl") != companion.base_url:
        page = pair_in_options(browser, companion)
        page.wait_for_selector("#status.ok", timeout=20000)
        page.close()
    return browser

