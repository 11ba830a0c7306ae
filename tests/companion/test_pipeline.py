"""The analysis pipeline with the real face detector and the shipped detector weights."""
from __future__ import annotations

import hashlib
import time

import cv2
import numpy as np
import pytest
import requests
from skimage import data

from companion.cli_scan import local_media
from companion.config import DEFAULTS
from companion.errors import TooLarge, Undecodable, UnmaskError
from companion.pipeline import STAGES, FrameUpload, analyze_media, load_detectors, load_face_detector, split_detectors
from models.serving.aggregate import box_iou
from tests.helpers.media import make_face_video, make_jpeg_bytes, make_long_video

FACE_VERDICTS = {"likely_fake", "inconclusive", "likely_real"}
# Where the astronaut's face is in skimage.data.astronaut() (x, y, w, h), measured by eye.
ASTRONAUT_FACE = (175.0, 75.0, 100.0, 100.0)


@pytest.fixture
def config() -> dict:
    """Default settings with the shipped weights and face models, the frame CNN alone (videos as spread-out frames)."""
    return {**DEFAULTS, "DETECTORS": ["frame_cnn"]}


@pytest.fixture
def detectors(config):
    """The shipped detectors (loaded once per process by companion.detectors)."""
    return load_detectors(config)


def write_rgb(path, image, quality=95):
    """Write an RGB image (JPEG or PNG by suffix) and return the path."""
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return path


def head_patch(side=240, mirror=False):
    """The astronaut's head (face about 100 px wide at side 240), optionally mirrored."""
    patch = cv2.resize(data.astronaut()[20:260, 110:350], (side, side), interpolation=cv2.INTER_AREA)
    return patch[:, ::-1].copy() if mirror else patch


def write_two_person_video(path, n_frames=30, fps=10, size=(960, 540)):
    """An 'mp4v' video: two heads, one drifting right on the left, one drifting left on the right."""
    width, height = size
    left, right = head_patch(), head_patch(mirror=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    assert writer.isOpened()
    for i in range(n_frames):
        frame = np.full((height, width, 3), 90, dtype=np.uint8)
        frame[150:390, 40 + i:280 + i] = left
        frame[150:390, 680 - i:920 - i] = right
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def check_result_shape(result: dict) -> None:
    """The keys and types of the API contract's result."""
    assert {"verdict", "score", "faces", "detectors", "model", "media", "timings"} <= set(result)
    assert set(result["timings"]) == set(STAGES)
    assert all(value >= 0 for value in result["timings"].values())
    assert set(result["media"]) == {"sha256", "kind", "width", "height", "duration", "frames_analyzed"}
    assert set(result["model"]) == {"name", "version"}
    for face in result["faces"]:
        assert set(face) == {"id", "box", "score", "frames", "too_small", "too_blurred", "brief", "thumbnail", "weak"}
        assert len(face["box"]) == 4


# ---------------------------------------------------------------- images


def test_astronaut_photo_has_one_scored_face(tmp_path, config, detectors):
    path = write_rgb(tmp_path / "astronaut.jpg", data.astronaut())
    media = local_media(path)
    result = analyze_media(media, config)
    check_result_shape(result)
    assert result["media"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert result["media"]["kind"] == "image"
    assert (result["media"]["width"], result["media"]["height"]) == (512, 512)
    assert result["media"]["frames_analyzed"] == 1
    assert "frames" not in result
    [face] = result["faces"]
    assert face["too_small"] is False and face["frames"] == [0]
    assert box_iou(face["box"], ASTRONAUT_FACE) > 0.5
    assert 0.0 <= face["score"] <= 1.0
    assert result["score"] == face["score"]
    assert result["verdict"] in FACE_VERDICTS
    assert result["verdict"] == detectors[0].bands.verdict(result["score"])
    assert result["detectors"] == {"frame_cnn": face["score"]}
    assert result["model"] == {"name": "frame_cnn", "version": detectors[0].version}


def test_score_is_the_detectors_calibrated_probability_of_the_aligned_crop(tmp_path, config, detectors):
    from models.faces.align import align_face

    image = data.astronaut()
    [face] = load_face_detector(config).detect(image)
    expected = float(detectors[0].predict(align_face(image, face.keypoints)[0][None])[0])
    result = analyze_media(local_media(write_rgb(tmp_path / "a.png", image)), config)
    assert result["score"] == pytest.approx(expected, abs=1e-4)


def test_the_default_set_scores_a_face_by_its_most_alarmed_detector_against_its_own_bands(tmp_path):
    from models.serving.frame_score import anchors_of, combine, frame_bands

    config = {**DEFAULTS, "DETECTORS": [n for n in DEFAULTS["DETECTORS"] if n not in ("temporal", "temporal_residual")]}
    members = load_detectors(config)
    assert len(members) >= 2
    path = write_rgb(tmp_path / "astronaut.jpg", data.astronaut())
    result = analyze_media(local_media(path), config)
    [face] = result["faces"]
    assert set(result["detectors"]) == {d.name for d in members}
    expected = combine(result["detectors"], anchors_of(members))
    assert face["score"] == pytest.approx(expected, abs=1e-4) and result["score"] == face["score"]
    assert result["verdict"] == frame_bands(members).verdict(result["score"])
    # the members' bands differ, so this is not their plain highest probability unless that one is the reference
    first = min(result["detectors"])
    if max(result["detectors"], key=result["detectors"].get) != first:
        assert result["score"] != pytest.approx(max(result["detectors"].values()), abs=1e-4)


@pytest.mark.parametrize("image", [data.coffee(), np.full((300, 400, 3), 128, dtype=np.uint8)],
                         ids=["coffee", "flat"])
def test_picture_without_face_is_no_face(tmp_path, config, detectors, image):
    result = analyze_media(local_media(write_rgb(tmp_path / "x.png", image)), config)
    check_result_shape(result)
    assert result["verdict"] == "no_face"
    assert result["score"] is None
    assert result["faces"] == []
    assert result["detectors"] == {"frame_cnn": None}


def test_face_below_min_face_px_is_reported_not_scored(tmp_path, config, detectors):
    config["MIN_FACE_PX"] = 150  # the astronaut's face is about 100 px
    result = analyze_media(local_media(write_rgb(tmp_path / "a.jpg", data.astronaut())), config)
    assert result["verdict"] == "no_face"
    [face] = result["faces"]
    assert face["too_small"] is True and face["score"] is None


def shipped_pair_copy(folder):
    """The default frame detectors' shipped files copied into `folder` (its manifest may then be rewritten)."""
    import shutil

    from models.detectors.weights_manifest import WEIGHTS_DIR, read_manifest

    folder.mkdir()
    manifest = read_manifest()
    pair = ["blend_cnn", "generated_residual"]
    for name in pair:
        for file in (manifest[name]["file"], f"{name}.config.json"):
            shutil.copy(WEIGHTS_DIR / file, folder / file)
    shutil.copy(WEIGHTS_DIR / "manifest.json", folder / "manifest.json")
    return pair


def test_a_face_smaller_than_a_detector_judges_is_left_to_the_others_then_reported_too_small(tmp_path):
    import shutil

    from models.evaluation.band_choice import write_min_face

    weights = tmp_path / "weights"
    pair = shipped_pair_copy(weights)
    config = {**DEFAULTS, "DETECTORS": pair, "WEIGHTS_DIR": str(weights)}
    path = write_rgb(tmp_path / "astronaut.jpg", data.astronaut())  # a face of about 100 px
    alone = analyze_media(local_media(path), {**config, "DETECTORS": ["blend_cnn"]})
    write_min_face("generated_residual", 150, {}, weights)
    result = analyze_media(local_media(path), config)
    assert result["detectors"]["generated_residual"] is None
    assert result["detectors"]["blend_cnn"] == pytest.approx(alone["score"], abs=1e-4)
    assert result["score"] == pytest.approx(alone["score"], abs=1e-4)  # blend_cnn's scale is the set's
    smaller = shutil.copytree(weights, tmp_path / "smaller")  # a new folder: loaded detectors are cached by folder
    write_min_face("blend_cnn", 150, {}, smaller)
    result = analyze_media(local_media(path), {**config, "WEIGHTS_DIR": str(smaller)})
    assert result["verdict"] == "no_face"
    [face] = result["faces"]
    assert face["too_small"] is True and face["score"] is None


def test_a_face_too_blurred_for_a_detector_is_left_to_the_others_then_reported_too_blurred(tmp_path):
    import shutil

    import cv2

    from models.evaluation.band_choice import write_min_sharpness

    weights = tmp_path / "weights"
    pair = shipped_pair_copy(weights)
    for name in pair:  # every test starts from no sharpness gate, whatever the shipped one
        write_min_sharpness(name, 0.0, {}, weights)
    config = {**DEFAULTS, "DETECTORS": pair, "WEIGHTS_DIR": str(weights)}
    soft = cv2.GaussianBlur(data.astronaut(), (0, 0), 2.0)  # out of focus: the face keeps its shape only
    path = write_rgb(tmp_path / "soft.png", soft)
    before = analyze_media(local_media(path), config)
    assert before["faces"][0]["score"] is not None and before["faces"][0]["too_blurred"] is False
    from models.faces.detect import FaceDetector
    from models.serving.analysis import find_faces

    [soft_face], _ = find_faces([soft], FaceDetector(), 64)
    [sharp_face], _ = find_faces([data.astronaut()], FaceDetector(), 64)
    assert sharp_face["sharpness"] > 2 * soft_face["sharpness"]
    floor = (sharp_face["sharpness"] * soft_face["sharpness"]) ** 0.5  # between the two
    gated = shutil.copytree(weights, tmp_path / "gated")  # a new folder: loaded detectors are cached by folder
    write_min_sharpness("blend_cnn", floor, {}, gated)
    result = analyze_media(local_media(path), {**config, "WEIGHTS_DIR": str(gated)})
    assert result["detectors"]["blend_cnn"] is None and result["detectors"]["generated_residual"] is not None
    both = shutil.copytree(gated, tmp_path / "both")
    write_min_sharpness("generated_residual", floor, {}, both)
    result = analyze_media(local_media(path), {**config, "WEIGHTS_DIR": str(both)})
    assert result["verdict"] == "no_face" and result["score"] is None
    [face] = result["faces"]
    assert face["too_blurred"] is True and face["too_small"] is False and face["score"] is None
    sharp = analyze_media(local_media(write_rgb(tmp_path / "sharp.png", data.astronaut())),
                          {**config, "WEIGHTS_DIR": str(both)})
    assert sharp["faces"][0]["too_blurred"] is False and sharp["detectors"]["blend_cnn"] is not None


def test_config_thresholds_override_model_bands(tmp_path, config, detectors):
    media = local_media(write_rgb(tmp_path / "a.jpg", data.astronaut()))
    config.update(THRESHOLD_REAL=0.0, THRESHOLD_FAKE=0.0)  # every score is >= 0: always likely_fake
    assert analyze_media(media, config)["verdict"] == "likely_fake"
    config.update(THRESHOLD_REAL=1.0, THRESHOLD_FAKE=1.0)
    result = analyze_media(media, config)
    assert result["verdict"] == ("likely_fake" if result["score"] >= 1.0 else "likely_real")


def test_corrupt_image_is_undecodable(tmp_path, config, detectors):
    path = tmp_path / "broken.jpg"
    path.write_bytes(make_jpeg_bytes(data.astronaut())[:300])
    with pytest.raises(Undecodable, match=".") as error:
        analyze_media(local_media(path), config)
    assert error.value.code == "undecodable_image"


def test_image_over_the_pixel_limit_is_too_large(tmp_path, config, detectors):
    config["MAX_IMAGE_PIXELS"] = 100 * 100
    with pytest.raises(TooLarge, match=".") as error:
        analyze_media(local_media(write_rgb(tmp_path / "a.jpg", data.astronaut())), config)
    assert error.value.code == "image_too_large"


# ---------------------------------------------------------------- videos and frames


def test_video_has_a_frame_timeline_and_two_people(tmp_path, config, detectors):
    config["FRAMES_PER_VIDEO"] = 8
    path = write_two_person_video(tmp_path / "two.mp4")
    result = analyze_media(local_media(path), config)
    check_result_shape(result)
    media = result["media"]
    assert media["kind"] == "video" and media["frames_analyzed"] == 8
    assert (media["width"], media["height"]) == (960, 540)
    assert media["duration"] == pytest.approx(3.0, abs=0.2)
    timeline = result["frames"]
    assert len(timeline) == 8
    stamps = [f["timestamp"] for f in timeline]
    assert stamps == sorted(stamps) and len(set(stamps)) == 8
    assert all(f["score"] is not None for f in timeline)
    people = [f for f in result["faces"] if not f["too_small"]]
    assert len(people) == 2
    indices = [f["index"] for f in timeline]
    for person in people:
        assert person["frames"] == indices  # each head is in every sampled frame
    assert {p["box"][0] < 480 for p in people} == {True, False}  # one on each side
    assert result["score"] == max(p["score"] for p in people)
    # a person's score is a mean of their best frames: never above the best frame's score
    assert result["score"] <= max(f["score"] for f in timeline) + 1e-4


def test_moving_face_video_is_one_person_in_every_frame(tmp_path, config, detectors):
    path = make_face_video(tmp_path / "face.mp4", seconds=4.0, fps=25.0)
    result = analyze_media(local_media(path), config)
    timeline = result["frames"]
    assert len(timeline) == config["FRAMES_PER_VIDEO"] == result["media"]["frames_analyzed"]
    stamps = [f["timestamp"] for f in timeline]
    assert all(a < b for a, b in zip(stamps, stamps[1:]))
    assert stamps[-1] < 4.0
    [person] = result["faces"]
    assert person["frames"] == [f["index"] for f in timeline]
    assert result["verdict"] in FACE_VERDICTS


def test_video_longer_than_the_limit_is_too_large(tmp_path, config, detectors):
    config["VIDEO_MAX_DURATION_S"] = 60
    with pytest.raises(TooLarge, match=".") as error:
        analyze_media(local_media(make_long_video(tmp_path / "long.mp4", seconds=120)), config)
    assert error.value.code == "video_too_long"


def test_uploaded_frames_are_used_as_they_are(config, detectors):
    frames = [FrameUpload(make_jpeg_bytes(data.astronaut()), 1.25),
              FrameUpload(make_jpeg_bytes(data.coffee()), 2.5),
              FrameUpload(make_jpeg_bytes(np.roll(data.astronaut(), 12, axis=1)), 3.75)]
    result = analyze_media(frames, config)
    check_result_shape(result)
    assert result["media"]["kind"] == "frames"
    assert result["media"]["frames_analyzed"] == 3
    assert result["media"]["duration"] == pytest.approx(2.5)
    assert [(f["index"], f["timestamp"]) for f in result["frames"]] == [(0, 1.25), (1, 2.5), (2, 3.75)]
    assert result["frames"][1]["score"] is None  # the coffee cup
    [person] = result["faces"]
    assert person["frames"] == [0, 2]
    assert result["verdict"] in FACE_VERDICTS


def test_frames_as_mappings_are_accepted(config, detectors):
    frames = [{"data": make_jpeg_bytes(data.astronaut()), "timestamp": 0.0}]
    assert analyze_media(frames, config)["media"]["kind"] == "frames"


def test_truncated_video_is_undecodable(tmp_path, config, detectors):
    good = write_two_person_video(tmp_path / "good.mp4")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(good.read_bytes()[:2000])
    with pytest.raises(Undecodable, match=".") as error:
        analyze_media(local_media(broken), config)
    assert error.value.code == "undecodable_video"


# ---------------------------------------------------------------- progress, batching, errors


def test_progress_fractions_increase_through_the_stages(tmp_path, config, detectors):
    config["FRAMES_PER_VIDEO"] = 4
    calls = []
    analyze_media(local_media(write_two_person_video(tmp_path / "v.mp4")), config,
                  lambda fraction, stage: calls.append((fraction, stage)))
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    stages = [s for _, s in calls]
    for stage in ("decode", "faces", "detect", "aggregate"):
        assert stage in stages
    assert stages.index("decode") < stages.index("faces") < stages.index("detect") < stages.index("aggregate")
    assert stages.count("faces") >= 4  # one step per frame


class CountingDetector:
    """Wraps a real detector and records the size of each predict call."""

    def __init__(self, inner):
        """Wrap `inner`, copying its name, version and bands."""
        self.inner, self.calls = inner, []
        self.name, self.version, self.bands = inner.name, inner.version, inner.bands

    def predict(self, crops):
        """Record the batch size, then score with the real detector."""
        self.calls.append(len(crops))
        return self.inner.predict(crops)


def test_one_batched_predict_call_per_detector(tmp_path, config, detectors):
    config["FRAMES_PER_VIDEO"] = 6
    counting = CountingDetector(detectors[0])
    result = analyze_media(local_media(write_two_person_video(tmp_path / "v.mp4")), config,
                           detectors=[counting])
    scored = sum(len(p["frames"]) for p in result["faces"] if not p["too_small"])
    assert counting.calls == [scored]
    assert scored == 12  # two people in six frames


def test_missing_weights_is_a_typed_error_not_a_verdict(tmp_path, config):
    config["WEIGHTS_DIR"] = tmp_path / "no-weights"
    path = write_rgb(tmp_path / "a.jpg", data.astronaut())
    with pytest.raises(UnmaskError) as caught:
        analyze_media(local_media(path), config)
    assert caught.value.code == "model_missing"
    assert caught.value.status == 503


def test_missing_face_models_is_a_typed_error(tmp_path, config, detectors):
    config["FACE_ASSETS_DIR"] = tmp_path / "no-face-models"
    with pytest.raises(UnmaskError) as caught:
        analyze_media([FrameUpload(make_jpeg_bytes(data.astronaut()), 0.0)], config)
    assert caught.value.code == "model_missing"


# ---------------------------------------------------------------- through a real server


def wait_done(server, analysis_id, timeout=60.0) -> dict:
    """Poll GET /v1/analyses/<id> until it is done or failed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = requests.get(server.url(f"/v1/analyses/{analysis_id}"), headers=server.auth, timeout=10).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"analysis {analysis_id} not done after {timeout} s")


def test_upload_through_the_live_server_then_cached(live_server, detectors):
    photo = make_jpeg_bytes(data.astronaut())
    first = requests.post(live_server.url("/v1/analyses"), headers=live_server.auth,
                          files={"file": ("astronaut.jpg", photo, "image/jpeg")}, timeout=30)
    assert first.status_code == 202, first.text
    done = wait_done(live_server, first.json()["id"])
    assert done["status"] == "done", done
    result = done["result"]
    check_result_shape(result)
    assert result["verdict"] in FACE_VERDICTS
    assert result["media"]["sha256"] == hashlib.sha256(photo).hexdigest()
    assert len(result["faces"]) == 1

    second = requests.post(live_server.url("/v1/analyses"), headers=live_server.auth,
                           files={"file": ("again.jpg", photo, "image/jpeg")}, timeout=30)
    assert second.status_code == 200, second.text
    assert second.json()["status"] == "done"
    assert second.json()["result"] == {"checked_at": done["created_at"], **result}  # the original check's time


# ---------------------------------------------------------------- the temporal detector and fusion


CLIP = "temporal"  # the default clip detector


@pytest.fixture
def temporal_config() -> dict:
    """The default settings (the shipped blend, generated-face and temporal detectors), 16 frames per video."""
    assert DEFAULTS["DETECTORS"] == ["blend_cnn", "generated_residual", CLIP]
    return {**DEFAULTS, "FRAMES_PER_VIDEO": 16}


@pytest.fixture
def residual_video_config(temporal_config) -> dict:
    """The default frame detectors with the synthetic-video detector as clip detector."""
    return {**temporal_config, "DETECTORS": ["blend_cnn", "generated_residual", "temporal_residual"]}


def test_video_is_read_as_runs_and_each_person_fused(tmp_path, temporal_config):
    from models.serving.fusion import fuse_evidence

    clip_detector = split_detectors(load_detectors(temporal_config))[1]
    result = analyze_media(local_media(make_face_video(tmp_path / "face.mp4", seconds=4.0)), temporal_config)
    indices = [f["index"] for f in result["frames"]]
    assert len(indices) == 16 and result["media"]["frames_analyzed"] == 16
    runs = [indices[:8], indices[8:]]  # two runs of 8 consecutive frames, far apart
    assert all(run == list(range(run[0], run[0] + 8)) for run in runs) and runs[1][0] - runs[0][-1] > 30
    people = [face for face in result["faces"] if not face["too_small"]]
    assert people and all(face["temporal"] is not None for face in people)
    assert result["clip_detector"] == CLIP and result["detectors"][CLIP] == max(face["temporal"] for face in people)
    for face in people:
        expected = fuse_evidence(np.array([face["frame_score"]]), np.array([face["temporal"]]), clip_detector.fusion)
        assert face["score"] == pytest.approx(float(expected[0]), abs=2e-4)
    assert result["verdict"] == clip_detector_verdict(clip_detector, result["score"])
    curve = result["temporal"]
    assert [p["index"] for p in curve] == indices and all(0 <= p["score"] <= 1 for p in curve)
    assert result["model"]["name"] == f"blend_cnn+generated_residual+{CLIP}"


def test_each_person_has_mouth_evidence_and_each_frame_names_the_detector_that_raised_it(tmp_path,
                                                                                         residual_video_config):
    result = analyze_media(local_media(make_face_video(tmp_path / "face.mp4", seconds=4.0)), residual_video_config)
    people = [face for face in result["faces"] if not face["too_small"]]
    assert people and all(0.0 <= face["mouth"] <= 1.0 for face in people)
    assert result["clip_detector"] == "temporal_residual" and result["model"]["name"].endswith("+temporal_residual")
    curve = {p["index"]: p["score"] for p in result["temporal"]}
    for frame in result["frames"]:
        if frame["score"] is None:
            assert frame["detector"] is None
        elif curve.get(frame["index"]) is not None and curve[frame["index"]] > frame["score"]:
            assert frame["detector"] == "temporal_residual"
        else:
            assert frame["detector"] in ("blend_cnn", "generated_residual")
    assert any(frame["detector"] for frame in result["frames"])


def test_a_video_is_decoded_once_and_every_detector_reads_those_frames(tmp_path, residual_video_config, monkeypatch):
    import models.serving.frames as frames_module
    from models.detectors.temporal_residual import TemporalResidual

    decoded, seen_regions = [], []
    real_read, real_features = frames_module.read_frames, TemporalResidual.frame_features

    def counting_read(*args, **kwargs):
        decoded.append(real_read(*args, **kwargs))
        return decoded[-1]

    def spying_features(self, clips, mask=None, regions=None):
        seen_regions.extend(region for clip in regions for region in clip)
        return real_features(self, clips, mask, regions)

    monkeypatch.setattr(frames_module, "read_frames", counting_read)
    monkeypatch.setattr(TemporalResidual, "frame_features", spying_features)
    result = analyze_media(local_media(make_face_video(tmp_path / "face.mp4", seconds=4.0)), residual_video_config)
    assert len(decoded) == 1 and len(decoded[0]) == result["media"]["frames_analyzed"] == 16
    scored = sum(1 for f in result["frames"] if f["score"] is not None)
    assert len(seen_regions) == scored  # the clip detector read the regions cut from those frames, no more


def test_a_short_video_is_never_read_twice(tmp_path, temporal_config):
    result = analyze_media(local_media(make_face_video(tmp_path / "short.mp4", seconds=0.48)), temporal_config)
    indices = [f["index"] for f in result["frames"]]  # 12 frames: room for one run of 8, not two
    assert indices == list(range(2, 10)) and result["media"]["frames_analyzed"] == 8


def clip_detector_verdict(clip_detector, score: float) -> str:
    """The verdict the fused score's bands give."""
    from models.detectors.detector import ScoreBands

    return ScoreBands(**clip_detector.fusion.bands).verdict(score)


def test_images_and_captured_frames_use_the_frame_detectors_only(tmp_path, temporal_config):
    path = write_rgb(tmp_path / "astronaut.jpg", data.astronaut())
    frame_only = {**temporal_config, "DETECTORS": [n for n in temporal_config["DETECTORS"] if n != CLIP]}
    plain, with_temporal = analyze_media(local_media(path), frame_only), analyze_media(local_media(path), temporal_config)
    assert with_temporal["score"] == plain["score"] and "temporal" not in with_temporal
    assert CLIP not in with_temporal["detectors"] and set(with_temporal["faces"][0]) == set(plain["faces"][0])
    assert "clip_detector" not in with_temporal
    frames = [FrameUpload(make_jpeg_bytes(), t) for t in (0.0, 0.04, 0.08, 0.12)]
    captured = analyze_media(frames, temporal_config)
    assert "temporal" not in captured and len(captured["frames"]) == 4


def test_a_flickering_face_scores_higher_in_time_than_the_same_face_steady(tmp_path, temporal_config):
    steady = analyze_media(local_media(make_face_video(tmp_path / "steady.mp4", seconds=4.0)), temporal_config)
    flicker = make_face_video(tmp_path / "flicker.mp4", seconds=4.0, flicker=0.12, seed=1)
    flickering = analyze_media(local_media(flicker), temporal_config)
    assert flickering["detectors"][CLIP] > steady["detectors"][CLIP] + 0.1
    curve = lambda result: np.mean([p["score"] for p in result["temporal"] if p["score"] is not None])  # noqa: E731
    assert curve(flickering) > curve(steady)


def test_a_clip_detector_alone_is_a_typed_error(tmp_path, config):
    from companion.detectors import ModelMissing

    path = write_rgb(tmp_path / "astronaut.jpg", data.astronaut())
    with pytest.raises(ModelMissing, match="frame detector") as error:
        analyze_media(local_media(path), {**config, "DETECTORS": ["temporal"]})
    assert error.value.code == "model_missing"


def test_the_hybrid_scores_beside_the_frame_cnn_when_configured(tmp_path, config):
    path = write_rgb(tmp_path / "astronaut.jpg", data.astronaut())
    both = {**config, "DETECTORS": ["frame_cnn", "hybrid_vit"]}
    result = analyze_media(local_media(path), both)
    alone = {name: analyze_media(local_media(path), {**config, "DETECTORS": [name]})["score"]
             for name in ("frame_cnn", "hybrid_vit")}
    assert result["detectors"] == pytest.approx(alone, abs=1e-4)
    from models.serving.frame_score import anchors_of, combine

    # the more alarmed of the two against its own bands, on frame_cnn's scale
    assert result["score"] == pytest.approx(combine(alone, anchors_of(load_detectors(both))), abs=1e-4)
    assert result["model"]["name"] == "frame_cnn+hybrid_vit"


def test_the_frame_cnn_with_its_generated_specialist_scores_the_more_alarmed_under_the_bands_chosen_for_them(tmp_path, config):
    from models.serving.frame_score import chosen_bands

    path = write_rgb(tmp_path / "astronaut.jpg", data.astronaut())
    pair = {**config, "DETECTORS": ["frame_cnn", "frame_cnn_generated"]}
    result = analyze_media(local_media(path), pair)
    alone = {name: analyze_media(local_media(path), {**config, "DETECTORS": [name]})["score"]
             for name in pair["DETECTORS"]}
    first, partner = load_detectors(pair)
    from models.serving.frame_score import anchors_of, combine

    assert result["score"] == pytest.approx(combine(alone, anchors_of([first, partner])), abs=1e-4)
    bands = chosen_bands(first, [partner])
    assert bands is not None  # chosen for the pair, at the shipped versions
    assert bands.fake_from >= max(first.bands.fake_from, partner.bands.fake_from)  # the higher of two flags more
    assert result["verdict"] == bands.verdict(result["score"])


@pytest.mark.parametrize("broken", ["blend_cnn", "generated_residual", CLIP, "temporal_residual"])
def test_a_detector_answering_nan_is_an_error_not_a_score(tmp_path, temporal_config, broken):
    import json
    import shutil

    from models.detectors.weights_manifest import WEIGHTS_DIR

    weights = tmp_path / "weights"
    shutil.copytree(WEIGHTS_DIR, weights)
    manifest = json.loads((weights / "manifest.json").read_text())
    manifest[broken]["calibration"]["a"] = float("nan")  # a damaged manifest: every score becomes NaN
    (weights / "manifest.json").write_text(json.dumps(manifest))
    video = local_media(make_face_video(tmp_path / "face.mp4", seconds=2.0))
    clip = "temporal_residual" if broken == "temporal_residual" else CLIP
    detectors = ["blend_cnn", "generated_residual", clip]
    with pytest.raises(UnmaskError, match=f"{broken}.*unusable"):
        analyze_media(video, {**temporal_config, "DETECTORS": detectors, "WEIGHTS_DIR": weights})


def test_unusable_mouth_evidence_is_an_error_not_a_score(tmp_path, residual_video_config):
    import json
    import shutil

    from models.detectors.weights_manifest import WEIGHTS_DIR

    weights = tmp_path / "weights"
    shutil.copytree(WEIGHTS_DIR, weights)
    manifest = json.loads((weights / "manifest.json").read_text())
    manifest["temporal_residual"]["mouth_calibration"]["b"] = float("nan")  # only the mouth head is damaged
    (weights / "manifest.json").write_text(json.dumps(manifest))
    video = local_media(make_face_video(tmp_path / "face.mp4", seconds=2.0))
    with pytest.raises(UnmaskError, match="temporal_residual.*unusable"):
        analyze_media(video, {**residual_video_config, "WEIGHTS_DIR": weights})
