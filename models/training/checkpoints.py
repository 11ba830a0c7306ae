"""Training checkpoints: the Keras model with its optimizer state, and the global step."""
from __future__ import annotations

import json
from pathlib import Path


def load_checkpoint(ckpt_dir: Path):
    """(model, step) from `ckpt_dir`, or None when it holds no checkpoint."""
    state = Path(ckpt_dir) / "state.json"
    if not state.exists():
        return None
    import tensorflow as tf

    model = tf.keras.models.load_model(Path(ckpt_dir) / "model.keras")
    return model, json.loads(state.read_text())["step"]


def save_checkpoint(ckpt_dir: Path, model, step: int, record: dict) -> None:
    """Write the model, then the step, so a crash leaves the previous checkpoint whole."""
    ckpt_dir = Path(ckpt_dir)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    tmp = ckpt_dir / "model.tmp.keras"
    model.save(tmp)
    tmp.replace(ckpt_dir / "model.keras")
    (ckpt_dir / "state.json").write_text(json.dumps({"step": step, **record}))
