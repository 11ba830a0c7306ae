"""Assemble the extension for each browser from the one source tree in extension/.

extension/ itself is the Chromium extension (Chrome, Edge, Brave load it unpacked as it is). Firefox has no
background service workers, and Chrome warns about `background.scripts` in a Manifest V3 extension, so the
Firefox copy differs only in its manifest: the same module runs as a background script. Usage:

    python scripts/build_extension.py            # -> build/chromium and build/firefox
    python scripts/build_extension.py --out DIR --browser firefox
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "extension"
# Files in extension/ that only serve the unit tests (Node reads package.json to load the scripts as modules).
NOT_SHIPPED = ("package.json",)
CHROME_ONLY_KEYS = ("minimum_chrome_version",)


def chromium_manifest(manifest: dict) -> dict:
    """The Chromium manifest: the source manifest as it is."""
    return dict(manifest)


def firefox_manifest(manifest: dict) -> dict:
    """The Firefox manifest: the service worker becomes a module background script; Chrome-only keys go."""
    out = {key: value for key, value in manifest.items() if key not in CHROME_ONLY_KEYS}
    worker = manifest["background"]["service_worker"]
    out["background"] = {"scripts": [worker], "type": "module"}
    return out


MANIFESTS = {"chromium": chromium_manifest, "firefox": firefox_manifest}


def build(browser: str, out_dir: Path) -> Path:
    """Copy extension/ into out_dir/<browser> with that browser's manifest; returns the folder."""
    target = out_dir / browser
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(SOURCE, target, ignore=shutil.ignore_patterns(*NOT_SHIPPED))
    manifest = json.loads((SOURCE / "manifest.json").read_text(encoding="utf-8"))
    text = json.dumps(MANIFESTS[browser](manifest), indent=2, ensure_ascii=False) + "\n"
    (target / "manifest.json").write_text(text, encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    """Build the requested browsers' folders and print where they are."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build", help="output folder (default: build/)")
    parser.add_argument("--browser", choices=sorted(MANIFESTS), action="append",
                        help="browser to build for (repeatable; default: all)")
    args = parser.parse_args(argv)
    for browser in args.browser or sorted(MANIFESTS):
        print(build(browser, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
