"""Training configs: paths resolved for use, written back relative to the project root."""
from pathlib import Path

from models.training.train_config import PROJECT_ROOT, load_config, portable


def test_paths_resolve_against_the_project_root():
    config = load_config("frame_cnn")
    assert Path(config["data_root"]) == (PROJECT_ROOT / "../shared/datasets").resolve()
    assert Path(config["run_dir"]).is_absolute()


def test_portable_config_names_paths_as_the_file_does():
    config = load_config("frame_cnn_ablation")
    out = portable(config)
    assert out["data_root"] == "../shared/datasets"
    assert out["run_dir"] == "runs/ablation/joint"
    assert out["autoencoder_dir"] == "runs/ablation/autoencoders"
    assert out["seed"] == config["seed"] and config["run_dir"] != out["run_dir"]  # a copy


def test_portable_keeps_an_outside_path_relative(tmp_path):
    out = portable({"run_dir": str(tmp_path / "run")})
    assert not Path(out["run_dir"]).is_absolute()
    assert (PROJECT_ROOT / out["run_dir"]).resolve() == (tmp_path / "run").resolve()


def test_the_specialists_continue_the_shipped_frame_cnn_and_the_experiment_never_overwrites_it():
    from models.detectors.weights_manifest import WEIGHTS_DIR

    blends, generated = load_config("frame_cnn_blends"), load_config("frame_cnn_generated")
    for config in (blends, generated):
        assert Path(config["init_weights"]) == WEIGHTS_DIR / "frame_cnn.weights.h5"
        assert Path(config["init_weights"]).exists() and config["seed"] == load_config("frame_cnn")["seed"]
    assert blends["mix"]["generated"] == 0 and blends["mix"]["blend"] > 0 and blends["mix"]["swap"] > 0
    assert generated["mix"]["blend"] == generated["mix"]["swap"] == 0 and generated["mix"]["generated"] > 0
    assert (blends["detector"], generated["detector"]) == ("frame_cnn", "frame_cnn_generated")
    assert blends["export"] is False  # an experiment: its files stay in its run folder
