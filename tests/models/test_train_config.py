"""Training configs: paths resolved for use, written back relative to the project root."""
from pathlib import Path

from models.train_config import PROJECT_ROOT, load_config, portable


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
