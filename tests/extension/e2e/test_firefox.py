"""Firefox smoke test: the Firefox build of the extension pairs through its options page and checks a feed
automatically, against the real companion (firefox-esr, headless, driven over WebDriver BiDi)."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.extension.e2e.bidi import FIREFOX, Firefox, write_profile
from tests.extension.e2e.conftest import ROOT, free_port, require, wait_until

pytestmark = pytest.mark.e2e
EXTENSION_UUID = "5d1f7a3e-2c4b-4e8a-9f60-7b3c2a1d0e9f"


def build_firefox_extension(out: Path) -> Path:
    """scripts/build_extension.py's Firefox folder."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_extension", ROOT / "scripts" / "build_extension.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    return builder.build("firefox", out)


def pair(firefox: Firefox, companion) -> str:
    """Pair through the options page; the options tab's context id (a privileged extension page)."""
    options = firefox.open_privileged(f"moz-extension://{EXTENSION_UUID}/src/options/options.html")
    wait_until(lambda: firefox.evaluate(options, "document.readyState === 'complete' && "
                                                 "!!document.getElementById('companion-url').value"),
               20, what="the options page")
    firefox.evaluate(options, f"""(() => {{
        document.getElementById('companion-url').value = {json.dumps(companion.base_url)};
        document.getElementById('token').value = {json.dumps(companion.token)};
        document.querySelector('#pair-form button[type=submit]').click();
        return true; }})()""")
    wait_until(lambda: firefox.evaluate(options, "document.getElementById('status').classList.contains('ok')"),
               30, what="Connected in Firefox")
    return options


def test_firefox_pairs_and_checks_a_feed(companion, site, tmp_path, screenshots):
    """Options page: address + token -> Connected; add the site; its feed's photos reach the companion."""
    require(Path(FIREFOX).exists(), f"{FIREFOX} is missing: run `make setup-browsers` (apt-get install firefox-esr)")
    folder = build_firefox_extension(tmp_path / "build")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["background"] == {"scripts": ["src/background/main.js"], "type": "module"}
    gecko_id = manifest["browser_specific_settings"]["gecko"]["id"]
    write_profile(tmp_path / "profile", gecko_id, EXTENSION_UUID)

    with Firefox(tmp_path / "profile", free_port()) as firefox:
        assert firefox.install(folder) == gecko_id
        options = pair(firefox, companion)
        firefox.evaluate(options, """(() => {
            document.getElementById('new-site').value = 'localhost';
            document.querySelector('#add-site button[type=submit]').click();
            return true; })()""")
        wait_until(lambda: firefox.evaluate(options, "!!document.querySelector('#sites li span')"), 20,
                   what="the site in the options list")
        status = wait_until(lambda: firefox.evaluate(
            options, "document.getElementById('status').classList.contains('ok') && "
                     "document.getElementById('status-text').textContent"), 30, what="Connected in Firefox")
        assert status.startswith("Saved address: Connected · model blend_cnn ")
        assert firefox.evaluate(options, "document.querySelector('#sites li span').textContent") == "localhost"

        feed = site.url("/feed.html?feed=firefox").replace("127.0.0.1", "localhost")
        tab = firefox.new_tab(feed)
        posts = [feed.rsplit("/", 1)[0] + f"/img/astronaut.jpg?feed=firefox&post={n}" for n in (1, 2)]

        def checked():
            done = {a["source"].get("url") for a in companion.analyses() if a["status"] == "done"}
            return all(url in done for url in posts)

        wait_until(checked, 120, 0.5, "Firefox's automatic checks of the feed")
        history = [a["source"].get("url", "") for a in companion.analyses()]
        assert not [url for url in history if "feed=firefox&thumb" in url], "the thumbnail is skipped"
        assert sum(url == posts[0] for url in history) == 1, "the duplicate photo is checked once"
        time.sleep(1)  # let the last badge paint before the screenshot
        firefox.screenshot(tab, screenshots / "firefox-feed.png")
