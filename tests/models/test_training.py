"""A short training run lowers the loss, resumes from its checkpoint, and exports weights that load."""
import json

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow", reason="training extra (tensorflow) is part of the test install")

from models import registry  # noqa: E402
from models.data import validation_arrays  # noqa: E402
from models.faces.align import resize_crops  # noqa: E402
from models.pseudo_fakes import FAMILIES  # noqa: E402
from models.trainer import Trainer, predict_batched  # noqa: E402
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
    model = tf.keras.models.load_model(trained["run_dir"] / "checkpoint" / "model.keras")
    model.load_weights(export_dir / "frame_cnn.weights.h5")
    assert detector.input_size == 64  # served at the size it was trained at
    expected = detector.calibration.apply(predict_batched(model, resize_crops(crops, 64)))
    assert np.allclose(detector.predict(crops), expected, atol=1e-3)
    manifest = json.loads((export_dir / "manifest.json").read_text())["frame_cnn"]
    assert set(manifest["validation"]) == {"blend", "all"}
    assert manifest["bands"]["real_below"] <= manifest["bands"]["fake_from"]
    assert "blend" in FAMILIES
