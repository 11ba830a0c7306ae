"""Self-blends and swaps made in a whole photo inside the FaceMesh face oval, for any real source."""
import numpy as np
import pytest

from models.synth.degrade import photo_damage
from models.synth.oval import Outline, oval_mask, self_blend_oval, swap_oval
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
