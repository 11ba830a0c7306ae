"""Self-blends and swaps made in a whole photo inside the FaceMesh face oval, for any real source."""
import numpy as np
import pytest

from models.synth.degrade import photo_damage
from models.synth.oval import Outline, oval_mask, self_blend_oval, swap_oval
from models.synth.selfblend import RENDER_SIDES, rendered_source
from tests.helpers.media import astronaut_head


@pytest.fixture(scope="module")
def face(face_assets_dir):
    from models.faces.detect import FaceDetector

    image = astronaut_head()
    found = FaceDetector(face_assets_dir).detect(image)
    return image, Outline.from_mesh(found[0].landmarks)


def test_the_mask_covers_the_face_oval_and_nothing_far_from_it(face):
    image, outline = face
    mask = oval_mask(outline, image.shape[:2], np.random.default_rng(0))
    centre = outline.oval.mean(axis=0).round().astype(int)
    assert mask[centre[1], centre[0]] > 0.9
    assert mask[:5, :5].max() == 0 and mask[-5:, -5:].max() == 0
    assert 0.0 <= mask.min() and mask.max() <= 1.0


def test_a_self_blend_changes_the_face_and_leaves_the_background(face):
    image, outline = face
    fake, weight = self_blend_oval(image, outline, np.random.default_rng(1))
    assert fake.shape == image.shape and fake.dtype == np.uint8
    outside = weight < 1e-3
    assert np.array_equal(fake[outside], image[outside])
    assert np.abs(fake[weight > 0.4].astype(int) - image[weight > 0.4]).mean() > 1.0


def test_a_swap_puts_another_face_inside_the_oval(face):
    image, outline = face
    donor = np.ascontiguousarray(image[:, ::-1])  # the mirrored photo: another face at the same place
    mirrored = Outline(np.c_[image.shape[1] - 1 - outline.oval[:, 0], outline.oval[:, 1]],
                       np.c_[image.shape[1] - 1 - outline.inner[:, 0], outline.inner[:, 1]])
    fake, weight = swap_oval(image, outline, donor, mirrored, np.random.default_rng(2))
    assert np.array_equal(fake[weight < 1e-3], image[weight < 1e-3])
    assert np.abs(fake[weight > 0.7].astype(int) - image[weight > 0.7]).mean() > 2.0


def test_photo_damage_gives_both_classes_the_same_draws():
    # the damage depends on the random draws only, never on the image's class
    image = astronaut_head()
    a, scale_a = photo_damage(image, np.random.default_rng(5))
    b, scale_b = photo_damage(image, np.random.default_rng(5))
    assert scale_a == scale_b and np.array_equal(a, b)
    scales = [photo_damage(image, np.random.default_rng(s))[1] for s in range(200)]
    assert 0.3 < np.mean([s != 1.0 for s in scales]) < 0.8
    greys = [np.ptp(photo_damage(image, np.random.default_rng(s))[0].astype(int), axis=2).max() < 12 for s in range(200)]
    assert 0.05 < np.mean(greys) < 0.3


def enlarged(image, outline, factor):
    """The photo and its outline `factor` times larger, with fine grain (a face far larger, and
    sharper, than a generator renders)."""
    import cv2

    big = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC).astype(np.float32)
    grain = np.random.default_rng(0).normal(0, 12, big.shape[:2])[..., None]
    return np.clip(big + grain, 0, 255).astype(np.uint8), outline.scaled(factor)


def detail(image, where=None):
    """Variance of the Laplacian at the image's own scale (fine detail), over `where` (default: all)."""
    import cv2

    laplacian = cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), cv2.CV_32F)
    return float(laplacian[where].var() if where is not None else laplacian.var())


def test_a_rendered_paste_is_softer_than_the_photo_and_leaves_the_background(face):
    image, outline = enlarged(*face, 3.0)
    plain_detail, rendered_detail = [], []
    for seed in range(6):  # a plain self-blend's source is sometimes blurred, sometimes sharpened
        plain, weight = self_blend_oval(image, outline, np.random.default_rng(seed))
        rendered, same_weight = self_blend_oval(image, outline, np.random.default_rng(seed), rendered=1.0)
        assert np.array_equal(weight, same_weight)  # the same mask: only the pasted face differs
        assert np.array_equal(rendered[weight < 1e-3], image[weight < 1e-3])
        inside = weight > 0.9 * weight.max()
        plain_detail.append(detail(plain, inside))
        rendered_detail.append(detail(rendered, inside))
    assert sum(rendered_detail) < 0.5 * sum(plain_detail)


def test_a_rendered_swap_is_softer_than_a_plain_swap(face):
    image, outline = enlarged(*face, 3.0)
    donor = np.ascontiguousarray(image[:, ::-1])
    mirrored = Outline(np.c_[image.shape[1] - 1 - outline.oval[:, 0], outline.oval[:, 1]],
                       np.c_[image.shape[1] - 1 - outline.inner[:, 0], outline.inner[:, 1]])
    plain, weight = swap_oval(image, outline, donor, mirrored, np.random.default_rng(8))
    rendered, _ = swap_oval(image, outline, donor, mirrored, np.random.default_rng(8), rendered=1.0)
    inside = weight > 0.7
    assert np.abs(rendered[inside].astype(int) - plain[inside]).mean() > 0.5
    assert np.array_equal(rendered[weight < 1e-3], plain[weight < 1e-3])


def test_rendering_odds_of_zero_draw_nothing_so_older_configs_replay(face):
    image, outline = face
    old, new = np.random.default_rng(9), np.random.default_rng(9)
    a, _ = self_blend_oval(image, outline, old)
    b, _ = self_blend_oval(image, outline, new, rendered=0.0)
    assert np.array_equal(a, b) and old.random() == new.random()


def test_a_face_is_rendered_at_a_generator_size_and_a_small_face_is_left_alone():
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (900, 900, 3), dtype=np.uint8)
    out = rendered_source(photo, 800.0, np.random.default_rng(1))
    assert out.shape == photo.shape and detail(out) < 0.2 * detail(photo)
    small = rendered_source(photo, RENDER_SIDES[0] * 0.9, np.random.default_rng(1))
    assert small is photo
