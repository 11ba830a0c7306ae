"""The face crop protocol shared by training and the companion."""
import numpy as np
from skimage import data

from models.faces.align import (CROP_SIZE, TEMPLATE, align_face, alignment_matrix,
                                keypoints_from_intraface49, mean_landmarks, similarity_transform,
                                to_model_input, transform_points)
from tests.models.fixtures import ASTRONAUT_KEYPOINTS


def test_crop_is_deterministic_and_sized():
    a, m1 = align_face(data.astronaut(), ASTRONAUT_KEYPOINTS)
    b, m2 = align_face(data.astronaut(), ASTRONAUT_KEYPOINTS)
    assert a.shape == (CROP_SIZE, CROP_SIZE, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b) and np.array_equal(m1, m2)


def test_keypoints_land_near_the_template():
    matrix = alignment_matrix(ASTRONAUT_KEYPOINTS)
    moved = transform_points(ASTRONAUT_KEYPOINTS, matrix)
    eyes_and_mouth = [0, 1, 3]
    err = np.abs(moved[eyes_and_mouth] - TEMPLATE[eyes_and_mouth] * CROP_SIZE).max()
    assert err < 0.04 * CROP_SIZE


def test_similarity_transform_recovers_a_known_rotation_scale_shift():
    src = np.array([[10.0, 20.0], [50.0, 22.0], [30.0, 40.0], [31.0, 60.0]])
    angle, scale, shift = 0.3, 1.7, np.array([5.0, -8.0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = src @ rot.T + shift
    matrix = similarity_transform(src, dst, np.ones(4))
    assert np.allclose(matrix[:, :2], rot) and np.allclose(matrix[:, 2], shift)


def test_intraface_keypoints_are_group_means():
    pts = np.zeros((49, 2))
    pts[19:25] = [1, 2]
    pts[25:31] = [3, 4]
    pts[16] = [5, 6]
    pts[31:49] = [7, 8]
    assert np.array_equal(keypoints_from_intraface49(pts), [[1, 2], [3, 4], [5, 6], [7, 8]])


def test_mean_shape_eyes_sit_on_the_template():
    kp = keypoints_from_intraface49(mean_landmarks())
    assert np.abs(kp[[0, 1, 3]] - TEMPLATE[[0, 1, 3]] * CROP_SIZE).max() < 0.03 * CROP_SIZE


def test_model_input_range():
    x = to_model_input(np.array([[[[0, 127, 255]]]], np.uint8))
    assert x.dtype == np.float32 and x.min() == -1.0 and x.max() == 1.0
