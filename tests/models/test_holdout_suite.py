"""The holdout suite: its metrics against hand-computed values, and a whole run over a miniature dataset."""
import json

import numpy as np
import pytest

from models.detectors.detector import ScoreBands
from models.evaluation import holdout_suite as suite
from models.evaluation.holdout_items import SELF_BLENDS, SWAPS, holdout_items
from tests.models.dataset_fixture import make_dataset


def scored(source, label, results, family=""):
    item = suite.SuiteItem(f"{source}-{len(results)}-{np.random.random()}", source, label, lambda: None, family)
    out = suite.ItemScores(item)
    out.results = {"sys": results}
    return out


def test_auc_and_shares_match_hand_computed_values():
    rng = np.random.default_rng(0)
    result = suite.auc_with_interval(np.array([0.9, 0.8, 0.3]), np.array([0.1, 0.4, 0.85]), rng)
    assert result["auc"] == pytest.approx(6 / 9)  # 3 + 2 + 1 of the 9 fake-real pairs ranked right
    low, high = result["interval"]
    assert 0.0 <= low <= 6 / 9 <= high <= 1.0
    share = suite.share_with_interval(np.array([1, 0, 0, 0]), rng)
    assert share["share"] == 0.25 and 0.0 <= share["interval"][0] <= 0.25 <= share["interval"][1] <= 1.0
    assert suite.auc_with_interval(np.array([]), np.array([0.1]), rng) == {"auc": None, "interval": None}


def test_the_summary_counts_no_face_apart_and_ranks_scored_faces_only():
    rows = [scored("real-a", 0, (0.1, "likely_real")), scored("real-a", 0, (0.2, "likely_real")),
            scored("real-a", 0, (0.9, "likely_fake")), scored("real-a", 0, (None, "no_face")),
            scored("gen", 1, (0.95, "likely_fake"), "generated"), scored("gen", 1, (0.5, "inconclusive"), "generated")]
    table = suite.summarise(rows, ["sys"], seed=1)["sys"]
    real = table["real-a"]
    assert (real["count"], real["no_face"], real["label"]) == (4, 1, "real")
    assert real["flagged"]["share"] == pytest.approx(1 / 3) and real["inconclusive"]["share"] == 0.0  # of 3 judged
    gen = table["gen"]
    assert gen["auc"] == pytest.approx(5 / 6)  # 0.95 beats 3 reals, 0.5 beats 2
    assert gen["flagged"]["share"] == 0.5 and gen["inconclusive"]["share"] == 0.5
    assert table["all generated"]["count"] == 2 and table["all reals"]["count"] == 4
    assert real["too_blurred"] == 0


def test_the_summary_counts_images_too_blurred_to_judge_among_no_face():
    blurred = scored("real-a", 0, (None, "no_face"))
    blurred.too_blurred.add("sys")
    rows = [scored("real-a", 0, (0.1, "likely_real")), scored("real-a", 0, (None, "no_face")), blurred]
    real = suite.summarise(rows, ["sys"], seed=1)["sys"]["real-a"]
    assert (real["count"], real["no_face"], real["too_blurred"]) == (3, 2, 1)
    assert "blurred" in suite.format_report({"variants": {"as_is": {"sys": {"real-a": real}}}})


def test_variants_are_the_same_picture_saved_again_or_in_black_and_white():
    image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    assert suite.variant_image(image, "as_is") is image
    again = suite.variant_image(image, "jpeg90")
    assert again.shape == image.shape and not np.array_equal(again, image)
    grey = suite.variant_image(image, "grey")
    assert np.array_equal(grey[..., 0], grey[..., 1]) and np.array_equal(grey[..., 1], grey[..., 2])
    with pytest.raises(ValueError):
        suite.variant_image(image, "sepia")


def test_a_whole_run_over_every_holdout_source_writes_json_and_a_roc_plot(tmp_path, face_assets_dir):
    from models.detectors import registry
    from models.faces.detect import FaceDetector
    from models.serving.frame_score import frame_bands

    root = make_dataset(tmp_path / "datasets")
    detector = FaceDetector(face_assets_dir)
    items = holdout_items(root, detector, pasted_per_source=1, seed=3)
    sources = {i.source for i in items}
    assert {"lfw-color", "lfw-gray", "fakes/generated/flux", "fakes/swapped/dfl", SELF_BLENDS, SWAPS} <= sources
    assert not any(i.source in ("utkface", "fakes/generated/gan_a") for i in items)  # train / val never
    frame_cnn = registry.create("frame_cnn")
    systems = [suite.System("seed", [frame_cnn], frame_bands([frame_cnn]))]
    report = suite.run_suite(items, detector, systems, min_face_px=32, seed=0, log=lambda *a: None)
    assert set(report["variants"]) == {"as_is", "jpeg90", "grey"}
    table = report["variants"]["as_is"]["seed"]
    assert table["lfw-color"]["count"] == 2 and table["fakes/generated/flux"]["label"] == "fake"
    # the suite scores a file exactly as the companion's analysis does
    from models.evaluation.holdout_suite import score_image

    first = next(i for i in items if i.source == "lfw-color")
    direct = score_image(first, first.load(), detector, systems, 32).results["seed"][0]
    assert next(r for r in report["per_file"] if r["name"] == first.name)["seed"] == direct
    json_path, png_path = suite.write_outputs(report, tmp_path / "out")
    assert json.loads(json_path.read_text())["systems"]["seed"]["versions"]["frame_cnn"] == frame_cnn.version
    assert png_path.read_bytes()[:4] == b"\x89PNG"
    assert "residual energy (baseline)" in report["variants"]["as_is"]
    assert ScoreBands(**report["systems"]["seed"]["bands"]) == frame_cnn.bands
