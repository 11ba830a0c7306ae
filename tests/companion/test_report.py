"""GET /v1/analyses/<id>/report: a self-contained, escaped report (HTML and JSON), token required."""
from __future__ import annotations

import html.parser
import re

import cv2
import numpy as np
import requests

from companion.evidence import jpeg_data_uri
from companion.report import build_report, render_html

CROP = jpeg_data_uri(np.full((8, 8, 3), 120, np.uint8))
HOSTILE = 'https://evil.example/x.jpg?"><script>alert(1)</script><img src=x onerror=alert(2)>'
RESULT = {
    "verdict": "likely_fake", "score": 0.91, "bands": {"real_below": 0.3, "fake_from": 0.79},
    "faces": [
        {"id": 0, "box": [400.0, 10.0, 90.0, 90.0], "score": 0.91, "frames": [0, 3], "too_small": False,
         "thumbnail": CROP, "weak": ["compressed"]},
        {"id": 1, "box": [20.0, 10.0, 90.0, 90.0], "score": 0.2, "frames": [0], "too_small": False,
         "thumbnail": "javascript:alert(3)", "weak": ["grayscale", "<b>bogus</b>"]},
    ],
    "frames": [{"index": 0, "timestamp": 0.0, "score": 0.2, "thumbnail": CROP},
               {"index": 3, "timestamp": 0.5, "score": 0.91, "thumbnail": "https://evil.example/track.png"}],
    "detectors": {"frame_cnn": 0.91},
    "model": {"name": "frame_cnn+temporal", "version": "abc123+def456"},
    "media": {"sha256": "ab" * 32, "kind": "video", "width": 640, "height": 360, "duration": 1.0,
              "frames_analyzed": 2},
    "provenance": {"found": True, "facts": [{"kind": "exif", "field": "Software", "value": "<i>Gen</i>",
                                             "signals": ["ai"]}],
                   "summary": {"declares_ai": True, "declares_edits": False, "ai_declared_by": ["exif"]},
                   "c2pa": None, "errors": [], "note": None},
    "timings": {"fetch": 0.1},
}


def _seed(server, url=HOSTILE, result=RESULT, **kwargs):
    """A finished analysis written straight to the store."""
    store = server.app.extensions["unmask"].store
    return store.create(source={"type": "url", "url": url}, source_key=f"url:{url}", status="done",
                        sha256=result["media"]["sha256"], model_version="v", result=result, **kwargs)


class _Collector(html.parser.HTMLParser):
    """Every tag and attribute of a page."""

    def __init__(self):
        super().__init__()
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)


def test_the_html_report_is_self_contained_escaped_and_strict(live_server):
    analysis_id = _seed(live_server)
    answer = requests.get(live_server.url(f"/v1/analyses/{analysis_id}/report"), headers=live_server.auth, timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/html")
    csp = answer.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "img-src data:" in csp and "frame-ancestors 'none'" in csp
    assert "script-src" not in csp  # falls back to default-src 'none': no script at all
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    page = answer.text
    parsed = _Collector()
    parsed.feed(page)
    assert "script" not in parsed.tags
    assert not [name for name, _ in parsed.attrs if name.startswith("on")]
    sources = [value for name, value in parsed.attrs if name in ("src", "href")]
    assert sources and all(value.startswith("data:image/jpeg;base64,") for value in sources)
    assert "javascript:" not in page and "evil.example/track.png" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the address is shown, as text
    assert "&lt;i&gt;Gen&lt;/i&gt;" in page and "bogus" not in page
    for needed in ("ab" * 32, "frame_cnn abc123", "temporal def456", "Likely fake", "manipulation score 91%",
                   "likely fake from 79%", "Face 1 of 2", "Face 2 of 2 (flagged)", "heavy compression",
                   "black-and-white", "Declares AI generation", "Caveats", "2 analysed frames"):
        assert needed in page, needed


def test_faces_are_listed_left_to_right_in_the_json_report(live_server):
    analysis_id = _seed(live_server)
    answer = requests.get(live_server.url(f"/v1/analyses/{analysis_id}/report?format=json"),
                          headers=live_server.auth, timeout=10)
    assert answer.status_code == 200
    report = answer.json()
    assert [face["box"][0] for face in report["faces"]] == [20.0, 400.0]
    assert report["flagged_face"] == 2
    assert report["faces"][0]["crop"] is None and report["faces"][1]["crop"] == CROP
    assert report["faces"][0]["weak"] == ["grayscale"]
    assert report["models"] == [{"name": "frame_cnn", "version": "abc123"}, {"name": "temporal", "version": "def456"}]
    assert report["address"] == HOSTILE and report["sha256"] == "ab" * 32
    assert [frame["thumbnail"] for frame in report["timeline"]] == [CROP, None]
    assert report["bands"] == RESULT["bands"] and report["caveats"]
    same = requests.get(live_server.url(f"/v1/analyses/{analysis_id}/report"),
                        headers={**live_server.auth, "Accept": "application/json"}, timeout=10)
    assert same.json() == report


def test_a_report_needs_the_token_and_a_finished_analysis(live_server):
    analysis_id = _seed(live_server)
    assert requests.get(live_server.url(f"/v1/analyses/{analysis_id}/report"), timeout=10).status_code == 401
    store = live_server.app.extensions["unmask"].store
    queued = store.create(source={"type": "url", "url": "https://a.example/b.jpg"}, source_key="url:b",
                          model_version="v")
    answer = requests.get(live_server.url(f"/v1/analyses/{queued}/report"), headers=live_server.auth, timeout=10)
    assert answer.status_code == 409
    missing = requests.get(live_server.url("/v1/analyses/nope/report"), headers=live_server.auth, timeout=10)
    assert missing.status_code == 404
    bad = requests.get(live_server.url(f"/v1/analyses/{analysis_id}/report?format=pdf"), headers=live_server.auth,
                       timeout=10)
    assert bad.status_code == 400


def test_a_cached_answer_reports_the_original_check_time(live_server):
    original = _seed(live_server)
    store = live_server.app.extensions["unmask"].store
    copy = store.create(source={"type": "url", "url": HOSTILE}, source_key=f"url:{HOSTILE}", status="done",
                        model_version="v", result={"checked_at": store.get(original)["created_at"], **RESULT},
                        cached_from=original)
    report = requests.get(live_server.url(f"/v1/analyses/{copy}/report?format=json"), headers=live_server.auth,
                          timeout=10).json()
    assert report["checked_at"] == store.get(original)["created_at"]
    assert report["looked_up_at"] == store.get(copy)["created_at"]


def test_the_api_answers_a_cached_result_with_the_original_check_time(live_server):
    from companion.detectors import load_detectors, model_version

    version = model_version(load_detectors(live_server.app.config))
    store = live_server.app.extensions["unmask"].store
    url = "https://example.com/cached.jpg"
    original = store.create(source={"type": "url", "url": url}, source_key=f"url:{url}", status="done",
                            sha256="cd" * 32, model_version=version, result=RESULT)
    answer = requests.post(live_server.url("/v1/analyses"), json={"url": url}, headers=live_server.auth, timeout=10)
    assert answer.status_code == 200 and answer.json()["cached"] is True
    assert answer.json()["result"]["checked_at"] == store.get(original)["created_at"]


def test_a_report_prints_without_a_face_or_a_timeline():
    analysis = {"id": "x", "created_at": "2026-01-01T00:00:00Z", "source": {"type": "file", "filename": "a.png"},
                "result": {"verdict": "no_face", "score": None, "faces": [], "model": {"name": "m", "version": "1"},
                           "media": {"sha256": "0" * 64, "kind": "image"}}}
    page = render_html(build_report(analysis))
    assert "No face was found" in page and "a.png" in page
    assert re.search(r"<svg", page) is None


def test_a_real_check_has_a_report_with_its_face_crop(live_server):
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(__import__("skimage.data").data.astronaut(), cv2.COLOR_RGB2BGR))
    files = {"file": ("astronaut.jpg", encoded.tobytes(), "image/jpeg")}
    answer = requests.post(live_server.url("/v1/analyses"), headers=live_server.auth, files=files, timeout=60)
    analysis_id = answer.json()["id"]
    import time

    deadline = time.monotonic() + 60
    while requests.get(live_server.url(f"/v1/analyses/{analysis_id}"), headers=live_server.auth,
                       timeout=10).json()["status"] != "done":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    report = requests.get(live_server.url(f"/v1/analyses/{analysis_id}/report?format=json"),
                          headers=live_server.auth, timeout=10).json()
    assert report["address"] == "astronaut.jpg"
    [face] = report["faces"]
    assert face["crop"].startswith("data:image/jpeg;base64,") and face["weak"] == []


def test_the_report_names_each_frame_s_detector_and_each_face_s_mouth_evidence():
    result = {**RESULT, "clip_detector": "temporal_residual",
              "detectors": {"blend_cnn": 0.91, "temporal_residual": 0.6},
              "faces": [{**RESULT["faces"][0], "frame_score": 0.9, "temporal": 0.6, "mouth": 0.72},
                        {**RESULT["faces"][1], "mouth": None}],
              "frames": [{**RESULT["frames"][0], "detector": "blend_cnn"},
                         {**RESULT["frames"][1], "detector": "temporal_residual"},
                         {"index": 6, "timestamp": 1.0, "score": None, "thumbnail": CROP, "detector": None},
                         {"index": 9, "timestamp": 1.5, "score": 0.5, "thumbnail": CROP,
                          "detector": "<b>lipsync</b>"}]}
    analysis = {"id": "v", "created_at": "2026-01-01T00:00:00Z", "source": {"type": "url", "url": HOSTILE},
                "result": result}
    report = build_report(analysis)
    assert report["clip_detector"] == "temporal_residual"
    assert [frame["detector"] for frame in report["timeline"]] == ["blend_cnn", "temporal_residual", None,
                                                                   "<b>lipsync</b>"]
    assert [face["mouth"] for face in report["faces"]] == [None, 0.72]  # left to right
    page = render_html(report)
    figures = re.findall(r"<figure.*?</figure>", page)
    assert len(figures) == 4
    assert "raised most by: blend/swap detector" in figures[0]
    assert "raised most by: motion over time" in figures[1]
    assert "raised most by" not in figures[2]  # a frame without a scored face names no detector
    assert "raised most by: &lt;b&gt;lipsync&lt;/b&gt;" in figures[3] and "<b>" not in page
    rows = re.findall(r"<tr><td>.*?</tr>", page)
    assert "mouth movement" not in rows[0]
    assert "mouth movement 72% unlike a real speaker" in rows[1]
    assert "single frames 90% · flicker over time 60%" in rows[1]  # the two kinds of evidence stay


def test_a_report_keeps_only_a_number_as_mouth_evidence_and_a_string_as_a_detector():
    result = {**RESULT, "faces": [{**RESULT["faces"][0], "mouth": "0.9"}, {**RESULT["faces"][1], "mouth": 1.3}],
              "frames": [{**RESULT["frames"][0], "detector": 3}, {**RESULT["frames"][1], "detector": ""}]}
    report = build_report({"id": "w", "source": {"type": "file", "filename": "v.mp4"}, "result": result})
    assert [face["mouth"] for face in report["faces"]] == [1.0, None]
    assert [frame["detector"] for frame in report["timeline"]] == [None, None]
    assert report["clip_detector"] is None
    page = render_html(report)
    assert page.count("mouth movement") == 1 and "mouth movement 100% unlike a real speaker" in page
    assert "raised most by" not in page


def test_a_report_says_which_faces_were_too_small_or_too_blurred_to_judge():
    faces = [{**RESULT["faces"][0], "id": 0, "box": [300.0, 10.0, 90.0, 90.0], "score": None, "too_blurred": True},
             {**RESULT["faces"][1], "id": 1, "box": [20.0, 10.0, 30.0, 30.0], "score": None, "too_small": True}]
    result = {**RESULT, "verdict": "no_face", "score": None, "faces": faces}
    report = build_report({"id": "b", "source": {"type": "file", "filename": "p.jpg"}, "result": result})
    assert [(f["too_small"], f["too_blurred"]) for f in report["faces"]] == [(True, False), (False, True)]
    page = render_html(report)
    assert page.index("too small to score") < page.index("too blurred to judge")  # left to right
