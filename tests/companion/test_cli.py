"""`unmask serve` and `unmask token`: loopback only, the banner, token printing and rotation."""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time

import pytest
import requests

from companion.cli import COMMANDS, MODEL_COMMANDS, main


@pytest.fixture
def user_dirs(tmp_path, monkeypatch):
    """Point the CLI's data and config folders at temporary ones through UNMASK_* variables."""
    data, config = tmp_path / "data", tmp_path / "config"
    monkeypatch.setenv("UNMASK_DATA_DIR", str(data))
    monkeypatch.setenv("UNMASK_CONFIG_DIR", str(config))
    return data, config


def test_token_prints_only_the_token(user_dirs, capsys):
    data, _ = user_dirs
    assert main(["token"]) == 0
    first = capsys.readouterr().out
    token = (data / "token").read_text().strip()
    assert first == token + "\n" and len(token) >= 43
    assert stat.S_IMODE(os.stat(data / "token").st_mode) == 0o600
    assert main(["token"]) == 0
    assert capsys.readouterr().out == first


def test_rotate_makes_a_new_token_a_running_server_accepts(user_dirs, start_server, capsys):
    data, config = user_dirs
    server = start_server(DATA_DIR=data, CONFIG_DIR=config)
    old = server.token
    assert main(["token", "--rotate"]) == 0
    captured = capsys.readouterr()
    new = captured.out.strip()
    assert new != old and captured.out == new + "\n" and "new token" in captured.err
    assert stat.S_IMODE(os.stat(data / "token").st_mode) == 0o600
    url = server.url("/v1/analyses")
    assert requests.get(url, headers={"Authorization": f"Bearer {old}"}, timeout=10).status_code == 401
    assert requests.get(url, headers={"Authorization": f"Bearer {new}"}, timeout=10).status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.com"])
def test_serve_refuses_non_loopback_host(user_dirs, capsys, host):
    data, _ = user_dirs
    assert main(["serve", "--host", host]) == 2
    assert "loopback" in capsys.readouterr().err
    assert not data.exists()  # refused before creating anything


def test_serve_refuses_non_loopback_host_from_config_file(user_dirs, capsys):
    _, config = user_dirs
    config.mkdir(parents=True)
    (config / "config.toml").write_text('host = "0.0.0.0"\n')
    assert main(["serve"]) == 2
    assert "refusing to listen on '0.0.0.0'" in capsys.readouterr().err


def test_bad_config_is_a_usage_error(user_dirs, capsys):
    _, config = user_dirs
    config.mkdir(parents=True)
    (config / "config.toml").write_text("workers = 0\n")
    assert main(["token"]) == 2
    assert "WORKERS" in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    help_text = capsys.readouterr().err
    for name in (*COMMANDS, *MODEL_COMMANDS):
        assert name in help_text


def test_cli_does_not_import_tensorflow():
    code = "import sys, companion.cli; companion.cli.build_parser(); print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False"


def _read_banner(process, timeout=60.0) -> list[str]:
    """Lines the server printed up to its 'Stop with Ctrl+C' line."""
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"server exited early with {process.wait()}")
        lines.append(line.rstrip("\n"))
        if "Ctrl+C" in line:
            return lines
    raise AssertionError(f"no banner in time: {lines}")


def test_serve_runs_waitress_on_loopback(user_dirs, tmp_path):
    data, _ = user_dirs
    env = {**os.environ, "UNMASK_MAX_UPLOAD_BYTES": "2000"}
    log = open(tmp_path / "stderr.log", "w+")  # a file, not a pipe: an unread full pipe would block the server
    # Ctrl+C must stop it even when the test run itself was started in the background, where the shell
    # ignores SIGINT and the child would inherit that (Python then installs no KeyboardInterrupt).
    process = subprocess.Popen([sys.executable, "-u", "-m", "companion", "serve", "--port", "0"], env=env,
                               stdout=subprocess.PIPE, stderr=log, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        banner = _read_banner(process)
        text = "\n".join(banner)
        address = banner[0].split(" listening on ")[1].split()[0]
        assert address.startswith("http://127.0.0.1:")
        token = (data / "token").read_text().strip()
        assert f"Pairing token: {token}" in text
        assert "chrome://extensions" in text and "Load unpacked" in text and "about:debugging" in text
        assert "extension" in text
        health = requests.get(address + "/v1/health", timeout=20)
        assert health.status_code == 200 and health.json()["queue"]["workers"] == 1
        too_big = requests.post(address + "/v1/analyses", json={"url": "https://a.example/" + "x" * 5000},
                                headers={"Authorization": f"Bearer {token}"}, timeout=20)
        assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "too_large"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        finally:
            process.kill()
            process.stdout.close()
            log.close()
    assert process.returncode == 0, (tmp_path / "stderr.log").read_text()
