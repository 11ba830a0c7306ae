"""Start-up and settings: a bad value is `unmask: bad configuration: ...` (exit 2), never a traceback;
private folders and files stay private whoever created them."""
from __future__ import annotations

import logging
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time

import pytest
import requests

from companion.cli import banner, main
from companion.config import ConfigError, load_config


@pytest.fixture(autouse=True)
def _never_serve(monkeypatch):
    """`unmask serve` in these tests must stop before listening; a regression fails instead of serving forever."""
    import companion.cli

    def refuse(*args, **kwargs):
        """Stand-in for build_server."""
        raise AssertionError("unmask serve got as far as listening")
    monkeypatch.setattr(companion.cli, "build_server", refuse)


@pytest.fixture
def user_dirs(tmp_path, monkeypatch):
    """The CLI's data and config folders, temporary, through UNMASK_* variables."""
    data, config = tmp_path / "data", tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("UNMASK_DATA_DIR", str(data))
    monkeypatch.setenv("UNMASK_CONFIG_DIR", str(config))
    return data, config


def _mode(path) -> int:
    """The permission bits of a path."""
    return stat.S_IMODE(os.stat(path).st_mode)


# ---------------------------------------------------------------- bad settings: exit 2 with a clear line


@pytest.mark.parametrize("argv, env, text", [
    (["serve"], {"UNMASK_PORT": "99999"}, "PORT"),
    (["serve", "--port", "-1"], {}, "PORT"),
    (["serve"], {"UNMASK_FETCH_TIMEOUT_S": "0"}, "FETCH_TIMEOUT_S"),
    (["serve"], {"UNMASK_FETCH_TIMEOUT_S": "1e999"}, "FETCH_TIMEOUT_S"),
    (["serve"], {"UNMASK_FETCH_MAX_REDIRECTS": "-1"}, "FETCH_MAX_REDIRECTS"),
    (["serve"], {"UNMASK_MAX_UPLOAD_BYTES": "-5"}, "MAX_UPLOAD_BYTES"),
    (["serve"], {"UNMASK_MAX_IMAGE_PIXELS": "0"}, "MAX_IMAGE_PIXELS"),
    (["serve"], {"UNMASK_THRESHOLD_FAKE": "0.2", "UNMASK_THRESHOLD_REAL": "0.8"}, "THRESHOLD_REAL"),
    (["serve"], {"UNMASK_THRESHOLD_FAKE": "NaN"}, "THRESHOLD_FAKE"),
    (["token"], {"UNMASK_DATABASE": "5"}, "DATABASE"),
    (["token"], {"UNMASK_TOKEN_FILE": "[\"a\"]"}, "TOKEN_FILE"),
])
def test_impossible_settings_exit_2(user_dirs, monkeypatch, capsys, argv, env, text):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("unmask: bad configuration:") and text in err and "Traceback" not in err


@pytest.mark.parametrize("content", [b"port = 8765\n# caf\xe9\n", b"token_file = 5\n", b"weights_dir = [1]\n",
                                     b"port = 70000\n", b"provenance_trust_anchors = true\n",
                                     b'token_file = "a\\u0000b"\n', b"config.toml is a folder"])
def test_bad_config_files_exit_2(user_dirs, capsys, content):
    _, config = user_dirs
    if content == b"config.toml is a folder":
        (config / "config.toml").mkdir()
    else:
        (config / "config.toml").write_bytes(content)
    assert main(["token"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("unmask: bad configuration:") and "Traceback" not in err


def test_token_file_that_is_a_folder_exits_2(user_dirs, monkeypatch, tmp_path, capsys):
    folder = tmp_path / "token-folder"
    folder.mkdir()
    monkeypatch.setenv("UNMASK_TOKEN_FILE", str(folder))
    for argv in (["token"], ["serve", "--port", "0"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("unmask: bad configuration: TOKEN_FILE") and str(folder) in err


def test_corrupt_database_at_start_says_which_file_and_what_to_do(user_dirs, capsys):
    data, _ = user_dirs
    data.mkdir()
    (data / "unmask.sqlite3").write_bytes(b"this is not a database, just junk " * 200)
    assert main(["serve", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert str(data / "unmask.sqlite3") in err and "move that file aside" in err and "Traceback" not in err


def test_unknown_unmask_variables_are_warned_about(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("UNMASK_ALLOW_PRIVATE_ADRESSES", "true")
    with caplog.at_level(logging.WARNING, logger="companion.config"):
        config = load_config({"DATA_DIR": tmp_path, "CONFIG_DIR": tmp_path})
    assert config["ALLOW_PRIVATE_ADDRESSES"] is False and "ALLOW_PRIVATE_ADRESSES" not in config
    assert "UNMASK_ALLOW_PRIVATE_ADRESSES" in caplog.text and "UNMASK_ALLOW_PRIVATE_ADDRESSES" in caplog.text


def test_seconds_accept_fractions_and_ranges_hold(tmp_path):
    config = load_config({"DATA_DIR": tmp_path, "CONFIG_DIR": tmp_path, "FETCH_TIMEOUT_S": 2.5, "PORT": 0})
    assert config["FETCH_TIMEOUT_S"] == 2.5 and config["PORT"] == 0
    with pytest.raises(ConfigError, match="CLIP_MIN_FRAMES"):
        load_config({"DATA_DIR": tmp_path, "CONFIG_DIR": tmp_path, "CLIP_FRAMES": 4, "CLIP_MIN_FRAMES": 8})


def test_banner_warns_when_private_addresses_are_allowed():
    assert "ALLOW_PRIVATE_ADDRESSES" not in banner("http://127.0.0.1:1", "t")
    assert "WARNING: ALLOW_PRIVATE_ADDRESSES is on" in banner("http://127.0.0.1:1", "t", True)


# ---------------------------------------------------------------- permissions


def test_token_before_serve_leaves_a_private_folder_and_database(user_dirs, make_app):
    data, config = user_dirs
    old = os.umask(0o022)
    try:
        assert main(["token"]) == 0
        assert _mode(data) == 0o700 and _mode(data / "token") == 0o600
        os.chmod(data, 0o755)  # an older version, or the user, opened it up
        app = make_app(DATA_DIR=data, CONFIG_DIR=config)
        app.extensions["unmask"].store.create(source={}, source_key="k", model_version="v")
    finally:
        os.umask(old)
    assert _mode(data) == 0o700
    for name in ("unmask.sqlite3", "unmask.sqlite3-wal", "unmask.sqlite3-shm"):
        assert _mode(data / name) == 0o600, name


def test_database_elsewhere_is_private_too(tmp_path, make_app):
    elsewhere = tmp_path / "shared-folder"
    elsewhere.mkdir(mode=0o755)
    database = elsewhere / "history.sqlite3"
    sqlite3.connect(database).execute("PRAGMA journal_mode=WAL").fetchall()
    os.chmod(database, 0o644)
    old = os.umask(0o022)
    try:
        app = make_app(DATABASE=database)
        app.extensions["unmask"].store.create(source={}, source_key="k", model_version="v")
    finally:
        os.umask(old)
    assert _mode(database) == 0o600 and _mode(str(database) + "-wal") == 0o600
    assert _mode(elsewhere) == 0o755  # a folder we did not make is left alone
    assert _mode(app.config["DATA_DIR"]) == 0o700


# ---------------------------------------------------------------- `unmask serve` end to end


def test_served_waitress_warns_and_answers_json(user_dirs, tmp_path):
    data, _ = user_dirs
    env = {**os.environ, "UNMASK_ALLOW_PRIVATE_ADDRESSES": "true", "UNMASK_MAX_UPLOAD_BYTES": "2000",
           "UNMASK_FRAMES_PER_VIDOE": "3"}
    log = open(tmp_path / "stderr.log", "w+")
    process = subprocess.Popen([sys.executable, "-u", "-m", "companion", "serve", "--port", "0"], env=env,
                               stdout=subprocess.PIPE, stderr=log, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        lines, deadline = [], time.monotonic() + 60
        while time.monotonic() < deadline and not any("Ctrl+C" in line for line in lines):
            lines.append(process.stdout.readline())
        text = "".join(lines)
        assert "WARNING: ALLOW_PRIVATE_ADDRESSES is on" in text
        address = lines[0].split(" listening on ")[1].split()[0]
        token = (data / "token").read_text().strip()
        response = requests.post(address + "/v1/analyses", data=b"x" * (2 * 1024 * 1024), timeout=20,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        finally:
            process.kill()
            process.stdout.close()
    log.seek(0)
    err = log.read()
    log.close()
    assert "UNMASK_FRAMES_PER_VIDOE" in err and "UNMASK_FRAMES_PER_VIDEO" in err
