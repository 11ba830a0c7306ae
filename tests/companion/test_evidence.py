"""What a result shows beside the score: weak cases per face, thumbnails, the bands (companion.evidence)."""
from __future__ import annotations

import base64

import cv2
import numpy as np
import pytest
from skimage import data

from companion import evidence
from companion.cli_scan import local_media
from companion.config import DEFAULTS
from companion.pipeline import analyze_media, load_detectors
from tests.helpers.media import astronaut_head

FACE = data.astronaut()[60:190, 160:290].copy()  # the astronaut's face, about 130 px


def jpeg_round_trip(image: np.ndarray, quality: int) -> np.ndarray:
    """An RGB image after JPEG compression at `quality`."""
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED)


def test_a_clear_colour_face_has_no_weak_case():
    assert evidence.weak_cases(FACE, (0, 0, 130, 130), [[40, 50], [90, 50], [65, 80], [65, 105]]) == []


def test_black_and_white_is_named():
    grey = cv2.cvtColor(cv2.cvtColor(FACE, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    assert evidence.weak_cases(grey, (0, 0, 130, 130)) == ["grayscale"]


def test_a_small_face_is_named_by_its_box():
    assert "small" in evidence.weak_cases(FACE, (0, 0, 60, 70))
    assert "small" not in evidence.weak_cases(FACE, (0, 0, 120, 130))


def test_blur_is_named():
    assert "blurred" in evidence.weak_cases(cv2.GaussianBlur(FACE, (0, 0), 2.5), (0, 0, 130, 130))


def test_heavy_compression_is_named_and_light_compression_is_not():
    assert "compressed" in evidence.weak_cases(jpeg_round_trip(FACE, 10), (0, 0, 130, 130))
    assert "compressed" not in evidence.weak_cases(jpeg_round_trip(FACE, 90), (0, 0, 130, 130))


def test_a_face_turned_away_is_named_from_its_keypoints():
    frontal = [[40, 50], [90, 50], [65, 80], [65, 105]]
    turned = [[40, 50], [70, 50], [85, 80], [75, 105]]  # nose well outside the eyes' middle
    assert not evidence.is_turned(frontal)
    assert evidence.is_turned(turned)
    assert "turned" in evidence.weak_cases(FACE, (0, 0, 130, 130), turned)


def test_face_region_stays_inside_the_image():
    image = np.zeros((100, 200, 3), np.uint8)
    region = evidence.face_region(image, (180, 80, 40, 40))
    assert region.shape[:2] == (56, 56)


@pytest.fixture(scope="module")
def group_result(tmp_path_factory):
    """Three heads in a row, the middle one in black and white, through the real pipeline."""
    head = astronaut_head()
    image = np.full((300, 900, 3), 200, np.uint8)
    for i, x in enumerate((20, 330, 640)):
        patch = cv2.cvtColor(cv2.cvtColor(head, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB) if i == 1 else head
        image[30:270, x:x + 220] = patch
    path = tmp_path_factory.mktemp("group") / "group.png"
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    config = {**DEFAULTS, "DETECTORS": ["frame_cnn"]}
    return analyze_media(local_media(path), config, detectors=load_detectors(config))


def test_each_face_of_a_result_has_its_thumbnail_and_weak_cases(group_result):
    faces = sorted(group_result["faces"], key=lambda face: face["box"][0])
    assert len(faces) == 3
    assert [face["weak"] for face in faces] == [[], ["grayscale"], []]
    for face in faces:
        prefix = "data:image/jpeg;base64,"
        assert face["thumbnail"].startswith(prefix)
        pixels = cv2.imdecode(np.frombuffer(base64.b64decode(face["thumbnail"][len(prefix):]), np.uint8), 1)
        assert pixels.shape == (evidence.FACE_THUMB_PX, evidence.FACE_THUMB_PX, 3)


def test_a_result_carries_its_bands(group_result):
    bands = group_result["bands"]
    assert 0 <= bands["real_below"] <= bands["fake_from"] <= 1
    score = group_result["score"]
    expected = ("likely_fake" if score >= bands["fake_from"] else
                "likely_real" if score < bands["real_below"] else "inconclusive")
    assert group_result["verdict"] == expected


def test_video_frames_have_thumbnails(tmp_path):
    from tests.helpers.media import make_face_video

    path = make_face_video(tmp_path / "face.mp4", seconds=1.0)
    config = {**DEFAULTS, "DETECTORS": ["frame_cnn"], "FRAMES_PER_VIDEO": 4}
    result = analyze_media(local_media(path), config, detectors=load_detectors(config))
    assert len(result["frames"]) == 4
    for frame in result["frames"]:
        assert frame["thumbnail"].startswith("data:image/jpeg;base64,")


def _video_with_face_in(path, frames_with_face, n=16, size=(480, 320)):
    """An mp4v video of n frames on grey; the astronaut's head in the listed frames only."""
    head = cv2.resize(astronaut_head(), (160, 160), interpolation=cv2.INTER_AREA)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 8.0, size)
    for i in range(n):
        frame = np.full((size[1], size[0], 3), 128, np.uint8)
        if i in frames_with_face:
            frame[80:240, 160:320] = head
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def test_a_face_seen_in_one_frame_of_a_video_cannot_call_it_likely_fake(tmp_path):
    # Bands so low that any scored face is "likely fake": only the brief rule keeps it inconclusive.
    config = {**DEFAULTS, "DETECTORS": ["frame_cnn"], "FRAMES_PER_VIDEO": 16,
              "THRESHOLD_REAL": 0.0, "THRESHOLD_FAKE": 0.001}
    detectors = load_detectors(config)
    once = analyze_media(local_media(_video_with_face_in(tmp_path / "once.mp4", {7})), config, detectors=detectors)
    assert [face["brief"] for face in once["faces"]] == [True]
    assert "brief" in once["faces"][0]["weak"] and once["verdict"] == "inconclusive"
    assert once["score"] < 0.001
    always = analyze_media(local_media(_video_with_face_in(tmp_path / "all.mp4", set(range(16)))), config,
                           detectors=detectors)
    assert [face["brief"] for face in always["faces"]] == [False]
    assert "brief" not in always["faces"][0]["weak"] and always["verdict"] == "likely_fake"
