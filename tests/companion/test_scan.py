"""`unmask scan`: files, folders (by sniffing), URLs; table, JSON, CSV and progress output."""
from __future__ import annotations

import csv
import functools
import hashlib
import http.server
import io
import json
import threading

import cv2
import numpy as np
import pytest
from skimage import data

from companion import cli, cli_scan
from companion.config import DEFAULTS
from companion.pipeline import STAGES


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self):
        """Pretend to be a terminal."""
        return True


@pytest.fixture
def config() -> dict:
    """Default settings with the shipped models; local addresses allowed for the test web server."""
    return dict(DEFAULTS, ALLOW_PRIVATE_ADDRESSES=True)


@pytest.fixture
def media_tree(tmp_path):
    """A folder with a face photo, a photo without a face, a video, and files that are not media."""
    root = tmp_path / "media"
    (root / "nested" / "deeper").mkdir(parents=True)
    cv2.imwrite(str(root / "astronaut.jpg"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(root / "nested" / "coffee.png"), cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR))
    (root / "nested" / "notes.txt").write_text("not a picture")
    (root / "nested" / "fake.jpg").write_text("a text file with an image's name")
    # a face photo with no extension at all: found by its bytes
    cv2.imwrite(str(root / "nested" / "deeper" / "face.png"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    (root / "nested" / "deeper" / "face.png").rename(root / "nested" / "deeper" / "face")
    write_video(root / "nested" / "clip.mp4")
    return root


def write_video(path, n_frames=12, fps=10):
    """A short 'mp4v' video of the astronaut's face sliding right."""
    head = cv2.resize(data.astronaut()[20:260, 110:350], (240, 240))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (640, 360))
    for i in range(n_frames):
        frame = np.full((360, 640, 3), 70, dtype=np.uint8)
        frame[60:300, 100 + 5 * i:340 + 5 * i] = head
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def parse(argv):
    """Parse `unmask scan ...` with the real command table."""
    return cli.build_parser().parse_args(["scan", *argv])


def run_scan(argv, config):
    """Run the scan command; (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    status = cli_scan.run(parse(argv), config, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def web_server(media_tree):
    """A local web server serving the media folder (no internet involved)."""
    handler = functools.partial(QuietHandler, directory=str(media_tree))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files without logging to stderr."""

    def log_message(self, *args):
        """Stay quiet."""


def test_scan_is_in_the_command_table():
    assert "scan" in cli.COMMANDS
    args = parse(["a.jpg", "--json", "--csv", "out.csv"])
    assert args.inputs == ["a.jpg"] and args.json and str(args.csv) == "out.csv"


def test_folders_are_searched_recursively_by_content(media_tree):
    inputs = cli_scan.collect_inputs([str(media_tree), "https://example.org/x.jpg"])
    names = [item.source.removeprefix(str(media_tree) + "/") for item in inputs]
    assert names == ["astronaut.jpg", "nested/clip.mp4", "nested/coffee.png", "nested/deeper/face",
                     "https://example.org/x.jpg"]
    assert inputs[-1].is_url and not inputs[0].is_url


def test_local_media_has_sniffed_kind_and_sha256(media_tree):
    media = cli_scan.local_media(media_tree / "nested" / "deeper" / "face")
    assert media.kind == "image" and media.mime == "image/png"
    assert media.sha256 == hashlib.sha256((media_tree / "nested" / "deeper" / "face").read_bytes()).hexdigest()
    assert cli_scan.local_media(media_tree / "nested" / "clip.mp4").kind == "video"


def test_scan_folder_prints_a_table_and_writes_csv(media_tree, config, tmp_path):
    csv_path = tmp_path / "out.csv"
    status, out, err = run_scan([str(media_tree), "--csv", str(csv_path)], config)
    assert status == 0, err
    lines = out.strip().splitlines()
    assert lines[0].split() == ["SOURCE", "VERDICT", "SCORE", "FACES", "KIND", "DECLARES", "AI", "TIME"]
    rows = {line.split()[0].removeprefix(str(media_tree) + "/"): line.split() for line in lines[1:]}
    assert set(rows) == {"astronaut.jpg", "nested/clip.mp4", "nested/coffee.png", "nested/deeper/face"}
    assert rows["nested/coffee.png"][1:3] == ["no_face", "-"]
    assert rows["astronaut.jpg"][1] in {"likely_fake", "inconclusive", "likely_real"}
    assert rows["astronaut.jpg"][3] == "1"
    assert rows["nested/clip.mp4"][4] == "video"
    assert rows["astronaut.jpg"][5] == "no"
    assert "[4/4]" in err  # one progress line per input when stderr is not a terminal

    with open(csv_path, newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [r["source"] for r in table] == [str(media_tree / n) for n in
                                            ("astronaut.jpg", "nested/clip.mp4", "nested/coffee.png",
                                             "nested/deeper/face")]
    astronaut = table[0]
    assert astronaut["sha256"] == hashlib.sha256((media_tree / "astronaut.jpg").read_bytes()).hexdigest()
    assert 0.0 <= float(astronaut["score"]) <= 1.0 and astronaut["faces"] == "1"
    assert table[1]["frames_analyzed"] == "8"  # the clip has 12 frames: one run of 8 consecutive frames


def test_scan_json_output_has_full_results(media_tree, config):
    status, out, _ = run_scan([str(media_tree / "astronaut.jpg"), "--json"], config)
    assert status == 0
    [entry] = json.loads(out)
    assert entry["source"] == str(media_tree / "astronaut.jpg")
    result = entry["result"]
    assert result["media"]["kind"] == "image"
    assert len(result["faces"]) == 1
    assert set(result["timings"]) == set(STAGES)


def test_scan_url_fetches_then_analyses(web_server, media_tree, config):
    status, out, err = run_scan([f"{web_server}/astronaut.jpg", "--json"], config)
    assert status == 0, err
    [entry] = json.loads(out)
    result = entry["result"]
    assert result["media"]["sha256"] == hashlib.sha256((media_tree / "astronaut.jpg").read_bytes()).hexdigest()
    assert result["timings"]["fetch"] > 0
    assert len(result["faces"]) == 1


def test_failures_are_rows_and_the_exit_status_is_one(media_tree, config, tmp_path):
    missing = tmp_path / "nope.jpg"
    not_media = media_tree / "nested" / "notes.txt"
    status, out, _ = run_scan([str(media_tree / "astronaut.jpg"), str(missing), str(not_media), "--json"], config)
    assert status == 1
    entries = {e["source"]: e for e in json.loads(out)}
    assert "result" in entries[str(media_tree / "astronaut.jpg")]
    assert entries[str(missing)]["error"]["code"] == "not_found"
    assert entries[str(not_media)]["error"]["code"] == "not_media"

    status, out, _ = run_scan([str(missing)], config)
    assert status == 1
    assert "error: not_found" in out


def test_progress_bar_redraws_on_a_terminal(media_tree, config):
    err = FakeTerminal()
    bar = cli_scan.ProgressBar(err, 1)
    entries = cli_scan.scan(cli_scan.collect_inputs([str(media_tree / "astronaut.jpg")]), config, bar)
    drawn = err.getvalue()
    assert "\r[1/1]" in drawn and "100%" in drawn and "faces" in drawn
    assert drawn.rstrip().endswith(entries[0]["result"]["verdict"])


def test_no_progress_option_keeps_stderr_quiet(media_tree, config):
    status, _, err = run_scan([str(media_tree / "astronaut.jpg"), "--no-progress"], config)
    assert status == 0 and err == ""


def test_missing_weights_stops_before_scanning(media_tree, config, tmp_path):
    config["WEIGHTS_DIR"] = tmp_path / "empty"
    status, out, err = run_scan([str(media_tree)], config)
    assert status == 1 and out == ""
    assert "model_missing" in err


def test_empty_folder_is_reported(tmp_path, config):
    (tmp_path / "empty").mkdir()
    status, _, err = run_scan([str(tmp_path / "empty")], config)
    assert status == 1 and "no media files" in err


def test_unmask_main_runs_scan(media_tree, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("UNMASK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("UNMASK_DATA_DIR", str(tmp_path / "data"))
    assert cli.main(["scan", str(media_tree / "nested" / "coffee.png"), "--json"]) == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert entry["result"]["verdict"] == "no_face"


def test_provenance_is_kept_in_the_table_and_the_csv(media_tree, config, tmp_path):
    """A PNG whose text chunk only image generators write reads as "declares AI" beside the estimate."""
    from PIL import Image, PngImagePlugin
    from skimage import data

    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "an astronaut, Steps: 20, Sampler: Euler a")
    generated = tmp_path / "generated.png"
    Image.fromarray(data.astronaut()).save(generated, pnginfo=info)
    csv_path = tmp_path / "out.csv"
    status, out, err = run_scan([str(generated), str(media_tree / "astronaut.jpg"), "--csv", str(csv_path)], config)
    assert status == 0, err
    rows = {line.split()[0]: line for line in out.strip().splitlines()[1:]}
    assert "yes (" in rows[str(generated)] and "no" == rows[str(media_tree / "astronaut.jpg")].split()[5]
    with open(csv_path, newline="") as handle:
        table = {row["source"]: row for row in csv.DictReader(handle)}
    assert table[str(generated)]["declares_ai"].startswith("yes")
    assert table[str(media_tree / "astronaut.jpg")]["declares_ai"] == "no"


def test_report_option_writes_an_html_and_a_json_report_per_input(media_tree, config, tmp_path):
    reports = tmp_path / "reports"
    status, _, err = run_scan([str(media_tree / "astronaut.jpg"), str(media_tree / "nested" / "clip.mp4"),
                               "--report", str(reports), "--no-progress"], config)
    assert status == 0
    assert "2 report(s) written" in err
    names = sorted(path.name for path in reports.iterdir())
    assert names == ["unmask-report-1-astronaut.jpg.html", "unmask-report-1-astronaut.jpg.json",
                     "unmask-report-2-clip.mp4.html", "unmask-report-2-clip.mp4.json"]
    photo = json.loads((reports / "unmask-report-1-astronaut.jpg.json").read_text())
    assert photo["sha256"] == hashlib.sha256((media_tree / "astronaut.jpg").read_bytes()).hexdigest()
    assert photo["faces"][0]["crop"].startswith("data:image/jpeg;base64,") and photo["checked_at"]
    clip = json.loads((reports / "unmask-report-2-clip.mp4.json").read_text())
    assert clip["timeline"] and all(frame["thumbnail"] for frame in clip["timeline"])
    page = (reports / "unmask-report-1-astronaut.jpg.html").read_text()
    assert "<script" not in page and photo["sha256"] in page and "Caveats" in page


def test_the_command_prints_no_runtime_info_line(media_tree, tmp_path):
    """The LiteRT runtime's "INFO: Created TensorFlow Lite XNNPACK delegate" line is not shown."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "UNMASK_CONFIG_DIR": str(tmp_path / "config"), "UNMASK_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-m", "companion", "scan", str(media_tree / "astronaut.jpg"),
                           "--no-progress"], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert "astronaut.jpg" in done.stdout
    assert "INFO" not in done.stderr and "TensorFlow Lite" not in done.stderr, done.stderr
