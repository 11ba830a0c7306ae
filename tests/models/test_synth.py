"""Pseudo-fake generators: masks stay on the face, labels are right, everything is seeded."""
import cv2
import numpy as np

from models.faces.align import CROP_SIZE, mean_landmarks
from models.synth.degrade import (blow_up, depth_of_field, face_blur, grain, head_mask, jpeg, photo_damage,
                                  random_degrade, sharpen_picture, sharpening, tone_shift)
from models.synth.masks import extended_face_points, hull_mask, random_blend_mask
from models.synth.selfblend import self_blend, swap
from models.synth.tight import face_box, random_tight_rect, reflect_outside
from models.training.pseudo_fakes import FAMILIES, Mix, make_pair
from tests.models.fixtures import astronaut_crop, tiny_face_set


def face_region(margin: float = 1.6) -> np.ndarray:
    """A generous face region: the extended hull scaled about its centre."""
    pts = extended_face_points(mean_landmarks())
    centre = pts.mean(axis=0)
    return hull_mask(centre + (pts - centre) * margin, (CROP_SIZE, CROP_SIZE)) > 0


def test_blend_masks_stay_inside_the_face():
    region = face_region()
    for seed in range(20):
        mask = random_blend_mask(mean_landmarks(), (CROP_SIZE, CROP_SIZE), np.random.default_rng(seed))
        assert mask.max() > 0.99 and mask.min() >= 0
        assert mask[~region].max() < 0.05, seed


def test_self_blend_changes_only_the_masked_area():
    face = astronaut_crop()
    fake, mask = self_blend(face, mean_landmarks(), np.random.default_rng(3))
    diff = np.abs(fake.astype(int) - face.astype(int)).max(axis=2)
    assert diff[mask <= 1e-4].max() <= 1
    assert diff[mask > 0.5 * mask.max()].mean() > 2


def test_self_blend_is_reproducible_with_a_seed():
    face = astronaut_crop()
    a = self_blend(face, mean_landmarks(), np.random.default_rng(7))[0]
    b = self_blend(face, mean_landmarks(), np.random.default_rng(7))[0]
    c = self_blend(face, mean_landmarks(), np.random.default_rng(8))[0]
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_swap_uses_the_donor_inside_the_mask():
    faces = tiny_face_set(2)
    donor = np.full_like(faces.images[1], 30)
    fake, mask = swap(faces.images[0], faces.landmarks[0], donor, faces.landmarks[1], np.random.default_rng(0))
    assert np.array_equal(fake[mask <= 1e-4], faces.images[0][mask <= 1e-4])
    assert not np.array_equal(fake[mask > 0.5], faces.images[0][mask > 0.5])


def test_pairs_are_labelled_real_then_fake_and_reproducible():
    faces = tiny_face_set(4)
    recons = [np.clip(faces.images.astype(int) + 10, 0, 255).astype(np.uint8)]
    seen = set()
    for index in range(100):
        real, fake, family = make_pair(index, 5, faces, recons, Mix(), 128, 0.0, degrade=False)
        again = make_pair(index, 5, faces, recons, Mix(), 128, 0.0, degrade=False)
        assert np.array_equal(real, again[0]) and np.array_equal(fake, again[1]) and family == again[2]
        assert real.shape == fake.shape == (128, 128, 3)
        assert not np.array_equal(real, fake)
        seen.add(FAMILIES[family])
    assert seen == set(FAMILIES)


def test_real_half_is_the_untouched_face():
    faces = tiny_face_set(1)
    real, _, _ = make_pair(0, 0, faces, [], Mix(), CROP_SIZE, 0.0, degrade=False)
    assert np.array_equal(real, faces.images[0]) or np.array_equal(real, faces.images[0][:, ::-1])


def test_without_reconstructions_no_generated_family():
    faces = tiny_face_set(2)
    families = {make_pair(i, 1, faces, [], Mix(), 64, 0.0)[2] for i in range(40)}
    assert FAMILIES.index("generated") not in families


def test_degradations_keep_shape_and_type():
    face = astronaut_crop()
    for seed in range(10):
        out = random_degrade(face, np.random.default_rng(seed))
        assert out.shape == face.shape and out.dtype == np.uint8
    assert np.abs(jpeg(face, 10).astype(int) - face).mean() > np.abs(jpeg(face, 95).astype(int) - face).mean()


def test_a_colour_grade_changes_colours_but_not_the_picture():
    face = astronaut_crop(96)
    graded = tone_shift(face, np.random.default_rng(3))
    assert graded.shape == face.shape and graded.dtype == np.uint8
    assert not np.array_equal(graded, face)
    # the picture stays: its grey structure correlates with the original
    corr = np.corrcoef(graded.mean(axis=2).ravel(), face.mean(axis=2).ravel())[0, 1]
    assert corr > 0.9


def test_a_blow_up_keeps_the_size_and_loses_fine_detail():
    noise = np.random.default_rng(0).integers(0, 256, (96, 80, 3), dtype=np.uint8)
    detail = lambda im: float(np.abs(np.diff(im.astype(np.float32), axis=1)).mean())
    for seed in range(5):
        out = blow_up(noise, np.random.default_rng(seed))
        assert out.shape == noise.shape and out.dtype == np.uint8
        assert detail(out) < 0.6 * detail(noise)


def test_photo_damage_with_every_extra_on_keeps_a_colour_picture():
    face = astronaut_crop(96)
    for seed in range(4):
        out, scale = photo_damage(face, np.random.default_rng(seed), tone=1.0, upscaled=1.0)
        assert out.dtype == np.uint8 and out.shape[2] == 3 and 0.4 < scale < 1.7


def detail(image: np.ndarray) -> float:
    """Mean step between horizontal neighbours: fine detail."""
    return float(np.abs(np.diff(image.astype(np.float32), axis=1)).mean())


def test_face_blur_scales_with_the_face_so_every_size_loses_alike():
    face = astronaut_crop(192)
    small = cv2.resize(face, (96, 96), interpolation=cv2.INTER_AREA)
    for seed in range(3):  # the same draw on a face twice the size, seen at the small one's size, looks alike
        large = cv2.resize(face_blur(face, 192, np.random.default_rng(seed)), (96, 96), interpolation=cv2.INTER_AREA)
        little = face_blur(small, 96, np.random.default_rng(seed))
        assert detail(little) < 0.9 * detail(small)
        assert abs(detail(large) - detail(little)) < 0.15 * detail(small)
        unscaled = face_blur(face, 96, np.random.default_rng(seed))  # the small face's sigma on the large one
        assert detail(cv2.resize(unscaled, (96, 96), interpolation=cv2.INTER_AREA)) > detail(large)


def test_photo_damage_blurs_only_when_asked_and_keeps_older_draws():
    face = astronaut_crop(128)
    for seed in range(6):  # no blur odds: the random stream (and so the picture) is as before
        assert np.array_equal(photo_damage(face, np.random.default_rng(seed))[0],
                              photo_damage(face, np.random.default_rng(seed), blurred=0.0, face_side=128)[0])
    softer = [detail(photo_damage(face, np.random.default_rng(s), blurred=1.0, face_side=128)[0]) for s in range(12)]
    plain = [detail(photo_damage(face, np.random.default_rng(s))[0]) for s in range(12)]
    assert np.median(softer) < 0.8 * np.median(plain)


def test_depth_of_field_keeps_the_head_sharp_and_softens_the_background():
    noise = np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    box = (130, 80, 60, 70)  # x, y, w, h
    for seed in range(5):
        out = depth_of_field(noise, box, np.random.default_rng(seed))
        assert out.shape == noise.shape and out.dtype == np.uint8
        face = (slice(95, 140), slice(140, 180))  # the inner face: untouched but for rounding
        assert np.abs(out[face].astype(int) - noise[face]).mean() < 3.0
        corner = (slice(0, 40), slice(0, 60))
        assert detail(out[corner]) < 0.5 * detail(noise[corner])
        mask = head_mask(noise.shape[:2], box, np.random.default_rng(seed))
        assert mask[115, 160] > 0.95 and mask[5, 5] < 0.05


def test_grain_adds_zero_mean_noise_of_a_bounded_strength():
    flat = np.full((128, 128, 3), 128, dtype=np.uint8)
    for seed in range(6):
        out = grain(flat, np.random.default_rng(seed)).astype(np.float32) - 128
        assert abs(out.mean()) < 0.5 and 1.0 < out.std() < 9.0
        grey = np.allclose(out[..., 0], out[..., 1]) and np.allclose(out[..., 1], out[..., 2])
        assert grey or np.abs(out[..., 0] - out[..., 1]).mean() > 0.5  # brightness only, or every channel apart


def test_photo_damage_focus_and_grain_only_when_asked_and_keep_older_draws():
    face = astronaut_crop(128)
    box = (40, 40, 48, 48)
    for seed in range(6):  # no odds: the random stream (and so the picture) is as before
        assert np.array_equal(photo_damage(face, np.random.default_rng(seed))[0],
                              photo_damage(face, np.random.default_rng(seed), focus=0.0, grainy=0.0, face_box=box)[0])
    focused = [photo_damage(face, np.random.default_rng(s), focus=1.0, face_box=box)[0] for s in range(8)]
    plain = [photo_damage(face, np.random.default_rng(s))[0] for s in range(8)]
    assert all(not np.array_equal(a, b) for a, b in zip(focused, plain))
    grainy = [photo_damage(face, np.random.default_rng(s), grainy=1.0)[0] for s in range(8)]
    assert all(not np.array_equal(a, b) for a, b in zip(grainy, plain))


def test_sharpening_rings_along_edges_and_leaves_flat_areas_alone():
    step = np.full((64, 64, 3), 60, dtype=np.uint8)
    step[:, 32:] = 180
    assert sharpen_picture(step, 0.0) is step
    mild, strong = sharpen_picture(step, 0.8), sharpen_picture(step, 2.0)
    assert np.array_equal(mild[:, :20], step[:, :20]) and np.array_equal(mild[:, 44:], step[:, 44:])  # flat: as it was
    # the halo: darker just before the edge, brighter just after, more so for a stronger mask
    assert mild[:, 31].max() < 60 and mild[:, 32].min() > 180
    assert strong[:, 31].max() < mild[:, 31].min() and strong[:, 32].min() > mild[:, 32].max()
    drawn = sharpening(step, np.random.default_rng(3))
    assert drawn.shape == step.shape and drawn.dtype == np.uint8 and not np.array_equal(drawn, step)


def test_photo_damage_sharpens_only_when_asked_and_keeps_older_draws():
    face = astronaut_crop(128)
    for seed in range(6):
        assert np.array_equal(photo_damage(face, np.random.default_rng(seed))[0],
                              photo_damage(face, np.random.default_rng(seed), sharp=0.0)[0])
    sharp = [photo_damage(face, np.random.default_rng(s), sharp=1.0)[0] for s in range(8)]
    plain = [photo_damage(face, np.random.default_rng(s))[0] for s in range(8)]
    assert all(not np.array_equal(a, b) for a, b in zip(sharp, plain))


def test_tight_cut_keeps_the_face_and_mirrors_the_rest():
    face = astronaut_crop()
    rect = random_tight_rect(mean_landmarks(), CROP_SIZE, np.random.default_rng(4))
    x0, y0, x1, y1 = rect
    assert 0 <= x0 < x1 <= CROP_SIZE and 0 <= y0 < y1 <= CROP_SIZE and x1 - x0 >= 8
    out = reflect_outside(face, rect)
    assert out.shape == face.shape and np.array_equal(out[y0:y1, x0:x1], face[y0:y1, x0:x1])
    if x0 >= 1:  # the column left of the cut mirrors the one right of its edge (reflect-101)
        assert np.array_equal(out[y0:y1, x0 - 1], face[y0:y1, x0 + 1])
    if y1 < CROP_SIZE:
        assert np.array_equal(out[y1, x0:x1], face[y1 - 2, x0:x1])


def test_tight_cuts_hold_most_of_the_face():
    x0, y0, x1, y1 = face_box(mean_landmarks())
    area = (x1 - x0) * (y1 - y0)
    for seed in range(30):
        a0, b0, a1, b1 = random_tight_rect(mean_landmarks(), CROP_SIZE, np.random.default_rng(seed))
        inside = max(0, min(x1, a1) - max(x0, a0)) * max(0, min(y1, b1) - max(y0, b0))
        assert inside / area > 0.8, seed
        assert (a1 - a0) * (b1 - b0) < 0.8 * CROP_SIZE ** 2, seed  # much of the crop is refilled


def _explaining_cut(image, plain, faces, seed, index):
    """The (face, mirrored) whose tight cut turns `plain` into `image`, or None."""
    for i, marks in enumerate(faces.landmarks):
        rng = np.random.default_rng([seed, index, 1])
        rng.random()  # the draw that decided to cut
        rect = random_tight_rect(marks, CROP_SIZE, rng)
        for mirrored in (False, True):
            source = plain[:, ::-1] if mirrored else plain
            cut = reflect_outside(np.ascontiguousarray(source), rect)
            if np.array_equal(cut[:, ::-1] if mirrored else cut, image):
                return i, mirrored
    return None


def test_tight_pairs_cut_real_and_fake_alike_and_leave_other_pairs_unchanged():
    faces = tiny_face_set(3)
    cut = 0
    for index in range(30):
        plain = make_pair(index, 2, faces, [], Mix(), CROP_SIZE, 0.0, degrade=False)
        real, fake, family = make_pair(index, 2, faces, [], Mix(), CROP_SIZE, 0.0, degrade=False, tight=0.5)
        assert family == plain[2]
        if np.array_equal(real, plain[0]):
            assert np.array_equal(fake, plain[1])
            continue
        cut += 1
        how = _explaining_cut(real, plain[0], faces, 2, index)
        assert how is not None and how == _explaining_cut(fake, plain[1], faces, 2, index)
    assert 5 <= cut <= 25
