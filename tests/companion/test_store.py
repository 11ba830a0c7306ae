"""The SQLite history: states, cache look-ups, pagination, corrections, and surviving a restart."""
from __future__ import annotations

import sqlite3

import pytest

from companion.store import InvalidCursor, Store

RESULT = {"verdict": "likely_real", "score": 0.1, "media": {"sha256": "ab" * 32, "kind": "image"}}


@pytest.fixture
def store(tmp_path):
    """A fresh history database."""
    db = Store(tmp_path / "unmask.sqlite3")
    yield db
    db.close()


def _create(store, url="https://example.com/a.jpg", **kwargs):
    """Insert an analysis of a URL."""
    return store.create(source={"type": "url", "url": url}, source_key=f"url:{url}", model_version="m@1", **kwargs)


def test_lifecycle_queued_running_done(store):
    analysis_id = _create(store)
    assert store.get(analysis_id)["status"] == "queued"
    assert store.mark_running(analysis_id)
    assert not store.mark_running(analysis_id)  # only from queued
    store.set_progress(analysis_id, 0.5, "faces")
    assert store.get(analysis_id)["progress"] == {"fraction": 0.5, "stage": "faces"}
    store.finish(analysis_id, RESULT, RESULT["media"]["sha256"])
    analysis = store.get(analysis_id)
    assert analysis["status"] == "done" and analysis["result"] == RESULT and "error" not in analysis
    assert analysis["source"] == {"type": "url", "url": "https://example.com/a.jpg"}
    assert analysis["created_at"].endswith("Z")


def test_failed_has_error_not_result(store):
    analysis_id = _create(store)
    store.mark_running(analysis_id)
    store.fail(analysis_id, "fetch_failed", "the server answered 404")
    analysis = store.get(analysis_id)
    assert analysis["status"] == "failed"
    assert analysis["error"] == {"code": "fetch_failed", "message": "the server answered 404"}
    assert "result" not in analysis


def test_cache_lookups(store):
    sha = RESULT["media"]["sha256"]
    analysis_id = _create(store)
    assert store.find_done(sha, "m@1") is None
    store.mark_running(analysis_id)
    store.finish(analysis_id, RESULT, sha)
    assert store.find_done(sha, "m@1")["id"] == analysis_id
    assert store.find_done(sha, "m@2") is None  # another model version is not a hit
    assert store.sha256_for_source("url:https://example.com/a.jpg") == sha
    assert store.sha256_for_source("url:https://example.com/other.jpg") is None


def test_pagination_newest_first(store):
    ids = [_create(store, url=f"https://example.com/{i}.jpg") for i in range(5)]
    first, cursor = store.list(2)
    assert [a["id"] for a in first] == [ids[4], ids[3]]
    second, cursor2 = store.list(2, cursor)
    assert [a["id"] for a in second] == [ids[2], ids[1]]
    last, end = store.list(2, cursor2)
    assert [a["id"] for a in last] == [ids[0]] and end is None
    with pytest.raises(InvalidCursor):
        store.list(2, "abc")


def test_delete_removes_feedback_too(store):
    analysis_id = _create(store, status="done", result=RESULT, sha256="ab" * 32)
    store.set_feedback(analysis_id, "fake", "mouth looks pasted")
    assert store.get(analysis_id)["feedback"]["label"] == "fake"
    assert store.delete(analysis_id)
    assert not store.delete(analysis_id)
    assert store.get(analysis_id) is None
    assert list(store.feedback_rows()) == []


def test_feedback_is_replaced_not_duplicated(store):
    analysis_id = _create(store, status="done", result=RESULT)
    store.set_feedback(analysis_id, "fake", "first")
    store.set_feedback(analysis_id, "real", "second thoughts")
    rows = list(store.feedback_rows())
    assert len(rows) == 1 and rows[0]["feedback"]["label"] == "real" and rows[0]["result"] == RESULT


def test_interrupted_and_persisted_across_restart(tmp_path):
    first = Store(tmp_path / "db.sqlite3")
    queued, running, done = _create(first), _create(first), _create(first, status="done", result=RESULT)
    first.mark_running(running)
    first.close()
    second = Store(tmp_path / "db.sqlite3")
    assert second.mark_interrupted() == 2
    for analysis_id in (queued, running):
        analysis = second.get(analysis_id)
        assert analysis["status"] == "failed" and analysis["error"]["code"] == "interrupted"
        assert analysis["error"]["message"]
    assert second.get(done)["result"] == RESULT
    assert second.count() == 3
    second.close()


def test_wal_mode(tmp_path):
    Store(tmp_path / "db.sqlite3").close()
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
