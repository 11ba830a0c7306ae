"""Fuzz: every image format and the frames form through crafted headers and sizes, against `unmask serve`
in a child process whose peak resident memory is read from /proc; no answer is a 500, memory stays < 1 GB."""
from __future__ import annotations

import base64
import time

import cv2
import numpy as np
import pytest
import requests

from models.serving.imageio_safe import ImageDecodeError, ImageTooLarge, decode_image, image_size
from tests.helpers import crafted_images as crafted
from tests.helpers.served_process import ServedCompanion

MAX_RSS_MB = 1024
MAX_PIXELS = 50_000_000  # the default MAX_IMAGE_PIXELS, which the served companion runs with
# How a job fed hostile media may end: a typed refusal, never internal_error.
REFUSALS = {"image_too_large", "undecodable_image", "not_media", "unsupported_media", "empty_media",
            "media_too_large", "undecodable_video", "video_too_long"}


# ---------------------------------------------------------------- the parsers, in process (fast)


def test_tiff_with_duplicate_size_entries_is_refused():
    lie = crafted.tiff_duplicate_size(crafted.encode(".tiff"), (30000, 30000), (10, 10))
    with pytest.raises(ImageDecodeError, match="twice"):
        image_size(lie)


def test_jp2_header_hidden_in_a_uuid_box_is_not_believed():
    honest = crafted.encode(".jp2", 640, 480)
    assert image_size(crafted.jp2_hidden_ihdr(honest, (10, 10))) == (640, 480)
    mismatched = bytearray(honest)
    pos = mismatched.index(b"ihdr") + 4
    mismatched[pos:pos + 8] = (10).to_bytes(4, "big") * 2  # header 10x10, codestream 640x480
    with pytest.raises(ImageDecodeError, match="disagree"):
        image_size(bytes(mismatched))


def test_costly_pixels_count_for_more():
    """JPEG 2000 components are int32 in OpenJPEG: a 7000x7000 JP2 costs more than 50 M RGB pixels."""
    with pytest.raises(ImageTooLarge, match="cost"):
        decode_image(crafted.set_size(crafted.encode(".jp2"), ".jp2", 7000, 7000))


@pytest.mark.parametrize("name", sorted(crafted.REFUSED))
def test_formats_opencv_reads_but_we_do_not_are_refused(name):
    with pytest.raises(ImageDecodeError):
        decode_image(crafted.REFUSED[name])


def test_opencv_refuses_past_its_own_ceiling_whatever_our_parser_says(monkeypatch):
    """The second guard: with the header check fooled, OpenCV's OPENCV_IO_MAX_IMAGE_PIXELS still refuses."""
    import models.serving.imageio_safe as imageio_safe

    big = crafted.set_size(crafted.encode(".png"), ".png", 60000, 60000)
    monkeypatch.setattr(imageio_safe, "image_size", lambda data: (10, 10))
    with pytest.raises(ImageTooLarge):
        decode_image(big)


def test_avif_is_decoded_in_a_memory_capped_child(monkeypatch):
    """An AV1 frame larger than the AVIF's `ispe` is decoded where it cannot take the companion's memory."""
    import models.serving.imageio_safe as imageio_safe

    honest = crafted.encode(".avif", 640, 480)
    assert decode_image(honest).shape == (480, 640, 3)
    monkeypatch.setattr(imageio_safe, "ISOLATED_BASE_BYTES", 32 * 1024 * 1024)  # too little even to start
    monkeypatch.setattr(imageio_safe, "ISOLATED_BYTES_PER_PIXEL", 0)
    with pytest.raises(ImageTooLarge):
        decode_image(honest)


# ---------------------------------------------------------------- the served companion, watched from outside


def _inputs() -> list[tuple[str, bytes]]:
    """(name, bytes) of every crafted upload: each format's size fields lying, duplicated, hidden,
    mutated and truncated, images just under the limit, and formats that must be refused."""
    cases = []
    for ext in crafted.FORMATS:
        honest = crafted.encode(ext, 320, 240)
        cases.append((f"{ext} honest", honest))
        for width, height in ((60000, 60000), (7000, 7000), (65535, 1), (1, 65535), (0, 10)):
            cases.append((f"{ext} says {width}x{height}", crafted.set_size(honest, ext, width, height)))
        cases.extend((f"{ext} mutated {i}", data) for i, data in enumerate(crafted.mutations(honest, 4, seed=len(ext))))
    cases += [
        ("tiff duplicate size", crafted.tiff_duplicate_size(crafted.encode(".tiff"), (30000, 30000), (10, 10))),
        ("jp2 hidden ihdr", crafted.jp2_hidden_ihdr(crafted.encode(".jp2"), (10, 10))),
        ("gif small screen", crafted.gif_small_screen(crafted.encode(".gif", 640, 480), (10, 10))),
        ("webp small canvas", crafted.webp_small_canvas(crafted.encode(".webp", 640, 480), (10, 10))),
        ("jpeg second SOF", crafted.jpeg_two_frames(crafted.encode(".jpg"), (30000, 30000))),
        ("avif big frame small ispe", crafted.set_size(crafted.encode(".avif", 4000, 4000), ".avif", 64, 64)),
        ("png 7000x7000 real", crafted.encode(".png", 7000, 7000)),
        ("jpeg 7000x7000 real", crafted.encode(".jpg", 7000, 7000)),
    ]
    cases += [(f"refused {name}", data) for name, data in crafted.REFUSED.items()]
    return cases


def _frames_requests() -> list[tuple[str, dict]]:
    """(name, JSON body) of crafted frames requests: within budget, over it, and lying headers."""
    def body(frames):
        """A frames body from (bytes, timestamp) pairs."""
        return {"frames": [{"data": base64.b64encode(d).decode(), "timestamp": t} for d, t in frames]}
    small_png = crafted.encode(".png", 64, 48)
    big_jpegs = [crafted.encode(".jpg", 3000, 2000, seed=i) for i in range(16)]
    return [
        ("64 frames announcing 7000x7000", body([(crafted.set_size(small_png, ".png", 7000, 7000) + bytes([i]), i)
                                                 for i in range(64)])),
        ("one frame announcing 60000x60000", body([(crafted.set_size(small_png, ".png", 60000, 60000), 0)])),
        ("16 real 3000x2000 frames", body([(data, i * 0.5) for i, data in enumerate(big_jpegs)])),
        ("webp frame lying canvas",
         body([(crafted.webp_small_canvas(crafted.encode(".webp", 640, 480), (10, 10)), 0)])),
        ("truncated frames", body([(crafted.encode(".jpg", 640, 480)[:200], 0), (small_png[:40], 1)])),
    ]


def _final(server, analysis_id: str, timeout: float = 120.0) -> dict:
    """Poll an analysis until it is done or failed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = requests.get(server.url(f"/v1/analyses/{analysis_id}"), headers=server.auth, timeout=30).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"analysis {analysis_id} did not finish")


def _check_answer(name: str, response, jobs: list) -> None:
    """A typed 4xx now, or an accepted job to follow; never a 5xx."""
    assert response.status_code < 500, (name, response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/json"), (name, response.text)
    if response.status_code in (200, 202):
        jobs.append((name, response.json()["id"]))
    else:
        assert response.json()["error"]["code"] in REFUSALS | {"invalid_request", "frames_too_large"}, name


def test_crafted_media_never_500_and_memory_stays_under_1_gb(tmp_path, face_assets_dir):
    settings = {"QUEUE_MAX": 1000, "MAX_IMAGE_PIXELS": MAX_PIXELS}
    with ServedCompanion(tmp_path, settings) as server:
        jobs = []
        for name, data in _inputs():
            response = requests.post(server.url("/v1/analyses"), headers=server.auth, timeout=60,
                                     files={"file": (name.replace(" ", "_"), data)})
            _check_answer(name, response, jobs)
        for name, body in _frames_requests():
            response = requests.post(server.url("/v1/analyses"), headers=server.auth, json=body, timeout=60)
            _check_answer(name, response, jobs)
        outcomes = {name: _final(server, analysis_id) for name, analysis_id in jobs}
        peak = server.peak_rss_mb()
        log = server.log()
    print(f"fuzz: {len(outcomes)} jobs, peak resident memory of the companion {peak:.0f} MiB")
    for name, analysis in outcomes.items():
        if analysis["status"] == "failed":
            assert analysis["error"]["code"] in REFUSALS, (name, analysis["error"])
        else:
            media = analysis["result"]["media"]
            assert media["width"] * media["height"] <= MAX_PIXELS, (name, media)
    assert outcomes["16 real 3000x2000 frames"]["status"] == "done"
    assert outcomes["jpeg 7000x7000 real"]["status"] == "done"
    assert outcomes["jpeg 7000x7000 real"]["result"]["media"]["width"] == 7000
    assert "Traceback" not in log and "internal_error" not in log
    assert "OpenCV was loaded with" not in log  # OpenCV's own pixel ceiling was set before cv2 loaded
    assert peak < MAX_RSS_MB, f"the companion's peak resident memory was {peak:.0f} MiB"


def test_shrunk_photo_reports_faces_in_its_own_pixels():
    """A JPEG decoded at 1/2 scale comes back smaller; oriented_size gives its own size back."""
    from models.serving.imageio_safe import oriented_size

    data = crafted.encode(".jpg", 6000, 4000)
    image = decode_image(data, keep_pixels=6_000_000)
    assert image.shape == (2000, 3000, 3) and oriented_size(data, image.shape) == (6000, 4000)
    assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR).shape == (4000, 6000, 3)


def test_the_companion_sets_opencvs_ceiling_before_cv2_loads(tmp_path):
    """In a fresh process, create_app sets OPENCV_IO_MAX_IMAGE_PIXELS from MAX_IMAGE_PIXELS before cv2 loads:
    a real 2 M pixel PNG is refused by OpenCV itself (limit 1 M) with the header check fooled."""
    import subprocess
    import sys

    from tests.helpers.served_process import REPO

    code = """
import os, sys
os.environ.pop("OPENCV_IO_MAX_IMAGE_PIXELS", None)
from companion import create_app
app = create_app({"DATA_DIR": sys.argv[1], "CONFIG_DIR": sys.argv[1], "MAX_IMAGE_PIXELS": 1000000})
import models.serving.imageio_safe as imageio_safe
from tests.helpers.crafted_images import encode
imageio_safe.image_size = lambda data: (10, 10)
try:
    imageio_safe.decode_image(encode(".png", 2000, 1000), max_pixels=10 ** 9)
    print("decoded")
except imageio_safe.ImageTooLarge:
    print("refused", os.environ["OPENCV_IO_MAX_IMAGE_PIXELS"])
app.extensions["unmask"].close()
"""
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "refused 1000000", out.stdout + out.stderr
