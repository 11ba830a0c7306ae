"""`unmask serve` in a child process on a loopback port, for tests and benchmarks that watch it from outside
(its peak resident memory from /proc, its log)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def peak_rss_mb(pid: int) -> float:
    """The peak resident memory (VmHWM) of a running process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


class ServedCompanion:
    """A companion served by `python -m companion serve --port 0` with its own data folder and settings."""

    def __init__(self, workdir: Path, settings: dict | None = None, start_timeout: float = 120.0):
        """Start it (settings as UNMASK_* variables, JSON-encoded) and wait for its banner."""
        self.workdir = Path(workdir)
        self.data_dir = self.workdir / "data"
        env = {name: value for name, value in os.environ.items() if not name.startswith("UNMASK_")}
        env.update({"UNMASK_DATA_DIR": str(self.data_dir), "UNMASK_CONFIG_DIR": str(self.workdir / "config")})
        for key, value in (settings or {}).items():
            env[f"UNMASK_{key}"] = value if isinstance(value, str) else json.dumps(value)
        self.log_path = self.workdir / "server.log"
        self._log = open(self.log_path, "w+")  # a file, not a pipe: a full pipe would block the server
        self.process = subprocess.Popen([sys.executable, "-u", "-m", "companion", "serve", "--port", "0"], cwd=REPO,
                                        env=env, stdout=subprocess.PIPE, stderr=self._log, text=True,
                                        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.base_url = self._read_address(start_timeout)
        self.token = (self.data_dir / "token").read_text().strip()

    def _read_address(self, timeout: float) -> str:
        """The http://127.0.0.1:PORT the banner names (raises when the server exits first)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"the companion exited with {self.process.wait()}: {self.log()}")
            if " listening on " in line:
                address = line.split(" listening on ")[1].split()[0]
                assert address.startswith("http://127.0.0.1:"), address  # loopback only
                return address
        raise RuntimeError("the companion printed no address in time")

    @property
    def auth(self) -> dict:
        """Headers with the pairing token."""
        return {"Authorization": f"Bearer {self.token}"}

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return self.base_url + path

    def peak_rss_mb(self) -> float:
        """The server process's peak resident memory so far, in MiB."""
        return peak_rss_mb(self.process.pid)

    def log(self) -> str:
        """What the server wrote to stderr so far."""
        self._log.flush()
        return self.log_path.read_text()

    def stop(self) -> int:
        """Ctrl+C, then wait; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        self._log.close()
        return self.process.returncode

    def __enter__(self) -> "ServedCompanion":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
