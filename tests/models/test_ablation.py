"""Ablation report: variants measured alike, specialists paired by their higher calibrated score."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from models.evaluation.ablation import PAIRS, STEP_SCALE, VARIANTS, measure, own_calibration, pair_scores, trained_families
from models.training.export import split_halves
from models.training.train import parse_setting
from models.training.train_config import load_config

ROOT = Path(__file__).resolve().parents[2]


def labelled(real, fake):
    """(scores, labels) with the reals first, as the fixed validation pairs are laid out."""
    return np.r_[real, fake].astype(np.float64), np.r_[np.zeros(len(real)), np.ones(len(fake))]


def specialist_scores(rng, knows: str, n: int = 200):
    """Scores of a network that separates one family perfectly and guesses on the other."""
    out = {}
    for family in ("blend", "generated"):
        real = rng.uniform(0.0, 0.4, n)
        fake = rng.uniform(0.6, 1.0, n) if family == knows else rng.uniform(0.0, 0.4, n)
        out[family] = labelled(real, fake)
    return out


def test_variants_change_only_the_mix_the_question_asks_about():
    joint, no_swap = VARIANTS["joint"], VARIANTS["no_swap"]
    assert no_swap["swap"] == 0 and no_swap["generated"] == joint["generated"]
    assert no_swap["blend"] == pytest.approx(joint["blend"] + joint["swap"])
    assert trained_families(VARIANTS["blends_only"]) == ("blend", "swap")
    assert trained_families(VARIANTS["generated_only"]) == ("generated",)
    assert set(PAIRS["two_networks"]) == {"blends_only", "generated_only"}


def test_the_script_passes_each_variant_mix_to_unmask_train():
    sys.path.insert(0, str(ROOT / "scripts"))
    import ablate_frame_cnn

    config_phases = load_config("frame_cnn_ablation")["phases"]
    for name, mix in VARIANTS.items():
        command = ablate_frame_cnn.train_command(name)
        assert command[command.index("--run-dir") + 1].endswith(f"ablation/{name}")
        settings = dict(parse_setting(text) for i, text in enumerate(command) if command[i - 1] == "--set")
        assert settings["mix"] == mix
        scale = STEP_SCALE.get(name, 1)
        if scale == 1:
            assert "phases" not in settings
        else:  # the same phases, only longer
            assert [p["steps"] for p in settings["phases"]] == [p["steps"] * scale for p in config_phases]
            assert [{**p, "steps": 0} for p in settings["phases"]] == [{**p, "steps": 0} for p in config_phases]
    assert STEP_SCALE["joint_twice"] == 2 and VARIANTS["joint_twice"] == VARIANTS["joint"]
    queues = ablate_frame_cnn.queues(2)
    assert sorted(sum(queues, [])) == sorted(VARIANTS) and queues[0][0] == "joint"
    assert VARIANTS[queues[1][0]]["generated"] == 0  # the second queue starts without autoencoders


def test_measure_calibrates_on_one_half_and_reports_the_other():
    rng = np.random.default_rng(0)
    scores = {"blend": labelled(rng.uniform(0, 0.5, 100), rng.uniform(0.5, 1, 100)),
              "generated": labelled(rng.uniform(0, 0.5, 100), rng.uniform(0, 0.5, 100))}
    out = measure(scores)
    assert out["validation"]["blend"]["auc"] == 1.0
    assert out["validation"]["blend"]["n_real"] == 50  # the report half, split by face
    assert 0.3 < out["validation"]["generated"]["auc"] < 0.7
    assert out["bands"]["real_below"] <= out["bands"]["fake_from"]
    assert out["validation"]["all"]["n_fake"] == 100


def test_two_specialists_together_cover_both_families():
    rng = np.random.default_rng(1)
    blends, generated = specialist_scores(rng, "blend"), specialist_scores(rng, "generated")
    members = [(blends, own_calibration(blends, ("blend",))), (generated, own_calibration(generated, ("generated",)))]
    pair = measure(pair_scores(members))["validation"]
    assert pair["blend"]["auc"] == 1.0 and pair["generated"]["auc"] == 1.0
    assert measure(blends)["validation"]["generated"]["auc"] < 0.7  # each alone misses the other family


def test_a_specialist_is_calibrated_on_its_own_families_only():
    rng = np.random.default_rng(2)
    scores = specialist_scores(rng, "blend")
    noisy = dict(scores, generated=labelled(rng.uniform(0, 1, 200), rng.uniform(0, 1, 200)))
    assert own_calibration(scores, ("blend",)) == own_calibration(noisy, ("blend",))


@pytest.mark.slow
def test_report_scores_trained_variants_and_their_pair(tmp_path):
    pytest.importorskip("tensorflow", reason="training extra (tensorflow) is part of the test install")
    from models.evaluation.ablation import ablation_report
    from models.training.train import RunLog
    from models.training.trainer import Trainer
    from tests.models.fixtures import tiny_face_set

    faces = tiny_face_set(6)
    base = {"detector": "frame_cnn", "seed": 3, "batch": 4, "learning_rate": 2e-3, "warmup_steps": 1,
            "easy_steps": 0, "checkpoint_every": 4, "val_faces": 2, "serve_size": 64, "export": False,
            "autoencoder_dir": str(tmp_path / "autoencoders"), "run_dir": str(tmp_path / "joint"),
            "autoencoders": {"kinds": ["nearest"], "steps": 2, "size": 64}, "phases": [{"size": 64, "steps": 4}]}
    runs = {}
    for name in ("generated_only", "blends_only"):
        runs[name] = tmp_path / name
        runs[name].mkdir()
        Trainer({**base, "run_dir": str(runs[name]), "mix": VARIANTS[name]}, faces, faces, RunLog(runs[name])).run()
    runs["joint"] = tmp_path / "joint"  # never trained: reported as missing
    report = ablation_report(base, runs, faces=faces)
    assert report["missing"] == ["joint"]
    assert set(report["systems"]) == {"generated_only", "blends_only", "two_networks"}
    assert set(report["sets"]) == {"blend", "swap", "generated", "tight"}
    assert report["systems"]["blends_only"]["steps"] == 4
    for entry in report["systems"].values():
        assert 0.0 <= entry["validation"]["all"]["auc"] <= 1.0
    assert json.loads(json.dumps(report)) == report  # the script writes it as JSON

    from models.detectors.weights_manifest import WEIGHTS_DIR
    from models.evaluation.ablation import served_report

    served = served_report(base, ["frame_cnn", "frame_cnn_generated"], WEIGHTS_DIR, faces=faces)
    pair = served["systems"]["frame_cnn+frame_cnn_generated"]
    assert set(served["systems"]) == {"frame_cnn", "frame_cnn_generated", "frame_cnn+frame_cnn_generated"}
    assert pair["calibration"] == {"a": 1.0, "b": 0.0}  # its members' scores are calibrated already
    assert pair["bands"]["fake_from"] >= max(served["systems"][n]["bands"]["fake_from"]  # the pair's own
                                             for n in ("frame_cnn", "frame_cnn_generated"))


def test_the_served_pair_is_combined_as_the_companion_combines_it():
    from models.detectors.detector import ScoreBands
    from models.detectors.calibration import Calibration
    from models.evaluation.ablation import served_set_scores
    from models.serving.frame_score import combine

    class Member:
        def __init__(self, name, bands):
            self.name, self.bands, self.calibration = name, bands, Calibration.from_dict({"a": 1.0, "b": 0.0})

    members = [Member("blend", ScoreBands(0.5, 0.75)), Member("generated", ScoreBands(0.1, 0.45))]
    labels = np.array([0, 1, 1])
    scores = {"blend": {"set": (np.array([0.6, 0.3, 0.8]), labels)},
              "generated": {"set": (np.array([0.05, 0.45, 0.2]), labels)}}
    together, got_labels = served_set_scores(scores, members)["set"]
    anchors = {m.name: m.bands for m in members}
    expected = [combine({"blend": b, "generated": g}, anchors) for b, g in ((0.6, 0.05), (0.3, 0.45), (0.8, 0.2))]
    assert np.allclose(together, expected) and list(got_labels) == [0, 1, 1]
    assert together[1] == pytest.approx(0.75)  # generated at its own fake_from reads as blend at its own


def test_a_served_detector_is_measured_with_its_own_calibration_and_bands():
    rng = np.random.default_rng(3)
    scores = {"blend": labelled(rng.uniform(0, 0.6, 100), rng.uniform(0.4, 1, 100))}
    served = {"calibration": {"a": 1.0, "b": 0.0}, "bands": {"real_below": 0.2, "fake_from": 0.55}}
    out = measure(scores, served)
    assert out["bands"] == served["bands"] and out["calibration"] == served["calibration"]
    _, held = split_halves(scores)
    real = held["blend"][0][held["blend"][1] == 0]
    assert out["validation"]["blend"]["fpr"] == pytest.approx((real >= 0.55).mean())
