"""Data ablations of the frame CNN: variants of the pseudo-fake mix, scored on the same held-out pairs."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from models.detectors.calibration import Calibration
from models.detectors.weights_manifest import read_manifest
from models.evaluation import metrics
from models.training.calibration import choose_bands, fit_calibration
from models.training.export import pooled, split_halves
from models.training.pseudo_fakes import FAMILIES

# The pseudo-fake mix of each variant (shares of the fake half of a batch).
VARIANTS = {
    "joint": {"blend": 0.55, "swap": 0.15, "generated": 0.30},  # the shipped mix
    "no_swap": {"blend": 0.70, "swap": 0.0, "generated": 0.30},  # swaps replaced by blends
    "blends_only": {"blend": 0.55, "swap": 0.15, "generated": 0.0},  # face-manipulation specialist
    "generated_only": {"blend": 0.0, "swap": 0.0, "generated": 1.0},  # generated-face specialist
    "joint_twice": {"blend": 0.55, "swap": 0.15, "generated": 0.30},  # the pair's compute in one network
}
# Variants trained for a multiple of the config's steps (the others train for them once).
STEP_SCALE = {"joint_twice": 2}
# Two registered detectors in place of one: the higher of the specialists' calibrated scores.
PAIRS = {"two_networks": ("blends_only", "generated_only")}


def trained_families(mix: dict) -> tuple[str, ...]:
    """The families a variant saw in training."""
    return tuple(f for f in FAMILIES if mix.get(f, 0) > 0)


def held_out_sets(config: dict, faces) -> dict:
    """Every family's fixed pairs on `faces` at the served size, plus `tight`, as the trainer makes
    them for its final validation (same seed): {name: (images uint8, labels)}."""
    from models.training.data import tight_validation, validation_arrays
    from models.training.trainer import bank_path

    n = len(faces.images)
    banks = [np.load(bank_path(config["autoencoder_dir"], kind, "val", n), mmap_mode="r")
             for kind in config["autoencoders"]["kinds"]]
    size, seed = config.get("serve_size", 224), config["seed"] + 1
    sets = validation_arrays(faces, banks, size, seed, FAMILIES)
    sets["tight"] = tight_validation(faces, banks, size, seed)
    return sets


def raw_scores(model, sets: dict) -> dict:
    """{set: (raw sigmoid scores, labels)} for one model."""
    from models.training.export import predict_batched

    return {name: (predict_batched(model, images), labels) for name, (images, labels) in sets.items()}


def measure(scores: dict, served: dict | None = None) -> dict:
    """Calibration and bands fitted on the calibration half (by face), metrics on the other half;
    `served` (a manifest entry) gives the calibration and bands a shipped detector serves with."""
    calib, held = split_halves(scores)
    raw_c, labels_c = pooled({k: s for k, (s, _) in calib.items()}, {k: y for k, (_, y) in calib.items()})
    if served:
        calibration, bands = Calibration.from_dict(served["calibration"]), served["bands"]
    else:
        calibration = fit_calibration(raw_c, labels_c)
        cal_c = calibration.apply(raw_c)
        bands = choose_bands(cal_c[labels_c == 0], cal_c[labels_c == 1])
    threshold = bands["fake_from"]
    results = {k: metrics.summary(calibration.apply(s), y, threshold) for k, (s, y) in held.items()}
    all_s, all_y = pooled({k: calibration.apply(s) for k, (s, _) in held.items()}, {k: y for k, (_, y) in held.items()})
    results["all"] = metrics.summary(all_s, all_y, threshold)
    return {"calibration": calibration.to_dict(), "bands": bands, "validation": results}


def own_calibration(scores: dict, families: tuple[str, ...]) -> Calibration:
    """A specialist's calibration, fitted on the calibration half of the families it trained on."""
    calib, _ = split_halves({f: scores[f] for f in families})
    raw, labels = pooled({f: s for f, (s, _) in calib.items()}, {f: y for f, (_, y) in calib.items()})
    return fit_calibration(raw, labels)


def pair_scores(members: list[tuple[dict, Calibration]]) -> dict:
    """Per set, the highest calibrated score among the members: one verdict from two detectors."""
    first = members[0][0]
    return {name: (np.max([cal.apply(s[name][0]) for s, cal in members], axis=0), first[name][1])
            for name in first}


def served_set_scores(scores: dict, detectors: list) -> dict:
    """Per set, the members' calibrated scores combined as the companion combines them
    (`models.serving.frame_score.combine`: the most alarmed against its own bands)."""
    from models.serving.frame_score import anchors_of, combine

    anchors = anchors_of(detectors)
    first = scores[detectors[0].name]
    out = {}
    for name, (_, labels) in first.items():
        calibrated = {d.name: d.calibration.apply(scores[d.name][name][0]) for d in detectors}
        out[name] = (np.array([combine({n: float(v[i]) for n, v in calibrated.items()}, anchors)
                               for i in range(len(labels))]), labels)
    return out


def training_record(run_dir: Path) -> dict:
    """Steps trained and wall-clock minutes, from a run's checkpoint state and log."""
    state = json.loads((run_dir / "checkpoint" / "state.json").read_text())
    times = [json.loads(line)["time"] for line in (run_dir / "log.jsonl").read_text().splitlines() if line.strip()]
    return {"steps": int(state["step"]), "log_minutes": round((times[-1] - times[0]) / 60, 1)}


def ablation_report(config: dict, run_dirs: dict, reference: Path | None = None, faces=None) -> dict:
    """Every finished variant (and each pair of specialists, and the `reference` weights they start from),
    measured alike on the held-out pairs of `faces` (default: all AAF val faces)."""
    from models.detectors.frame_cnn import build_frame_cnn
    from models.training.checkpoints import load_checkpoint
    from models.training.train import load_faces

    if faces is None:
        _, faces = load_faces(config, Path(config["run_dir"]).parent / "cache")
    sets = held_out_sets(config, faces)
    scores, systems, missing = {}, {}, []
    for name, run_dir in run_dirs.items():
        if not (Path(run_dir) / "final.json").exists():
            missing.append(name)
            continue
        model, _ = load_checkpoint(Path(run_dir) / "checkpoint")
        scores[name] = raw_scores(model, sets)
        systems[name] = {"mix": VARIANTS[name], **training_record(Path(run_dir)), **measure(scores[name])}
    for pair, names in PAIRS.items():
        if all(n in scores for n in names):
            members = [(scores[n], own_calibration(scores[n], trained_families(VARIANTS[n]))) for n in names]
            systems[pair] = {"members": list(names), **measure(pair_scores(members))}
    if reference is not None:  # the weights every variant starts from, calibrated like the variants
        systems["start"] = {"weights": Path(reference).name,
                            **measure(raw_scores(build_frame_cnn(weights=reference), sets))}
    return {"sets": {k: {"pairs": int(len(y) // 2)} for k, (_, y) in sets.items()}, "systems": systems,
            "missing": missing}


def markdown_table(report: dict) -> str:
    """One row per system: held-out AUC per set, then FPR and TPR over all sets at its threshold."""
    names = list(report["sets"])
    head = "| system | " + " | ".join(f"AUC {n}" for n in names) + " | AUC all | EER all | FPR | TPR |"
    rows = [head, "|" + "---|" * (len(names) + 5)]
    for system, entry in report["systems"].items():
        v = entry["validation"]
        cells = [f"{v[n]['auc']:.3f}" for n in names]
        rows.append(f"| {system} | " + " | ".join(cells) + f" | {v['all']['auc']:.3f} | {v['all']['eer']:.3f} | "
                    f"{v['all']['fpr']:.3f} | {v['all']['tpr']:.3f} |")
    if report["missing"]:
        rows.append(f"\nnot trained yet: {', '.join(report['missing'])}")
    return "\n".join(rows)


# The identity calibration: scores that are already calibrated probabilities stay as they are.
IDENTITY = {"a": 1.0, "b": 0.0}


def served_report(config: dict, names: list[str], weights_dir: Path, faces=None) -> dict:
    """The shipped frame detectors on the held-out pairs as served: each alone with its own
    calibration and bands, and together (as the companion combines them) under the set's bands."""
    from models.detectors import registry
    from models.detectors.frame_cnn import build_frame_cnn
    from models.serving.frame_score import frame_bands
    from models.training.train import load_faces

    if faces is None:
        _, faces = load_faces(config, Path(config["run_dir"]).parent / "cache")
    sets = held_out_sets(config, faces)
    detectors = [registry.create(name, weights_dir=weights_dir) for name in names]
    manifest = read_manifest(weights_dir)
    scores, systems = {}, {}
    for detector in detectors:
        entry = manifest[detector.name]
        scores[detector.name] = raw_scores(build_frame_cnn(weights=Path(weights_dir) / entry["keras_weights"]), sets)
        systems[detector.name] = {"version": detector.version, **measure(scores[detector.name], entry)}
    together = served_set_scores(scores, detectors)
    bands = frame_bands(detectors)
    systems["+".join(names)] = measure(together, {"calibration": IDENTITY, "bands": {
        "real_below": bands.real_below, "fake_from": bands.fake_from}})
    return {"sets": {k: {"pairs": int(len(y) // 2)} for k, (_, y) in sets.items()}, "systems": systems,
            "missing": []}
