"""A short training run lowers the loss, resumes from its checkpoint, and exports weights that load."""
import json
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow", reason="training extra (tensorflow) is part of the test install")

from models.detectors import registry  # noqa: E402
from models.faces.align import resize_crops  # noqa: E402
from models.training.data import validation_arrays  # noqa: E402
from models.training.export import predict_batched  # noqa: E402
from models.training.pseudo_fakes import FAMILIES  # noqa: E402
from models.training.train_config import PATH_KEYS  # noqa: E402
from models.training.trainer import Trainer  # noqa: E402
from tests.models.fixtures import astronaut_crop, tiny_face_set  # noqa: E402


def tiny_config(run_dir, steps):
    return {"detector": "frame_cnn", "run_dir": str(run_dir), "seed": 3, "batch": 8,
            "learning_rate": 2e-3, "warmup_steps": 3, "easy_steps": 1000, "checkpoint_every": 15,
            "val_faces": 4, "mix": {"blend": 1.0, "swap": 0.0, "generated": 0.0},
            "autoencoders": {"kinds": ["nearest"], "steps": 3, "size": 64},
            "phases": [{"size": 64, "steps": steps}], "serve_size": 64, "export": False}


def bce(model, images, labels):
    p = np.clip(predict_batched(model, images), 1e-6, 1 - 1e-6)
    return float(-np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("run")
    faces = tiny_face_set(8)
    trainer = Trainer(tiny_config(run_dir, 45), faces, faces, lambda *a, **k: None)
    model, step = trainer.model_and_step()
    assert step == 0
    images, labels = validation_arrays(faces, [], 64, 99, ("blend",))["blend"]
    before = bce(model, images, labels)
    report = trainer.run()
    after_model = tf.keras.models.load_model(run_dir / "checkpoint" / "model.keras")
    return {"run_dir": run_dir, "faces": faces, "before": before,
            "after": bce(after_model, images, labels), "report": report, "model": after_model}


def test_short_training_lowers_the_loss(trained):
    assert trained["after"] < trained["before"] * 0.9


def test_resume_continues_from_the_checkpoint(trained):
    run_dir = trained["run_dir"]
    assert json.loads((run_dir / "checkpoint" / "state.json").read_text())["step"] == 45
    trainer = Trainer(tiny_config(run_dir, 60), trained["faces"], trained["faces"], lambda *a, **k: None)
    _, step = trainer.model_and_step()
    assert step == 45
    trainer.run()
    assert json.loads((run_dir / "checkpoint" / "state.json").read_text())["step"] == 60
    assert (run_dir / "resolved_config.json").exists()


def test_exported_tflite_matches_keras_after_calibration(trained):
    export_dir = trained["run_dir"] / "export"
    detector = registry.create("frame_cnn", weights_dir=export_dir)
    crops = np.stack([astronaut_crop(), astronaut_crop()[:, ::-1]])
    model = tf.keras.models.load_model(trained["run_dir"] / "checkpoint" / "model.keras", compile=False)
    model.load_weights(export_dir / "frame_cnn.weights.h5")  # weights only: no optimizer to fill
    assert detector.input_size == 64  # served at the size it was trained at
    expected = detector.calibration.apply(predict_batched(model, resize_crops(crops, 64)))
    assert np.allclose(detector.predict(crops), expected, atol=1e-3)
    manifest = json.loads((export_dir / "manifest.json").read_text())["frame_cnn"]
    assert set(manifest["validation"]) == {"blend", "all"}
    assert manifest["bands"]["real_below"] <= manifest["bands"]["fake_from"]
    assert "blend" in FAMILIES
    exported = json.loads((export_dir / "frame_cnn.config.json").read_text())
    assert exported["run_dir"] and not any(Path(exported[key]).is_absolute() for key in PATH_KEYS if key in exported)


def test_a_phase_with_its_own_rate_and_tight_cuts(tmp_path):
    from models.training.trainer import lr_at

    config = tiny_config(tmp_path, 6)
    config["phases"].append({"size": 64, "steps": 4, "learning_rate": 5e-4, "warmup_steps": 1, "tight_crop": 0.5})
    faces = tiny_face_set(4)
    trainer = Trainer(config, faces, faces, lambda *a, **k: None)
    assert (trainer.main_steps, trainer.total_steps) == (6, 10)  # the main cosine ignores the fine-tuning phase
    sets = trainer.validation_sets(faces, [], 64, ("blend",))
    assert set(sets) == {"blend", "tight"} and sets["tight"][0].shape == (8, 64, 64, 3)
    assert not np.array_equal(sets["tight"][0][:4], sets["blend"][0][:4])  # the same reals, cut
    trainer.run()
    model = tf.keras.models.load_model(tmp_path / "checkpoint" / "model.keras")
    # the last step's rate comes from the phase's own schedule (its step 3 of 4)
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(lr_at(3, 5e-4, 1, 4), rel=1e-5)


def test_set_overrides_one_setting_read_as_toml_or_text():
    from models.training.train import parse_setting

    assert parse_setting("steps=10") == ("steps", 10)
    assert parse_setting("val_videos=['a.mp4']") == ("val_videos", ["a.mp4"])
    assert parse_setting("frame_cnn_weights=runs/old/frame_cnn.weights.h5") == (
        "frame_cnn_weights", "runs/old/frame_cnn.weights.h5")
    with pytest.raises(SystemExit, match="KEY=VALUE"):
        parse_setting("steps")


def test_a_fresh_run_can_start_from_shipped_weights(trained, tmp_path):
    weights = trained["run_dir"] / "export" / "frame_cnn.weights.h5"
    config = {**tiny_config(tmp_path, 3), "init_weights": str(weights), "autoencoder_dir": str(tmp_path / "shared")}
    model, step = Trainer(config, trained["faces"], trained["faces"], lambda *a, **k: None).model_and_step()
    assert step == 0
    x = resize_crops(np.stack([astronaut_crop()]), 64)
    expected = tf.keras.models.load_model(trained["run_dir"] / "checkpoint" / "model.keras", compile=False)
    expected.load_weights(weights)
    assert np.allclose(predict_batched(model, x), predict_batched(expected, x), atol=1e-6)
    cold = Trainer({**config, "init_weights": None}, trained["faces"], trained["faces"], lambda *a, **k: None)
    assert not np.allclose(predict_batched(cold.model_and_step()[0], x), predict_batched(expected, x), atol=1e-3)
