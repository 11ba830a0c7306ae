"""The bounded job pool: states, progress, errors, de-duplication, a full queue, deleted jobs."""
from __future__ import annotations

import threading
import time

import pytest

from companion.errors import FetchFailed
from companion.jobs import JobPool, QueueFull
from companion.store import Store

CONFIG = {"WORKERS": 1, "QUEUE_MAX": 2}


class GatedWork:
    """A work function that reports progress, then waits for the test to open its gate."""

    def __init__(self):
        """A closed gate and no calls yet."""
        self.gate = threading.Event()
        self.started = threading.Semaphore(0)
        self.calls = []

    def __call__(self, payload, config, progress):
        """Record the call, report progress, wait, then succeed or raise what the payload says."""
        self.calls.append(payload)
        progress(0.25, "faces")
        progress(7.0, "detect")  # out of range: clamped
        self.started.release()
        assert self.gate.wait(10)
        if isinstance(payload, BaseException):
            raise payload
        return {"verdict": "no_face", "payload": payload}, f"sha-{payload}"


@pytest.fixture
def store(tmp_path):
    """A fresh history database."""
    db = Store(tmp_path / "db.sqlite3")
    yield db
    db.close()


@pytest.fixture
def pool_factory(store):
    """Factory: pools on the test store, shut down (gates opened) after the test."""
    pools = []

    def make(work, **config):
        """A pool running `work` with CONFIG plus overrides."""
        pool = JobPool(store, work, {**CONFIG, **config})
        pools.append((pool, work))
        return pool

    yield make
    for pool, work in pools:
        if isinstance(work, GatedWork):
            work.gate.set()
        pool.shutdown(wait=True, timeout=10)


def _submit(pool, store, name, payload=None, cleanup=lambda: None):
    """Submit a job keyed by `name` whose payload is `name` unless given."""
    create = lambda: store.create(source={"type": "url", "url": name}, source_key=name, model_version="m@1")
    return pool.submit((name, "m@1"), create, name if payload is None else payload, cleanup)


def _wait_status(store, analysis_id, status, timeout=10.0):
    """Poll the store until an analysis reaches `status`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if store.get(analysis_id)["status"] == status:
            return store.get(analysis_id)
        time.sleep(0.02)
    raise AssertionError(f"{analysis_id} never reached {status}: {store.get(analysis_id)}")


def test_job_runs_to_done_with_progress(pool_factory, store):
    work = GatedWork()
    pool = pool_factory(work)
    cleaned = threading.Event()
    analysis_id, new = _submit(pool, store, "a", cleanup=cleaned.set)
    assert new
    assert work.started.acquire(timeout=10)
    running = store.get(analysis_id)
    assert running["status"] == "running"
    assert running["progress"] == {"fraction": 1.0, "stage": "detect"}
    assert pool.stats() == {"depth": 0, "max": 2, "workers": 1, "running": 1}
    work.gate.set()
    done = _wait_status(store, analysis_id, "done")
    assert done["result"] == {"verdict": "no_face", "payload": "a"}
    assert store.find_done("sha-a", "m@1")["id"] == analysis_id
    assert cleaned.wait(5)


def test_identical_jobs_share_one_id_until_finished(pool_factory, store):
    work = GatedWork()
    pool = pool_factory(work)
    first, _ = _submit(pool, store, "same")
    second, new = _submit(pool, store, "same")
    assert second == first and not new
    assert store.count() == 1
    work.gate.set()
    _wait_status(store, first, "done")
    deadline = time.monotonic() + 5
    while pool.active_id(("same", "m@1")) and time.monotonic() < deadline:
        time.sleep(0.02)
    third, new = _submit(pool, store, "same")
    assert new and third != first


def test_queue_full_raises_with_retry_after(pool_factory, store):
    work = GatedWork()
    pool = pool_factory(work, QUEUE_MAX=2)
    _submit(pool, store, "running")
    assert work.started.acquire(timeout=10)
    _submit(pool, store, "waiting-1")
    _submit(pool, store, "waiting-2")
    assert pool.stats()["depth"] == 2
    with pytest.raises(QueueFull) as caught:
        _submit(pool, store, "one-too-many")
    assert caught.value.status == 503 and caught.value.code == "queue_full"
    assert int(caught.value.headers["Retry-After"]) > 0
    assert store.count() == 3  # the refused job left no history entry


def test_typed_error_becomes_the_jobs_error(pool_factory, store):
    work = GatedWork()
    work.gate.set()
    pool = pool_factory(work)
    analysis_id, _ = _submit(pool, store, "x", payload=FetchFailed("the server answered 404"))
    failed = _wait_status(store, analysis_id, "failed")
    assert failed["error"] == {"code": "fetch_failed", "message": "the server answered 404"}


def test_unexpected_error_is_internal_error_without_details(pool_factory, store, caplog):
    work = GatedWork()
    work.gate.set()
    pool = pool_factory(work)
    analysis_id, _ = _submit(pool, store, "x", payload=ZeroDivisionError("secret /home/user/path"))
    failed = _wait_status(store, analysis_id, "failed")
    assert failed["error"]["code"] == "internal_error"
    assert "secret" not in failed["error"]["message"]
    assert any("failed unexpectedly" in record.message for record in caplog.records)


def test_deleted_queued_job_is_skipped(pool_factory, store):
    work = GatedWork()
    pool = pool_factory(work)
    _submit(pool, store, "running")
    assert work.started.acquire(timeout=10)
    cleaned = threading.Event()
    doomed, _ = _submit(pool, store, "doomed", cleanup=cleaned.set)
    store.delete(doomed)
    pool.forget(doomed)
    assert pool.active_id(("doomed", "m@1")) is None
    work.gate.set()
    assert cleaned.wait(5)
    assert work.calls == ["running"]  # the deleted job never ran
