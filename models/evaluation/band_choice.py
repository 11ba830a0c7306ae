"""Score bands that hold on another real-face domain: a frame detector's `fake_from` raised until
real faces of that domain, scored through the companion's own path, are flagged within the budget."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from models.detectors.weights_manifest import WEIGHTS_DIR, read_manifest, write_entry
from models.evaluation.band_sources import TIGHT_SUFFIX
from models.serving.frame_score import COMBINE_RULE, partners_key
from models.training.calibration import strictest_bands, strictest_threshold
from models.training.export import frame_version


def real_image_scores(paths: list[Path], face_detector, detectors, bands, min_face_px: int = 64) -> dict:
    """Each real image's score as the companion makes it; files without a scored face are counted apart."""
    from models.evaluation.evaluate import run_all

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
    return rewrite_entry(name, weights_dir, bands=bands, bands_chosen_on=chosen_on)


def write_partner_bands(name: str, partners: dict, bands: dict, chosen_on: dict,
                        weights_dir: Path | None = None) -> str:
    """Store the bands of `name` together with `partners` ({name: version}) in `name`'s entry
    (`models.serving.frame_score`), with its new version; returns the version."""
    folder = Path(weights_dir or WEIGHTS_DIR)
    bands_with = dict(read_manifest(folder)[name].get("bands_with", {}))
    bands_with[partners_key(partners)] = {"versions": dict(partners), "rule": COMBINE_RULE, "bands": bands,
                                          "bands_chosen_on": chosen_on}
    return rewrite_entry(name, folder, bands_with=bands_with)


def write_min_face(name: str, min_face_px: int, chosen_on: dict, weights_dir: Path | None = None) -> str:
    """Store the smallest face a frame detector judges (scripts/choose_face_sizes.py) with its new version."""
    return rewrite_entry(name, weights_dir, min_face_px=int(min_face_px), min_face_chosen_on=chosen_on)


def write_min_sharpness(name: str, min_sharpness: float, chosen_on: dict, weights_dir: Path | None = None) -> str:
    """Store the least sharpness a frame detector judges (scripts/choose_sharpness.py) with its new version."""
    return rewrite_entry(name, weights_dir, min_sharpness=float(min_sharpness), min_sharpness_chosen_on=chosen_on)


def rewrite_entry(name: str, weights_dir: Path | None, **changes) -> str:
    """Apply `changes` to a frame detector's manifest entry and give it the version they make."""
    folder = Path(weights_dir or WEIGHTS_DIR)
    entry = {**read_manifest(folder)[name], **changes}
    config_text = (folder / f"{name}.config.json").read_text()
    entry["version"] = frame_version(entry["sha256"], config_text, entry["bands"], entry.get("bands_with"),
                                     entry.get("min_face_px", 0), entry.get("min_sharpness", 0.0), entry.get("members"),
                                     entry.get("views"))
    write_entry(name, entry, folder)
    return entry["version"]


def bands_on_sources(scores_by_source: dict[str, np.ndarray], max_fpr: float = 0.04,
                     max_unsure: float = 0.20) -> dict:
    """Bands that hold on every real source at once: `fake_from` flags at most `max_fpr` of each
    source's real faces, and at most `max_unsure` of each score at or above `real_below` (so the
    inconclusive band holds less than that); the strictest source sets each side."""
    fake_from = strictest_threshold(scores_by_source, max_fpr)
    real_below = min(strictest_threshold(scores_by_source, max_unsure), fake_from)
    return {"real_below": float(real_below), "fake_from": float(fake_from)}


def origin(source: str) -> str:
    """The val source a scored source comes from (its tight-cut copies are the same photos)."""
    return source[: -len(TIGHT_SUFFIX)] if source.endswith(TIGHT_SUFFIX) else source


def left_out_shares(scores_by_source: dict[str, np.ndarray], max_fpr: float = 0.04) -> dict:
    """How far `fake_from` travels: for each origin, the share of its reals flagged when the bands are
    chosen on the other origins alone (`bands_on_sources`' rule), with that threshold and its count.
    A share well above `max_fpr` warns that a source nobody chose the bands on may be flagged as much."""
    out = {}
    for name in sorted({origin(s) for s in scores_by_source}):
        rest = {s: v for s, v in scores_by_source.items() if origin(s) != name}
        if not rest:
            continue
        fake_from = strictest_threshold(rest, max_fpr)
        left = np.concatenate([np.asarray(v, float) for s, v in scores_by_source.items() if origin(s) == name])
        out[name] = {"count": int(len(left)), "fake_from": float(fake_from),
                     "flagged": float(np.mean(left >= fake_from)) if len(left) else 0.0}
    return out


def budget_for_unseen(scores_by_source: dict[str, np.ndarray], max_fpr: float = 0.04, ceiling: float = 0.05,
                      min_count: int = 100, step: float = 0.005) -> float:
    """The per-source budget that leaves room for a source nobody chose the bands on: `max_fpr`,
    lowered by `step` until every origin of at least `min_count` faces, left out of the choice
    (`left_out_shares`), is flagged at most `ceiling` by the bands chosen on the others (smaller
    origins are too few to judge a share by). A source the companion meets in the wild is such a
    left-out source: the val sources show how far the bands travel to one."""
    budget = float(max_fpr)
    while budget - step >= step / 2:
        shares = left_out_shares(scores_by_source, budget)
        if all(v["flagged"] <= ceiling for v in shares.values() if v["count"] >= min_count):
            break
        budget = round(budget - step, 6)
    return budget
