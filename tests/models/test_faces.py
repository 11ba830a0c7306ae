"""The face detector: BlazeFace + FaceMesh through LiteRT, keypoints for the crop protocol."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from models.faces.align import CROP_SIZE, TEMPLATE, align_face, transform_points
from models.faces.assets import (FaceModelCorrupt, FaceModelMissing, fetch_assets, load_manifest,
                                 sha256_file, verify_assets)
from models.faces.blazeface import SHORT_RANGE, ssd_anchor_centres, weighted_nms
from models.faces.detect import Face, FaceDetector, largest_face

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def detector(face_assets_dir) -> FaceDetector:
    """One detector for the module (models load once)."""
    return FaceDetector(assets_dir=face_assets_dir)


@pytest.fixture(scope="module")
def astronaut_face(detector) -> Face:
    """The one face in scikit-image's astronaut photo."""
    faces = detector.detect(data.astronaut())
    assert len(faces) == 1
    return faces[0]


def inter_ocular(face: Face) -> float:
    """Distance between the two eye keypoints."""
    return float(np.linalg.norm(face.keypoints[1] - face.keypoints[0]))


def keypoint_errors(found: np.ndarray, expected: np.ndarray, iod: float) -> np.ndarray:
    """Per-keypoint distance, in inter-ocular distances."""
    return np.linalg.norm(np.asarray(found) - np.asarray(expected), axis=1) / iod


def test_astronaut_face_has_a_plausible_box_and_keypoints(astronaut_face):
    x, y, w, h = astronaut_face.box
    eye_left, eye_right, nose, mouth = astronaut_face.keypoints
    assert 150 < x < 200 and 55 < y < 100 and 80 < w < 130 and 80 < h < 130
    assert astronaut_face.score > 0.8
    assert astronaut_face.keypoints.shape == (4, 2) and astronaut_face.landmarks.shape == (468, 2)
    assert eye_left[0] < nose[0] < eye_right[0], "eye on the image's left comes first"
    assert max(eye_left[1], eye_right[1]) < nose[1] < mouth[1], "eyes above nose above mouth"
    assert 35 < inter_ocular(astronaut_face) < 55
    inside = (astronaut_face.keypoints >= [x, y]) & (astronaut_face.keypoints <= [x + w, y + h])
    assert inside.all()


def test_mesh_keypoints_agree_with_blazeface_keypoints(face_assets_dir, astronaut_face):
    blaze = FaceDetector(assets_dir=face_assets_dir, landmarks=False).detect(data.astronaut())
    assert blaze and blaze[0].landmarks is None, "without FaceMesh: BlazeFace's own keypoints, best first"
    eyes_and_mouth = [0, 1, 3]
    errors = keypoint_errors(blaze[0].keypoints[eyes_and_mouth], astronaut_face.keypoints[eyes_and_mouth],
                             inter_ocular(astronaut_face))
    assert errors.max() < 0.15, errors


@pytest.mark.parametrize("scale", [0.6, 0.7, 0.9, 1.0, 1.1])
def test_tight_crop_is_found(detector, astronaut_face, scale):
    """Crops to 0.6-1.1x the face box; below about 0.75x only the grey-border retry finds the face."""
    x, y, w, h = astronaut_face.box
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = int(cx - scale * w / 2), int(cy - scale * h / 2)
    crop = data.astronaut()[y0:int(cy + scale * h / 2), x0:int(cx + scale * w / 2)]
    faces = detector.detect(crop)
    assert len(faces) == 1
    iod = inter_ocular(astronaut_face)
    errors = keypoint_errors(faces[0].keypoints + [x0, y0], astronaut_face.keypoints, iod)
    assert errors.max() < 0.1, errors
    bx, by, bw, bh = faces[0].box
    assert bx >= 0 and by >= 0 and bx + bw <= crop.shape[1] and by + bh <= crop.shape[0]


@pytest.mark.parametrize("image", [
    pytest.param(data.coffee(), id="coffee"),
    pytest.param(data.chelsea(), id="cat"),
    pytest.param(np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8), id="noise"),
    pytest.param(np.full((300, 400, 3), 128, dtype=np.uint8), id="flat-grey"),
    pytest.param(np.zeros((64, 64, 3), dtype=np.uint8), id="small-black"),
])
def test_images_without_faces_give_none(detector, image):
    assert detector.detect(image) == []


def test_two_faces_side_by_side(detector, astronaut_face):
    canvas = np.concatenate([data.astronaut(), data.astronaut()], axis=1)
    faces = detector.detect(canvas)
    assert len(faces) == 2
    assert faces[0].score >= faces[1].score
    left, right = sorted(faces, key=lambda face: face.box[0])
    iod = inter_ocular(astronaut_face)
    assert keypoint_errors(left.keypoints, astronaut_face.keypoints, iod).max() < 0.1
    assert keypoint_errors(right.keypoints - [512, 0], astronaut_face.keypoints, iod).max() < 0.1


def small_face_frame(face_scale: float) -> tuple[np.ndarray, tuple[int, int]]:
    """A 1920x1080 frame with the astronaut shrunk by `face_scale` pasted at (1300, 600)."""
    frame = np.full((1080, 1920, 3), 90, dtype=np.uint8)
    frame[:, :960] = cv2.resize(data.coffee(), (960, 1080))
    small = cv2.resize(data.astronaut(), None, fx=face_scale, fy=face_scale, interpolation=cv2.INTER_AREA)
    frame[600:600 + small.shape[0], 1300:1300 + small.shape[1]] = small
    return frame, (1300, 600)


@pytest.mark.parametrize("face_scale", [0.6, 0.8])
def test_small_face_in_a_large_frame(detector, astronaut_face, face_scale):
    frame, offset = small_face_frame(face_scale)
    faces = detector.detect(frame)
    assert len(faces) == 1
    assert 45 < faces[0].box[2] < 110, "a face about 60-80 px wide"
    expected = astronaut_face.keypoints * face_scale + offset
    iod = inter_ocular(astronaut_face) * face_scale
    assert keypoint_errors(faces[0].keypoints, expected, iod).max() < 0.15


def test_largest_face_is_the_largest_box_wherever_it_lies(detector):
    """Boxes are (x, y, w, h): a small face far from the origin must not outrank a large one near it."""
    frame = np.full((1080, 1920, 3), 90, dtype=np.uint8)
    frame[:512, :512] = data.astronaut()
    small = cv2.resize(data.astronaut(), None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA)
    frame[800:800 + small.shape[0], 1500:1500 + small.shape[1]] = small
    faces = detector.detect(frame)
    assert len(faces) == 2
    chosen = largest_face(faces)
    assert chosen.box[0] < 512 and chosen.box[1] < 512, "the full-size astronaut, not the one at (1500, 800)"
    assert largest_face(list(reversed(faces))) is chosen
    assert largest_face([]) is None


def test_small_faces_need_the_enlarged_pass(face_assets_dir):
    frame, _ = small_face_frame(0.6)
    whole_image_only = FaceDetector(assets_dir=face_assets_dir, min_face_px=400)
    assert whole_image_only.detect(frame) == []


def test_rotated_face_keypoints_follow_the_rotation(detector, astronaut_face):
    x, y, w, h = astronaut_face.box
    matrix = cv2.getRotationMatrix2D((x + w / 2, y + h / 2), 30, 1.0)
    rotated = cv2.warpAffine(data.astronaut(), matrix, (512, 512))
    faces = detector.detect(rotated)
    assert len(faces) == 1
    expected = transform_points(astronaut_face.keypoints, matrix)
    assert keypoint_errors(faces[0].keypoints, expected, inter_ocular(astronaut_face)).max() < 0.1


def test_alignment_puts_the_eyes_on_the_template(detector, astronaut_face):
    crop, matrix = align_face(data.astronaut(), astronaut_face.keypoints)
    moved = transform_points(astronaut_face.keypoints, matrix)
    assert np.abs(moved[:2] - TEMPLATE[:2] * CROP_SIZE).max() < 0.03 * CROP_SIZE
    in_crop = detector.detect(crop)
    assert len(in_crop) == 1, "the aligned crop still holds a face"
    assert np.abs(in_crop[0].keypoints[:2] - TEMPLATE[:2] * CROP_SIZE).max() < 0.03 * CROP_SIZE


def test_grayscale_and_rgba_inputs(detector, astronaut_face):
    rgb = data.astronaut()
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, dtype=np.uint8)])
    iod = inter_ocular(astronaut_face)
    for image in (gray, gray[:, :, None], rgba):
        faces = detector.detect(image)
        assert len(faces) == 1
        assert keypoint_errors(faces[0].keypoints, astronaut_face.keypoints, iod).max() < 0.1


@pytest.mark.parametrize("image", [
    pytest.param(np.zeros((0, 0, 3), dtype=np.uint8), id="empty"),
    pytest.param(np.zeros((10, 0), dtype=np.uint8), id="zero-width"),
    pytest.param(np.zeros(100, dtype=np.uint8), id="1-d"),
    pytest.param(np.zeros((32, 32, 5), dtype=np.uint8), id="5-channels"),
    pytest.param(np.zeros((32, 32, 3), dtype=np.float32), id="float"),
    pytest.param(np.zeros((2, 32, 32, 3), dtype=np.uint8), id="batch"),
])
def test_invalid_arrays_raise_value_error(detector, image):
    with pytest.raises(ValueError):
        detector.detect(image)


def test_missing_model_files_raise_with_instructions(tmp_path):
    with pytest.raises(FaceModelMissing) as info:
        FaceDetector(assets_dir=tmp_path)
    message = str(info.value)
    assert "fetch_face_models.py" in message and "face_landmark.tflite" in message
    assert str(tmp_path) in message


def test_corrupted_model_file_fails_the_sha256_check(face_assets_dir, tmp_path):
    for name in load_manifest()["files"]:
        shutil.copy(Path(face_assets_dir) / name, tmp_path / name)
    verify_assets(tmp_path)
    target = tmp_path / "face_landmark.tflite"
    blob = bytearray(target.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    target.write_bytes(bytes(blob))
    with pytest.raises(FaceModelCorrupt) as info:
        FaceDetector(assets_dir=tmp_path)
    assert isinstance(info.value, FaceModelMissing)
    assert "sha256" in str(info.value) and "face_landmark.tflite" in str(info.value)


def make_wheel(path: Path, source_dir: Path, corrupt: str | None = None) -> Path:
    """A zip laid out like the mediapipe wheel, holding the manifest's files (one corrupted if asked)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, entry in load_manifest()["files"].items():
            blob = (Path(source_dir) / name).read_bytes()
            archive.writestr(entry["wheel_path"], blob + b"x" if name == corrupt else blob)
    return path


def test_fetch_from_a_local_wheel_is_verified_and_idempotent(face_assets_dir, tmp_path):
    wheel = make_wheel(tmp_path / "mediapipe.whl", face_assets_dir)
    dest = tmp_path / "assets"
    assert fetch_assets(dest, wheel=wheel) == dest
    manifest = load_manifest()["files"]
    assert {p.name for p in dest.iterdir()} == set(manifest)
    assert all(sha256_file(dest / name) == entry["sha256"] for name, entry in manifest.items())
    stamps = {p.name: p.stat().st_mtime_ns for p in dest.iterdir()}
    fetch_assets(dest, wheel=tmp_path / "not-used.whl")
    assert {p.name: p.stat().st_mtime_ns for p in dest.iterdir()} == stamps


def test_fetch_refuses_a_wheel_with_wrong_files(face_assets_dir, tmp_path):
    wheel = make_wheel(tmp_path / "bad.whl", face_assets_dir, corrupt="face_landmark.tflite")
    dest = tmp_path / "assets"
    with pytest.raises(FaceModelCorrupt):
        fetch_assets(dest, wheel=wheel)
    assert not (dest / "face_landmark.tflite").exists()


def test_fetch_script_reports_failure_and_success(face_assets_dir, tmp_path):
    script = REPO / "scripts" / "fetch_face_models.py"
    bad = make_wheel(tmp_path / "bad.whl", face_assets_dir, corrupt="face_detection_short_range.tflite")
    run = subprocess.run([sys.executable, str(script), "--dest", str(tmp_path / "a"), "--wheel", str(bad)],
                         capture_output=True, text=True)
    assert run.returncode == 1 and "sha256" in run.stderr
    good = make_wheel(tmp_path / "good.whl", face_assets_dir)
    run = subprocess.run([sys.executable, str(script), "--dest", str(tmp_path / "a"), "--wheel", str(good)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    verify_assets(tmp_path / "a")


def test_anchor_layout_matches_the_model():
    assert len(ssd_anchor_centres(SHORT_RANGE, 128, 128)) == 896
    assert len(ssd_anchor_centres(SHORT_RANGE, 256, 384)) == 896 * 6


def test_weighted_nms_blends_overlaps_and_keeps_separate_faces():
    def row(x0, score):
        return np.r_[x0, 0.0, x0 + 10.0, 10.0, score, np.full(12, x0)]
    merged = weighted_nms(np.stack([row(0.0, 0.9), row(1.0, 0.6), row(50.0, 0.7)]))
    assert len(merged) == 2
    assert merged[0, 4] == pytest.approx(0.9) and merged[0, 0] == pytest.approx(0.6 / 1.5)
    assert merged[1, 0] == pytest.approx(50.0)
