"""The /v1 API over a real socket: validation, errors, cache, de-duplication, queue, history, feedback."""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import time

import cv2
import numpy as np
import pytest
import requests

from companion.detectors import load_detectors, model_version

DONE_RESULT = {"verdict": "likely_real", "score": 0.12, "faces": [], "detectors": {"frame_cnn": 0.12},
               "model": {"name": "frame_cnn", "version": "x"}, "media": {"sha256": "0" * 64, "kind": "image"},
               "timings": {"fetch": 0.0}}


def _jpeg(seed: int = 0, size: int = 32) -> bytes:
    """A small real JPEG."""
    image = np.random.default_rng(seed).integers(0, 255, (size, size, 3), dtype=np.uint8)
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    return data.tobytes()


def _frames_body(count: int = 2) -> dict:
    """A valid {"frames": [...]} body of small JPEGs half a second apart."""
    return {"frames": [{"data": base64.b64encode(_jpeg(i)).decode(), "timestamp": i * 0.5} for i in range(count)]}


def _seed(server, url="https://example.com/a.jpg", status="done", sha256=None, version=None, result=None):
    """A history entry written straight to the server's store (as a finished earlier run would leave it)."""
    store = server.app.extensions["unmask"].store
    return store.create(source={"type": "url", "url": url}, source_key=f"url:{url}", status=status,
                        sha256=sha256, model_version=version or "frame_cnn@old",
                        result=result if result is not None else (DONE_RESULT if status == "done" else None))


def _version(server) -> str:
    """The model version the server's detectors give."""
    return model_version(load_detectors(server.app.config))


def _wait(server, analysis_id, states=("done", "failed"), timeout=60.0) -> dict:
    """Poll GET /v1/analyses/<id> until it reaches one of `states`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = requests.get(server.url(f"/v1/analyses/{analysis_id}"), headers=server.auth, timeout=10).json()
        if body["status"] in states:
            return body
        time.sleep(0.05)
    raise AssertionError(f"analysis {analysis_id} still {body['status']} after {timeout}s")


def _post(server, **kwargs):
    """POST /v1/analyses with the token."""
    return requests.post(server.url("/v1/analyses"), headers={**server.auth, **kwargs.pop("headers", {})},
                         timeout=30, **kwargs)


def _assert_no_job_files(server, timeout=5.0) -> None:
    """Every job's private folder is removed once the job ends (soon after its final state is stored)."""
    jobs = server.app.config["DATA_DIR"] / "jobs"
    deadline = time.monotonic() + timeout
    while jobs.exists() and any(jobs.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not jobs.exists() or not any(jobs.iterdir()), list(jobs.iterdir())


def _error_code(response) -> str:
    """The typed code of a JSON error response."""
    assert response.headers["Content-Type"].startswith("application/json"), response.text
    return response.json()["error"]["code"]


# ---------------------------------------------------------------- OpenAPI and health


def _refs(node):
    """Every $ref value in a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_openapi_describes_every_route(live_server):
    response = requests.get(live_server.url("/v1/openapi.json"), timeout=10)
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    for rule in live_server.app.url_map.iter_rules():
        if not rule.rule.startswith("/v1"):
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        assert path in document["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = document["paths"][path][method.lower()]
            assert operation["responses"], (path, method)
    schemas = document["components"]["schemas"]
    assert {"Error", "Result", "Analysis", "Health"} <= set(schemas)
    for ref in _refs(document):
        assert ref.split("/")[-1] in schemas, ref
    assert document["paths"]["/v1/health"]["get"]["security"] == []


def test_model_missing(start_server, tmp_path):
    empty = tmp_path / "no-weights"
    empty.mkdir()
    server = start_server(WEIGHTS_DIR=empty)
    response = _post(server, json={"url": "https://example.com/a.jpg"})
    assert response.status_code == 503 and _error_code(response) == "model_missing"
    health = requests.get(server.url("/v1/health"), timeout=10)
    body = health.json()
    assert health.status_code == 200 and body["status"] == "degraded"
    assert [m["name"] for m in body["models"]] == ["blend_cnn", "generated_residual", "temporal"]  # the defaults
    assert all("not installed" in m["missing"] for m in body["models"])
    assert str(tmp_path) not in health.text and str(tmp_path) not in response.text
    assert server.app.extensions["unmask"].store.count() == 0


def test_health_with_loaded_model(model_server):
    server = model_server(WORKERS=2, QUEUE_MAX=5)
    body = requests.get(server.url("/v1/health"), timeout=10).json()
    assert body["models"] == [{"name": "frame_cnn", "version": _version(server).split("@", 1)[1]}]
    assert body["queue"] == {"depth": 0, "max": 5, "workers": 2, "running": 0}
    assert body["version"]


# ---------------------------------------------------------------- validation and error shapes


@pytest.mark.parametrize("body, code", [
    ({}, "invalid_request"),
    ([], "invalid_request"),
    ({"url": "https://a.example/x.jpg", "page_url": "https://a.example/v"}, "invalid_request"),
    ({"url": "https://a.example/x.jpg", "extra": 1}, "invalid_request"),
    ({"url": "ftp://a.example/x.jpg"}, "unsupported_scheme"),
    ({"url": "file:///etc/passwd"}, "unsupported_scheme"),
    ({"url": "/relative.jpg"}, "bad_url"),
    ({"url": "https:///nohost"}, "bad_url"),
    ({"url": "https://a.example/has space.jpg"}, "bad_url"),
    ({"url": 5}, "invalid_request"),
    ({"page_url": "javascript:alert(1)"}, "unsupported_scheme"),
    ({"frames": []}, "invalid_request"),
    ({"frames": "x"}, "invalid_request"),
    ({"frames": [{"data": "!!!not base64", "timestamp": 0}]}, "invalid_request"),
    ({"frames": [{"data": base64.b64encode(b"GIF89a-not-a-jpeg").decode(), "timestamp": 0}]}, "invalid_request"),
    ({"frames": [{"data": base64.b64encode(_jpeg()).decode(), "timestamp": "0"}]}, "invalid_request"),
    ({"frames": [{"data": base64.b64encode(_jpeg()).decode(), "timestamp": -1}]}, "invalid_request"),
    ({"frames": [{"data": base64.b64encode(_jpeg()).decode(), "timestamp": 0, "x": 1}]}, "invalid_request"),
])
def test_bad_json_requests(live_server, body, code):
    response = _post(live_server, json=body)
    assert response.status_code == 400 and _error_code(response) == code
    assert live_server.app.extensions["unmask"].store.count() == 0


def test_too_many_frames(start_server):
    server = start_server(MAX_FRAMES_UPLOAD=2)
    response = _post(server, json=_frames_body(3))
    assert response.status_code == 400 and _error_code(response) == "invalid_request"


def test_malformed_and_non_json_bodies(live_server):
    malformed = _post(live_server, data=b'{"url": ', headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and _error_code(malformed) == "invalid_json"
    not_json = _post(live_server, data=b"url=https://a.example/x.jpg", headers={"Content-Type": "text/plain"})
    assert not_json.status_code == 415 and _error_code(not_json) == "unsupported_media_type"
    form = _post(live_server, data={"url": "https://a.example/x.jpg"})
    assert form.status_code == 415 and _error_code(form) == "unsupported_media_type"


def test_upload_shapes(live_server):
    both = _post(live_server, files={"file": ("a.jpg", _jpeg())}, data={"url": "https://a.example/x.jpg"})
    assert both.status_code == 400 and _error_code(both) == "invalid_request"
    wrong_field = _post(live_server, files={"upload": ("a.jpg", _jpeg())})
    assert wrong_field.status_code == 400 and _error_code(wrong_field) == "invalid_request"
    empty = _post(live_server, files={"file": ("a.jpg", b"")})
    assert empty.status_code == 415 and _error_code(empty) == "empty_media"
    text = _post(live_server, files={"file": ("notes.txt", b"just some words, no picture here" * 10)})
    assert text.status_code == 415 and _error_code(text) == "not_media"
    _assert_no_job_files(live_server)


def test_oversize_body_is_413_json(start_server):
    server = start_server(MAX_UPLOAD_BYTES=2000)
    big_json = _post(server, json={"url": "https://a.example/" + "x" * 5000})
    assert big_json.status_code == 413 and _error_code(big_json) == "too_large"
    big_file = _post(server, files={"file": ("a.jpg", _jpeg(size=128) + b"\0" * 5000)})
    assert big_file.status_code == 413 and _error_code(big_file) == "too_large"


def test_unknown_ids_routes_and_methods(live_server):
    for method in ("GET", "DELETE"):
        response = requests.request(method, live_server.url("/v1/analyses/nope"), headers=live_server.auth, timeout=10)
        assert response.status_code == 404 and _error_code(response) == "not_found"
    feedback = requests.post(live_server.url("/v1/analyses/nope/feedback"), json={"label": "fake"},
                             headers=live_server.auth, timeout=10)
    assert feedback.status_code == 404 and _error_code(feedback) == "not_found"
    route = requests.get(live_server.url("/v1/nowhere"), headers=live_server.auth, timeout=10)
    assert route.status_code == 404 and _error_code(route) == "not_found"
    method = requests.put(live_server.url("/v1/analyses"), headers=live_server.auth, timeout=10)
    assert method.status_code == 405 and _error_code(method) == "method_not_allowed"
    assert "GET" in method.headers["Allow"]


def test_unexpected_error_is_json_without_traceback(make_app, start_server):
    app = make_app()

    def explode():
        """A route that fails the way a bug would."""
        raise RuntimeError("secret detail /home/someone")

    app.add_url_rule("/v1/explode", "explode", explode)
    server = start_server(app=app)
    response = requests.get(server.url("/v1/explode"), headers=server.auth, timeout=10)
    assert response.status_code == 500 and _error_code(response) == "internal_error"
    assert "secret" not in response.text and "Traceback" not in response.text


# ---------------------------------------------------------------- history


def test_history_pagination_and_delete(live_server):
    ids = [_seed(live_server, url=f"https://example.com/{i}.jpg") for i in range(5)]
    seen, cursor = [], None
    for _ in range(3):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = requests.get(live_server.url("/v1/analyses"), params=params, headers=live_server.auth, timeout=10).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
    assert seen == ids[::-1] and cursor is None
    for bad in ({"limit": 0}, {"limit": "many"}, {"limit": 101}, {"cursor": "xyz"}):
        response = requests.get(live_server.url("/v1/analyses"), params=bad, headers=live_server.auth, timeout=10)
        assert response.status_code == 400, bad
    deleted = requests.delete(live_server.url(f"/v1/analyses/{ids[2]}"), headers=live_server.auth, timeout=10)
    assert deleted.status_code == 204
    gone = requests.get(live_server.url(f"/v1/analyses/{ids[2]}"), headers=live_server.auth, timeout=10)
    assert gone.status_code == 404
    again = requests.delete(live_server.url(f"/v1/analyses/{ids[2]}"), headers=live_server.auth, timeout=10)
    assert again.status_code == 404
    page = requests.get(live_server.url("/v1/analyses"), headers=live_server.auth, timeout=10).json()
    assert [item["id"] for item in page["items"]] == [ids[4], ids[3], ids[1], ids[0]]


def test_restart_keeps_history_and_fails_interrupted_jobs(make_app, start_server):
    first = start_server()
    done = _seed(first)
    queued = _seed(first, url="https://example.com/q.jpg", status="queued")
    running = _seed(first, url="https://example.com/r.jpg", status="queued")
    first.app.extensions["unmask"].store.mark_running(running)
    requests.post(first.url(f"/v1/analyses/{done}/feedback"), json={"label": "fake", "note": "odd teeth"},
                  headers=first.auth, timeout=10).raise_for_status()
    token = first.token
    leftover = first.app.config["DATA_DIR"] / "jobs" / "job-left-behind"
    leftover.mkdir(parents=True)
    (leftover / "upload.mp4").write_bytes(b"partial download")

    second = start_server(app=make_app())
    assert not leftover.exists()  # the files of interrupted jobs are removed at start
    assert second.token == token
    listed = requests.get(second.url("/v1/analyses"), headers=second.auth, timeout=10).json()["items"]
    assert [item["id"] for item in listed] == [running, queued, done]
    kept = requests.get(second.url(f"/v1/analyses/{done}"), headers=second.auth, timeout=10).json()
    assert kept["result"] == DONE_RESULT and kept["feedback"]["note"] == "odd teeth"
    for analysis_id in (queued, running):
        body = requests.get(second.url(f"/v1/analyses/{analysis_id}"), headers=second.auth, timeout=10).json()
        assert body["status"] == "failed" and body["error"]["code"] == "interrupted"


# ---------------------------------------------------------------- feedback


def test_feedback_and_csv_export(live_server):
    done = _seed(live_server)
    queued = _seed(live_server, url="https://example.com/q.jpg", status="queued")
    url = live_server.url(f"/v1/analyses/{done}/feedback")
    response = requests.post(url, json={"label": "fake", "note": "=HYPERLINK(\"x\")"}, headers=live_server.auth,
                             timeout=10)
    assert response.status_code == 200
    assert response.json()["feedback"]["label"] == "fake" and response.json()["result"] == DONE_RESULT
    for bad in ({"label": "maybe"}, {"note": "no label"}, {"label": "real", "note": 5}, {"label": "real", "x": 1}):
        rejected = requests.post(url, json=bad, headers=live_server.auth, timeout=10)
        assert rejected.status_code == 400, bad
    not_done = requests.post(live_server.url(f"/v1/analyses/{queued}/feedback"), json={"label": "real"},
                             headers=live_server.auth, timeout=10)
    assert not_done.status_code == 409 and _error_code(not_done) == "not_done"
    export = requests.get(live_server.url("/v1/feedback.csv"), headers=live_server.auth, timeout=10)
    assert export.status_code == 200 and export.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 1
    assert rows[0]["analysis_id"] == done and rows[0]["label"] == "fake" and rows[0]["verdict"] == "likely_real"
    assert rows[0]["source"] == "https://example.com/a.jpg"
    assert rows[0]["note"].startswith("'=")  # not run as a formula by spreadsheets


# ---------------------------------------------------------------- cache, sharing, queue


def test_cached_results_for_frames_upload_and_url(model_server, held_http_server):
    server = model_server()
    version = _version(server)
    body = _frames_body()
    from companion.pipeline import FrameUpload, frames_sha256
    frames_sha = frames_sha256([FrameUpload(base64.b64decode(f["data"]), f["timestamp"]) for f in body["frames"]])
    original = _seed(server, sha256=frames_sha, version=version)
    cached = _post(server, json=body)
    assert cached.status_code == 200
    answer = cached.json()
    assert answer["status"] == "done" and answer["cached"] and answer["id"] != original
    original_time = server.app.extensions["unmask"].store.get(original)["created_at"]
    assert answer["result"] == {"checked_at": original_time, **DONE_RESULT}  # when the result was computed
    assert answer["source"] == {"type": "frames", "count": 2}

    image = _jpeg(7)
    _seed(server, url="https://example.com/upload-original.jpg", sha256=hashlib.sha256(image).hexdigest(),
          version=version)
    uploaded = _post(server, files={"file": ("holiday.jpg", image)})
    assert uploaded.status_code == 200 and uploaded.json()["source"]["filename"] == "holiday.jpg"

    url = held_http_server.base_url + "/seen-before.jpg"
    _seed(server, url=url, sha256="c" * 64, version=version)
    by_url = _post(server, json={"url": url})
    assert by_url.status_code == 200 and by_url.json()["result"]["verdict"] == DONE_RESULT["verdict"]
    assert not held_http_server.arrived.acquire(timeout=0.2)  # answered without fetching again

    other_model = _seed(server, url="https://example.com/old-model.jpg", sha256="d" * 64, version="frame_cnn@old")
    assert other_model  # a result from another model version is not reused:
    assert _post(server, json={"url": "https://example.com/old-model.jpg"}).status_code == 202


def test_identical_requests_share_one_job_then_it_fails_typed(model_server, held_http_server):
    server = model_server()
    url = held_http_server.base_url + "/slow.jpg"
    first = _post(server, json={"url": url})
    assert first.status_code == 202
    assert first.headers["Location"].endswith(f"/v1/analyses/{first.json()['id']}")
    assert held_http_server.arrived.acquire(timeout=20)
    second = _post(server, json={"url": url})
    assert second.status_code == 202 and second.json() == {"id": first.json()["id"], "status": "running"}
    running = requests.get(server.url(f"/v1/analyses/{first.json()['id']}"), headers=server.auth, timeout=10).json()
    assert running["status"] == "running" and running["progress"]["stage"] == "fetch"
    held_http_server.release.set()
    failed = _wait(server, first.json()["id"])
    assert failed["status"] == "failed" and failed["error"]["code"].startswith("fetch_")  # the server said 404
    _assert_no_job_files(server)
    assert server.app.extensions["unmask"].store.count() == 1


def test_queue_full_is_503_with_retry_after(model_server, held_http_server):
    server = model_server(WORKERS=1, QUEUE_MAX=1)
    running = _post(server, json={"url": held_http_server.base_url + "/1.jpg"})
    assert running.status_code == 202
    assert held_http_server.arrived.acquire(timeout=20)
    waiting = _post(server, json={"url": held_http_server.base_url + "/2.jpg"})
    assert waiting.status_code == 202 and waiting.json()["status"] == "queued"
    full = _post(server, json={"url": held_http_server.base_url + "/3.jpg"})
    assert full.status_code == 503 and _error_code(full) == "queue_full"
    assert int(full.headers["Retry-After"]) > 0
    health = requests.get(server.url("/v1/health"), timeout=10).json()
    assert health["queue"] == {"depth": 1, "max": 1, "workers": 1, "running": 1}
    held_http_server.release.set()
    for analysis_id in (running.json()["id"], waiting.json()["id"]):
        assert _wait(server, analysis_id)["status"] == "failed"


def test_upload_and_frames_jobs_finish_with_results(model_server):
    from skimage import data

    server = model_server()
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    image = encoded.tobytes()
    accepted = _post(server, files={"file": ("astronaut.jpg", image)})
    assert accepted.status_code == 202
    done = _wait(server, accepted.json()["id"])
    assert done["status"] == "done", done
    result = done["result"]
    assert result["media"]["sha256"] == hashlib.sha256(image).hexdigest()
    assert result["media"]["kind"] == "image"
    assert result["verdict"] in ("likely_fake", "inconclusive", "likely_real")
    assert len(result["faces"]) >= 1 and done["progress"] == {"fraction": 1.0, "stage": "done"}
    assert done["model_version"] == _version(server)
    again = _post(server, files={"file": ("copy.jpg", image)})
    assert again.status_code == 200 and again.json()["cached"]
    assert again.json()["result"] == {"checked_at": done["created_at"], **result}
    _assert_no_job_files(server)

    frames = {"frames": [{"data": base64.b64encode(image).decode(), "timestamp": t} for t in (0.0, 0.5)]}
    accepted = _post(server, json=frames)
    assert accepted.status_code == 202
    done = _wait(server, accepted.json()["id"])
    assert done["status"] == "done", done
    assert done["result"]["media"]["kind"] == "frames" and done["result"]["media"]["frames_analyzed"] == 2
    assert [frame["timestamp"] for frame in done["result"]["frames"]] == [0.0, 0.5]
    _assert_no_job_files(server)
