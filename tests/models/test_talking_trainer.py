"""The synthetic-video detector's trainer on a miniature dataset: bank, resumable training, an export
whose served scores match the Keras model, and the refusal of a bank built with other settings."""
import json

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow", reason="training extra (tensorflow) is part of the test install")

from models.detectors import registry  # noqa: E402
from models.detectors.calibration import Calibration  # noqa: E402
from models.detectors.temporal_residual import FEATURE_DIM  # noqa: E402
from models.training import talking_trainer  # noqa: E402
from models.training.talking_data import KINDS  # noqa: E402
from models.training.train_config import load_config  # noqa: E402
from tests.models.dataset_fixture import make_dataset  # noqa: E402


def tiny(root, run_dir, **extra):
    return load_config("temporal_residual", {
        "data_root": str(root), "run_dir": str(run_dir), "clip_frames": 8, "min_frames": 4,
        "val_videos": ["real-videos/d0.mp4"], "runs_per_video": 1, "talking_runs": 2, "stills_train": 3,
        "stills_val": 2, "shard_stills": 2, "steps": 2, "checkpoint_every": 1, "batch": 4, "export": False, **extra})


@pytest.fixture(scope="module")
def trained(tmp_path_factory, face_assets_dir):
    root = make_dataset(tmp_path_factory.mktemp("datasets"))
    run_dir = tmp_path_factory.mktemp("runs") / "temporal_residual"
    lines = []
    report = talking_trainer.train(tiny(root, run_dir), lambda message, **_: lines.append(message))
    return root, run_dir, lines, report


def test_the_bank_holds_every_clip_kind_of_the_train_and_val_sources(trained):
    root, run_dir, lines, _ = trained
    trainer = talking_trainer.TalkingTrainer(tiny(root, run_dir), lambda *a, **k: None)
    train, val = trainer.load_split("train"), trainer.load_split("val")
    kinds = {KINDS[k] for k in train.kinds}
    assert {"real", "lip_sync", "animated", "flicker", "talking_head", "still"} <= kinds
    assert train.features.shape[1:] == (8, FEATURE_DIM) and val.features.shape[1:] == (8, FEATURE_DIM)
    assert set(val.sources) >= {"real-videos/d0.mp4"} and "real-videos/d0.mp4" not in set(train.sources)
    talking = train.kinds == KINDS.index("talking_head")
    assert set(train.sources[talking]) == {"t0"} and train.labels[talking].min() == 1
    assert any(line.startswith("bank:") for line in lines)


def test_training_checkpoints_and_resumes_without_rebuilding_the_bank(trained):
    root, run_dir, lines, _ = trained
    assert any(line.startswith("step 2:") for line in lines)
    shards = {p: p.stat().st_mtime for p in (run_dir / "bank").glob("*.npz")}
    more = []
    talking_trainer.train(tiny(root, run_dir, steps=3), lambda message, **_: more.append(message))
    assert "resumed at step 2" in more and any(line.startswith("step 3:") for line in more)
    assert not any(line.startswith("bank shard") for line in more)
    assert {p: p.stat().st_mtime for p in (run_dir / "bank").glob("*.npz")} == shards


def test_a_bank_built_with_other_settings_is_refused(trained):
    root, run_dir, _, _ = trained
    with pytest.raises(ValueError, match="other settings"):
        talking_trainer.train(tiny(root, run_dir, seed=1), lambda *a, **k: None)


def test_the_served_detector_scores_as_the_calibrated_keras_model(trained):
    root, run_dir, _, report = trained
    export = run_dir / "export"
    entry = json.loads((export / "manifest.json").read_text())["temporal_residual"]
    assert entry["bands"]["real_below"] <= entry["bands"]["fake_from"] and "mouth_calibration" in entry
    detector = registry.create("temporal_residual", weights_dir=export)
    assert detector.input_kind == "region" and detector.max_frames == 8
    trainer = talking_trainer.TalkingTrainer(tiny(root, run_dir), lambda *a, **k: None)
    val = trainer.load_split("val")
    served = detector.predict_features(val.features.astype(np.float32), val.masks.astype(np.float32))
    model = tf.keras.models.load_model(run_dir / "best" / "model.keras")
    clip, mouth = talking_trainer.predict_bank(model, val)
    assert np.allclose(served.scores, Calibration.from_dict(entry["calibration"]).apply(clip), atol=2e-3)
    assert np.allclose(served.mouth, Calibration.from_dict(entry["mouth_calibration"]).apply(mouth), atol=2e-3)
    assert served.curves.shape == val.masks.shape and np.all(served.curves[val.masks == 0] == 0)


def test_the_features_are_the_residual_logit_and_the_measured_signals(trained):
    from models.detectors.residual import build_residual_cnn, region_patches
    from models.serving.mouth_signals import mouth_signals
    from models.serving.temporal_signals import frame_signals
    from models.training.talking_data import follow_face
    from models.faces.detect import FaceDetector
    from models.training.talking_data import camera_clip
    from tests.helpers.media import astronaut_head

    root, run_dir, _, _ = trained
    frames = camera_clip(astronaut_head(), np.random.default_rng(0), 5)
    track = follow_face(frames, FaceDetector())
    detector = registry.create("temporal_residual", weights_dir=run_dir / "export")
    features = detector.frame_features(track.crops[None], None, [track.regions])[0]
    cnn = build_residual_cnn(weights=talking_trainer.resolve("models/weights/generated_residual.weights.h5"))
    logit = tf.keras.Model(cnn.input, cnn.get_layer("logit").output)
    expected = np.stack([logit.predict_on_batch(region_patches(r)).mean(axis=0) for r in track.regions])
    assert np.allclose(features[:, :1], expected, atol=1e-3)
    probability = 1 / (1 + np.exp(-expected[:, 0]))  # the logit is what generated_residual's raw score is made of
    raw = registry.create("generated_residual")._runner.run(
        np.concatenate([region_patches(r) for r in track.regions]).astype(np.float32)).reshape(len(track.regions), -1)
    from models.detectors.residual import mean_logit_probability
    assert np.allclose(probability, mean_logit_probability(raw, raw.shape[1]), atol=1e-3)
    assert np.allclose(features[:, 1:], np.concatenate([frame_signals(track.crops), mouth_signals(track.crops)], 1))
    with pytest.raises(ValueError, match="native face region"):
        detector.frame_features(track.crops[None], None, None)
