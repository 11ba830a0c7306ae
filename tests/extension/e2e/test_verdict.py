"""A verdict a fact-checker can act on, in Chromium: which face (boxes, reading order, "face 2 of 3"), what the
score means (its bar and bands), badges clear of the page's header, the card where it fits, the report, the
popup's list, recovery after the companion was away, corrections with a note, video frames."""
from __future__ import annotations

import base64
import json

import cv2
import numpy as np
import pytest
import requests

from tests.extension.e2e.ax import AXReader
from tests.extension.e2e.conftest import free_port, launch_chromium, wait_until
from tests.extension.e2e.site import page as html_page
from tests.extension.e2e.test_chromium import analysis_for_url, final_badges, right_click_check, tab_id
from tests.helpers.media import astronaut_head, make_jpeg_bytes

pytestmark = pytest.mark.e2e

CARD = ("dialog", "Unmask details")
SHOWN = 0.8  # the group photo is shown at 80% of its size


def group_jpeg() -> bytes:
    """Three heads side by side (900 x 300), the middle one in black and white."""
    head = astronaut_head()
    image = np.full((300, 900, 3), 200, np.uint8)
    for i, x in enumerate((20, 330, 640)):
        patch = cv2.cvtColor(cv2.cvtColor(head, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB) if i == 1 else head
        image[30:270, x:x + 220] = patch
    return make_jpeg_bytes(image, quality=92)


GROUP_PAGE = """
<header id="masthead" style="position:sticky;top:0;height:90px;background:#263238;color:#fff;z-index:5;
  display:flex;align-items:center;padding:0 16px">The Daily Example · sticky header</header>
<p>A group photo in an article: which of the three faces is the score about?</p>
<img id="group" src="/img/group.jpg?page=NAME" width="720" height="240" alt="Three people">
<p>A tiny avatar beside a comment:
  <img id="avatar" src="/img/astronaut.jpg?avatar=NAME" width="40" height="40" alt="" style="vertical-align:middle">
  Comment text that the badge must not cover.</p>
<div style="height:1400px"></div>
<img id="bottom" src="/img/astronaut.jpg?bottom=NAME" width="300" height="300" alt="At the end">
<div style="height:200px"></div>
"""


@pytest.fixture(scope="module")
def group_site(site):
    """The group photo and its article page on the fixture site."""
    site.file("/img/group.jpg", group_jpeg(), "image/jpeg")
    return site


def open_group_page(paired, site, name: str):
    """A fresh tab on the article page (its own image URLs: the extension remembers results per URL)."""
    page = paired.context.new_page()
    body = GROUP_PAGE.replace("NAME", name)
    page.goto(site.file(f"/article-{name}.html", html_page("Article", body), "text/html; charset=utf-8"))
    page.wait_for_function("[...document.images].every((i) => i.complete)")
    return page


def badge_box(ax: AXReader, words: str) -> dict:
    """The box of the badge whose name holds `words`."""
    node = next(n for n in ax.badges() if words in n.name)
    return ax.box(node)


def face_box(ax: AXReader) -> dict | None:
    """The face box drawn on the media, or None when hidden."""
    shown = [e for e in ax.shadow_elements("facebox") if "hidden" not in e["attributes"]]
    return ax.box_of(shown[0]["backend_id"]) if shown else None


def expected_box(page, selector: str, box: list[float], scale: float) -> dict:
    """Where a face box in the media's pixels is drawn on the page."""
    media = page.locator(selector).bounding_box()
    return {"x": media["x"] + box[0] * scale, "y": media["y"] + box[1] * scale,
            "width": box[2] * scale, "height": box[3] * scale}


def near(a: dict, b: dict, tolerance: float = 4.0) -> bool:
    """Two boxes within `tolerance` px on every side (the drawn box has a 3 px border)."""
    return all(abs(a[k] - b[k]) <= tolerance + 3 for k in ("x", "y", "width", "height"))


def test_which_face_the_score_is_about(paired, companion, group_site, screenshots):
    """Faces left to right, "face 2 of 3" on the badge, the flagged face's box drawn; each row draws its own."""
    page = open_group_page(paired, group_site, "faces")
    url = group_site.url("/img/group.jpg?page=faces")
    right_click_check(paired, page, "#group", {"mediaType": "image", "srcUrl": url})
    ax = AXReader(page)
    [name] = final_badges(ax)
    result = analysis_for_url(companion, url)["result"]
    faces = sorted(result["faces"], key=lambda f: f["box"][0])
    assert len(faces) == 3
    flagged = max(range(3), key=lambda i: faces[i]["score"]) + 1
    assert f"face {flagged} of 3" in name
    assert f"manipulation score {round(result['score'] * 100)}%" in name
    assert ".." not in name

    ax.click(ax.badges()[0])
    card = wait_until(lambda: ax.text_under(*CARD), 10, what="the card")
    assert [line for line in card.splitlines() if line.startswith("Face ") and line.endswith(" of 3")] == [
        "Face 1 of 3", "Face 2 of 3", "Face 3 of 3"]
    assert f"Manipulation score {round(result['score'] * 100)}%" in card
    assert "not the chance that the media is real" in card
    bar = next(n for n in ax.nodes().values() if n.role in ("img", "image") and n.name.startswith("Manipulation score"))
    bands = result["bands"]
    assert f"likely fake from {round(bands['fake_from'] * 100)}%" in bar.name
    assert "black-and-white picture" in card  # the middle face's weak case, named next to its row
    drawn = wait_until(lambda: face_box(ax), 5, what="the flagged face's box")
    assert near(drawn, expected_box(page, "#group", faces[flagged - 1]["box"], SHOWN)), drawn
    page.screenshot(path=str(screenshots / "face-boxes.png"), clip={"x": 0, "y": 0, "width": 900, "height": 760})

    row = next(n for n in ax.nodes().values() if not n.ignored and n.name.startswith("Face 1 of 3"))
    page.mouse.move(*center(ax.box(row)))
    wait_until(lambda: near(face_box(ax) or {"x": -99, "y": 0, "width": 0, "height": 0},
                            expected_box(page, "#group", faces[0]["box"], SHOWN)), 5, what="face 1's box on hover")
    page.keyboard.press("Escape")  # the card closes, its badge has the focus again: the flagged face shows
    wait_until(lambda: near(face_box(ax) or {"x": -99, "y": 0, "width": 0, "height": 0},
                            expected_box(page, "#group", faces[flagged - 1]["box"], SHOWN)), 5, what="the flagged box")
    tips = [e for e in ax.shadow_elements("tip") if "hidden" not in e["attributes"]]
    assert len(tips) == 1, "the focused badge shows its tooltip"
    assert ax.shadow_elements("track"), "with the score on its bands"
    page.mouse.click(1050, 850)  # elsewhere: the badge loses the focus and the box goes
    wait_until(lambda: face_box(ax) is None, 5, what="the face box to go")
    page.close()


def center(box: dict) -> tuple[float, float]:
    """The middle of a box."""
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_badges_stay_below_the_sticky_header_and_small_media_get_an_icon(paired, companion, group_site):
    """Scrolled under the header, the badge moves down into the photo's visible part; a 40 px avatar gets an icon."""
    page = open_group_page(paired, group_site, "header")
    right_click_check(paired, page, "#group", {"mediaType": "image", "srcUrl": group_site.url("/img/group.jpg?page=header")})
    right_click_check(paired, page, "#avatar", {"mediaType": "image",
                                                "srcUrl": group_site.url("/img/astronaut.jpg?avatar=header")})
    ax = AXReader(page)
    final_badges(ax, count=2)
    photo = page.locator("#group").bounding_box()
    page.evaluate("(y) => window.scrollBy(0, y)", photo["y"] - 90 + 60)  # the photo's top 60 px under the header
    header_bottom = page.locator("#masthead").bounding_box()
    photo = page.locator("#group").bounding_box()
    assert photo["y"] < header_bottom["y"] + header_bottom["height"]

    def below_header():
        box = badge_box(ax, "face ")
        return box if box["y"] >= header_bottom["y"] + header_bottom["height"] else None

    badge = wait_until(below_header, 5, what="the badge below the sticky header")
    assert badge["y"] + badge["height"] <= photo["y"] + photo["height"]
    assert badge["x"] >= photo["x"]

    avatar = page.locator("#avatar").bounding_box()
    icon = next(ax.box(n) for n in ax.badges() if "face " not in n.name)
    assert icon["width"] <= 24 and icon["height"] <= 24  # icon only: the comment text beside stays readable
    assert avatar["x"] <= icon["x"] and icon["x"] + icon["width"] <= avatar["x"] + avatar["width"] + 1
    page.close()


def test_the_card_opens_where_it_fits_and_keeps_the_focus(paired, companion, group_site):
    """A badge near the bottom of the window opens its card upward, inside the window; Tab stays in the card."""
    page = open_group_page(paired, group_site, "bottom")
    page.evaluate("document.getElementById('bottom').scrollIntoView({block: 'end'})")
    right_click_check(paired, page, "#bottom", {"mediaType": "image",
                                                "srcUrl": group_site.url("/img/astronaut.jpg?bottom=bottom")})
    ax = AXReader(page)
    final_badges(ax)
    ax.click(ax.badges()[0])
    wait_until(lambda: ax.text_under(*CARD), 10, what="the card")
    dialog = next(n for n in ax.nodes().values() if n.role == "dialog")
    card = ax.box(dialog)
    viewport = page.viewport_size
    assert card["y"] >= 0 and card["y"] + card["height"] <= viewport["height"], card
    assert card["x"] >= 0 and card["x"] + card["width"] <= viewport["width"], card
    for _ in range(25):
        page.keyboard.press("Tab")
    focused = ax.focused()
    assert focused is not None and ax.inside(focused, *CARD), focused
    page.keyboard.press("Shift+Tab")
    assert ax.inside(ax.focused(), *CARD)
    page.close()


def test_the_report_of_a_check(paired, companion, group_site, screenshots):
    """The card's Report opens the companion's report: self-contained, with the sha256, faces and caveats."""
    page = open_group_page(paired, group_site, "report")
    url = group_site.url("/img/group.jpg?page=report")
    right_click_check(paired, page, "#group", {"mediaType": "image", "srcUrl": url})
    ax = AXReader(page)
    final_badges(ax)
    analysis = analysis_for_url(companion, url)
    ax.click(ax.badges()[0])
    wait_until(lambda: ax.button("Report"), 10, what="the Report button")
    with paired.context.expect_page() as opened:
        ax.click(ax.button("Report"))
    report = opened.value
    report.wait_for_load_state()
    def loaded_report():
        """The frame showing the report once it is there."""
        for frame in report.frames:
            try:
                if frame != report.main_frame and "Unmask report" in frame.inner_text("body", timeout=1000):
                    return frame
            except Exception:  # the frame is still loading its document
                continue
        return None

    frame = wait_until(loaded_report, 20, what="the report")
    text = frame.inner_text("body")
    assert analysis["result"]["media"]["sha256"] in text and url in text
    assert "Face 1 of 3" in text and "Caveats" in text and "manipulation score" in text
    assert frame.evaluate("[...document.images].every((i) => i.src.startsWith('data:image/jpeg;base64,'))")
    assert frame.evaluate("document.scripts.length") == 0
    with report.expect_download() as saved:
        report.click("#save-json")
    with open(saved.value.path(), encoding="utf-8") as handle:
        kept = json.load(handle)
    assert kept["analysis_id"] == analysis["id"] and len(kept["faces"]) == 3
    report.set_viewport_size({"width": 900, "height": 900})
    report.screenshot(path=str(screenshots / "report.png"))
    report.close()
    page.close()


def test_the_popup_lists_fakes_first_counts_and_shows_the_media(paired, companion, group_site, screenshots):
    """The popup counts each verdict; an error row keeps its file name; a row scrolls the page to its media."""
    page = open_group_page(paired, group_site, "popup")
    right_click_check(paired, page, "#group", {"mediaType": "image", "srcUrl": group_site.url("/img/group.jpg?page=popup")})
    ax = AXReader(page)
    final_badges(ax)
    dead = f"http://127.0.0.1:{free_port()}"
    paired.worker().evaluate("(url) => chrome.storage.local.set({companionUrl: url})", dead)
    try:
        right_click_check(paired, page, "#bottom", {"mediaType": "image",
                                                    "srcUrl": group_site.url("/img/astronaut.jpg?bottom=popup")})
        final_badges(ax, count=2, timeout=30)
    finally:
        paired.worker().evaluate("(url) => chrome.storage.local.set({companionUrl: url})", companion.base_url)
    page.evaluate("window.scrollTo(0, 0)")
    popup = paired.page(f"src/popup/popup.html?tabId={tab_id(paired, page)}")
    wait_until(lambda: popup.locator("#results li").count() == 2, 10, what="two rows")
    counts = popup.inner_text("#counts")
    assert "likely fake" in counts and "inconclusive" in counts and "likely real" in counts
    rows = popup.locator("#results .row-button")
    first, second = rows.nth(0).inner_text(), rows.nth(1).inner_text()
    assert "group.jpg" in first  # a verdict comes before an error
    assert "astronaut.jpg" in second and "Not checked" in second  # the error row keeps its name
    popup.set_viewport_size({"width": 380, "height": 520})
    popup.screenshot(path=str(screenshots / "popup-counts.png"))
    rows.nth(1).click()
    wait_until(lambda: page.evaluate("window.scrollY") > 900, 5, what="the page scrolled to the photo")
    popup.close()
    page.close()


def test_not_checked_badges_are_checked_again_when_the_companion_answers(paired, companion, group_site):
    """With the companion away the badge says so; once it answers again the badge gets its verdict unasked."""
    dead = f"http://127.0.0.1:{free_port()}"
    paired.worker().evaluate("(url) => chrome.storage.local.set({companionUrl: url})", dead)
    page = open_group_page(paired, group_site, "retry")
    popup = paired.page("src/popup/popup.html")
    try:
        right_click_check(paired, page, "#group", {"mediaType": "image",
                                                   "srcUrl": group_site.url("/img/group.jpg?page=retry")})
        ax = AXReader(page)
        [name] = final_badges(ax, timeout=30)
        assert "Not checked" in name and "companion is not running" in name
        assert ".." not in name
        wait_until(lambda: f"No companion at {dead}" in popup.inner_text("#status-text"), 20, what="offline status")
        assert popup.is_visible("#companion-url"), "the popup offers to type another address"
    finally:
        paired.worker().evaluate("(url) => chrome.storage.local.set({companionUrl: url})", companion.base_url)
    wait_until(lambda: any("manipulation score" in n for n in ax.badge_names()), 90, 0.5,
               what="the badge to be checked again by itself")
    wait_until(lambda: popup.inner_text("#status-text").startswith("Connected"), 20,
               what="the open popup to follow the companion")
    popup.close()
    page.close()


def test_options_say_which_address_a_pairing_failed_at(paired, companion):
    """A failed pairing names the address it tried; the status line is about the saved address."""
    dead = f"http://127.0.0.1:{free_port()}"
    options = paired.page("src/options/options.html")
    wait_until(lambda: options.inner_text("#status-text").startswith("Saved address: Connected"), 20,
               what="the saved address's status")
    options.fill("#companion-url", dead)
    options.fill("#token", companion.token)
    options.click("#pair-form button[type=submit]")
    wait_until(lambda: options.inner_text("#pair-error").startswith(f"Not paired with {dead}: "), 20,
               what="the failure naming the address")
    assert "companion is not running" in options.inner_text("#pair-error")
    assert options.inner_text("#status-text").startswith("Saved address: Connected")
    stored = paired.worker().evaluate("chrome.storage.local.get('companionUrl')")
    assert stored["companionUrl"] == companion.base_url
    options.close()


def test_a_correction_with_a_note_changes_the_badge(paired, companion, group_site):
    """"This looks wrong" offers only the answer that contradicts the verdict, takes a note, and marks the badge."""
    page = open_group_page(paired, group_site, "feedback")
    url = group_site.url("/img/astronaut.jpg?bottom=feedback")
    page.evaluate("document.getElementById('bottom').scrollIntoView({block: 'center'})")
    right_click_check(paired, page, "#bottom", {"mediaType": "image", "srcUrl": url})
    ax = AXReader(page)
    final_badges(ax)
    analysis = analysis_for_url(companion, url)
    verdict = analysis["result"]["verdict"]
    ax.click(ax.badges()[0])
    ax.click(wait_until(lambda: ax.button("This looks wrong"), 10, what="This looks wrong"))
    wait_until(lambda: ax.text_under(*CARD) and "What is it really?" in ax.text_under(*CARD), 5, what="the choices")
    offered = {label for label in ("fake", "real") if ax.button(f"It is {label}")}
    expected = {"likely_fake": {"real"}, "likely_real": {"fake"}}.get(verdict, {"fake", "real"})
    assert offered == expected
    label = sorted(offered)[0]
    note = next(n for n in ax.nodes().values() if not n.ignored and n.name == "Note (optional)")
    ax.click(note)
    page.keyboard.type("the ears do not match")
    ax.click(ax.button(f"It is {label}"))
    wait_until(lambda: any(f"you said: {label}" in n for n in ax.badge_names()), 15, what="the badge to show it")
    stored = requests.get(f"{companion.base_url}/v1/analyses/{analysis['id']}", headers=companion.auth, timeout=10).json()
    assert stored["feedback"] == {**stored["feedback"], "label": label, "note": "the ears do not match"}
    page.close()


def test_video_frames_under_the_timeline_seek_the_video(paired, companion, site, screenshots):
    """A video's card shows its analysed frames; the worst stretch is marked; a frame seeks the page's video."""
    page = paired.context.new_page()
    page.goto(site.url("/video.html?frames=1"))
    page.wait_for_selector("body[data-ready='1']", timeout=20000)
    before = {a["id"] for a in companion.analyses()}
    right_click_check(paired, page, "#clip", {"mediaType": "video",
                                              "srcUrl": page.evaluate("document.getElementById('clip').currentSrc")})
    ax = AXReader(page)
    final_badges(ax, timeout=120)
    [analysis] = [a for a in companion.analyses() if a["id"] not in before]
    ax.click(ax.badges()[0])
    wait_until(lambda: ax.text_under(*CARD), 10, what="the card")
    frames = wait_until(lambda: [n for n in ax.nodes().values() if not n.ignored and n.role == "button"
                                 and n.name.startswith("Go to ")], 10, what="the frame thumbnails")
    assert len(frames) == len(analysis["result"]["frames"]) == 16
    assert ax.shadow_elements("worst"), "the worst stretch is marked"
    saves = [n for n in ax.nodes().values() if not n.ignored and n.name.startswith("Save the frame at ")]
    assert len(saves) == len(frames)
    with page.expect_download() as saved:
        ax.activate(saves[0])
    assert saved.value.suggested_filename.startswith("unmask-frame-") and saved.value.suggested_filename.endswith(".jpg")
    with open(saved.value.path(), "rb") as handle:
        assert handle.read(3) == b"\xff\xd8\xff"  # a JPEG keyframe
    target = frames[len(frames) // 2]
    seconds = float(target.name.removeprefix("Go to ").split(" s")[0])
    ax.activate(target)  # from the keyboard: the strip scrolls sideways
    wait_until(lambda: abs(page.evaluate("document.getElementById('clip').currentTime") - seconds) < 0.15, 5,
               what="the video at the frame's time")
    page.screenshot(path=str(screenshots / "video-frames.png"), clip={"x": 0, "y": 0, "width": 760, "height": 900})
    page.close()


def test_check_a_file_page_takes_drops_and_explains_files_it_cannot_check(paired, companion, tmp_path):
    """A text file gets no "Check again"; a dropped photo is checked; the same photo again shows its first check time."""
    page = paired.page("src/check-file/check-file.html")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    page.set_input_files("#file", str(notes))
    page.click("#form button[type=submit]")
    page.wait_for_selector("#result .card.tone-error .reason", timeout=60000)
    assert page.locator("#result button", has_text="Check again").count() == 0

    photo = base64.b64encode(group_jpeg()).decode()
    drop = """async (data) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], "dropped group.jpg", { type: "image/jpeg" }));
        document.getElementById("drop").dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }"""
    page.evaluate(drop, photo)
    page.wait_for_selector("#result .card .facts", timeout=90000)
    text = page.inner_text("#result .card")
    assert "Face 2 of 3" in text and "dropped_group.jpg" in text and "Manipulation score" in text
    assert page.locator("#result .card .scorebar").count() == 1
    assert "0.0 s" not in text
    assert page.locator("#result button", has_text="Report").count() == 1
    gaps = page.evaluate("getComputedStyle(document.querySelector('#result .card .actions')).columnGap")
    assert gaps != "normal" and float(gaps.removesuffix("px")) >= 6  # the buttons do not touch

    paste = """async (data) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], "image.jpg", { type: "image/jpeg" }));
        document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }));
    }"""
    page.evaluate(paste, photo)  # the same bytes again, pasted: answered from the history
    wait_until(lambda: "an earlier check of the same file" in page.inner_text("#result .card"), 60,
               what="the original check time")
    assert "image.jpg" in page.inner_text("#result .card")
    page.close()


def test_a_first_install_opens_the_welcome_page_that_finds_pairs_and_tries(playwright_instance, companion, tmp_path,
                                                                             screenshots):
    """Installed: the welcome page looks at the default address, asks for another one, pairs, runs a test check."""
    fresh = launch_chromium(playwright_instance, tmp_path / "profile")
    try:
        opened = "chrome.tabs.query({}).then((tabs) => tabs.map((tab) => tab.url || tab.pendingUrl || ''))"
        wait_until(lambda: any(url.endswith("/src/welcome/welcome.html") for url in fresh.worker().evaluate(opened)), 20,
                   what="the welcome tab the install opened")
        welcome = fresh.page("src/welcome/welcome.html")  # the same page, in a tab Playwright drives
        welcome.wait_for_selector("#address-form:not([hidden])", timeout=30000)  # nothing at 127.0.0.1:8765 here
        assert "No companion answers at http://127.0.0.1:8765" in welcome.inner_text("#find-status")
        welcome.fill("#companion-url", companion.base_url)
        welcome.click("#address-form button[type=submit]")
        welcome.wait_for_selector("#step-pair:not([hidden])", timeout=20000)
        assert f"Found the companion at {companion.base_url}" in welcome.inner_text("#find-status")
        welcome.fill("#token", companion.token)
        welcome.click("#pair-form button[type=submit]")
        welcome.wait_for_selector("#step-try:not([hidden])", timeout=20000)
        assert welcome.inner_text("#paired-status").startswith("Connected · model blend_cnn")
        welcome.click("#try")
        welcome.wait_for_selector("#result .card .facts", timeout=90000)
        assert "Face 1 of 1" in welcome.inner_text("#result .card")
        stored = fresh.worker().evaluate("chrome.storage.local.get(['companionUrl', 'pairingToken'])")
        assert stored == {"companionUrl": companion.base_url, "pairingToken": companion.token}
        welcome.set_viewport_size({"width": 800, "height": 1100})
        welcome.screenshot(path=str(screenshots / "welcome.png"), full_page=True)
    finally:
        fresh.context.close()


def test_reverse_image_search_is_off_until_turned_on_and_only_links(paired, companion, group_site):
    """Off by default; once on, the card links to four engines with the image's public address, opening nothing."""
    options = paired.page("src/options/options.html")
    assert not options.is_checked("#reverse-search")
    assert "They leave this computer" in options.inner_text("#reverse-search-hint")
    page = open_group_page(paired, group_site, "reverse")
    right_click_check(paired, page, "#group", {"mediaType": "image", "srcUrl": group_site.url("/img/group.jpg?page=reverse")})
    ax = AXReader(page)
    final_badges(ax)
    ax.click(ax.badges()[0])
    card = wait_until(lambda: ax.text_under(*CARD), 10, what="the card")
    assert "Search the web for this image" not in card
    page.keyboard.press("Escape")

    options.check("#reverse-search")
    wait_until(lambda: paired.worker().evaluate("chrome.storage.local.get('reverseSearch')").get("reverseSearch") is True,
               5, what="the option saved")
    try:
        ax.click(ax.badges()[0])
        card = wait_until(lambda: "Search the web" in ax.text_under(*CARD) and ax.text_under(*CARD), 10,
                          what="the reverse search section")
        assert "needs an image with a public web address" in card  # the fixture site is on this computer

        # The same card for an image on the public web, drawn in an extension page: links, never a request.
        requests_seen = []
        checker = paired.page("src/check-file/check-file.html")
        checker.on("request", lambda r: requests_seen.append(r.url))
        links = checker.evaluate("""() => {
            const analysis = { id: "x", created_at: "2026-01-01T00:00:00Z", source: { type: "url", url: "https://news.example.org/a.jpg" },
              result: { verdict: "likely_real", score: 0.1, faces: [], media: { kind: "image", sha256: "0" } } };
            const node = Unmask.card.render(document, { phase: "done", manual: true, analysis },
              { t: (key, subs) => chrome.i18n.getMessage(key, subs), handlers: { reverseSearch: true } });
            document.body.append(node);
            return [...node.querySelectorAll("a.search-link")].map((a) => ({ text: a.textContent, href: a.href, target: a.target,
              rel: a.rel, label: a.getAttribute("aria-label") }));
        }""")
        assert [link["text"] for link in links] == ["Google Lens", "TinEye", "Bing", "Yandex"]
        assert all("news.example.org%2Fa.jpg" in link["href"] and link["target"] == "_blank"
                   and "noreferrer" in link["rel"] and "leaves this computer" in link["label"] for link in links)
        assert "These links leave this computer" in checker.inner_text("body")
        assert not [url for url in requests_seen if "google" in url or "tineye" in url or "bing" in url or "yandex" in url]
        checker.close()
    finally:
        paired.worker().evaluate("chrome.storage.local.set({reverseSearch: false})")
    options.close()
    page.close()


def test_check_by_address_from_the_popup_and_the_history_page(paired, companion, group_site, screenshots):
    """An address pasted into the popup is checked in the check page; the history page finds it, filters, reopens it."""
    url = group_site.url("/img/group.jpg?page=address")
    popup = paired.page("src/popup/popup.html")
    popup.fill("#address", url)
    with paired.context.expect_page() as opened:
        popup.click("#address-form button[type=submit]")
    checker = opened.value
    checker.wait_for_selector("#result .card .facts", timeout=90000)
    assert "Face 2 of 3" in checker.inner_text("#result .card")
    assert "group.jpg" in checker.inner_text("#result .card")
    popup.close()
    checker.close()
    verdict = analysis_for_url(companion, url)["result"]["verdict"]

    history = paired.page("src/history/history.html")
    wait_until(lambda: history.locator("#rows tr").count() >= 1, 10, what="the history")
    history.fill("#search", "page=address")
    wait_until(lambda: history.locator("#rows tr").count() == 1, 5, what="the search to keep one row")
    assert "group.jpg" in history.inner_text("#rows tr")
    history.select_option("#verdict", "likely_fake" if verdict != "likely_fake" else "likely_real")
    wait_until(lambda: history.locator("#rows tr").count() == 0, 5, what="the other verdict to hide it")
    history.select_option("#verdict", verdict)
    wait_until(lambda: history.locator("#rows tr").count() == 1, 5, what="its verdict to show it")
    history.get_by_role("button", name="Details of the check of group.jpg, checked").click()
    history.wait_for_selector("#detail .card .facts")
    assert "Face 1 of 3" in history.inner_text("#detail .card")
    history.set_viewport_size({"width": 1000, "height": 900})
    history.screenshot(path=str(screenshots / "history.png"))
    with paired.context.expect_page() as report:
        history.get_by_role("button", name="Report of the check of group.jpg, checked").click()
    assert "/src/report/report.html?id=" in report.value.url
    report.value.close()
    history.close()
