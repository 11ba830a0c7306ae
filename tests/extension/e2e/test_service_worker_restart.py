"""Chromium stops an idle extension service worker whenever it likes: a check running at that moment must still
end with a verdict once the worker starts again, without a second analysis at the companion."""
from __future__ import annotations

import threading

import pytest
from skimage import data

from tests.extension.e2e.ax import AXReader
from tests.extension.e2e.conftest import wait_until
from tests.extension.e2e.site import page as html_page
from tests.extension.e2e.test_chromium import final_badges, right_click_check, verdict_of
from tests.helpers.http_server import send_body
from tests.helpers.media import make_jpeg_bytes

pytestmark = pytest.mark.e2e

HELD_PAGE = ('<p>A photo the companion downloads slowly.</p>'
             '<img id="photo" src="/img/held.jpg" width="384" height="384">')


def serve_held_photo(site) -> threading.Event:
    """/img/held.jpg: the browser gets it at once; the companion's download waits until the event is set."""
    photo = make_jpeg_bytes(data.astronaut())
    release = threading.Event()

    def route(handler):
        """Hold the companion's requests (its User-Agent starts with Unmask/)."""
        if handler.headers.get("User-Agent", "").startswith("Unmask/"):
            release.wait(60)
        send_body(handler, photo, content_type="image/jpeg")

    site.add("/img/held.jpg", route)
    site.file("/held.html", html_page("A slow photo", HELD_PAGE), "text/html; charset=utf-8")
    return release


def running_job(browser) -> dict | None:
    """The background's running job that already has its analysis id at the companion, if any."""
    jobs = browser.worker().evaluate("chrome.storage.session.get('jobs').then((s) => Object.values(s.jobs ?? {}))")
    return next((job for job in jobs if job["phase"] == "running" and job["analysisId"]), None)


class WorkerWatch:
    """The extension service worker's running status, as DevTools reports it (the ServiceWorker domain)."""

    def __init__(self, browser, page):
        self.origin = browser.origin
        self.statuses: dict[str, list[str]] = {}
        self.cdp = browser.context.new_cdp_session(page)
        self.cdp.on("ServiceWorker.workerVersionUpdated", self._updated)
        self.cdp.send("ServiceWorker.enable")
        self.page = page

    def _updated(self, event) -> None:
        """Record each status change of the extension's worker versions."""
        for version in event["versions"]:
            if version["scriptURL"].startswith(self.origin):
                self.statuses.setdefault(version["versionId"], []).append(version["runningStatus"])

    def status(self) -> str | None:
        """The latest status of the newest version ("running", "stopped", ...), after pumping events."""
        self.page.wait_for_timeout(100)
        return self.statuses[max(self.statuses, key=int)][-1] if self.statuses else None

    def stop(self) -> None:
        """Stop the worker as Chromium does when it is idle (chrome://serviceworker-internals' Stop button)."""
        running = wait_until(lambda: self.status() == "running" and max(self.statuses, key=int), 10,
                             what="the running service worker")
        self.cdp.send("ServiceWorker.stopWorker", {"versionId": running})
        wait_until(lambda: self.status() == "stopped", 15, what="the extension's service worker to stop")


def test_a_check_survives_the_service_worker_being_stopped(paired, companion, site):
    """Stop the worker while the companion is still downloading; the popup wakes it and the check completes once."""
    release = serve_held_photo(site)
    page = paired.context.new_page()
    worker = WorkerWatch(paired, page)
    try:
        page.goto(site.url("/held.html"))
        page.wait_for_function("document.getElementById('photo').complete")
        photo_url = page.evaluate("document.getElementById('photo').currentSrc")
        right_click_check(paired, page, "#photo", {"mediaType": "image", "srcUrl": photo_url})
        job = wait_until(lambda: running_job(paired), 20, what="the check to be submitted to the companion")
        [held] = [a for a in companion.analyses() if a["source"].get("url") == photo_url]
        assert held["id"] == job["analysisId"] and held["status"] in ("queued", "running")

        worker.stop()
        release.set()  # the companion finishes while no worker listens
        wait_until(lambda: [a for a in companion.analyses() if a["id"] == held["id"] and a["status"] == "done"], 90,
                   what="the companion to finish the analysis")
        ax = AXReader(page)
        assert worker.status() == "stopped"
        assert all("Checking" in name for name in ax.badge_names()), "nothing can deliver a result while stopped"

        popup = paired.page("src/popup/popup.html")  # an event for the stopped worker: Chromium starts it again
        popup.wait_for_selector("#status.ok", timeout=20000)
        assert popup.inner_text("#status-text").startswith("Connected · model blend_cnn ")
        popup.close()
        assert worker.status() == "running"

        [name] = final_badges(ax, timeout=60)
        result = companion.analyses()
        same_photo = [a for a in result if a["source"].get("url") == photo_url]
        assert [a["id"] for a in same_photo] == [held["id"]], "the restarted worker followed the same analysis"
        analysis = same_photo[0]
        assert verdict_of(name) and f"{round(analysis['result']['score'] * 100)}%" in name
        assert paired.worker().evaluate("chrome.storage.session.get('jobs').then((s) => s.jobs)") == {}
    finally:
        release.set()
        worker.cdp.detach()
        page.close()
