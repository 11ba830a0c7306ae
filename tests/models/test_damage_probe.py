"""The val damage probe: fixed strengths, every photo at every strength, scored as the companion does."""
import numpy as np
from skimage import data

from models.detectors import registry
from models.evaluation.damage_probe import PROBES, damaged, probe_scores, shares
from models.evaluation.holdout_suite import SuiteItem, System, score_image
from models.faces.detect import FaceDetector
from models.serving.frame_score import frame_bands

BOX = (170, 40, 110, 130)  # the astronaut's face, x y w h


def detail(image: np.ndarray) -> float:
    """Mean step between horizontal neighbours: fine detail."""
    return float(np.abs(np.diff(image.astype(np.float32), axis=1)).mean())


def test_strength_zero_is_the_photo_and_stronger_smoothing_is_flatter():
    photo = data.astronaut()
    rng = np.random.default_rng(0)
    assert damaged(photo, BOX, "smooth", 0.0, rng) is photo
    mild, strong = (damaged(photo, BOX, "smooth", level, rng) for level in (30.0, 60.0))
    assert mild.shape == photo.shape and mild.dtype == np.uint8
    assert detail(strong) < detail(mild) < detail(photo)
    for name, (levels, _) in PROBES.items():
        assert levels[0] == 0.0 and len(levels) >= 2, name


def test_stronger_sharpening_adds_more_detail_and_every_probe_keeps_the_picture():
    photo = data.astronaut()
    rng = np.random.default_rng(0)
    mild, strong = (damaged(photo, BOX, "sharpen", level, rng) for level in (1.0, 2.0))
    assert detail(photo) < detail(mild) < detail(strong)
    for name, (levels, _) in PROBES.items():
        out = damaged(photo, BOX, name, levels[-1], np.random.default_rng(1))
        assert out.shape == photo.shape and out.dtype == np.uint8 and not np.array_equal(out, photo), name


def test_every_photo_is_scored_at_every_strength_with_the_shipped_set():
    detectors = [registry.create(n) for n in ("blend_cnn", "generated_residual")]
    system = System("set", detectors, frame_bands(detectors))
    finder = FaceDetector()
    photo = data.astronaut()
    items = [SuiteItem("astronaut", "val", 0, lambda: photo.copy()),
             SuiteItem("unreadable", "val", 0, lambda: None),
             SuiteItem("no face", "val", 0, lambda: np.full((200, 200, 3), 90, np.uint8))]

    def score(item, image):
        return score_image(item, image, finder, [system], 64).results["set"][0]

    out = probe_scores(items, finder, score, "smooth")
    assert sorted(out) == [0.0, 30.0, 60.0] and all(len(v) == 1 for v in out.values())
    assert out[0.0][0] == score(items[0], photo)  # strength 0: the untouched photo, as served
    assert out[60.0][0] != out[0.0][0]  # the smoothed photo is scored anew


def test_shares_against_hand_counts():
    table = shares({0.0: [0.1, 0.5, 0.9, 0.95], 1.0: []}, real_below=0.5, fake_from=0.9)
    assert table["0.0"] == {"count": 4, "flagged": 0.5, "not_real": 0.75}
    assert table["1.0"] == {"count": 0, "flagged": 0.0, "not_real": 0.0}
