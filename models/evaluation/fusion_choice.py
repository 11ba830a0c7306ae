"""Choose the fusion rule on validation videos through the companion's own pipeline, and ship it.

Each video is read as the companion reads it (runs of consecutive frames); each person's frame
evidence (the frame detectors as served) and temporal evidence (the temporal detector) are
collected, `models.training.fusion_fit.choose_fusion` picks the rule and its bands, and `write_fusion` stores
them in the temporal detector's manifest entry with the version they make.
"""
from __future__ import annotations

from pathlib import Path

from models.detectors.weights_manifest import read_manifest, write_entry
from models.evaluation.evaluate import read_file_faces
from models.serving.aggregate import aggregate
from models.serving.frame_score import frame_bands
from models.training.temporal_trainer import temporal_version


def people_evidence(path: Path, face_detector, frame_detectors, clip_detector, options) -> list[tuple[float, float]]:
    """(frame evidence, temporal evidence) of each person of one video with both, as the companion sees them."""
    read = read_file_faces(path, "video", face_detector, frame_detectors, clip_detector, options)
    result = aggregate(read.refs, read.observations, frame_bands(frame_detectors), [d.name for d in frame_detectors],
                       timeline=False, temporal=read.temporal)
    return [(f["frame_score"], f["temporal"]) for f in result["faces"]
            if f.get("frame_score") is not None and f.get("temporal") is not None]


def write_fusion(config, table: dict, source: str, weights_dir: Path, name: str = "temporal") -> str:
    """Store the rule and its validation in the clip detector's manifest entry with its new version; returns it."""
    entry = read_manifest(weights_dir)[name]
    config_text = (Path(weights_dir) / f"{name}.config.json").read_text()
    entry["fusion"] = config.to_dict()
    entry["fusion_validation"] = {**table, "chosen_on": source}
    entry["version"] = temporal_version(entry["sha256"], entry["features_sha256"], config_text, entry["fusion"])
    write_entry(name, entry, weights_dir)
    return entry["version"]
