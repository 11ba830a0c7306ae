"""The generated-face detector's input: native-scale face regions and their up-sampling residual."""
import numpy as np
import pytest

from models.detectors.residual import PATCH, PATCHES, mean_logit_probability, npr_residual, patch_grid, region_patches
from models.faces.region import face_region, region_bounds


def test_nearest_upsampled_pixels_leave_no_residual_and_others_do():
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    upsampled = np.repeat(np.repeat(small, 2, axis=0), 2, axis=1)
    assert np.all(npr_residual(upsampled) == 0)
    noisy = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    residual = npr_residual(noisy)
    assert residual.shape == (40, 60, 3)
    # r = x - x[2i, 2j] for every pixel of its 2x2 cell, scaled by 1/32
    assert residual[3, 5, 1] == pytest.approx((float(noisy[3, 5, 1]) - float(noisy[2, 4, 1])) / 32)
    assert np.all(residual[::2, ::2] == 0)


def test_odd_sides_are_cropped_to_even_and_empty_regions_give_empty_residuals():
    assert npr_residual(np.zeros((7, 9, 3), np.uint8)).shape == (6, 8, 3)
    assert npr_residual(np.zeros((1, 9, 3), np.uint8)).shape == (0, 0, 3)


def test_the_region_is_the_boxs_square_on_even_pixels_clipped_to_the_image():
    # box (x, y, w, h) = (101, 51, 40, 60): centre (121, 81), side 66 -> x 88..154, y 48..114
    assert region_bounds((101, 51, 40, 60), 300, 400) == (88, 48, 154, 114)
    left, top, right, bottom = region_bounds((0, 0, 50, 50), 40, 40)
    assert (left, top) == (0, 0) and right <= 40 and bottom <= 40
    assert left % 2 == 0 and top % 2 == 0
    image = np.arange(300 * 400 * 3, dtype=np.uint32).reshape(300, 400, 3).astype(np.uint8)
    region = face_region(image, (101, 51, 40, 60))
    assert np.array_equal(region, image[48:114, 88:154])  # the same pixels: never resized


def test_patches_cover_a_large_face_at_the_fixed_grid_and_pad_a_small_one():
    corners = patch_grid(200, 160)
    assert len(corners) == PATCHES and corners[0] == (68, 48)
    assert all(0 <= t <= 200 - PATCH and 0 <= l <= 160 - PATCH and t % 2 == 0 and l % 2 == 0 for t, l in corners)
    small = np.full((40, 50, 3), 200, np.uint8)
    small[::2, ::2] = 0
    patches = region_patches(small)
    assert patches.shape == (PATCHES, PATCH, PATCH, 3)
    assert np.all(patches[:, 40:, :] == 0) and np.all(patches[:, :, 50:] == 0)  # zero padding
    assert np.abs(patches[0, :40, :50]).sum() > 0


def test_a_faces_probability_is_the_sigmoid_of_its_patches_mean_logit():
    probs = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.9, 0.9, 0.1, 0.5, 0.5])
    out = mean_logit_probability(probs, 5)
    assert out[0] == pytest.approx(0.5)
    assert out[1] == pytest.approx(1 / (1 + np.exp(-np.log(9) / 5)))
