"""`pip install .` without the `train` extra serves and scans with no TensorFlow: proved in a fresh virtual environment.

The project is copied (sources only) and installed with its runtime dependencies from the package index into a
new venv that does not see this one's packages; that venv's `unmask scan` scores a face photo and its
`unmask serve` answers /v1/health with the shipped detectors' versions. About a minute with a warm index cache.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import cv2
import pytest
from skimage import data

ROOT = Path(__file__).resolve().parents[1]
FACE_ASSETS = ROOT / "models" / "faces" / "assets"
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "companion", "models")
VERDICTS = {"likely_fake", "inconclusive", "likely_real"}

pytestmark = pytest.mark.slow


def _run(command: list, **kwargs) -> subprocess.CompletedProcess:
    """Run a command, text output captured; fails the test with its output when it fails."""
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def lean(tmp_path_factory) -> dict:
    """A fresh venv with `pip install <copy of the project>` (runtime dependencies only), and an env to run it in."""
    base = tmp_path_factory.mktemp("lean")
    source = base / "src"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "assets"))
        else:
            shutil.copy2(ROOT / name, source / name)
    shutil.copytree(FACE_ASSETS, source / "models" / "faces" / "assets", ignore=shutil.ignore_patterns("*.tflite"))
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(source)], timeout=900)
    home = base / "home"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "UNMASK_", "VIRTUAL_ENV"))}
    env.update(UNMASK_CONFIG_DIR=str(home / "config"), UNMASK_DATA_DIR=str(home / "data"),
               UNMASK_FACE_ASSETS_DIR=str(FACE_ASSETS), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    return {"python": python, "bin": venv / "bin", "env": env, "cwd": base}


def _shipped_version(name: str) -> str:
    """A detector's version in this checkout's manifest."""
    return json.loads((ROOT / "models" / "weights" / "manifest.json").read_text())[name]["version"]


def test_the_lean_install_has_no_tensorflow_and_imports_the_installed_copy(lean):
    probe = ("import importlib.util, json, companion, models; "
             "print(json.dumps({'tf': importlib.util.find_spec('tensorflow') is not None, "
             "'keras': importlib.util.find_spec('keras') is not None, 'models': models.__file__}))")
    found = json.loads(_run([str(lean["python"]), "-c", probe], env=lean["env"], cwd=lean["cwd"]).stdout)
    assert found["tf"] is False and found["keras"] is False
    assert Path(found["models"]).is_relative_to(lean["bin"].parent)  # not this checkout


def test_unmask_scan_gives_a_verdict_without_tensorflow(lean, tmp_path):
    photo = tmp_path / "astronaut.png"
    cv2.imwrite(str(photo), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    done = _run([str(lean["bin"] / "unmask"), "scan", str(photo), "--json"], env=lean["env"], cwd=lean["cwd"],
                timeout=300)
    [row] = json.loads(done.stdout)
    assert row["result"]["verdict"] in VERDICTS
    assert len(row["result"]["faces"]) == 1
    model = row["result"]["model"]  # the default detectors, "+"-joined
    names = model["name"].split("+")
    assert names == ["blend_cnn", "generated_residual", "temporal"] and model["version"] == "+".join(_shipped_version(name) for name in names)


def test_unmask_serve_answers_health_with_the_shipped_detectors(lean):
    server = subprocess.Popen([str(lean["bin"] / "unmask"), "serve", "--port", "0"], env=lean["env"],
                              cwd=lean["cwd"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in server.stdout:
            lines.append(line)
            if "listening on" in line:
                found.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert found.wait(120), "".join(lines)
        url = re.search(r"listening on (http://\S+)", "".join(lines)).group(1)
        with urllib.request.urlopen(f"{url}/v1/health", timeout=60) as response:
            health = json.loads(response.read())
    finally:
        server.terminate()
        server.wait(30)
    assert health["status"] == "ok", health
    versions = {m["name"]: m.get("version") for m in health["models"]}
    assert versions == {name: _shipped_version(name) for name in versions} and "blend_cnn" in versions and "generated_residual" in versions
