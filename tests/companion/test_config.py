"""Settings: documented defaults, then config.toml, then UNMASK_* variables, then test overrides."""
from __future__ import annotations

from pathlib import Path

import pytest

from companion.config import DEFAULTS, SETTINGS, ConfigError, describe_settings, load_config


def test_every_setting_is_documented_and_defaulted():
    assert set(DEFAULTS) == set(SETTINGS)
    for key, (default, description) in SETTINGS.items():
        assert key.isupper()
        assert len(description) > 15, key
    assert DEFAULTS["HOST"] == "127.0.0.1" and DEFAULTS["PORT"] == 8765
    assert DEFAULTS["WORKERS"] == 1 and DEFAULTS["QUEUE_MAX"] == 16
    assert DEFAULTS["DETECTORS"] == ["blend_cnn", "generated_residual", "temporal"] and DEFAULTS["EXTENSION_IDS"] == []
    assert DEFAULTS["ALLOW_PRIVATE_ADDRESSES"] is False
    assert [row[0] for row in describe_settings()] == list(SETTINGS)


def test_paths_derive_from_data_dir(tmp_path):
    config = load_config({"DATA_DIR": tmp_path / "d", "CONFIG_DIR": tmp_path / "c"})
    assert config["TOKEN_FILE"] == tmp_path / "d" / "token"
    assert config["DATABASE"] == tmp_path / "d" / "unmask.sqlite3"
    assert config["CONFIG_DIR"] == tmp_path / "c"


def test_file_then_env_then_overrides(tmp_path, monkeypatch):
    config_dir = tmp_path / "c"
    config_dir.mkdir()
    (config_dir / "config.toml").write_text('port = 9000\nWORKERS = 3\nqueue_max = 4\nextension_ids = ["x"]\n')
    monkeypatch.setenv("UNMASK_WORKERS", "2")
    config = load_config({"CONFIG_DIR": config_dir, "DATA_DIR": tmp_path / "d", "QUEUE_MAX": 7})
    assert config["PORT"] == 9000  # from the file (lower-case key)
    assert config["EXTENSION_IDS"] == ["x"]
    assert config["WORKERS"] == 2  # the environment beats the file
    assert config["QUEUE_MAX"] == 7  # overrides beat both


def test_config_dir_can_come_from_the_environment(tmp_path, monkeypatch):
    (tmp_path / "config.toml").write_text("frames_per_video = 8\n")
    monkeypatch.setenv("UNMASK_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("UNMASK_DATA_DIR", str(tmp_path / "data"))
    config = load_config()
    assert config["FRAMES_PER_VIDEO"] == 8
    assert config["DATA_DIR"] == tmp_path / "data"


def test_unknown_key_in_file_is_an_error(tmp_path):
    (tmp_path / "config.toml").write_text("extension_idz = []\n")
    with pytest.raises(ConfigError, match="EXTENSION_IDZ"):
        load_config({"CONFIG_DIR": tmp_path, "DATA_DIR": tmp_path})


def test_invalid_toml_is_an_error(tmp_path):
    (tmp_path / "config.toml").write_text("port = \n")
    with pytest.raises(ConfigError, match="TOML"):
        load_config({"CONFIG_DIR": tmp_path, "DATA_DIR": tmp_path})


@pytest.mark.parametrize("key, value", [("PORT", "8765"), ("WORKERS", 0), ("ALLOW_PRIVATE_ADDRESSES", 1),
                                        ("DETECTORS", "frame_cnn"), ("THRESHOLD_FAKE", 1.5), ("QUEUE_MAX", True)])
def test_wrong_types_are_refused(tmp_path, key, value):
    with pytest.raises(ConfigError, match=key):
        load_config({"CONFIG_DIR": tmp_path, "DATA_DIR": tmp_path, key: value})


def test_app_uses_the_layers(make_app, tmp_path, base_config):
    Path(base_config["CONFIG_DIR"]).mkdir(parents=True)
    (Path(base_config["CONFIG_DIR"]) / "config.toml").write_text("max_upload_bytes = 12345\n")
    app = make_app()
    assert app.config["MAX_UPLOAD_BYTES"] == 12345
    assert app.config["MAX_CONTENT_LENGTH"] == 12345
    assert (Path(base_config["DATA_DIR"]) / "unmask.sqlite3").exists()
