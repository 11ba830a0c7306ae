"""Bands that hold on a second real-face domain: raised, never lowered, stored with a new version."""
import shutil

import cv2
import numpy as np
import pytest
from skimage import data

from models.detectors import registry
from models.detectors.detector import ScoreBands
from models.detectors.weights_manifest import WEIGHTS_DIR, read_manifest
from models.evaluation.band_choice import (budget_for_unseen, choose, left_out_shares, origin, real_image_scores,
                                           write_bands, write_partner_bands)
from models.training.calibration import fpr_threshold, strictest_bands

BANDS = {"real_below": 0.3, "fake_from": 0.7}


def test_fpr_threshold_flags_at_most_the_budget():
    scores = np.linspace(0.0, 0.99, 100)
    threshold = fpr_threshold(scores, 0.05)
    assert (scores >= threshold).sum() == 5
    assert (scores >= np.nextafter(threshold, 0.0) - 0.01).sum() > 5  # the lowest such threshold


def test_a_stricter_domain_raises_fake_from_and_a_lenient_one_leaves_it():
    lenient = np.full(100, 0.1)
    assert strictest_bands(BANDS, lenient) == BANDS
    harsh = np.r_[np.full(90, 0.5), np.full(10, 0.9)]
    raised = strictest_bands(BANDS, harsh)
    assert raised["fake_from"] > 0.9 and raised["real_below"] == 0.3
    out = choose(BANDS, harsh)
    assert out["fpr_before"] == pytest.approx(0.10) and out["fpr_after"] <= 0.05


def test_a_source_left_out_is_judged_by_bands_chosen_on_the_others_alone():
    # two sources of 100 reals; "b" (with its tight-cut copy) runs hotter than "a"
    a = np.linspace(0.0, 0.5, 100)
    b = np.linspace(0.3, 0.9, 100)
    shares = left_out_shares({"a": a, "b": b, "b tight-cut": b.copy()}, max_fpr=0.05)
    assert set(shares) == {"a", "b"} and origin("b tight-cut") == "b"
    from_a = np.nextafter(a[94], 1.0)  # at most 5 of a's 100 at or above it
    assert shares["b"]["fake_from"] == from_a and shares["b"]["count"] == 200
    # by hand: b_i = 0.3 + 0.6 i / 99 >= 0.5 x 94 / 99 for i = 29..99, 71 of 100
    assert shares["b"]["flagged"] == pytest.approx(0.71)
    from_b = np.nextafter(b[94], 1.0)
    assert shares["a"]["fake_from"] == from_b and shares["a"]["flagged"] == 0.0


def test_the_budget_is_lowered_until_a_left_out_source_stays_within_the_ceiling():
    a = np.linspace(0.0, 0.999, 200)
    scores = {"a": a, "b": a.copy(), "hot": a + 0.03}
    assert left_out_shares(scores, 0.04)["hot"]["flagged"] > 0.05  # the asked budget does not travel to "hot"
    budget = budget_for_unseen(scores, max_fpr=0.04, ceiling=0.05, min_count=100)
    assert 0.0 < budget < 0.04
    within = lambda m: all(v["flagged"] <= 0.05 for v in left_out_shares(scores, m).values()  # noqa: E731
                           if v["count"] >= 100)
    assert within(budget) and not within(round(budget + 0.005, 6))  # the highest budget on the grid that holds
    few = {"a": a, "b": a.copy(), "few": a[::10] + 0.1}  # 20 faces, hotter than the rest
    assert left_out_shares(few, 0.04)["few"]["flagged"] > 0.05
    assert budget_for_unseen(few, 0.04, 0.05, min_count=100) == 0.04  # too few to set the budget
    assert budget_for_unseen(few, 0.04, 0.05, min_count=10) < 0.04
    calm = {"a": a, "b": a.copy()}
    assert budget_for_unseen(calm, max_fpr=0.04, ceiling=0.05) == 0.04  # nothing to lower


def test_real_below_never_rises_above_fake_from():
    bands = strictest_bands({"real_below": 0.8, "fake_from": 0.8}, np.full(10, 0.1))
    assert bands["real_below"] <= bands["fake_from"]


def test_written_bands_reach_the_served_detector_with_a_new_version(tmp_path):
    entry = read_manifest()["frame_cnn"]
    for name in ("manifest.json", entry["file"], "frame_cnn.config.json"):
        shutil.copy(WEIGHTS_DIR / name, tmp_path / name)
    new = {"real_below": 0.2, "fake_from": 0.9}
    version = write_bands("frame_cnn", new, {"web_faces": {"files": 3}}, tmp_path)
    detector = registry.create("frame_cnn", weights_dir=tmp_path)
    assert detector.version == version != entry["version"]
    assert (detector.bands.real_below, detector.bands.fake_from) == (0.2, 0.9)
    assert read_manifest(tmp_path)["frame_cnn"]["bands_chosen_on"] == {"web_faces": {"files": 3}}
    assert write_bands("frame_cnn", new, {}, tmp_path) == version  # the version follows the bands only


def test_bands_written_for_a_pair_judge_the_pair_and_change_the_first_members_version(tmp_path):
    from models.serving.frame_score import frame_bands

    manifest = read_manifest()
    for name in ("frame_cnn", "frame_cnn_generated"):
        for file in (manifest[name]["file"], f"{name}.config.json"):
            shutil.copy(WEIGHTS_DIR / file, tmp_path / file)
    shutil.copy(WEIGHTS_DIR / "manifest.json", tmp_path / "manifest.json")
    partner = registry.create("frame_cnn_generated", weights_dir=tmp_path)
    new = {"real_below": 0.31, "fake_from": 0.93}
    version = write_partner_bands("frame_cnn", {partner.name: partner.version}, new, {"web_faces": {}}, tmp_path)
    first = registry.create("frame_cnn", weights_dir=tmp_path)
    assert first.version == version != manifest["frame_cnn"]["version"]
    assert first.bands == registry.create("frame_cnn").bands  # its own bands stay
    assert frame_bands([first, partner]) == frame_bands([partner, first]) == ScoreBands(0.31, 0.93)
    stale = write_partner_bands("frame_cnn", {partner.name: "retrained"}, new, {}, tmp_path)
    assert frame_bands([registry.create("frame_cnn", weights_dir=tmp_path), partner]) != ScoreBands(0.31, 0.93)
    assert stale != version


def test_real_images_are_scored_as_the_companion_scores_them(tmp_path, face_assets_dir):
    from models.faces.detect import FaceDetector

    face, blank = tmp_path / "astronaut.jpg", tmp_path / "blank.png"
    cv2.imwrite(str(face), data.astronaut()[..., ::-1])
    cv2.imwrite(str(blank), np.full((200, 200, 3), 128, np.uint8))
    detector = registry.create("frame_cnn")
    scored = real_image_scores([face, blank], FaceDetector(assets_dir=face_assets_dir), [detector], detector.bands)
    assert scored["files"] == 2 and scored["no_face"] == 1
    assert scored["scores"].shape == (1,) and 0.0 <= scored["scores"][0] <= 1.0
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(ValueError, match="1 calibration images failed"):
        real_image_scores([face, broken], FaceDetector(assets_dir=face_assets_dir), [detector], detector.bands)


def test_web_face_order_is_fixed_by_the_seed_so_slices_stay_disjoint(tmp_path):
    from models.training.dataset_index import web_face_files

    folder = tmp_path / "web-faces" / "images"
    folder.mkdir(parents=True)
    for i in range(20):
        (folder / f"{i:02d}.jpg").write_bytes(b"x")
    order = web_face_files(tmp_path, 2026)
    assert order == web_face_files(tmp_path, 2026) and sorted(order) == sorted(folder.iterdir())
    assert order != web_face_files(tmp_path, 7)
    assert not set(order[:5]) & set(order[5:])  # evaluation takes the first slice, band choice the rest


def test_a_written_smallest_face_reaches_the_served_detector_with_a_new_version(tmp_path):
    from models.evaluation.band_choice import write_min_face

    entry = read_manifest()["generated_residual"]
    for name in ("manifest.json", entry["file"], "generated_residual.config.json"):
        shutil.copy(WEIGHTS_DIR / name, tmp_path / name)
    version = write_min_face("generated_residual", 112, {"ceiling": 0.06}, tmp_path)
    detector = registry.create("generated_residual", weights_dir=tmp_path)
    assert detector.min_face_px == 112 and detector.version == version
    assert read_manifest(tmp_path)["generated_residual"]["min_face_chosen_on"] == {"ceiling": 0.06}
    assert write_min_face("generated_residual", 96, {}, tmp_path) != version  # verdicts change with it


def test_tight_cut_items_cut_each_photo_around_its_face_alike_every_run(face_assets_dir):
    from models.evaluation.band_sources import tight_cut_items
    from models.evaluation.holdout_suite import SuiteItem
    from models.faces.detect import FaceDetector
    from tests.helpers.media import astronaut_head

    detector = FaceDetector(face_assets_dir)
    image = astronaut_head()
    face = max(detector.detect(image), key=lambda f: f.box[2] * f.box[3])
    items = [SuiteItem("a.jpg", "utkface", 0, lambda: image), SuiteItem("clip.mp4#3", "real-videos frames", 0, lambda: image),
             SuiteItem("blank.jpg", "utkface", 0, lambda: np.zeros((200, 200, 3), np.uint8))]
    cut = tight_cut_items(items, detector, seed=5)
    assert [i.source for i in cut] == ["utkface tight-cut", "utkface tight-cut"]  # clip frames are not photos
    first, again = cut[0].load(), tight_cut_items(items, detector, seed=5)[0].load()
    assert np.array_equal(first, again)
    assert first.shape[0] < image.shape[0] and first.shape[1] < image.shape[1]
    assert first.shape[1] <= 1.5 * face.box[2] + 1 and first.shape[1] >= 0.8 * face.box[2]
    assert detector.detect(first)  # the face is still there
    assert cut[1].load() is None  # no face: nothing to cut, counted as no face by the caller


def test_a_per_source_sample_takes_up_to_n_of_every_source_and_repeats_with_its_seed():
    from models.evaluation.band_sources import per_source_sample
    from models.evaluation.holdout_suite import SuiteItem

    items = [SuiteItem(f"{s}{k}", s, 0, lambda: None) for s, n in (("b", 5), ("a", 2)) for k in range(n)]
    picked = per_source_sample(items, 3, np.random.default_rng(1))
    assert [i.source for i in picked] == ["a", "a", "b", "b", "b"]
    assert len({i.name for i in picked}) == 5
    again = per_source_sample(items, 3, np.random.default_rng(1))
    assert [i.name for i in again] == [i.name for i in picked]
