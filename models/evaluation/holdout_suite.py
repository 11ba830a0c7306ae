"""The holdout suite: every holdout source scored the way the companion scores a photo, per source.

Each row gives the source's count, its AUC against the holdout reals (fakes), and the share of it
flagged likely fake and the share inconclusive at the shipped bands, each share of the images in
which a face was scored (images without one are counted apart, as `no_face`, and of those the
ones whose faces were all too blurred to judge, as `too_blurred`), with a bootstrap
95% interval, for several systems side by side (the default set, the seed frame CNN, ...) and the
"residual energy alone" baseline. Two controls repeat everything: every image saved again as JPEG
q90 (a detector of file formats fails it), and every image made black-and-white. Swaps are the
holdout stills plus self-blends and swaps made from the holdout reals in their own photos
(models/synth/oval.py). Holdout rows are for reporting: nothing here chooses a threshold.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import cv2
import numpy as np

from models.evaluation import metrics
from models.serving.aggregate import FrameRef, aggregate
from models.serving.analysis import find_faces, judged_observations, score_crops

VARIANTS = ("as_is", "jpeg90", "grey")
BOOTSTRAP = 1000


@dataclass
class SuiteItem:
    """One image of the suite: its name, source, label (1 fake), and how to get its RGB pixels."""

    name: str
    source: str
    label: int
    load: Callable[[], np.ndarray | None]
    family: str = ""  # fakes: "generated" or "swap"


@dataclass
class System:
    """A named set of frame detectors judged together, and the bands of its combined score."""

    name: str
    detectors: list
    bands: object


@dataclass
class ItemScores:
    """One image's outcome in one variant: per system, (score or None, verdict); and the baseline."""

    item: SuiteItem
    results: dict[str, tuple[float | None, str]] = field(default_factory=dict)
    too_blurred: set[str] = field(default_factory=set)  # systems for which every found face was too blurred to judge
    energy: float | None = None


def variant_image(image: np.ndarray, variant: str) -> np.ndarray:
    """The image as the variant shows it: unchanged, saved again as JPEG q90, or black-and-white."""
    if variant == "as_is":
        return image
    if variant == "jpeg90":
        from models.synth.degrade import jpeg

        return jpeg(image, 90)
    if variant == "grey":
        return np.repeat(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
    raise ValueError(f"unknown variant {variant!r}")


def residual_energy(region: np.ndarray) -> float:
    """The trivial baseline: mean absolute up-sampling residual of the face region."""
    from models.detectors.residual import npr_residual

    residual = npr_residual(region)
    return float(np.abs(residual).mean()) if residual.size else 0.0


def score_image(item: SuiteItem, image: np.ndarray, face_detector, systems: Sequence[System],
                min_face_px: int) -> ItemScores:
    """Faces found once, every detector run once, then each system's aggregated score and verdict."""
    detectors = {d.name: d for s in systems for d in s.detectors}
    regions: list = []
    found, crops = find_faces([image], face_detector, min_face_px, regions=regions)
    scores = score_crops(list(detectors.values()), crops, regions)
    out = ItemScores(item)
    for system in systems:
        names = [d.name for d in system.detectors]
        obs = judged_observations(found, {n: scores[n] for n in names}, system.detectors)
        result = aggregate([FrameRef(0, 0.0)], obs, system.bands, names, timeline=False)
        out.results[system.name] = (result["score"], result["verdict"])
        if result["score"] is None and any(f.get("too_blurred") for f in result["faces"]):
            out.too_blurred.add(system.name)
    if regions:
        out.energy = max(residual_energy(r) for r in regions)
    return out


def bootstrap_interval(resampled: Callable[[np.random.Generator], float], rng: np.random.Generator,
                       rounds: int = BOOTSTRAP) -> tuple[float, float]:
    """95% percentile interval of a statistic over `rounds` draws of `resampled(rng)` (each computes
    the statistic on its own resample with replacement)."""
    values = [v for v in (resampled(rng) for _ in range(rounds)) if np.isfinite(v)]
    if not values:
        return (float("nan"), float("nan"))
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def resample(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The values drawn again with replacement, as many as there are."""
    return values[rng.integers(0, len(values), len(values))]


def auc_with_interval(fake: np.ndarray, real: np.ndarray, rng: np.random.Generator) -> dict:
    """AUC of fakes against reals, with a bootstrap interval resampling both sides."""
    if len(fake) == 0 or len(real) == 0:
        return {"auc": None, "interval": None}
    labels = np.r_[np.ones(len(fake)), np.zeros(len(real))]
    return {"auc": metrics.auc(np.r_[fake, real], labels),
            "interval": bootstrap_interval(lambda g: metrics.auc(np.r_[resample(fake, g), resample(real, g)], labels), rng)}


def share_with_interval(flags: np.ndarray, rng: np.random.Generator) -> dict:
    """A share of items (mean of 0/1 flags) with its bootstrap interval."""
    flags = np.asarray(flags, dtype=np.float64)
    if len(flags) == 0:
        return {"share": None, "interval": None}
    return {"share": float(flags.mean()), "interval": bootstrap_interval(lambda g: float(resample(flags, g).mean()), rng)}


def face_scores(rows: Iterable[ItemScores], system: str) -> np.ndarray:
    """Scores of the items where a face was scored (no face: left out, counted apart)."""
    return np.array([r.results[system][0] for r in rows if r.results[system][0] is not None], dtype=np.float64)


def summarise(scored: Sequence[ItemScores], systems: Sequence[str], seed: int) -> dict:
    """Per system, per source (and per fake family): counts, AUC / flagged / inconclusive with intervals."""
    rng = np.random.default_rng(seed)
    reals = [r for r in scored if r.item.label == 0]
    groups: dict[str, list[ItemScores]] = {}
    for r in scored:
        groups.setdefault(r.item.source, []).append(r)
        if r.item.label == 1 and r.item.family:
            groups.setdefault(f"all {r.item.family}", []).append(r)
    groups["all reals"] = reals
    out: dict = {}
    for system in systems:
        real_scores = face_scores(reals, system)
        table = {}
        for source, rows in sorted(groups.items()):
            verdicts = np.array([r.results[system][1] for r in rows])
            judged = verdicts[verdicts != "no_face"]  # shares are of the images a face was scored in
            label = rows[0].item.label
            row = {"count": len(rows), "label": "fake" if label else "real",
                   "no_face": int(np.sum(verdicts == "no_face")),
                   "too_blurred": sum(system in r.too_blurred for r in rows),
                   "flagged": share_with_interval(judged == "likely_fake", rng),
                   "inconclusive": share_with_interval(judged == "inconclusive", rng)}
            if label:
                row.update(auc_with_interval(face_scores(rows, system), real_scores, rng))
            table[source] = row
        out[system] = table
    out["residual energy (baseline)"] = energy_baseline(scored, groups, rng)
    return out


def energy_baseline(scored: Sequence[ItemScores], groups: Mapping[str, list], rng) -> dict:
    """AUC of the residual-energy baseline per fake source (higher energy read as fake)."""
    real = np.array([r.energy for r in scored if r.item.label == 0 and r.energy is not None])
    table = {}
    for source, rows in sorted(groups.items()):
        if rows and rows[0].item.label == 1:
            fake = np.array([r.energy for r in rows if r.energy is not None])
            table[source] = {"count": len(rows), **auc_with_interval(fake, real, rng)}
    return table


def run_suite(items: Sequence[SuiteItem], face_detector, systems: Sequence[System], min_face_px: int = 64,
              variants: Sequence[str] = VARIANTS, seed: int = 0, log=print) -> dict:
    """Score every item in every variant; the report per variant, per system, per source."""
    report = {"variants": {}, "systems": {s.name: {"detectors": [d.name for d in s.detectors],
                                                   "versions": {d.name: d.version for d in s.detectors},
                                                   "bands": vars(s.bands)} for s in systems},
              "min_face_px": min_face_px, "unreadable": []}
    images = {}
    for item in items:
        image = item.load()
        if image is None:
            report["unreadable"].append(item.name)
        else:
            images[item.name] = image
    kept = [i for i in items if i.name in images]
    for variant in variants:
        scored = []
        for n, item in enumerate(kept, 1):
            scored.append(score_image(item, variant_image(images[item.name], variant), face_detector,
                                      systems, min_face_px))
            if n % 200 == 0:
                log(f"{variant}: {n}/{len(kept)}")
        report["variants"][variant] = summarise(scored, [s.name for s in systems], seed)
        if variant == "as_is":
            report["per_file"] = [{"name": r.item.name, "source": r.item.source, "label": r.item.label,
                                   "family": r.item.family, **{s: r.results[s][0] for s in r.results}}
                                  for r in scored]
    return report


def _fmt_interval(value: float | None, interval) -> str:
    """'0.912 [0.870, 0.950]' or '-'."""
    if value is None:
        return "-"
    if not interval or not np.isfinite(interval[0]):
        return f"{value:.3f}"
    return f"{value:.3f} [{interval[0]:.3f}, {interval[1]:.3f}]"


def format_report(report: dict) -> str:
    """The suite as text tables: one per variant and system."""
    lines = []
    for variant, systems in report["variants"].items():
        for system, table in systems.items():
            lines.append(f"\n== {variant} · {system}")
            lines.append(f"{'source':44} {'n':>5} {'no face':>7} {'blurred':>7}  {'AUC vs holdout reals':26} "
                         f"{'flagged':26} inconclusive")
            for source, row in table.items():
                auc = _fmt_interval(row.get("auc"), row.get("interval"))
                flagged = _fmt_interval((row.get("flagged") or {}).get("share"), (row.get("flagged") or {}).get("interval"))
                inconc = _fmt_interval((row.get("inconclusive") or {}).get("share"),
                                       (row.get("inconclusive") or {}).get("interval"))
                lines.append(f"{source:44} {row['count']:>5} {row.get('no_face', 0):>7} {row.get('too_blurred', 0):>7}  "
                             f"{auc:26} {flagged:26} {inconc}")
    return "\n".join(lines)


def plot_roc(report_rows: Sequence[dict], systems: Sequence[str], path: Path) -> None:
    """ROC curves of each system: generated and swap families against the holdout reals (as is)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    for ax, family in zip(axes, ("generated", "swap")):
        for system in systems:
            rows = [r for r in report_rows if r[system] is not None and (r["label"] == 0 or r.get("family") == family)]
            labels = np.array([r["label"] for r in rows])
            if labels.all() or not labels.any():
                continue
            fpr, tpr, _ = metrics.roc_curve(np.array([r[system] for r in rows]), labels)
            ax.plot(fpr, tpr, label=f"{system} (AUC {metrics.auc([r[system] for r in rows], labels):.3f})")
        ax.plot([0, 1], [0, 1], ":", color="grey")
        ax.set(title=f"{family} vs holdout reals", xlabel="false-positive rate", ylabel="true-positive rate")
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_outputs(report: dict, out_dir: Path, stem: str = "holdout_suite") -> tuple[Path, Path]:
    """The report as JSON and its ROC plot, next to the model cards."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, png_path = out_dir / f"{stem}.json", out_dir / f"{stem}.png"
    json_path.write_text(json.dumps(report, indent=1, default=float))
    plot_roc(report.get("per_file", []), list(report["systems"]), png_path)
    return json_path, png_path
