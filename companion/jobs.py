"""Bounded worker pool: a few worker threads, a bounded queue, progress, and de-duplication of jobs."""
from __future__ import annotations

import ctypes
import logging
import queue
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from companion.errors import Unavailable, UnmaskError
from companion.store import Store

log = logging.getLogger(__name__)

RETRY_AFTER_S = 10
UNEXPECTED_MESSAGE = "the analysis failed unexpectedly; the companion's log has the details"

# work(payload, config, progress) -> (result dict, sha256 of the media or None)
WorkFunction = Callable[[Any, Mapping[str, Any], Callable[[float, str], None]], tuple[dict, str | None]]


def release_freed_memory() -> None:
    """Hand the memory a finished job freed back to the system (glibc's malloc keeps it otherwise)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class QueueFull(Unavailable):
    """Every worker is busy and the queue is full."""

    code = "queue_full"


@dataclass
class Job:
    """One queued analysis: its id, its de-duplication key and what the work function needs."""

    id: str
    key: tuple
    payload: Any
    cleanup: Callable[[], None] = field(default=lambda: None)


class JobPool:
    """Runs jobs on WORKERS threads; at most QUEUE_MAX wait; identical active jobs are shared."""

    def __init__(self, store: Store, work: WorkFunction, config: Mapping[str, Any]):
        """A pool for `store`, running `work`; sized by WORKERS and QUEUE_MAX (threads start on first use)."""
        self.store = store
        self.work = work
        self.config = config
        self.workers = int(config["WORKERS"])
        self.queue_max = int(config["QUEUE_MAX"])
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._active: dict[tuple, str] = {}
        self._waiting = 0
        self._running = 0
        self._threads: list[threading.Thread] = []

    def stats(self) -> dict:
        """Queue depth (jobs waiting), its limit, the worker count and how many run now."""
        with self._lock:
            return {"depth": self._waiting, "max": self.queue_max, "workers": self.workers,
                    "running": self._running}

    def active_id(self, key: tuple) -> str | None:
        """The id of a queued or running job with this key, if any."""
        with self._lock:
            return self._active.get(key)

    def submit(self, key: tuple, create: Callable[[], str], payload: Any,
               cleanup: Callable[[], None] = lambda: None) -> tuple[str, bool]:
        """Queue a job (or join the identical active one): (id, whether it is new). Raises QueueFull."""
        with self._lock:
            existing = self._active.get(key)
            if existing is not None:
                return existing, False
            if self._waiting >= self.queue_max:
                raise QueueFull(f"the companion is busy ({self._waiting} analyses waiting); try again shortly",
                                headers={"Retry-After": str(RETRY_AFTER_S)})
            job = Job(create(), key, payload, cleanup)
            self._active[key] = job.id
            self._waiting += 1
            self._start_workers()
        self._queue.put(job)
        return job.id, True

    def forget(self, analysis_id: str) -> None:
        """Stop sharing a job whose analysis was deleted (its worker skips or discards it)."""
        with self._lock:
            for key, value in list(self._active.items()):
                if value == analysis_id:
                    del self._active[key]

    def _start_workers(self) -> None:
        """Start the worker threads on the first job (caller holds the lock)."""
        while len(self._threads) < self.workers:
            thread = threading.Thread(target=self._worker, name=f"unmask-worker-{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _worker(self) -> None:
        """Take jobs until told to stop."""
        while True:
            job = self._queue.get()
            if job is None:
                return
            with self._lock:
                self._waiting -= 1
                self._running += 1
            try:
                self._run(job)
            finally:
                with self._lock:
                    self._running -= 1
                    if self._active.get(job.key) == job.id:
                        del self._active[job.key]

    def _run(self, job: Job) -> None:
        """queued -> running -> done | failed, always cleaning up the job's files."""
        try:
            if not self.store.mark_running(job.id):
                return
            result, sha256 = self.work(job.payload, self.config, self._progress(job.id))
            self.store.finish(job.id, result, sha256)
        except UnmaskError as error:
            log.info("analysis %s failed: %s (%s)", job.id, error.code, error.message)
            self._record_failure(job.id, error.code, error.message)
        except Exception:
            log.exception("analysis %s failed unexpectedly", job.id)
            self._record_failure(job.id, "internal_error", UNEXPECTED_MESSAGE)
        finally:
            try:
                job.cleanup()
            except OSError:
                log.warning("could not remove the files of analysis %s", job.id, exc_info=True)
            release_freed_memory()

    def _record_failure(self, analysis_id: str, code: str, message: str) -> None:
        """Store a job's typed error; a database that cannot take it is logged (health reports it)."""
        try:
            self.store.fail(analysis_id, code, message)
        except UnmaskError as error:
            log.error("analysis %s: could not record its failure: %s", analysis_id, error.message)

    def _progress(self, analysis_id: str) -> Callable[[float, str], None]:
        """A progress callback for one job: fraction clamped to 0..1, stage name."""
        def progress(fraction: float, stage: str) -> None:
            """Record the job's progress."""
            self.store.set_progress(analysis_id, min(1.0, max(0.0, float(fraction))), str(stage))
        return progress

    def shutdown(self, wait: bool = True, timeout: float | None = None) -> None:
        """Stop the workers after the jobs already taken; queued jobs stay queued (marked interrupted later)."""
        with self._lock:
            threads = list(self._threads)
            self._threads.clear()
        drained = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                drained.append(item)
        for job in drained:
            job.cleanup()
        for _ in threads:
            self._queue.put(None)
        if wait:
            for thread in threads:
                thread.join(timeout)
