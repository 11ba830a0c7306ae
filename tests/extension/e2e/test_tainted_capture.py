"""A streamed video whose frames the page itself may not read (a "tainted" canvas), in a real browser.

Where this can happen: a `<video>` playing a MediaStream (srcObject: no URL the companion could fetch) fed
by a video from another site served without CORS. Firefox lets a page capture such a video
(mozCaptureStream) and marks the stream cross-origin, so the page's own canvas is tainted. The extension's
content script still reads it: in Firefox a content script's canvas carries the extension's host
permissions (here <all_urls>), so the frames are captured and sent like any blob: video, and the page
address fallback (capture.CaptureTainted -> page_url + note) is not needed.

Chromium offers no way to build such a video: cross-origin blob: and MediaSource URLs are refused ("URL
safety check"), captureStream() of a cross-origin video or of a tainted canvas throws SecurityError, and a
blob or MediaSource a page built from data it could read is always readable. So the end-to-end check runs
in Firefox (firefox-esr, headless, WebDriver BiDi), against the real companion; in Chromium, a test drives
capture.js directly on another site's video file to check that it reports the tainted canvas.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.extension.e2e.bidi import FIREFOX, Firefox, write_profile
from tests.extension.e2e.conftest import ROOT, free_port, require, wait_until
from tests.extension.e2e.site import page as html_page
from tests.extension.e2e.test_firefox import EXTENSION_UUID, build_firefox_extension, pair

pytestmark = pytest.mark.e2e

STREAM_PAGE = """
<p>A player that shows another site's video through a MediaStream.</p>
<video id="feed" muted loop playsinline style="display:none"></video>
<video id="clip" muted playsinline width="480" height="360"></video>
<script>
  const feed = document.getElementById("feed");
  const clip = document.getElementById("clip");
  feed.src = new URLSearchParams(location.search).get("from");
  feed.addEventListener("loadeddata", async () => {
    await feed.play();
    clip.srcObject = feed.mozCaptureStream ? feed.mozCaptureStream() : feed.captureStream();
    clip.addEventListener("loadeddata", () => { document.body.dataset.ready = "1"; }, { once: true });
    await clip.play();
  }, { once: true });
  window.canvasReadable = () => {
    const canvas = document.createElement("canvas");
    canvas.getContext("2d").drawImage(clip, 0, 0, 32, 32);
    try { canvas.toDataURL(); return true; } catch (error) { return error.name; }
  };
</script>
"""


def right_click(firefox: Firefox, tab: str, selector: str) -> None:
    """A real right button press and release in the middle of `selector` (the page gets its contextmenu event)."""
    box = firefox.evaluate(tab, f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
                                ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
    firefox.command("input.performActions", {"context": tab, "actions": [{
        "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"}, "actions": [
            {"type": "pointerMove", "x": round(box[0]), "y": round(box[1])},
            {"type": "pointerDown", "button": 2}, {"type": "pointerUp", "button": 2}]}]})
    firefox.command("input.releaseActions", {"context": tab})


def choose_check_for_deepfake(firefox: Firefox, options: str, page_url: str) -> None:
    """What choosing the menu item does: the background's click handler, given what Firefox passes for a video."""
    click = {"menuItemId": "unmask-check", "frameId": 0, "pageUrl": page_url, "mediaType": "video", "srcUrl": ""}
    firefox.evaluate(options, f"""(async () => {{
        const background = await browser.runtime.getBackgroundPage();
        const tab = (await browser.tabs.query({{}})).find((t) => t.url === {json.dumps(page_url)});
        await background.Unmask.background.onMenuClicked({json.dumps(click)}, tab);
        return true; }})()""")


def overlay_text(firefox: Firefox, tab: str, script: str):
    """Run `script` (a function of the badges' closed shadow root) in the page; its value."""
    found = firefox.command("script.evaluate", {
        "expression": "document.querySelector('unmask-overlay')", "target": {"context": tab},
        "awaitPromise": False, "resultOwnership": "root",
        "serializationOptions": {"maxDomDepth": 1, "includeShadowTree": "all"}})
    shadow = (found["result"].get("value") or {}).get("shadowRoot")
    if not shadow:
        return None
    result = firefox.command("script.callFunction", {
        "functionDeclaration": script, "target": {"context": tab}, "awaitPromise": False,
        "arguments": [{"sharedId": shadow["sharedId"]}]})
    return result["result"].get("value")


def test_a_stream_the_page_cannot_read_is_still_captured_by_the_extension(companion, site, tmp_path):
    """The page's canvas is tainted, the content script's is not: 16 frames are sent, no page address, no note."""
    require(Path(FIREFOX).exists(), f"{FIREFOX} is missing: run `make setup-browsers` (apt-get install firefox-esr)")
    site.file("/stream.html", html_page("Streamed video", STREAM_PAGE), "text/html; charset=utf-8")
    other_site_video = site.url("/media/face.webm", host="localhost")  # another origin, no CORS headers
    page_url = site.url(f"/stream.html?from={other_site_video}")
    folder = build_firefox_extension(tmp_path / "build")
    write_profile(tmp_path / "profile", json.loads((folder / "manifest.json").read_text())
                  ["browser_specific_settings"]["gecko"]["id"], EXTENSION_UUID)
    before = {a["id"] for a in companion.analyses()}

    with Firefox(tmp_path / "profile", free_port()) as firefox:
        firefox.install(folder)
        options = pair(firefox, companion)
        tab = firefox.new_tab(page_url)
        wait_until(lambda: firefox.evaluate(tab, "document.body.dataset.ready === '1'"), 20, what="the stream")
        assert firefox.evaluate(tab, "window.canvasReadable()") == "SecurityError", "the page's own canvas is tainted"
        right_click(firefox, tab, "#clip")
        choose_check_for_deepfake(firefox, options, page_url)

        def finished():
            """The analyses the check created, once none is still waiting or running."""
            new = [a for a in companion.analyses() if a["id"] not in before]
            return new if new and all(a["status"] in ("done", "failed") for a in new) else None

        new = wait_until(finished, 90, 0.5, "the companion to analyse the captured frames")
        assert [a["source"] for a in new] == [{"type": "frames", "count": 16}]
        assert new[0]["status"] == "done" and len(new[0]["result"]["frames"]) == 16
        final_name = ("(root) => { const b = root.querySelector('.badge');"
                      " const name = b && b.getAttribute('aria-label');"
                      " return name && !/Checking|Capturing/.test(name) && name; }")
        badge = wait_until(lambda: overlay_text(firefox, tab, final_name), 30, what="the final badge")
        if new[0]["result"]["verdict"] != "no_face":
            assert f"{round(new[0]['result']['score'] * 100)}%" in badge
        card = overlay_text(firefox, tab, "(root) => { root.querySelector('.badge').click();"
                                          " return root.querySelector('.card').textContent; }")
        assert "16 frames captured in the browser" in card
        assert "page address was sent instead" not in card


DIRECT_PAGE = """
<video id="clip" muted playsinline width="480" height="360"></video>
<script>
  const clip = document.getElementById("clip");
  clip.addEventListener("loadeddata", () => { document.body.dataset.ready = "1"; }, { once: true });
  clip.src = new URLSearchParams(location.search).get("from");
</script>
"""
CAPTURE = ROOT / "extension" / "src" / "content" / "capture.js"
TRY_CAPTURE = """() => Unmask.capture.videoFrames(document.getElementById('clip'), 2)
    .then((frames) => `${frames.length} frames`, (error) => error.name)"""


@pytest.mark.parametrize("host, outcome", [("127.0.0.1", "2 frames"), ("localhost", "CaptureTainted")])
def test_capture_reports_a_tainted_canvas_in_chromium(browser, site, host, outcome):
    """capture.js alone, in Chromium's page world: a same-origin video gives frames, another site's gives
    CaptureTainted (the error main.js turns into the page-address fallback).

    The extension itself never captures an http(s) video (it sends its URL), so this drives capture.js
    directly on one: the only way to get a tainted canvas in Chromium (see the module docstring).
    """
    site.file("/direct.html", html_page("A video file", DIRECT_PAGE), "text/html; charset=utf-8")
    page = browser.context.new_page()
    try:
        page.goto(site.url(f"/direct.html?from={site.url('/media/face.webm', host=host)}"))
        page.wait_for_selector("body[data-ready='1']", timeout=20000)
        page.add_script_tag(path=str(CAPTURE))
        assert page.evaluate(TRY_CAPTURE) == outcome
    finally:
        page.close()
