"""A small WebDriver BiDi client for Firefox (built into the browser: no geckodriver, no downloaded browser)."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
import time
from pathlib import Path

FIREFOX = os.environ.get("UNMASK_TEST_FIREFOX", "/usr/bin/firefox-esr")
# Quiet, offline, predictable: no updates, telemetry, safe-browsing lists, first-run pages or prompts.
PREFS = {
    "app.update.enabled": False, "app.normandy.enabled": False, "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore", "browser.aboutwelcome.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False, "datareporting.healthreport.uploadEnabled": False,
    "toolkit.telemetry.enabled": False, "toolkit.telemetry.unified": False,
    "browser.safebrowsing.malware.enabled": False, "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False, "browser.safebrowsing.update.enabled": False,
    "extensions.update.enabled": False, "extensions.getAddons.cache.enabled": False,
    "network.captive-portal-service.enabled": False, "network.connectivity-service.enabled": False,
    "browser.newtabpage.enabled": False, "browser.topsites.contile.enabled": False,
    "media.autoplay.default": 0, "browser.tabs.warnOnClose": False,
}


def write_profile(folder: Path, extension_id: str, extension_uuid: str) -> None:
    """A Firefox profile with PREFS and the extension's moz-extension:// UUID fixed in advance."""
    folder.mkdir(parents=True, exist_ok=True)
    prefs = dict(PREFS)
    prefs["extensions.webextensions.uuids"] = json.dumps({extension_id: extension_uuid})
    lines = [f"user_pref({json.dumps(key)}, {json.dumps(value)});" for key, value in prefs.items()]
    (folder / "user.js").write_text("\n".join(lines) + "\n", encoding="utf-8")


class BiDiError(RuntimeError):
    """A BiDi command failed."""


class Firefox:
    """Headless firefox-esr driven over WebDriver BiDi; use as a context manager.

    The websocket runs on an event loop in its own thread, so this works next to Playwright's sync API
    (which keeps an event loop running in the main thread).
    """

    def __init__(self, profile: Path, port: int):
        self.profile, self.port = profile, port
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bidi", daemon=True)
        self.process = None
        self.socket = None
        self.next_id = 0

    def _run(self, coroutine, timeout: float = 90):
        """Run a coroutine on the BiDi thread's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def __enter__(self) -> "Firefox":
        import websockets

        self.thread.start()
        self.process = subprocess.Popen(
            [FIREFOX, "--headless", f"--remote-debugging-port={self.port}", "--remote-allow-system-access",
             "--no-remote", "--profile", str(self.profile), "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while self.socket is None:
            try:
                self.socket = self._run(self._connect(websockets))
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.3)
        self.command("session.new", {"capabilities": {}})
        return self

    async def _connect(self, websockets):
        """Open the BiDi session websocket."""
        return await websockets.connect(f"ws://127.0.0.1:{self.port}/session", max_size=None, open_timeout=5)

    def __exit__(self, *exc) -> None:
        try:
            if self.socket is not None:
                self._run(self.socket.close(), 10)
        finally:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()

    def command(self, method: str, params: dict) -> dict:
        """Send one command and return its result (events arriving meanwhile are dropped)."""
        self.next_id += 1
        ident = self.next_id

        async def exchange():
            await self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
            while True:
                message = json.loads(await asyncio.wait_for(self.socket.recv(), 60))
                if message.get("id") == ident:
                    return message

        message = self._run(exchange())
        if message.get("type") == "error":
            raise BiDiError(f"{method}: {message.get('error')}: {message.get('message')}")
        return message["result"]

    def install(self, folder: Path) -> str:
        """Install an unpacked extension (temporarily, as about:debugging does); its id."""
        return self.command("webExtension.install", {"extensionData": {"type": "path", "path": str(folder)}})["extension"]

    def open_privileged(self, url: str) -> str:
        """Open a tab on a URL pages may not open (moz-extension://) from the browser window; its context id."""
        chrome = self.command("browsingContext.getTree", {"moz:scope": "chrome"})["contexts"][0]["context"]
        self.evaluate(chrome, f"gBrowser.selectedTab = gBrowser.addTab({json.dumps(url)}, "
                              "{triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal()}); true")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for context in self.command("browsingContext.getTree", {})["contexts"]:
                if context["url"] == url:
                    return context["context"]
            time.sleep(0.2)
        raise BiDiError(f"no tab opened {url}")

    def new_tab(self, url: str) -> str:
        """Open a web page in a new tab and wait for it to load; its context id."""
        context = self.command("browsingContext.create", {"type": "tab"})["context"]
        self.command("browsingContext.navigate", {"context": context, "url": url, "wait": "complete"})
        return context

    def evaluate(self, context: str, expression: str):
        """Evaluate an expression (awaiting a promise) in a context; its JSON-like value."""
        result = self.command("script.evaluate", {"expression": expression, "target": {"context": context},
                                                  "awaitPromise": True})
        if result["type"] == "exception":
            raise BiDiError(result["exceptionDetails"]["text"])
        return _value(result["result"])

    def screenshot(self, context: str, path: Path) -> None:
        """Save a PNG of a tab's viewport."""
        import base64

        data = self.command("browsingContext.captureScreenshot", {"context": context})["data"]
        path.write_bytes(base64.b64decode(data))


def _value(remote: dict):
    """A BiDi remote value as a Python value (primitives, arrays and objects)."""
    kind = remote.get("type")
    if kind in ("string", "number", "boolean"):
        return remote["value"]
    if kind in ("null", "undefined"):
        return None
    if kind == "array":
        return [_value(item) for item in remote.get("value", [])]
    if kind == "object":
        return {key if isinstance(key, str) else _value(key): _value(value) for key, value in remote.get("value", [])}
    return remote
