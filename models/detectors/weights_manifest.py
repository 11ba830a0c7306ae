"""The shipped weights' manifest: sha256, version, calibration and score bands per detector."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
MANIFEST_NAME = "manifest.json"


class WeightsMissing(RuntimeError):
    """A detector's weights are not installed (or do not match their manifest)."""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(weights_dir: Path | None = None) -> dict:
    """The manifest of a weights folder, {} when there is none."""
    path = Path(weights_dir or WEIGHTS_DIR) / MANIFEST_NAME
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def write_entry(name: str, entry: dict, weights_dir: Path | None = None) -> None:
    """Add or replace one detector's entry in a weights folder's manifest."""
    folder = Path(weights_dir or WEIGHTS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(folder)
    manifest[name] = entry
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def verified_entry(name: str, weights_dir: Path | None = None) -> tuple[dict, Path]:
    """A detector's manifest entry and its .tflite path, checked by sha256; raises WeightsMissing."""
    folder = Path(weights_dir or WEIGHTS_DIR)
    entry = read_manifest(folder).get(name)
    if not entry:
        raise WeightsMissing(f"no trained weights for detector {name!r} in {folder}")
    return entry, verified_file(folder, entry, name)


def verified_file(folder: Path, record: dict, name: str) -> Path:
    """The weights file a manifest record (an entry, or one of its `members`) names, checked by sha256."""
    path = Path(folder) / record["file"]
    if not path.exists():
        raise WeightsMissing(f"weights file {path.name} for {name!r} is missing")
    if sha256_file(path) != record["sha256"]:
        raise WeightsMissing(f"weights file {path.name} does not match its sha256 in the manifest")
    return path
