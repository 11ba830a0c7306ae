"""The CNN + ViT hybrid: architecture, any input size, the frame Trainer trains and resumes it, LiteRT export."""
import json

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow", reason="training extra (tensorflow) is part of the test install")

from models.detectors import registry  # noqa: E402
from models.detectors.hybrid_vit import STEM, HybridViT, build_hybrid_vit  # noqa: E402
from models.detectors.weights_manifest import WeightsMissing  # noqa: E402
from models.training.export import predict_batched  # noqa: E402
from models.training.train_config import load_config  # noqa: E402
from models.training.trainer import Trainer  # noqa: E402
from tests.models.fixtures import astronaut_crop, tiny_face_set  # noqa: E402


def test_architecture_conv_stem_then_transformer_with_a_class_token():
    model = build_hybrid_vit(224)
    assert model.count_params() == 794_097
    convs = [l for l in model.layers if type(l) is tf.keras.layers.Conv2D]
    assert [(c.filters, c.strides[0]) for c in convs] == list(STEM)
    assert len([l for l in model.layers if isinstance(l, tf.keras.layers.MultiHeadAttention)]) == 4
    assert model.get_layer("class_token").units == 128
    assert model.get_layer("prob").activation.__name__ == "sigmoid"


def test_any_input_size_divisible_by_16_gives_one_probability():
    model = build_hybrid_vit(None, depth=1)
    for size in (32, 64):
        out = model(np.random.default_rng(size).uniform(-1, 1, (2, size, size, 3)).astype(np.float32)).numpy()
        assert out.shape == (2, 1)
        assert np.all((out > 0) & (out < 1))


def test_registered_and_missing_weights_are_reported(tmp_path):
    assert "hybrid_vit" in registry.names()
    with pytest.raises(WeightsMissing):
        registry.create("hybrid_vit", weights_dir=tmp_path)


def test_shipped_config_trains_the_hybrid_with_the_frame_trainer():
    config = load_config("hybrid_vit")
    assert config["detector"] == "hybrid_vit" and "trainer" not in config
    assert all(phase["size"] % 16 == 0 for phase in config["phases"])
    assert config["phases"][-1]["size"] == config["serve_size"]  # its last steps run at the size it serves


def tiny_config(run_dir, steps):
    return {"detector": "hybrid_vit", "run_dir": str(run_dir), "seed": 5, "batch": 4,
            "learning_rate": 1e-3, "warmup_steps": 2, "easy_steps": 100, "checkpoint_every": 3,
            "val_faces": 4, "mix": {"blend": 1.0, "swap": 0.0, "generated": 0.0},
            "phases": [{"size": 32, "steps": steps}], "export": False}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("hybrid")
    faces = tiny_face_set(4)
    report = Trainer(tiny_config(run_dir, 3), faces, faces, lambda *a, **k: None).run()
    return {"run_dir": run_dir, "faces": faces, "report": report}


def test_the_frame_trainer_checkpoints_and_resumes_the_hybrid(trained):
    run_dir = trained["run_dir"]
    assert json.loads((run_dir / "checkpoint" / "state.json").read_text())["step"] == 3
    trainer = Trainer(tiny_config(run_dir, 6), trained["faces"], trained["faces"], lambda *a, **k: None)
    model, step = trainer.model_and_step()  # reloads with keras.models.load_model, no custom objects
    assert step == 3 and model.name == "hybrid_vit"
    assert int(model.optimizer.iterations.numpy()) == 3
    trainer.run()
    assert json.loads((run_dir / "checkpoint" / "state.json").read_text())["step"] == 6


def test_exported_tflite_matches_keras_after_calibration(trained):
    export_dir = trained["run_dir"] / "export"
    detector = registry.create("hybrid_vit", weights_dir=export_dir)
    assert isinstance(detector, HybridViT) and detector.name == "hybrid_vit"
    crops = np.stack([astronaut_crop(), astronaut_crop()[::-1]])
    model = build_hybrid_vit()
    model.load_weights(export_dir / "hybrid_vit.weights.h5")
    expected = detector.calibration.apply(predict_batched(model, crops))
    assert np.allclose(detector.predict(crops), expected, atol=1e-3)
    manifest = json.loads((export_dir / "manifest.json").read_text())["hybrid_vit"]
    assert manifest["parameters"] == 794_097
    assert manifest["bands"]["real_below"] <= manifest["bands"]["fake_from"]
