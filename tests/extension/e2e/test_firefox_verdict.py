"""The verdict in Firefox: which face (its box, reading order, "face 2 of 3"), the manipulation score on its bands,
the weak case named, the badge below a sticky header, and the report page (firefox-esr over WebDriver BiDi)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.extension.e2e.bidi import FIREFOX, Firefox, write_profile
from tests.extension.e2e.conftest import free_port, require, wait_until
from tests.extension.e2e.site import page as html_page
from tests.extension.e2e.test_firefox import EXTENSION_UUID, build_firefox_extension, pair
from tests.extension.e2e.test_tainted_capture import overlay_text, right_click
from tests.extension.e2e.test_verdict import GROUP_PAGE, SHOWN, group_jpeg

pytestmark = pytest.mark.e2e


def choose_check(firefox: Firefox, options: str, page_url: str, src_url: str) -> None:
    """What choosing "Check for deepfake" on an image does: the background's menu handler with Firefox's click."""
    click = {"menuItemId": "unmask-check", "frameId": 0, "pageUrl": page_url, "mediaType": "image", "srcUrl": src_url}
    firefox.evaluate(options, f"""(async () => {{
        const background = await browser.runtime.getBackgroundPage();
        const tab = (await browser.tabs.query({{}})).find((t) => t.url === {json.dumps(page_url)});
        await background.Unmask.background.onMenuClicked({json.dumps(click)}, tab);
        return true; }})()""")


def test_firefox_shows_which_face_the_score_is_about_and_its_report(companion, site, tmp_path):
    require(Path(FIREFOX).exists(), f"{FIREFOX} is missing: run `make setup-browsers` (apt-get install firefox-esr)")
    site.file("/img/group.jpg", group_jpeg(), "image/jpeg")
    page_url = site.file("/article-firefox.html", html_page("Article", GROUP_PAGE.replace("NAME", "firefox")),
                         "text/html; charset=utf-8")
    photo_url = site.url("/img/group.jpg?page=firefox")
    folder = build_firefox_extension(tmp_path / "build")
    write_profile(tmp_path / "profile", json.loads((folder / "manifest.json").read_text())
                  ["browser_specific_settings"]["gecko"]["id"], EXTENSION_UUID)

    with Firefox(tmp_path / "profile", free_port()) as firefox:
        firefox.install(folder)
        options = pair(firefox, companion)
        tab = firefox.new_tab(page_url)
        wait_until(lambda: firefox.evaluate(tab, "[...document.images].every((i) => i.complete)"), 20,
                   what="the article")
        right_click(firefox, tab, "#group")
        choose_check(firefox, options, page_url, photo_url)
        final_name = ("(root) => { const b = root.querySelector('.badge');"
                      " const name = b && b.getAttribute('aria-label');"
                      " return name && !/Checking|Capturing/.test(name) && name; }")
        name = wait_until(lambda: overlay_text(firefox, tab, final_name), 90, 0.5, what="the final badge")
        [analysis] = [a for a in companion.analyses() if a["source"].get("url") == photo_url]
        result = analysis["result"]
        faces = sorted(result["faces"], key=lambda f: f["box"][0])
        flagged = max(range(len(faces)), key=lambda i: faces[i]["score"]) + 1
        assert f"face {flagged} of 3" in name and f"manipulation score {round(result['score'] * 100)}%" in name

        card = overlay_text(firefox, tab, "(root) => { root.querySelector('.badge').click();"
                                          " return root.querySelector('.card').textContent; }")
        for words in ("Face 1 of 3", "Face 3 of 3", "Manipulation score", "black-and-white picture", "Report"):
            assert words in card, words
        bar = overlay_text(firefox, tab, "(root) => root.querySelector('.card .track').getAttribute('aria-label')")
        assert f"likely fake from {round(result['bands']['fake_from'] * 100)}%" in bar
        drawn = json.loads(overlay_text(firefox, tab, "(root) => { const f = root.querySelector('.facebox');"
                                                      " if (f.hidden) return 'null'; const r = f.getBoundingClientRect();"
                                                      " return JSON.stringify([r.x, r.y, r.width, r.height]); }"))
        image = json.loads(firefox.evaluate(tab, "(() => { const r = document.getElementById('group')"
                                                 ".getBoundingClientRect(); return JSON.stringify([r.x, r.y]); })()"))
        box = faces[flagged - 1]["box"]
        expected = [image[0] + box[0] * SHOWN, image[1] + box[1] * SHOWN, box[2] * SHOWN, box[3] * SHOWN]
        assert drawn and all(abs(a - b) <= 7 for a, b in zip(drawn, expected)), (drawn, expected)

        # Scrolled under the sticky header, the badge moves down into the photo's visible part.
        overlay_text(firefox, tab, "(root) => { root.querySelector('.card .close').click(); return true; }")
        firefox.evaluate(tab, "(() => { const r = document.getElementById('group').getBoundingClientRect();"
                              " window.scrollBy(0, r.top - 90 + 60); return true; })()")
        header_bottom = firefox.evaluate(tab, "document.getElementById('masthead').getBoundingClientRect().bottom")
        wait_until(lambda: overlay_text(firefox, tab, "(root) => root.querySelector('.badge')"
                                                      ".getBoundingClientRect().top") >= header_bottom, 5,
                   what="the badge below the header")

        report = firefox.open_privileged(f"moz-extension://{EXTENSION_UUID}/src/report/report.html?id={analysis['id']}")
        sha = result["media"]["sha256"]
        wait_until(lambda: firefox.evaluate(report, f"document.getElementById('report').srcdoc.includes({json.dumps(sha)})"),
                   20, what="the report in Firefox")
        assert firefox.evaluate(report, "document.getElementById('report').getAttribute('sandbox')") == ""
        assert firefox.evaluate(report, "!document.getElementById('report').srcdoc.includes('<script')")
