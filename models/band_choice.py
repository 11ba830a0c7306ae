"""Score bands that hold on another real-face domain: a frame detector's `fake_from` raised until
real faces of that domain, scored through the companion's own path, are flagged within the budget."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from models.calibration import strictest_bands
from models.export import frame_version
from models.weights_manifest import WEIGHTS_DIR, read_manifest, write_entry


def real_image_scores(paths: list[Path], face_detector, detectors, bands, min_face_px: int = 64) -> dict:
    """Each real image's score as the companion makes it; files without a scored face are counted apart."""
    from models.evaluate import run_all

    items = [(Path(p), 0, "real", "image") for p in paths]
    rows = run_all(items, face_detector, detectors, bands, min_face_px, 1, log=lambda *_: None)
    errors = [r for r in rows if r.error]
    if errors:  # an unreadable calibration file is a broken set, never a silently smaller one
        raise ValueError(f"{len(errors)} calibration images failed, first: {errors[0].path}: {errors[0].error}")
    scores = np.array([r.score for r in rows if r.score is not None], dtype=np.float64)
    return {"scores": scores, "files": len(rows), "no_face": len(rows) - len(scores)}


def choose(bands: dict, scores: np.ndarray, max_fpr: float = 0.05) -> dict:
    """The stricter bands and the share of these reals flagged before and after."""
    new = strictest_bands(bands, scores, max_fpr)
    return {"bands": new, "fpr_before": float((scores >= bands["fake_from"]).mean()),
            "fpr_after": float((scores >= new["fake_from"]).mean())}


def write_bands(name: str, bands: dict, chosen_on: dict, weights_dir: Path | None = None) -> str:
    """Store new bands in a frame detector's manifest entry with its new version; returns the version."""
    folder = Path(weights_dir or WEIGHTS_DIR)
    entry = read_manifest(folder)[name]
    config_text = (folder / f"{name}.config.json").read_text()
    entry["bands"] = bands
    entry["bands_chosen_on"] = chosen_on
    entry["version"] = frame_version(entry["sha256"], config_text, bands)
    write_entry(name, entry, folder)
    return entry["version"]
