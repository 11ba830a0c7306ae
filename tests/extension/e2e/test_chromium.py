"""The extension in Chromium against the real companion and model: what a person does, step by step."""
from __future__ import annotations

import csv
import io
import json
import math

import pytest
import requests

from tests.extension.e2e.ax import AXReader
from tests.extension.e2e.conftest import free_port, launch_chromium, pair_in_options, wait_until

pytestmark = pytest.mark.e2e

VERDICT_WORDS = ("Likely fake", "Inconclusive", "Likely real", "No face")


def tab_id(browser, page) -> int:
    """The browser's id of the tab showing `page`."""
    return browser.worker().evaluate("async (url) => (await chrome.tabs.query({url}))[0].id", page.url)


def right_click_check(browser, page, selector: str, info: dict | None = None) -> int:
    """Right-click the middle of `selector` (a real contextmenu event) and choose "Check for deepfake".

    Headless Chromium shows no menu, so the test calls the menu's own click handler with what Chromium
    would pass (`info`: pageUrl plus linkUrl / srcUrl / mediaType as the clicked spot has them).
    """
    box = page.locator(selector).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, button="right")
    click = {"menuItemId": "unmask-check", "frameId": 0, "pageUrl": page.url, **(info or {})}
    return browser.worker().evaluate(
        """async ([url, click]) => {
             const [tab] = await chrome.tabs.query({url});
             await Unmask.background.onMenuClicked(click, tab);
             return tab.id;
           }""", [page.url, click])


def final_badges(ax: AXReader, count: int = 1, timeout: float = 90) -> list[str]:
    """Wait until `count` badges show a verdict or an error (not "Checking"); their names."""
    def done():
        names = ax.badge_names()
        finished = [n for n in names if "Checking" not in n and "Capturing" not in n]
        return finished if len(finished) >= count else None
    return wait_until(done, timeout, 0.3, f"{count} finished badge(s)")


def verdict_of(name: str) -> str:
    """The verdict words in a badge's accessible name."""
    return next(word for word in VERDICT_WORDS if word in name)


def analysis_for_url(companion, url: str) -> dict:
    """The newest finished analysis of a URL in the companion's history."""
    found = [a for a in companion.analyses() if a["source"].get("url") == url and a["status"] == "done"]
    assert found, f"the companion has no finished analysis of {url}"
    return found[0]


def test_chromium_accepts_the_manifest_without_warnings(playwright_instance, tmp_path):
    """chrome://extensions in Developer mode lists no manifest warning or error after loading the extension."""
    fresh = launch_chromium(playwright_instance, tmp_path / "profile")
    try:
        page = fresh.context.new_page()
        page.goto("chrome://extensions")
        page.evaluate("new Promise(r => chrome.developerPrivate.updateProfileConfiguration({inDeveloperMode: true}, r))")
        ident = json.dumps(fresh.extension_id)
        page.evaluate(f"new Promise(r => chrome.developerPrivate.reload({ident}, {{failQuietly: true}}, r))")
        def info_once_reloaded():
            """The extension's information once its reload has finished (it is DISABLED while reloading)."""
            found = page.evaluate(f"new Promise(r => chrome.developerPrivate.getExtensionInfo({ident}, r))")
            return found if found and found["state"] != "DISABLED" else None

        info = wait_until(info_once_reloaded, 10, what="the extension to be enabled again after its reload")
        assert info["name"] == "Unmask"
        assert info["state"] == "ENABLED"
        assert info["installWarnings"] == []
        assert info["manifestErrors"] == [], info["manifestErrors"]
    finally:
        fresh.context.close()


def test_pairing_in_the_popup(browser, companion, screenshots):
    """Unpaired: the popup asks for the token; a wrong one is refused; the right one shows Connected + model."""
    browser.worker().evaluate("chrome.storage.local.set({companionUrl: %s})" % json.dumps(companion.base_url))
    browser.worker().evaluate("chrome.storage.local.remove('pairingToken')")
    popup = browser.page("src/popup/popup.html")
    popup.wait_for_selector("#pair-form:not([hidden])")
    assert "Paste its pairing token" in popup.inner_text("#status-text")
    popup.fill("#token", "not-the-token")
    popup.click("#pair-form button[type=submit]")
    wait_until(lambda: "token is wrong" in popup.inner_text("#pair-error"), 20, what="the wrong-token message")
    popup.fill("#token", companion.token)
    popup.click("#pair-form button[type=submit]")
    popup.wait_for_selector("#status.ok", timeout=20000)
    models = requests.get(f"{companion.base_url}/v1/health", timeout=5).json()["models"]
    named = ", ".join(f"{m['name']} {m['version']}" for m in models)
    assert [m["name"] for m in models] == ["blend_cnn", "generated_residual", "temporal"]
    assert popup.inner_text("#status-text") == f"Connected · model {named}"
    assert popup.is_hidden("#pair-form")
    stored = browser.worker().evaluate("chrome.storage.local.get(null)")
    assert stored["pairingToken"] == companion.token
    popup.set_viewport_size({"width": 360, "height": 420})
    popup.screenshot(path=str(screenshots / "popup-connected.png"))
    popup.close()


def test_right_click_finds_the_photo_under_a_cover_and_shows_the_card(paired, companion, site, screenshots):
    """The pointer is on a transparent cover inside a link; the photo below is checked and explained."""
    page = paired.context.new_page()
    page.goto(site.url("/overlay.html"))
    page.wait_for_function("document.getElementById('photo').complete")
    current_src = page.evaluate("document.getElementById('photo').currentSrc")
    right_click_check(paired, page, "#cover", {"linkUrl": site.url("/elsewhere")})
    ax = AXReader(page)
    wait_until(lambda: ax.badge_names(), 10, what="a badge at once")
    [name] = final_badges(ax)
    verdict = verdict_of(name)
    analysis = analysis_for_url(companion, current_src)
    result = analysis["result"]
    assert result["faces"], "the astronaut's face was found"
    assert f"{round(result['score'] * 100)}%" in name
    page.screenshot(path=str(screenshots / "badge.png"), clip={"x": 0, "y": 0, "width": 640, "height": 560})

    ax.click(ax.badges()[0])
    card = wait_until(lambda: ax.text_under("dialog", "Unmask details"), 10, what="the details card")
    assert verdict in card
    assert f"Manipulation score {round(result['score'] * 100)}%" in card
    assert "Face 1" in card and "Face thumbnail" in card
    assert result["model"]["version"] in card
    assert "astronaut.jpg" in card
    assert ax.button("Check again") and ax.button("This looks wrong")
    page.screenshot(path=str(screenshots / "card.png"), clip={"x": 0, "y": 0, "width": 640, "height": 700})

    ax.click(ax.button("This looks wrong"))
    corrected = "real" if verdict == "Likely fake" else "fake"
    ax.click(wait_until(lambda: ax.button(f"It is {corrected}"), 5, what="the correction choices"))
    wait_until(lambda: f"recorded as {corrected}" in ax.text_under("dialog", "Unmask details"), 15,
               what="the correction to be saved")
    exported = requests.get(f"{companion.base_url}/v1/feedback.csv", headers=companion.auth, timeout=10).text
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert any(r["analysis_id"] == analysis["id"] and r["label"] == corrected for r in rows)

    checks_before = len([a for a in companion.analyses() if a["source"].get("url") == current_src])
    ax.click(ax.button("Check again"))
    wait_until(lambda: len([a for a in companion.analyses() if a["source"].get("url") == current_src]) > checks_before,
               60, what="a new analysis after Check again")
    final_badges(ax)
    page.close()


def test_options_export_the_corrections_as_csv(paired, companion):
    """The options page downloads every correction through the background as CSV."""
    expected = requests.get(f"{companion.base_url}/v1/feedback.csv", headers=companion.auth, timeout=10).text
    assert expected.count("\n") >= 2, "the right-click test recorded a correction first"
    page = paired.page("src/options/options.html")
    with page.expect_download() as download_info:
        page.click("#export")
    download = download_info.value
    assert download.suggested_filename == "unmask-corrections.csv"
    with open(download.path(), encoding="utf-8", newline="") as handle:
        assert list(csv.reader(handle)) == list(csv.reader(io.StringIO(expected)))
    rows = len(list(csv.reader(io.StringIO(expected)))) - 1
    said = f"Exported {rows} correction." if rows == 1 else f"Exported {rows} corrections."
    wait_until(lambda: page.inner_text("#export-status") == said, 5, what="the export message")
    page.close()


def test_automatic_checks_on_an_opted_in_site_follow_the_feed(paired, companion, site, screenshots):
    """Opt in from the popup: visible face-sized images are checked once each, new ones too; thumbnails are not."""
    host_url = site.url("/feed.html").replace("127.0.0.1", "localhost")
    page = paired.context.new_page()
    page.goto(host_url)
    popup = paired.page(f"src/popup/popup.html?tabId={tab_id(paired, page)}")
    popup.wait_for_selector("#site-box:not([hidden])")
    assert "localhost" in popup.inner_text("#site-name")
    popup.check("#auto-check")
    wait_until(lambda: "localhost" in paired.worker().evaluate("chrome.storage.local.get('autoCheckSites')")
               .get("autoCheckSites", []), 5, what="the site in the list")
    popup.close()
    try:
        page.wait_for_selector("body[data-appended='1']", timeout=10000)
        ax = AXReader(page)
        names = final_badges(ax, count=3, timeout=120)  # post=1, post=2 and the late duplicate of post=1
        assert len(names) == 3
        posts = [f"{host_url.rsplit('/', 1)[0]}/img/astronaut.jpg?feed=main&post={n}" for n in (1, 2)]
        history = companion.analyses()
        for url in posts:
            assert len([a for a in history if a["source"].get("url") == url]) == 1, f"{url} checked exactly once"
        assert not [a for a in history if "thumb=1" in a["source"].get("url", "")], "the 48 px thumbnail is skipped"
        page.screenshot(path=str(screenshots / "auto-check-feed.png"), full_page=True)

        popup = paired.page(f"src/popup/popup.html?tabId={tab_id(paired, page)}")
        wait_until(lambda: popup.locator("#results li").count() == 2, 10, what="the popup's list of 2 results")
        fakes = sum(1 for url in posts if analysis_for_url(companion, url)["result"]["verdict"] == "likely_fake")
        badge_text = paired.worker().evaluate("(id) => chrome.action.getBadgeText({tabId: id})", tab_id(paired, page))
        assert badge_text == (str(fakes) if fakes else "")  # likely fakes per URL: the duplicate counts once
        popup.set_viewport_size({"width": 360, "height": 480})
        popup.screenshot(path=str(screenshots / "popup-results.png"))
        popup.close()
    finally:
        paired.worker().evaluate("chrome.storage.local.set({autoCheckSites: []})")
        page.close()


def test_a_blob_video_is_checked_from_captured_frames(paired, companion, site, screenshots):
    """A video playing from a blob: URL cannot be downloaded: 16 frames are captured and sent instead."""
    page = paired.context.new_page()
    page.goto(site.url("/video.html"))
    page.wait_for_selector("body[data-ready='1']", timeout=20000)
    before = {a["id"] for a in companion.analyses()}
    right_click_check(paired, page, "#clip", {"mediaType": "video",
                                               "srcUrl": page.evaluate("document.getElementById('clip').currentSrc")})
    ax = AXReader(page)
    [name] = final_badges(ax, timeout=120)
    new = [a for a in companion.analyses() if a["id"] not in before]
    assert [a["source"] for a in new] == [{"type": "frames", "count": 16}]
    result = new[0]["result"]
    assert result["media"]["kind"] == "frames" and len(result["frames"]) == 16
    timestamps = [f["timestamp"] for f in result["frames"]]
    assert timestamps == sorted(timestamps) and 0 < timestamps[0] < timestamps[-1] < 2.0
    if result["verdict"] != "no_face":
        assert f"{round(result['score'] * 100)}%" in name
    ax.click(ax.badges()[0])
    card = wait_until(lambda: ax.text_under("dialog", "Unmask details"), 10, what="the details card")
    assert "Score per frame" in card and "16 frames captured in the browser" in card
    assert "Timeline of 16 analysed frames" in card
    page.screenshot(path=str(screenshots / "video-card.png"), clip={"x": 0, "y": 0, "width": 720, "height": 820})
    page.close()


def test_a_video_file_shows_each_face_s_two_kinds_of_evidence_and_the_temporal_curve(paired, companion, site,
                                                                                     screenshots):
    """A video with a plain URL is downloaded by the companion, read as runs of consecutive frames and fused."""
    page = paired.context.new_page()
    page.goto(site.url("/movie.html"))
    before = {a["id"] for a in companion.analyses()}
    right_click_check(paired, page, "#movie", {"mediaType": "video", "srcUrl": site.url("/media/face.webm")})
    ax = AXReader(page)
    final_badges(ax, timeout=120)
    [analysis] = [a for a in companion.analyses() if a["id"] not in before]
    result = analysis["result"]
    assert analysis["source"]["type"] == "url" and result["media"]["kind"] == "video"
    assert len(result["temporal"]) == len(result["frames"]) == result["media"]["frames_analyzed"]
    [face] = result["faces"]
    ax.click(ax.badges()[0])
    card = wait_until(lambda: ax.text_under("dialog", "Unmask details"), 10, what="the details card")
    percent = lambda value: f"{math.floor(value * 100 + 0.5)}%"  # noqa: E731 - JavaScript's Math.round
    assert f"single frames {percent(face['frame_score'])} · flicker over time {percent(face['temporal'])}" in card
    assert "Blue: the temporal detector" in card
    page.screenshot(path=str(screenshots / "video-file-card.png"), clip={"x": 0, "y": 0, "width": 720, "height": 820})
    page.close()


def test_companion_offline_is_explained(paired, companion, site):
    """With no companion at the address, the badge says so and the popup tells how to start it."""
    dead = f"http://127.0.0.1:{free_port()}"
    paired.worker().evaluate("(url) => chrome.storage.local.set({companionUrl: url})", dead)
    try:
        page = paired.context.new_page()
        page.goto(site.url("/overlay.html?photo=offline"))
        page.wait_for_function("document.getElementById('photo').complete")
        right_click_check(paired, page, "#photo", {"mediaType": "image"})
        [name] = final_badges(AXReader(page), timeout=30)
        assert "Not checked" in name and "companion is not running" in name
        popup = paired.page("src/popup/popup.html")
        wait_until(lambda: f"No companion at {dead}" in popup.inner_text("#status-text"), 20, what="offline status")
        popup.close()
        page.close()
    finally:
        paired.worker().evaluate("(url) => chrome.storage.local.set({companionUrl: url})", companion.base_url)


def test_not_paired_is_explained(paired, companion, site):
    """Without the token nothing is sent; the badge says how to pair."""
    paired.worker().evaluate("chrome.storage.local.remove('pairingToken')")
    before = len(companion.analyses())
    try:
        page = paired.context.new_page()
        page.goto(site.url("/overlay.html?photo=unpaired"))
        page.wait_for_function("document.getElementById('photo').complete")
        right_click_check(paired, page, "#photo", {"mediaType": "image"})
        [name] = final_badges(AXReader(page), timeout=30)
        assert "Not paired" in name and "unmask token" in name
        assert len(companion.analyses()) == before
        page.close()
    finally:
        pair_in_options(paired, companion).wait_for_selector("#status.ok", timeout=20000)


def test_a_web_page_cannot_use_the_companion(paired, companion, site):
    """A page's own fetch to the companion gets no readable answer: the companion refuses its Origin."""
    page = paired.context.new_page()
    page.goto(site.url("/attack.html"))
    seen = []
    page.on("response", lambda response: seen.append(response) if response.url.startswith(companion.base_url) else None)
    outcome = page.evaluate("(url) => window.tryCompanion(url)", f"{companion.base_url}/v1/health")
    assert outcome["readable"] is False, outcome
    origin = site.url("/").rstrip("/")
    direct = requests.get(f"{companion.base_url}/v1/health", headers={"Origin": origin}, timeout=5)
    assert direct.status_code == 403 and direct.json()["error"]["code"] == "origin_forbidden"
    for response in seen:  # when the browser let the request through, the companion refused it
        assert response.status == 403
    page.close()


def test_check_a_local_file(paired, companion, tmp_path):
    """The check-file page uploads a file to the companion (multipart) and shows the card."""
    from skimage import data

    from tests.helpers.media import make_jpeg_bytes

    photo = tmp_path / "my photo.jpg"
    photo.write_bytes(make_jpeg_bytes(data.astronaut(), quality=85))
    page = paired.page("src/check-file/check-file.html")
    page.set_input_files("#file", str(photo))
    page.click("#form button[type=submit]")
    page.wait_for_selector("#result .card .facts", timeout=90000)
    text = page.inner_text("#result .card")
    uploaded = [a for a in companion.analyses() if a["source"].get("type") == "file"]
    assert uploaded and uploaded[0]["source"]["filename"] == "my_photo.jpg"
    assert verdict_of(text) and "Face 1" in text and "my_photo.jpg" in text
    page.close()
