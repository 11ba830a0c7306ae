"""Calibrate on validation, choose score bands, export to .tflite and record it in the manifest."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from models.detectors.weights_manifest import WEIGHTS_DIR, sha256_file, write_entry
from models.evaluation import metrics
from models.training.calibration import choose_bands, fit_calibration
from models.training.train_config import portable


def split_halves(val_sets: dict) -> tuple[dict, dict]:
    """Each family's validation set split by face into a calibration half and a report half."""
    calib, report = {}, {}
    for family, (images, labels) in val_sets.items():
        n = len(labels) // 2  # reals first, then their fakes, face by face
        face = np.r_[np.arange(n), np.arange(n)]
        calib[family] = (images[face % 2 == 0], labels[face % 2 == 0])
        report[family] = (images[face % 2 == 1], labels[face % 2 == 1])
    return calib, report


def pooled(scores: dict, labels: dict) -> tuple[np.ndarray, np.ndarray]:
    """All families' scores together (reals once per family)."""
    return np.concatenate(list(scores.values())), np.concatenate(list(labels.values()))


def predict_batched(model, images: np.ndarray, batch: int = 64) -> np.ndarray:
    """Raw sigmoid outputs for uint8 images, in batches (one compiled call per batch)."""
    out = []
    for start in range(0, len(images), batch):
        x = images[start:start + batch].astype(np.float32) / 127.5 - 1
        out.append(model(x, training=False).numpy().reshape(-1))
    return np.concatenate(out)


def to_tflite(model, size: int = 224) -> bytes:
    """The model as a .tflite flatbuffer with a dynamic batch dimension."""
    import tensorflow as tf
    from tensorflow import keras

    # from_keras_model freezes the weights into the flatbuffer; from_concrete_functions on a
    # Keras 3 model left them as uninitialised resource variables (NaN scores, ~100x slower).
    face = keras.Input((size, size, 3), name="face")
    served = keras.Model(face, model(face, training=False))
    return tf.lite.TFLiteConverter.from_keras_model(served).convert()


def export_detector(model, config: dict, val_sets: dict, run_dir: Path, log, write_weights: bool = True) -> dict:
    """Calibrate, choose bands, measure on the held-out half, write weights and manifest entry."""
    calib, held = split_halves(val_sets)
    raw_c = {f: predict_batched(model, x) for f, (x, _) in calib.items()}
    raw_h = {f: predict_batched(model, x) for f, (x, _) in held.items()}
    scores_c, labels_c = pooled(raw_c, {f: y for f, (_, y) in calib.items()})
    calibration = fit_calibration(scores_c, labels_c)
    cal_c = calibration.apply(scores_c)
    bands = choose_bands(cal_c[labels_c == 0], cal_c[labels_c == 1])
    results = {f: metrics.summary(calibration.apply(raw_h[f]), held[f][1], bands["fake_from"]) for f in held}
    all_scores, all_labels = pooled({f: calibration.apply(s) for f, s in raw_h.items()},
                                    {f: y for f, (_, y) in held.items()})
    results["all"] = metrics.summary(all_scores, all_labels, bands["fake_from"])
    log("held-out validation: " + json.dumps(results))
    report = {"calibration": calibration.to_dict(), "bands": bands, "validation": results,
              "parameters": int(model.count_params())}
    out_dir = WEIGHTS_DIR if write_weights else run_dir / "export"
    write_files(model, config, report, out_dir, config.get("serve_size", 224))
    return report


def save_weights_only(model, path: Path) -> None:
    """The model's weights as Keras .weights.h5, without the optimizer state (a third of the size)."""
    from tensorflow import keras

    bare = keras.Model.from_config(model.get_config())
    bare.set_weights(model.get_weights())
    bare.save_weights(path)


def frame_version(digest: str, config_text: str, bands: dict, bands_with: dict | None = None,
                  min_face_px: int = 0, min_sharpness: float = 0.0, members: list[dict] | None = None,
                  views: list[str] | None = None) -> str:
    """A frame detector's version: a sha256 prefix of its .tflite, its resolved config, its score
    bands, alone and with partners, the smallest face and least sharpness it judges, and the other
    networks and views its score averages (models/detectors/served.py) (verdicts depend on those
    too, so a change is a new version and old cached results go)."""
    covered = {**bands, "with": bands_with} if bands_with else dict(bands)
    if min_face_px:
        covered["min_face_px"] = int(min_face_px)
    if min_sharpness:
        covered["min_sharpness"] = float(min_sharpness)
    if members:
        covered["members"] = [(m["sha256"], m["calibration"]) for m in members]
    if views and list(views) != ["identity"]:
        covered["views"] = list(views)
    return hashlib.sha256((digest + config_text + json.dumps(covered, sort_keys=True)).encode()).hexdigest()[:12]


def write_files(model, config: dict, report: dict, out_dir: Path, size: int = 224) -> None:
    """The .tflite (taking `size` x `size` inputs), Keras weights, resolved config and manifest entry."""
    name = config["detector"]
    out_dir.mkdir(parents=True, exist_ok=True)
    tflite_path = out_dir / f"{name}.tflite"
    tflite_path.write_bytes(to_tflite(model, size))
    save_weights_only(model, out_dir / f"{name}.weights.h5")
    config_text = json.dumps(portable(config), indent=2, sort_keys=True)
    (out_dir / f"{name}.config.json").write_text(config_text)
    digest = sha256_file(tflite_path)
    version = frame_version(digest, config_text, report["bands"])
    write_entry(name, {
        "file": tflite_path.name, "sha256": digest, "version": version,
        "keras_weights": f"{name}.weights.h5",
        "keras_weights_sha256": sha256_file(out_dir / f"{name}.weights.h5"),
        "calibration": report["calibration"], "bands": report["bands"],
        "input_size": size, "parameters": report["parameters"],
        "validation": report["validation"],
    }, out_dir)


def calibrate_and_export(model, config: dict, raw: np.ndarray, labels: np.ndarray, band_raw: dict[str, np.ndarray],
                         size: int, log) -> dict:
    """Fit calibration on labelled raw scores, choose bands that hold on every real source of
    `band_raw` (raw scores by source), report, and write the files (models/weights, or the run's
    export/ folder when config["export"] is false)."""
    from models.training.calibration import band_shares, bands_for_sources

    calibration = fit_calibration(raw, labels)
    cal = calibration.apply(raw)
    band_sources = {name: calibration.apply(scores) for name, scores in band_raw.items()}
    bands = bands_for_sources(cal, labels, band_sources, float(config["max_fpr"]), float(config["max_fnr"]))
    validation = {"choose": metrics.summary(cal, labels, bands["fake_from"]),
                  **{f"reals:{name}": shares for name, shares in band_shares(band_sources, bands).items()}}
    report = {"calibration": calibration.to_dict(), "bands": bands, "validation": validation,
              "parameters": int(model.count_params())}
    log("validation: " + json.dumps(validation), report=report)
    out_dir = WEIGHTS_DIR if config.get("export", True) else Path(config["run_dir"]) / "export"
    write_files(model, config, report, out_dir, size)
    return report
