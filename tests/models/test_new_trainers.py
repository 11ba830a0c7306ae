"""The generated-face and blend trainers: the same damage on both classes, resumable runs, exports
whose served scores match the Keras model."""
import json

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow", reason="training extra (tensorflow) is part of the test install")

from models.detectors import registry  # noqa: E402
from models.training import blend_trainer, residual_trainer, step_loop  # noqa: E402
from models.training.face_pools import FaceSample  # noqa: E402
from models.training.train_config import load_config  # noqa: E402
from models.synth.oval import Outline  # noqa: E402
from tests.helpers.media import astronaut_head  # noqa: E402
from tests.models.dataset_fixture import make_dataset  # noqa: E402


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("datasets"))


@pytest.fixture(scope="module")
def head_sample(face_assets_dir):
    from models.faces.detect import FaceDetector

    image = astronaut_head()
    face = FaceDetector(face_assets_dir).detect(image)[0]
    return image, face


def sample(image, face, label):
    return FaceSample(image.copy(), tuple(face.box), np.asarray(face.keypoints, float),
                      Outline.from_mesh(face.landmarks), "s", label, f"x{label}")


def spy_damage(monkeypatch, module, odds=None):
    """Record which contexts the trainer damages (by the label of the sample they came from), and
    with which extra odds (into `odds`, when given)."""
    seen = []
    real = module.photo_damage

    def spy(image, rng, **extra):
        seen.append(image)
        if odds is not None:
            odds.append(extra)
        return real(image, rng, **extra)

    monkeypatch.setattr(module, "photo_damage", spy)
    return seen


def test_residual_batches_damage_real_and_fake_faces_alike(monkeypatch, head_sample):
    image, face = head_sample
    real, fake = sample(image, face, 0), sample(image, face, 1)
    seen = spy_damage(monkeypatch, residual_trainer)
    x, y = residual_trainer.BalancedBatches([real], [fake]).batch(8, np.random.default_rng(0))
    assert x.shape == (8, 64, 64, 3) and list(y) == [0, 0, 0, 0, 1, 1, 1, 1]
    assert sum(s is real.context for s in seen) == 4 and sum(s is fake.context for s in seen) == 4


def test_blend_pairs_damage_the_real_and_its_fake_alike(monkeypatch, head_sample):
    image, face = head_sample
    a, b = sample(image, face, 0), sample(image[:, ::-1].copy(), face, 0)
    seen = spy_damage(monkeypatch, blend_trainer)
    batches = blend_trainer.PairBatches([a, b], power=0.5, size=64, swap_share=0.5)
    x, y = batches.batch(6, np.random.default_rng(1))
    assert x.shape == (6, 64, 64, 3) and -1.0 <= x.min() and x.max() <= 1.0
    assert list(y["prob"].ravel()) == [0, 1, 0, 1, 0, 1]
    assert y["mask"].shape == (6, 16, 16, 1) and y["mask"][0::2].max() == 0 and y["mask"][1::2].max() > 0.3
    reals = sum(any(s is c.context for c in (a, b)) for s in seen)
    assert len(seen) == 6 and reals == 3  # every real and every fake went through the damage once


def test_residual_batches_shrink_real_and_fake_faces_alike_to_small_faces(monkeypatch, head_sample):
    image, face = head_sample
    real, fake = sample(image, face, 0), sample(image, face, 1)
    shrunk_sides = {0: [], 1: []}
    original = residual_trainer.shrink_face

    def spy(context, box, sides, rng):
        out, scale = original(context, box, sides, rng)
        label = 0 if context is real.context else 1
        shrunk_sides[label].append(min(box[2], box[3]) * scale)
        return out, scale

    monkeypatch.setattr(residual_trainer, "shrink_face", spy)
    residual_trainer.BalancedBatches([real], [fake], small_odds=1.0).batch(8, np.random.default_rng(4))
    assert len(shrunk_sides[0]) == len(shrunk_sides[1]) == 4
    low, high = residual_trainer.SMALL_SIDES
    assert all(low - 1 <= side <= high + 1 for sides in shrunk_sides.values() for side in sides)
    residual_trainer.BalancedBatches([real], [fake]).batch(8, np.random.default_rng(4))  # odds 0: never shrunk
    assert len(shrunk_sides[0]) == 4


def test_residual_batches_grain_real_and_generated_faces_alike(monkeypatch, head_sample):
    image, face = head_sample
    real, fake = sample(image, face, 0), sample(image, face, 1)
    odds = []
    seen = spy_damage(monkeypatch, residual_trainer, odds)
    residual_trainer.BalancedBatches([real], [fake], grain_odds=0.3).batch(8, np.random.default_rng(5))
    by_label = {0: [o for s, o in zip(seen, odds) if s is real.context],
                1: [o for s, o in zip(seen, odds) if s is fake.context]}
    assert len(by_label[0]) == len(by_label[1]) == 4
    assert all(o == {"grainy": 0.3} for o in by_label[0] + by_label[1])
    config = load_config("generated_residual_grain")
    assert config["grain_odds"] > 0 and config["init_weights"].endswith("models/weights/generated_residual.weights.h5")


def test_a_shrunk_face_has_the_drawn_size_and_a_small_face_is_left_alone():
    from models.synth.degrade import shrink_face

    image = np.zeros((400, 300, 3), np.uint8)
    out, scale = shrink_face(image, (50, 50, 200, 220), (60, 80), np.random.default_rng(1))
    assert 60 <= 200 * scale <= 80.5 and out.shape[1] == round(300 * scale)
    same, one = shrink_face(image, (0, 0, 50, 50), (60, 80), np.random.default_rng(1))
    assert same is image and one == 1.0


def test_the_small_face_fine_tune_starts_from_the_shipped_generated_face_detector():
    from models.detectors.residual import build_residual_cnn

    config = load_config("generated_residual_small")
    assert config["init_weights"].endswith("models/weights/generated_residual.weights.h5") and config["small_odds"] > 0
    lines = []
    model = residual_trainer.warm_started(build_residual_cnn(tuple(config["widths"])), config, log_to(lines))
    shipped = build_residual_cnn(tuple(config["widths"]))
    shipped.load_weights(config["init_weights"])
    x = np.random.default_rng(0).normal(0, 0.3, (3, 64, 64, 3)).astype(np.float32)
    assert np.allclose(model.predict_on_batch(x), shipped.predict_on_batch(x), atol=1e-5)
    assert lines == [f"starting from {config['init_weights']}"]


def test_blend_pairs_give_the_configured_grades_blow_ups_and_blurs_to_both_sides(monkeypatch, head_sample):
    image, face = head_sample
    a, b = sample(image, face, 0), sample(image[:, ::-1].copy(), face, 0)
    odds = []
    seen = spy_damage(monkeypatch, blend_trainer, odds)
    damage = blend_trainer.damage_odds({"tone_odds": 0.4, "upscale_odds": 0.2, "blur_odds": 0.3})
    assert damage == {"tone": 0.4, "upscaled": 0.2, "blurred": 0.3, "focus": 0.0, "grainy": 0.0, "smooth": 0.0,
                      "sharp": 0.0, "tight": 0.0, "rendered": 0.0}
    # older configs: as trained then
    assert blend_trainer.damage_odds({}) == {"tone": 0.0, "upscaled": 0.0, "blurred": 0.0, "focus": 0.0,
                                             "grainy": 0.0, "smooth": 0.0, "sharp": 0.0, "tight": 0.0,
                                             "rendered": 0.0}
    blend_trainer.PairBatches([a, b], power=0.5, size=64, swap_share=0.5, damage=damage).batch(
        4, np.random.default_rng(2))
    reals = [o for s, o in zip(seen, odds) if any(s is c.context for c in (a, b))]
    fakes = [o for s, o in zip(seen, odds) if not any(s is c.context for c in (a, b))]
    side = min(face.box[2], face.box[3])
    expected = {"tone": 0.4, "upscaled": 0.2, "blurred": 0.3, "focus": 0.0, "grainy": 0.0, "smooth": 0.0,
                "sharp": 0.0, "face_side": side,
                "face_box": tuple(float(v) for v in face.box)}
    assert len(reals) == len(fakes) == 2 and all(o == expected for o in reals + fakes)


def test_blend_pairs_cut_both_sides_tight_and_keep_the_face_aligned(monkeypatch, head_sample):
    image, face = head_sample
    a = sample(image, face, 0)
    shapes = []

    boxes = []

    def no_damage(img, rng, **extra):
        shapes.append(img.shape[:2])
        boxes.append((img, extra["face_box"]))
        return img, 1.0

    monkeypatch.setattr(blend_trainer, "photo_damage", no_damage)
    damage = blend_trainer.damage_odds({"tight_odds": 1.0})
    assert damage["tight"] == 1.0
    uncut, _ = blend_trainer.aligned(a.context, a, 1.0, 128)
    for seed in range(4):
        real, fake, mask = blend_trainer.make_pair(a, a, np.random.default_rng(seed), 128, 0.0, damage=damage)
        assert mask.max() > 0.3  # the blend survives the cut
        middle = slice(40, 88)
        flipped = real[:, ::-1] if not np.allclose(real[middle, middle], uncut[middle, middle], atol=2) else real
        assert np.abs(flipped[middle, middle].astype(int) - uncut[middle, middle]).mean() < 2.0
        assert not np.array_equal(flipped, uncut)  # the cut border shows at the crop's edge
    assert len(shapes) == 8 and all(h < a.context.shape[0] and w < a.context.shape[1] for h, w in shapes)
    for img, (x, y, w, h) in boxes:  # the face box moved with the cut: the same face, at its new place
        assert (w, h) == (float(a.box[2]), float(a.box[3]))
        # a tight cut is centred on the face (shifted up to a tenth of it, clipped at the photo's edge)
        assert abs(x + w / 2 - img.shape[1] / 2) < 0.3 * w and abs(y + h / 2 - img.shape[0] / 2) < 0.3 * h


def test_a_tight_window_holds_the_face_and_stays_inside_the_image():
    from models.synth.degrade import tight_window

    rng = np.random.default_rng(0)
    for _ in range(200):
        box = (float(rng.uniform(0, 300)), float(rng.uniform(0, 300)), float(rng.uniform(20, 200)),
               float(rng.uniform(20, 200)))
        left, top, right, bottom = tight_window(box, (500, 500), rng)
        assert 0 <= left < right <= 500 and 0 <= top < bottom <= 500
        cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
        assert left <= cx <= right and top <= cy <= bottom
        assert right - left <= 1.5 * box[2] + 1 and bottom - top <= 1.5 * box[3] + 1
        inside = min(box[0] + box[2], 500) - max(box[0], 0)
        assert right - left >= min(0.8 * box[2], inside) - 1  # at least the face, less the shift


def tiny(root, tmp_path, name, **extra):
    return load_config(name, {"data_root": str(root), "run_dir": str(tmp_path / "runs" / name), "steps": 2,
                              "checkpoint_every": 1, "batch": 4, "choose_fraction": 0.5, "frames_per_clip": 2,
                              "band_clip_fraction": 0.5, "export": False, **extra})


def log_to(lines):
    return lambda message, **fields: lines.append(message)


def served_matches_keras(run_dir, name, inputs_fn, keras_fn):
    """The exported .tflite, loaded by the registry, scores as the calibrated Keras model."""
    export = run_dir / "export"
    manifest = json.loads((export / "manifest.json").read_text())[name]
    detector = registry.create(name, weights_dir=export)
    served = detector.predict(inputs_fn())
    from models.detectors.calibration import Calibration

    expected = Calibration.from_dict(manifest["calibration"]).apply(keras_fn())
    assert np.allclose(served, expected, atol=2e-3)
    assert manifest["bands"]["real_below"] <= manifest["bands"]["fake_from"]


def test_residual_training_resumes_and_exports_a_served_detector(root, tmp_path, face_assets_dir):
    config = tiny(root, tmp_path, "generated_residual", widths=[4, 8, 8])
    lines = []
    residual_trainer.train(config, log_to(lines))
    assert any(l.startswith("step 2:") for l in lines)
    more = []
    residual_trainer.train({**config, "steps": 3}, log_to(more))
    assert more[1] == "resumed at step 2" and any(l.startswith("step 3:") for l in more)
    assert not any(l.startswith("step 1:") for l in more)
    from models.detectors.residual import mean_logit_probability, region_patches

    run_dir = tmp_path / "runs" / "generated_residual"
    model = tf.keras.models.load_model(run_dir / "best" / "model.keras")
    regions = [astronaut_head(), astronaut_head()[10:80, 20:90]]
    keras_raw = lambda: mean_logit_probability(  # noqa: E731
        model.predict_on_batch(np.concatenate([region_patches(r) for r in regions])).reshape(-1), 5)
    served_matches_keras(run_dir, "generated_residual", lambda: regions, keras_raw)


def test_blend_training_exports_the_classifier_head_as_served(root, tmp_path, face_assets_dir):
    config = tiny(root, tmp_path, "blend_cnn", widths=[4, 8, 8, 8], choose_pairs=4, input_size=64)
    lines = []
    blend_trainer.train(config, log_to(lines))
    assert any(l.startswith("best checkpoint") for l in lines)
    from models.faces.align import resize_crops, to_model_input
    from tests.models.fixtures import astronaut_crop

    run_dir = tmp_path / "runs" / "blend_cnn"
    model = tf.keras.models.load_model(run_dir / "best" / "model.keras")
    crops = np.stack([astronaut_crop(), astronaut_crop()[:, ::-1]])
    keras_raw = lambda: np.asarray(  # noqa: E731
        model.predict_on_batch(to_model_input(resize_crops(crops, 64)))["prob"]).reshape(-1)
    served_matches_keras(run_dir, "blend_cnn", lambda: crops, keras_raw)


def test_the_learning_rate_holds_then_decays_by_cosine_to_its_final_value():
    config = {"learning_rate": 1e-3, "steps": 300, "decay_from": 100, "lr_final": 1e-4}
    assert step_loop.learning_rate_at(0, config) == step_loop.learning_rate_at(99, config) == 1e-3
    assert step_loop.learning_rate_at(200, config) == pytest.approx(5.5e-4)
    assert step_loop.learning_rate_at(300, config) == pytest.approx(1e-4)
    assert step_loop.learning_rate_at(50, {"learning_rate": 1e-3, "steps": 300}) == 1e-3


def test_the_blend_fine_tune_starts_from_the_shipped_classifier_and_a_fresh_mask_head(root, tmp_path):
    from models.detectors.blend_cnn import build_blend_cnn, served_view
    from models.faces.align import resize_crops, to_model_input
    from tests.models.fixtures import astronaut_crop

    config = load_config("blend_cnn_tuned")
    assert config["init_weights"].endswith("models/weights/blend_cnn.weights.h5")
    assert config["tone_odds"] > 0 and config["upscale_odds"] > 0
    lines = []
    size, widths = int(config["input_size"]), tuple(config["widths"])
    model = blend_trainer.warm_started(build_blend_cnn(size, widths), config, log_to(lines))
    shipped = served_view(build_blend_cnn(size, widths))
    shipped.load_weights(config["init_weights"])
    x = to_model_input(resize_crops(np.stack([astronaut_crop(), astronaut_crop()[:, ::-1]]), size))
    assert np.allclose(np.asarray(served_view(model).predict_on_batch(x)), np.asarray(shipped.predict_on_batch(x)),
                       atol=1e-5)
    assert set(model.predict_on_batch(x)) == {"prob", "mask"} and lines == [f"starting from {config['init_weights']}"]
    untouched = blend_trainer.warm_started(build_blend_cnn(size, widths), {}, log_to(lines))
    assert not np.allclose(np.asarray(served_view(untouched).predict_on_batch(x)),
                           np.asarray(shipped.predict_on_batch(x)), atol=1e-3)


def test_an_ensemble_member_starts_from_other_weights_than_the_first_network():
    config = load_config("blend_cnn_b")
    assert config["init_seed"] != 0 and "init_weights" not in config  # from scratch, drawn apart
    small = {"widths": [4, 8, 8, 8]}

    def kernels(extra: dict) -> list:  # the seeded 3x3 convolutions (the heads draw their own)
        return [w for w in blend_trainer.fresh_model({**small, **extra}, 64).get_weights() if w.shape[:2] == (3, 3)]

    first, again, other = kernels({}), kernels({"init_seed": 0}), kernels({"init_seed": int(config["init_seed"])})
    assert len(first) == 7 and all(np.array_equal(a, b) for a, b in zip(first, again))  # unnamed is seed 0
    assert not any(np.allclose(a, b) for a, b in zip(first, other))


def test_blend_pairs_render_the_pasted_face_of_fakes_only_at_the_configured_odds(monkeypatch, head_sample):
    image, face = head_sample
    a, b = sample(image, face, 0), sample(image[:, ::-1].copy(), face, 0)
    asked = []
    for name in ("self_blend_oval", "swap_oval"):
        made = getattr(blend_trainer, name)

        def spy(*args, rendered=0.0, _made=made, **kwargs):
            asked.append(rendered)
            return _made(*args, rendered=rendered, **kwargs)

        monkeypatch.setattr(blend_trainer, name, spy)
    odds = []
    spy_damage(monkeypatch, blend_trainer, odds)
    damage = blend_trainer.damage_odds({"render_odds": 0.35, "tone_odds": 0.4})
    assert damage["rendered"] == 0.35
    blend_trainer.PairBatches([a, b], power=0.5, size=64, swap_share=0.5, damage=damage).batch(
        8, np.random.default_rng(3))
    assert asked == [0.35] * 4  # one fake per pair, each asked to render at the configured odds
    assert len(odds) == 8 and all("rendered" not in o for o in odds)  # never part of the shared damage


def test_hard_reals_are_the_top_share_of_the_starting_scores():
    from models.training.hard_reals import boosted

    assert list(boosted(np.array([0.1, 0.9, 0.5, 0.95]), share=0.5, boost=4.0)) == [1.0, 4.0, 1.0, 4.0]
    assert list(boosted(np.array([0.2, 0.2, 0.2]), share=0.1, boost=3.0)) == [3.0, 3.0, 3.0]  # ties at the cut
    for share, boost in ((0.0, 2.0), (1.0, 2.0), (0.2, 0.5)):
        with pytest.raises(ValueError):
            boosted(np.array([0.1, 0.2]), share, boost)


def test_a_boosted_real_is_drawn_boost_times_as_often(head_sample):
    image, face = head_sample
    a, b = sample(image, face, 0), sample(image[:, ::-1].copy(), face, 0)
    batches = blend_trainer.PairBatches([a, b], power=0.5, size=64, swap_share=0.5, boost=np.array([1.0, 9.0]))
    assert np.allclose(batches.p, [0.1, 0.9])
    plain = blend_trainer.PairBatches([a, b], power=0.5, size=64, swap_share=0.5)
    assert np.allclose(plain.p, [0.5, 0.5])


def test_the_hard_real_ranking_comes_from_the_starting_weights_and_is_kept_for_a_resumed_run(
        tmp_path, head_sample):
    image, face = head_sample
    reals = [sample(image, face, 0), sample(image[:, ::-1].copy(), face, 0), sample(image[::2, ::2].copy(), face, 0)]
    reals[1].path, reals[2].path = "flipped", "halved"
    config = {"run_dir": str(tmp_path / "run"), "widths": [4, 8, 8, 8], "seed": 1}
    lines = []
    assert blend_trainer.hard_real_boost(config, reals, 64, lines.append) is None  # not asked: as before
    config.update(hard_real_share=0.34, hard_real_boost=5.0)
    with pytest.raises(ValueError):  # no starting weights, no ranking
        blend_trainer.hard_real_boost(config, reals, 64, lines.append)
    start = tmp_path / "start.weights.h5"
    from models.detectors.blend_cnn import build_blend_cnn, served_view

    served_view(build_blend_cnn(64, (4, 8, 8, 8))).save_weights(start)
    config["init_weights"] = str(start)
    first = blend_trainer.hard_real_boost(config, reals, 64, lines.append)
    assert sorted(first) == [1.0, 1.0, 5.0]
    kept = json.loads((tmp_path / "run" / "hard_reals.json").read_text())
    assert kept["names"] == ["x0", "flipped", "halved"] and len(kept["scores"]) == 3
    assert int(np.argmax(kept["scores"])) == int(np.argmax(first))  # the highest score is the boosted one
    again = blend_trainer.hard_real_boost(config, reals, 64, lines.append)
    assert list(again) == list(first) and any("read from" in line for line in lines)


def test_the_hard_reals_ranking_is_made_again_when_the_reals_change(tmp_path):
    from models.training.hard_reals import starting_scores

    calls = []

    def score():
        calls.append(1)
        return np.array([0.0, 1.0]) * len(calls)

    assert list(starting_scores(tmp_path, ["a", "b"], score, print)) == [0.0, 1.0]
    assert list(starting_scores(tmp_path, ["a", "b"], score, print)) == [0.0, 1.0] and len(calls) == 1
    assert list(starting_scores(tmp_path, ["a", "c"], score, print)) == [0.0, 2.0] and len(calls) == 2
    with pytest.raises(ValueError):  # one score per face, or no ranking
        starting_scores(tmp_path, ["a", "b", "c"], score, print)
