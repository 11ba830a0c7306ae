"""The temporal detector: clip generator invariants, measured signals, masks, training, export, registry."""
import json
import shutil

import cv2
import numpy as np
import pytest
from skimage import data

tf = pytest.importorskip("tensorflow", reason="training extra (tensorflow) is part of the test install")

from models.detectors import registry  # noqa: E402
from models.detectors.calibration import Calibration  # noqa: E402
from models.detectors.detector import ClipDetector, ScoreBands, check_clip_mask  # noqa: E402
from models.detectors.temporal import EMBED_DIM, TemporalDetector, build_temporal  # noqa: E402
from models.faces.align import alignment_matrix, mean_landmarks, transform_points  # noqa: E402
from models.serving.aggregate import FaceObservation, FrameRef, aggregate  # noqa: E402
from models.serving.clip_analysis import TemporalEvidence, track_runs  # noqa: E402
from models.serving.fusion import FusionConfig  # noqa: E402
from models.synth.temporal import (DRIFT_GROUPS, ClipDegrade, Flicker, flicker_sequence,  # noqa: E402
                                   params_vector, sample_params, smooth_sequence)
from models.training.temporal_data import (CLIP_KINDS, ClipBank, ClipSource, make_clip, margin, source_clips,  # noqa: E402
                                  still_source, work_size)
from models.detectors.weights_manifest import WeightsMissing, write_entry  # noqa: E402
from models.serving.temporal_signals import HAS_PREVIOUS, N_SIGNALS, SIGNAL_NAMES, frame_signals, regions  # noqa: E402
from tests.models.fixtures import ASTRONAUT_KEYPOINTS, astronaut_crop  # noqa: E402

SIZE = 64  # served crop side in these tests (224 when served)


def astronaut_landmarks() -> np.ndarray:
    """49 landmarks of the astronaut's face in image pixels (the mean shape placed on her keypoints)."""
    inverse = cv2.invertAffineTransform(alignment_matrix(ASTRONAUT_KEYPOINTS, 224))
    return transform_points(mean_landmarks(224), inverse)


def static_source(length: int = 6) -> ClipSource:
    """A clip in which nothing moves: the same work crop every frame, served without detector noise."""
    side = work_size(SIZE)
    frame = cv2.resize(astronaut_crop(side), (side, side))
    to_served = np.array([[1.0, 0, -margin(SIZE)], [0, 1.0, -margin(SIZE)]])
    marks = mean_landmarks(SIZE) + margin(SIZE)
    return ClipSource(np.repeat(frame[None], length, 0), np.repeat(marks[None], length, 0).astype(np.float32),
                      np.repeat(to_served[None], length, 0), "static", SIZE)


# --- parameters --------------------------------------------------------------------------------------

def test_smooth_parameters_are_the_same_on_every_frame():
    base = sample_params(np.random.default_rng(0))
    params, labels = smooth_sequence(base, 8)
    assert all(p == base for p in params)
    assert labels.tolist() == [0.0] * 8


def test_flicker_parameters_drift_only_inside_the_span_and_only_their_group():
    base = sample_params(np.random.default_rng(1))
    params, labels = flicker_sequence(base, Flicker(("colour",), 1.0, 2, 6), 8, np.random.default_rng(2))
    assert labels.tolist() == [0, 0, 1, 1, 1, 1, 0, 0]
    vectors = np.stack([params_vector(p) for p in params])
    assert params[0] == params[1] == params[6] == params[7] == base
    changed = np.flatnonzero(np.any(vectors[2:6] != params_vector(base), axis=0))
    names = [f for f in base.__dataclass_fields__]
    assert {names[i] for i in changed} == set(DRIFT_GROUPS["colour"])
    assert len({tuple(v) for v in vectors[2:6]}) == 4  # every flickering frame has its own parameters


def test_mask_flicker_redraws_the_outline_noise_every_frame():
    base = sample_params(np.random.default_rng(3))
    params, _ = flicker_sequence(base, Flicker(("mask",), 1.0, 0, 5), 5, np.random.default_rng(4))
    assert len({p.mask_seed for p in params}) == 5 and base.mask_seed not in {p.mask_seed for p in params}


# --- clips -------------------------------------------------------------------------------------------

def test_on_a_still_scene_real_and_smooth_clips_do_not_change_and_flicker_does():
    source, clean = static_source(8), ClipDegrade(None, None, None, None)
    real = make_clip(source, "real", np.random.default_rng(0), clean, 0)
    smooth = make_clip(source, "smooth", np.random.default_rng(1), clean, 0)
    flicker = make_clip(source, "flicker", np.random.default_rng(2), clean, 0)
    assert real.crops.shape == (8, SIZE, SIZE, 3)
    assert all(np.array_equal(c, real.crops[0]) for c in real.crops)
    assert all(np.array_equal(c, smooth.crops[0]) for c in smooth.crops)
    assert not np.array_equal(smooth.crops[0], real.crops[0])  # a smooth fake is still a fake
    moving = [t for t in range(1, 8) if not np.array_equal(flicker.crops[t], flicker.crops[t - 1])]
    assert moving and all(flicker.frame_labels[t] or flicker.frame_labels[t - 1] for t in moving)
    assert (real.label, smooth.label, flicker.label) == (0.0, 0.0, 1.0)


def test_source_clips_labels_kinds_and_seeded_reproducibility():
    image, marks = data.astronaut(), astronaut_landmarks()
    source = still_source(image, marks, np.random.default_rng(0), 6, size=SIZE)
    assert source.frames.shape == (6, work_size(SIZE), work_size(SIZE), 3)
    clips = source_clips(source, (7, 1))
    assert [c.kind for c in clips] == list(CLIP_KINDS)
    assert [c.label for c in clips] == [0.0, 0.0, 1.0]
    assert clips[2].frame_labels.max() == 1.0 and clips[1].frame_labels.max() == 0.0
    assert len({tuple(params_vector(p)) for p in clips[1].params}) == 1
    assert len({tuple(params_vector(p)) for p in clips[2].params}) > 1
    again = source_clips(source, (7, 1))
    assert all(np.array_equal(a.crops, b.crops) for a, b in zip(clips, again))
    other = source_clips(source, (8, 1))
    assert not np.array_equal(clips[2].crops, other[2].crops)


def test_a_still_made_into_a_clip_moves_smoothly():
    source = still_source(data.astronaut(), astronaut_landmarks(), np.random.default_rng(5), 12, size=SIZE)
    centres = source.landmarks.mean(axis=1)  # the face moves with the camera ...
    steps = np.diff(centres, axis=0)
    assert np.abs(np.diff(steps, axis=0)).max() < 1.0  # ... without jumps (second difference < 1 px)


# --- measured signals --------------------------------------------------------------------------------

def test_signals_of_a_still_clip_show_no_change():
    crops = np.repeat(astronaut_crop(SIZE)[None], 5, axis=0)
    signals = frame_signals(crops)
    assert signals.shape == (5, N_SIGNALS) == (5, len(SIGNAL_NAMES))
    assert signals[:, HAS_PREVIOUS].tolist() == [0, 1, 1, 1, 1]
    changes = [SIGNAL_NAMES.index(n) for n in ("d_colour_l", "d_sharpness", "band_change", "inner_dx", "outer_dx")]
    assert np.abs(signals[:, changes]).max() < 1e-4
    assert np.allclose(signals[:, :4], signals[0, :4])


def test_a_face_slipping_against_its_surroundings_shows_in_the_inner_shift():
    crop = astronaut_crop(SIZE)
    inner = regions(SIZE)["inner"][..., None]
    slipped = (np.roll(crop, 2, axis=1) * inner + crop * (1 - inner)).astype(np.uint8)
    signals = frame_signals(np.stack([crop, crop, slipped, crop]))
    inner_dx, outer_dx = SIGNAL_NAMES.index("inner_dx"), SIGNAL_NAMES.index("outer_dx")
    assert abs(signals[2, inner_dx]) > 3.0 > abs(signals[2, outer_dx])  # 2 px at 64 is 7 px at 224
    inner_change, outer_change = SIGNAL_NAMES.index("inner_change"), SIGNAL_NAMES.index("outer_change")
    assert signals[2, inner_change] > signals[2, outer_change] + 0.5


def test_a_change_at_the_blending_boundary_shows_in_the_band():
    crop = astronaut_crop(SIZE)
    band = regions(SIZE)["band"][..., None]
    brighter = np.clip(crop + 25.0 * band, 0, 255).astype(np.uint8)
    signals = frame_signals(np.stack([crop, brighter]))
    changes = signals[1, [SIGNAL_NAMES.index(n) for n in ("band_change", "inner_change", "outer_change")]]
    assert changes[0] > 2.0 and changes[1] < 0.1 and changes[2] < 0.1


# --- masks and the sequence model ----------------------------------------------------------------

def test_clip_masks_must_be_valid_frames_first():
    assert check_clip_mask(None, 2, 3).tolist() == [[1, 1, 1], [1, 1, 1]]
    assert check_clip_mask(np.array([[1, 1, 0]]), 1, 3).tolist() == [[1, 1, 0]]
    for bad in ([[1, 0, 1]], [[0, 0, 0]], [[1, 1]]):
        with pytest.raises(ValueError):
            check_clip_mask(np.array(bad), 1, 3)


def test_a_padded_short_track_scores_exactly_like_the_unpadded_track():
    long_model, short_model = build_temporal(frames=8, features=12), build_temporal(frames=5, features=12)
    short_model.set_weights(long_model.get_weights())
    rng = np.random.default_rng(0)
    track = rng.normal(size=(2, 5, 12)).astype(np.float32)
    padded = np.concatenate([track, rng.normal(5, 3, size=(2, 3, 12)).astype(np.float32)], axis=1)
    mask = np.array([[1] * 5 + [0] * 3] * 2, dtype=np.float32)
    clip_short, curve_short = short_model([track, np.ones((2, 5), np.float32)], training=False)
    clip_long, curve_long = long_model([padded, mask], training=False)
    assert np.allclose(clip_long.numpy(), clip_short.numpy(), atol=1e-6)
    assert np.allclose(curve_long.numpy()[:, :5], curve_short.numpy(), atol=1e-6)
    assert np.all(curve_long.numpy()[:, 5:] == 0)


def test_the_sequence_model_outputs_a_clip_score_and_a_frame_curve():
    model = build_temporal(frames=6, features=10)
    clip, curve = model([np.zeros((3, 6, 10), np.float32), np.ones((3, 6), np.float32)], training=False)
    assert clip.shape == (3, 1) and curve.shape == (3, 6)
    assert np.all((clip.numpy() > 0) & (clip.numpy() < 1))


# --- registry ----------------------------------------------------------------------------------------

def test_registered_as_a_clip_detector_and_missing_weights_are_reported(tmp_path):
    assert "temporal" in registry.names()
    assert issubclass(registry.DETECTORS["temporal"], ClipDetector)
    with pytest.raises(WeightsMissing):
        registry.create("temporal", weights_dir=tmp_path)
    (tmp_path / "temporal.tflite").write_bytes(b"x")
    write_entry("temporal", {"file": "temporal.tflite", "sha256": __import__("hashlib").sha256(b"x").hexdigest(),
                             "features_file": "temporal_features.tflite", "features_sha256": "0" * 64}, tmp_path)
    with pytest.raises(WeightsMissing, match="temporal_features.tflite"):
        registry.create("temporal", weights_dir=tmp_path)


# --- clip analysis -----------------------------------------------------------------------------------

def test_track_runs_by_hand():
    runs_of_frame = [0, 0, 0, 0, 1, 1, 1, 1]
    found = [{"frame": f, "crop": None if f == 2 else f} for f in range(8)]  # person 0, too small at frame 2
    found += [{"frame": f, "crop": 10 + f} for f in (4, 5, 6)]  # person 1
    people = [list(range(8)), [8, 9, 10]]
    runs = track_runs(found, people, runs_of_frame, min_frames=2, max_frames=3)
    # person 0: frames 0-1; frame 3 alone (its run ends); frames 4-7 cut into 4-6 and 7 (too short)
    assert runs == [(0, [0, 1]), (0, [4, 5, 6]), (1, [8, 9, 10])]


def test_temporal_evidence_fuses_people_in_aggregate():
    obs = [FaceObservation(0, (0, 0, 9, 9), {"a": 0.2}), FaceObservation(1, (0, 0, 9, 9), {"a": 0.4}),
           FaceObservation(0, (50, 0, 9, 9), {}, too_small=True)]
    evidence = TemporalEvidence("temporal", [[0, 1], [2]], [[0.9, 0.1], []], {0: 0.7, 1: 0.3},
                                FusionConfig("max"))
    frames = [FrameRef(10, 0.0), FrameRef(11, 0.04), FrameRef(12, 0.08)]
    result = aggregate(frames, obs, ScoreBands(0.3, 0.8), ["a"], timeline=True, temporal=evidence)
    person, small = result["faces"]
    # frame evidence: top-half mean of (0.2, 0.4) = 0.4; temporal: top half of (0.9, 0.1) = 0.9; max fuses
    assert (person["score"], person["frame_score"], person["temporal"]) == (0.9, 0.4, 0.9)
    assert small["score"] is None and small["temporal"] is None
    assert result["verdict"] == "likely_fake" and result["detectors"] == {"a": 0.4, "temporal": 0.9}
    assert [p["score"] for p in result["temporal"]] == [0.7, 0.3, None]
    assert [p["index"] for p in result["temporal"]] == [10, 11, 12]
    plain = aggregate(frames, obs, ScoreBands(0.3, 0.8), ["a"], timeline=True)
    assert plain["score"] == 0.4 and "temporal" not in plain and "frame_score" not in plain["faces"][0]


# --- training, export, serving -----------------------------------------------------------------------

def write_data_root(root):
    """A tiny data root: AAF-like stills of the astronaut (train and val) and one real video."""
    image, marks = data.astronaut(), astronaut_landmarks()
    (root / "aaf" / "images").mkdir(parents=True)
    rows = ["file,split,gender,age," + ",".join(f"x{i},y{i}" for i in range(49))]
    rng = np.random.default_rng(0)
    for i in range(10):
        shift = rng.integers(-8, 9, 2)
        moved = np.roll(image, tuple(shift[::-1]), axis=(0, 1))
        tinted = np.clip(moved * rng.uniform(0.8, 1.2, 3), 0, 255).astype(np.uint8)
        rel = f"images/{i}.jpg"
        cv2.imwrite(str(root / "aaf" / rel), tinted[..., ::-1])
        points = ",".join(f"{x:.2f},{y:.2f}" for x, y in marks + shift)
        rows.append(f"{rel},{'train' if i < 5 else 'val'},female,30,{points}")
    (root / "aaf" / "index.csv").write_text("\n".join(rows) + "\n")
    (root / "real-videos").mkdir()
    from tests.helpers.media import make_face_video
    make_face_video(root / "real-videos" / "v0.mp4", seconds=1.0)


def write_config(path, root, run_dir, steps, seed=3):
    path.write_text(f"""
trainer = "temporal"
detector = "temporal"
data_root = "{root}"
run_dir = "{run_dir}"
untrained_frame_cnn = true
frame_cnn_weights = "not-used"
seed = {seed}
crop_size = {SIZE}
clip_frames = 8
min_frames = 4
val_videos = ["v0.mp4"]
video_clips = 2
shard_stills = 2
swap_prob = 0.5
batch = 8
learning_rate = 3e-3
warmup_steps = 2
steps = {steps}
checkpoint_every = 10
frame_loss_weight = 0.5
truncate_prob = 0.5
[stills]
train = 4
val = 4
[donors]
train = 1
val = 1
""")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory, face_assets_dir):
    from models.training.train import main as train_main

    base = tmp_path_factory.mktemp("temporal")
    root, run_dir = base / "data", base / "run"
    write_data_root(root)
    config = write_config(base / "tiny.toml", root, run_dir, steps=20)
    assert train_main(["--config", str(config), "--no-export"]) == 0
    return {"base": base, "root": root, "run_dir": run_dir, "export": run_dir / "export"}


def test_unmask_train_builds_the_bank_and_checkpoints(trained):
    run_dir = trained["run_dir"]
    shards = sorted(p.name for p in (run_dir / "bank").glob("*.npz"))
    assert shards == ["train_0000.npz", "train_0001.npz", "val_0000.npz", "val_0001.npz", "val_0002.npz"]
    video = ClipBank.load(run_dir / "bank" / "val_0000.npz")  # the held-out video's two runs
    assert len(video.labels) == 2 * len(CLIP_KINDS)
    train = ClipBank.concat([ClipBank.load(run_dir / "bank" / s) for s in shards[:2]])
    assert train.features.shape == (12, 8, EMBED_DIM + N_SIGNALS)
    assert train.labels.tolist() == [int(k == CLIP_KINDS.index("flicker")) for k in train.kinds]
    assert np.array_equal(train.labels, train.frame_labels.max(axis=1))
    assert json.loads((run_dir / "checkpoint" / "state.json").read_text())["step"] == 20
    log = [json.loads(line) for line in (run_dir / "log.jsonl").read_text().splitlines()]
    assert log[-1]["message"] == "done" and "validation" in log[-1]["report"]


def test_training_resumes_from_the_checkpoint_without_rebuilding_the_bank(trained):
    from models.training.train import main as train_main

    run_dir = trained["run_dir"]
    shard = run_dir / "bank" / "train_0000.npz"
    stamp = shard.stat().st_mtime_ns
    config = write_config(trained["base"] / "more.toml", trained["root"], run_dir, steps=30)
    assert train_main(["--config", str(config), "--no-export"]) == 0
    assert json.loads((run_dir / "checkpoint" / "state.json").read_text())["step"] == 30
    assert shard.stat().st_mtime_ns == stamp
    messages = [json.loads(line)["message"] for line in (run_dir / "log.jsonl").read_text().splitlines()]
    assert "resuming from step 20" in messages


def test_a_bank_built_with_other_settings_is_refused(trained):
    from models.training.train import main as train_main

    config = write_config(trained["base"] / "other.toml", trained["root"], trained["run_dir"], steps=40, seed=9)
    with pytest.raises(RuntimeError, match="other settings"):
        train_main(["--config", str(config), "--no-export"])


def test_unknown_trainer_is_refused(tmp_path):
    from models.training.train import train_with_own_data

    with pytest.raises(ValueError, match="unknown trainer"):
        train_with_own_data({"trainer": "nope"}, print)


def _clips(n, length):
    """Served-size clips of the astronaut with a little brightness change over time."""
    crop = astronaut_crop(SIZE).astype(np.int16)
    return np.stack([np.stack([np.clip(crop + 3 * t - 5 * i, 0, 255) for t in range(length)])
                     for i in range(n)]).astype(np.uint8)


def test_exported_detector_matches_the_keras_model_after_calibration(trained):
    detector = registry.create("temporal", weights_dir=trained["export"])
    assert isinstance(detector, TemporalDetector)
    assert detector.max_frames == 8 and detector.input_size == SIZE
    clips = _clips(2, 8)
    features = detector.frame_features(clips)
    assert features.shape == (2, 8, EMBED_DIM + N_SIGNALS)
    assert np.allclose(features[0, :, EMBED_DIM:], frame_signals(clips[0]))
    model = tf.keras.models.load_model(trained["run_dir"] / "checkpoint" / "model.keras")
    raw = model([features, np.ones((2, 8), np.float32)], training=False)[0].numpy().reshape(-1)
    out = detector.predict(clips)
    assert np.allclose(out.scores, detector.calibration.apply(raw), atol=1e-4)
    assert out.curves.shape == (2, 8) and np.all((out.curves >= 0) & (out.curves <= 1))
    entry = json.loads((trained["export"] / "manifest.json").read_text())["temporal"]
    assert set(entry["validation"]) >= {"flicker_vs_real", "flicker_vs_smooth", "smooth_vs_real"}
    assert entry["fusion"]["method"] in ("frame_only", "max", "logistic")
    assert entry["bands"]["real_below"] <= entry["bands"]["fake_from"]


def test_served_features_are_the_frame_cnn_penultimate_layer(trained):
    from models.detectors.frame_cnn import build_frame_cnn
    from models.detectors.temporal import frame_embedder

    detector = registry.create("temporal", weights_dir=trained["export"])
    clips = _clips(1, 4)
    expected = frame_embedder(build_frame_cnn(None))(clips[0].astype(np.float32) / 127.5 - 1, training=False)
    assert np.allclose(detector.frame_features(clips)[0, :, :EMBED_DIM], expected.numpy(), atol=1e-3)


def test_served_short_tracks_score_like_padded_ones(trained):
    detector = registry.create("temporal", weights_dir=trained["export"])
    short = _clips(2, 5)
    padded = np.concatenate([short, _clips(2, 3)[:, ::-1]], axis=1)
    mask = np.array([[1] * 5 + [0] * 3] * 2)
    alone, within = detector.predict(short), detector.predict(padded, mask)
    assert np.allclose(alone.scores, within.scores, atol=1e-5)
    assert np.allclose(alone.curves, within.curves[:, :5], atol=1e-5) and np.all(within.curves[:, 5:] == 0)
    with pytest.raises(ValueError):
        detector.predict(_clips(1, 9))  # longer than the model's clips: the caller splits tracks


def write_video(path, frames):
    """RGB frames as an mp4v video."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (width, height))
    for frame in frames:
        writer.write(np.ascontiguousarray(frame[..., ::-1]))
    writer.release()


def test_evaluate_reports_each_detector_and_the_fusion_side_by_side(trained, tmp_path):
    from models.detectors.frame_cnn import build_frame_cnn
    from models.evaluation import evaluate
    from models.synth.paste import self_blend_in_frame
    from models.training.export import write_files

    weights = tmp_path / "weights"
    shutil.copytree(trained["export"], weights)
    write_files(build_frame_cnn(None), {"detector": "frame_cnn"},
                {"calibration": Calibration().to_dict(), "bands": {"real_below": 0.3, "fake_from": 0.6},
                 "parameters": 1, "validation": {}}, weights)
    image = data.astronaut()[:320, 40:360]
    keypoints = ASTRONAUT_KEYPOINTS - [40, 0]
    rng = np.random.default_rng(0)
    (tmp_path / "set" / "real" / "clips").mkdir(parents=True)
    (tmp_path / "set" / "fake" / "flicker").mkdir(parents=True)
    write_video(tmp_path / "set" / "real" / "clips" / "r.mp4", [np.roll(image, t, axis=1) for t in range(12)])
    write_video(tmp_path / "set" / "fake" / "flicker" / "f.mp4",
                [self_blend_in_frame(image, keypoints, rng) for _ in range(12)])
    cv2.imwrite(str(tmp_path / "set" / "real" / "clips" / "still.jpg"), image[..., ::-1])
    out = tmp_path / "out"
    assert evaluate.main([str(tmp_path / "set"), "--detectors", "frame_cnn,temporal", "--weights-dir", str(weights),
                          "--frames-per-video", "8", "--clip-frames", "4", "--out", str(out)]) == 0
    result = json.loads((out / "report.json").read_text())
    assert not result["errors"] and result["files"] == 3
    assert set(result["per_detector"]) == {"frame_cnn", "temporal"}
    assert result["per_detector"]["frame_cnn"]["frame_level"]["n_real"] == 8 + 1
    temporal = result["per_detector"]["temporal"]["video_level"]
    assert (temporal["n_real"], temporal["n_fake"]) == (1, 1)  # videos only
    assert result["fusion"]["video_level"]["n_real"] == 1 and result["fusion"]["config"]["method"]
    assert result["video_level"]["n_real"] == 1 and result["model"].keys() == {"frame_cnn", "temporal"}


def test_the_shipped_config_has_every_setting_the_trainer_reads(tmp_path):
    import tomllib

    from models.training.train_config import load_config

    shipped = load_config("temporal")
    tiny = tomllib.loads(write_config(tmp_path / "tiny.toml", tmp_path, tmp_path, steps=1).read_text())
    test_only = {"untrained_frame_cnn", "crop_size"}
    assert shipped["trainer"] == shipped["detector"] == "temporal"
    assert set(shipped) == set(tiny) - test_only
    assert shipped["clip_frames"] == 16 and len(shipped["val_videos"]) == 3


def test_training_refuses_to_start_without_the_frame_cnn_weights(tmp_path):
    from models.training.temporal_trainer import TemporalTrainer
    from models.training.train_config import load_config

    config = load_config("temporal", {"run_dir": str(tmp_path / "run"),
                                      "frame_cnn_weights": str(tmp_path / "missing.weights.h5")})
    with pytest.raises(FileNotFoundError, match="train the frame CNN first"):
        TemporalTrainer(config, print).run()
