"""The shipped detectors: files match their manifest, each has its model card, the frame CNN scores a real face."""
import json

import numpy as np
import pytest

from models.detectors import registry
from models.detectors.weights_manifest import WEIGHTS_DIR, sha256_file
from models.training.export import frame_version
from tests.models.fixtures import astronaut_crop


def entry(name: str = "frame_cnn"):
    return json.loads((WEIGHTS_DIR / "manifest.json").read_text())[name]


FRAME_CNNS = ["frame_cnn", "frame_cnn_generated"]


@pytest.mark.parametrize("name", FRAME_CNNS)
def test_shipped_files_match_their_sha256(name):
    e = entry(name)
    assert sha256_file(WEIGHTS_DIR / e["file"]) == e["sha256"]
    assert sha256_file(WEIGHTS_DIR / e["keras_weights"]) == e["keras_weights_sha256"]
    assert e["parameters"] == 653_937


@pytest.mark.parametrize("name", [*FRAME_CNNS, "blend_cnn", "generated_residual"])
def test_a_frame_detectors_version_is_made_from_its_shipped_files(name):
    # its config file counts: frame_cnn.config.json keeps its absolute paths until its weights change
    e = entry(name)
    config_text = (WEIGHTS_DIR / f"{name}.config.json").read_text()
    made = frame_version(e["sha256"], config_text, e["bands"], e.get("bands_with"), e.get("min_face_px", 0),
                         e.get("min_sharpness", 0.0), e.get("members"), e.get("views"))
    assert made == e["version"]


def test_the_generated_specialist_continued_the_shipped_frame_cnn():
    config = json.loads((WEIGHTS_DIR / "frame_cnn_generated.config.json").read_text())
    assert config["init_weights"] == "models/weights/frame_cnn.weights.h5" and config["mix"]["generated"] == 1.0
    start = "d82535a006883b5619fb334d273a2244f530fe7c405a57a915ef8320aac8ad44"  # recorded in its card
    assert entry("frame_cnn")["keras_weights_sha256"] == start
    assert start in (WEIGHTS_DIR / "MODEL_CARD.frame_cnn.md").read_text()


@pytest.mark.parametrize("name", FRAME_CNNS)
def test_bands_are_ordered_probabilities(name):
    e = entry(name)
    for bands in [e["bands"], *(p["bands"] for p in e.get("bands_with", {}).values())]:
        assert 0.0 <= bands["real_below"] <= bands["fake_from"] <= 1.0


@pytest.mark.parametrize("name", [*FRAME_CNNS, "hybrid_vit"])
def test_shipped_frame_detectors_score_a_batch_in_one_call(name):
    detector = registry.create(name)
    crops = np.stack([astronaut_crop(), astronaut_crop()[:, ::-1], np.full_like(astronaut_crop(), 128)])
    scores = detector.predict(crops)
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    assert abs(scores[0] - scores[1]) < 0.5  # a mirrored face is judged alike
    assert detector.version == entry(name)["version"]


def test_a_corrupted_weights_file_is_refused(tmp_path):
    import shutil

    from models.detectors.weights_manifest import WeightsMissing

    for name in ("manifest.json", entry()["file"]):
        shutil.copy(WEIGHTS_DIR / name, tmp_path / name)
    data = bytearray((tmp_path / entry()["file"]).read_bytes())
    data[1000] ^= 0xFF
    (tmp_path / entry()["file"]).write_bytes(bytes(data))
    with pytest.raises(WeightsMissing):
        registry.create("frame_cnn", weights_dir=tmp_path)


def test_every_shipped_detector_has_a_model_card_naming_its_files():
    manifest = json.loads((WEIGHTS_DIR / "manifest.json").read_text())
    for name, e in manifest.items():
        card = (WEIGHTS_DIR / f"MODEL_CARD.{CARDS.get(name, name)}.md").read_text()
        digests = [e["sha256"], e["keras_weights_sha256"], e.get("features_sha256")]
        assert all(d in card for d in digests if d), name
        assert e["version"] in card and f"{e['parameters']:,}" in card, name
        assert sha256_file(WEIGHTS_DIR / e["file"]) == e["sha256"], name
        assert sha256_file(WEIGHTS_DIR / e["keras_weights"]) == e["keras_weights_sha256"], name


# Detectors described in another's model card (the frame CNN's two specialists share one).
CARDS = {"frame_cnn_generated": "frame_cnn"}


def test_a_new_fusion_rule_is_a_new_temporal_version(tmp_path):
    import shutil

    from models.evaluation.fusion_choice import write_fusion
    from models.serving.fusion import FusionConfig

    weights = tmp_path / "weights"
    shutil.copytree(WEIGHTS_DIR, weights)
    shipped = registry.create("temporal", weights_dir=weights)
    rule = FusionConfig("frame_only", bands={"real_below": 0.2, "fake_from": 0.9})
    version = write_fusion(rule, {"frame_only": {"auc": 0.7}}, "a test", weights)
    reloaded = registry.create("temporal", weights_dir=weights)
    assert reloaded.fusion == rule and reloaded.version == version != shipped.version
    assert entry("temporal")["version"] == shipped.version  # the shipped manifest is untouched


@pytest.mark.parametrize("name", FRAME_CNNS)
def test_shipped_keras_weights_score_as_the_served_model(name):
    pytest.importorskip("tensorflow", reason="training extra (tensorflow) is part of the test install")
    from models.detectors.frame_cnn import build_frame_cnn
    from models.faces.align import resize_crops
    from models.training.export import predict_batched

    detector = registry.create(name)
    crops = np.stack([astronaut_crop(), astronaut_crop()[:, ::-1]])
    keras_model = build_frame_cnn(weights=WEIGHTS_DIR / entry(name)["keras_weights"])
    raw = predict_batched(keras_model, resize_crops(crops, detector.input_size))
    assert np.allclose(detector.calibration.apply(raw), detector.predict(crops), atol=1e-3)


def test_the_generated_face_detector_scores_regions_as_its_keras_weights_do():
    pytest.importorskip("tensorflow", reason="training extra (tensorflow) is part of the test install")
    from models.detectors.residual import build_residual_cnn, mean_logit_probability, region_patches
    from tests.helpers.media import astronaut_head

    detector = registry.create("generated_residual")
    regions = [astronaut_head(), astronaut_head()[20:150, 30:170], astronaut_head()[:40, :50]]
    model = build_residual_cnn(weights=WEIGHTS_DIR / entry("generated_residual")["keras_weights"])
    raw = mean_logit_probability(model.predict_on_batch(np.concatenate([region_patches(r) for r in regions])), 5)
    assert np.allclose(detector.calibration.apply(raw), detector.predict(regions), atol=1e-3)
    assert detector.version == entry("generated_residual")["version"] and detector.input_kind == "region"
    bands = entry("generated_residual")["bands"]
    assert 0.0 <= bands["real_below"] <= bands["fake_from"] <= 1.0


def test_the_generated_face_detector_does_not_flag_a_real_photo_or_its_plain_enlargement(face_assets_dir):
    import cv2
    from skimage import data

    from models.faces.detect import FaceDetector
    from models.faces.region import face_region

    image = data.astronaut()
    box = FaceDetector(face_assets_dir).detect(image)[0].box
    half = cv2.resize(image, (256, 256), interpolation=cv2.INTER_AREA)
    enlarged = [np.repeat(np.repeat(half, 2, 0), 2, 1), cv2.resize(half, (512, 512), interpolation=cv2.INTER_LINEAR)]
    detector = registry.create("generated_residual")
    scores = detector.predict([face_region(image, box)] + [face_region(e, box) for e in enlarged])
    assert np.all(scores < detector.bands.real_below)  # up-sampling alone is not what it calls generated


def test_the_blend_detector_serves_its_keras_classifier_head():
    pytest.importorskip("tensorflow", reason="training extra (tensorflow) is part of the test install")
    from models.detectors.blend_cnn import build_blend_cnn, served_view
    from models.faces.align import resize_crops, to_model_input

    detector = registry.create("blend_cnn")
    crops = np.stack([astronaut_crop(), astronaut_crop()[:, ::-1], np.full_like(astronaut_crop(), 128)])
    model = served_view(build_blend_cnn())  # the shipped Keras weights are the classifier's (no mask head)
    model.load_weights(str(WEIGHTS_DIR / entry("blend_cnn")["keras_weights"]))
    raw = np.asarray(model.predict_on_batch(to_model_input(resize_crops(crops, 128)))).reshape(-1)
    assert np.allclose(detector.calibration.apply(raw), detector.predict(crops), atol=1e-3)
    assert detector.version == entry("blend_cnn")["version"] and detector.input_kind == "aligned"


def test_the_default_sets_bands_were_chosen_for_its_members_at_their_versions():
    from companion.config import DEFAULTS
    from models.serving.frame_score import chosen_bands, frame_bands

    frame = [registry.create(n) for n in DEFAULTS["DETECTORS"] if n not in ("temporal", "temporal_residual")]
    chosen = chosen_bands(frame[0], frame[1:])
    assert chosen is not None and frame_bands(frame) == chosen
    stored = entry(frame[0].name)["bands_with"]["+".join(sorted(d.name for d in frame[1:]))]
    assert set(stored["bands_chosen_on"]["val_sources"]) >= {"aaf", "utkface", "web-faces"}
    assert all(s["flagged"] <= stored["bands_chosen_on"]["max_fpr"] for s in stored["bands_chosen_on"]["val_sources"].values())


@pytest.fixture(scope="module")
def talking_scene(face_assets_dir):
    """The astronaut's head on a grey canvas moved by a camera (a real-looking clip), its track as served,
    and the same clip with its mouth re-rendered frame by frame (the jaw of an animated copy pasted in)."""
    from models.faces.detect import FaceDetector
    from models.synth.talking import animate_still, lip_sync
    from models.training.talking_data import camera_clip, follow_face
    from tests.helpers.media import astronaut_head

    head = astronaut_head()
    canvas = np.full((head.shape[0] + 120, head.shape[1] + 160, 3), 120, np.uint8)
    canvas[60:60 + head.shape[0], 80:80 + head.shape[1]] = head
    detector = FaceDetector(face_assets_dir)
    source = camera_clip(canvas, np.random.default_rng(0), 16)
    track = follow_face(source, detector)
    talking = animate_still(canvas, track.keypoints[0], np.random.default_rng(1), 16)
    synced = lip_sync(source, track.keypoints, talking, np.stack([track.keypoints[0]] * 16), np.random.default_rng(2))
    return track, follow_face(synced, detector)


def test_a_clip_with_a_re_rendered_mouth_scores_higher_than_its_source(talking_scene):
    source, synced = talking_scene
    detector = registry.create("temporal_residual")
    scores = [detector.predict(t.crops[None], None, [t.regions]) for t in (source, synced)]
    assert scores[1].scores[0] > scores[0].scores[0]
    assert scores[1].mouth[0] > scores[0].mouth[0]


def test_the_synthetic_video_detector_serves_its_keras_weights():
    tf = pytest.importorskip("tensorflow", reason="training extra (tensorflow) is part of the test install")
    from models.detectors.temporal_residual import build_temporal_residual

    detector = registry.create("temporal_residual")
    e = entry("temporal_residual")
    # it carries its own copy of the residual CNN it was trained with: session 6's generated_residual,
    # where session 8's small-face fine-tune started (recorded in that card), so the fine-tune left it as it was
    session6 = "b4333757817d1c8aa2af95423e790507ba7c1e6e7fa773cf2804c7d9d96e68c8"
    assert e["residual_weights_sha256"] == session6 != entry("generated_residual")["keras_weights_sha256"]
    assert session6 in (WEIGHTS_DIR / "MODEL_CARD.generated_residual.md").read_text()
    assert sha256_file(WEIGHTS_DIR / e["features_file"]) == e["features_sha256"]
    model = build_temporal_residual()
    model.load_weights(str(WEIGHTS_DIR / e["keras_weights"]))
    rng = np.random.default_rng(0)
    features = rng.normal(0, 1, (3, detector.max_frames, model.inputs[0].shape[2])).astype(np.float32)
    mask = np.ones((3, detector.max_frames), np.float32)
    mask[1, 9:] = 0
    features *= mask[..., None]
    clip, _, mouth = (np.asarray(o).reshape(len(features), -1) for o in model([features, mask], training=False))
    served = detector.predict_features(features, mask)
    assert np.allclose(served.scores, detector.calibration.apply(clip[:, 0]), atol=2e-3)
    assert np.allclose(served.mouth, detector.mouth_calibration.apply(mouth[:, 0]), atol=2e-3)
    assert tf is not None
