"""SQLite history of analyses, the result cache, and the user's corrections ("this looks wrong")."""
from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from companion.errors import Unavailable
from companion.private_files import private_file, tighten_if_present

SCHEMA = """
CREATE TABLE IF NOT EXISTS analyses (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    source TEXT NOT NULL,
    source_key TEXT NOT NULL,
    sha256 TEXT,
    model_version TEXT NOT NULL,
    progress TEXT NOT NULL,
    result TEXT,
    error TEXT,
    cached_from TEXT
);
CREATE INDEX IF NOT EXISTS analyses_cache ON analyses (sha256, model_version, status);
CREATE INDEX IF NOT EXISTS analyses_source ON analyses (source_key, status);
CREATE TABLE IF NOT EXISTS feedback (
    analysis_id TEXT PRIMARY KEY REFERENCES analyses (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    label TEXT NOT NULL CHECK (label IN ('fake', 'real')),
    note TEXT NOT NULL DEFAULT ''
);
"""

ACTIVE_STATES = ("queued", "running")
INTERRUPTED_MESSAGE = "the companion stopped before this analysis finished; please try again"


def now_iso() -> str:
    """The current UTC time as ISO 8601 with a Z suffix."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _dumps(value: Any) -> str | None:
    """JSON text of a value, None stays None."""
    return None if value is None else json.dumps(value, separators=(",", ":"))


def _loads(text: str | None) -> Any:
    """Value of a JSON text, None stays None."""
    return None if text is None else json.loads(text)


# Cursors are sequence numbers below this (SQLite integers are 64-bit; anything longer is not ours).
CURSOR_MAX = 2 ** 62
FIX_HINT = ("stop the companion, move that file aside (or delete it: the history, cached results and "
            "corrections are lost) and start again")


class InvalidCursor(ValueError):
    """A history cursor that this store did not hand out."""


class DatabaseUnusable(Unavailable):
    """The SQLite file is damaged, not a database, or cannot be written (503 database_unusable)."""

    code = "database_unusable"


class Store:
    """One SQLite database shared by the request threads and the workers (one connection, one lock)."""

    def __init__(self, path: Path):
        """Open (or create) the database at `path` in WAL mode, its files 0600; DatabaseUnusable if damaged."""
        self.path = Path(path)
        private_file(self.path)
        self._lock = threading.RLock()
        self.problem: str | None = None
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(SCHEMA)
            self._db.execute("SELECT seq FROM analyses ORDER BY seq DESC LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise DatabaseUnusable(f"the history database {self.path} cannot be used ({exc}); {FIX_HINT}") from None
        tighten_if_present(self.path.with_name(self.path.name + "-wal"), self.path.with_name(self.path.name + "-shm"))

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def _failed(self, exc: sqlite3.Error) -> DatabaseUnusable:
        """Remember a database failure (health reports it) and the typed error to raise."""
        self.problem = f"the history database {self.path.name} failed: {exc}"
        return DatabaseUnusable(f"the history database cannot be used ({exc}); {FIX_HINT}")

    def _execute(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        """Run one statement under the lock (autocommit); database failures -> DatabaseUnusable."""
        with self._lock:
            try:
                cursor = self._db.execute(sql, params)
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.IntegrityError):
                    raise
                raise self._failed(exc) from None
            self.problem = None
            return cursor

    def _rows(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        """All rows of a query, fetched under the lock; database failures -> DatabaseUnusable."""
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise self._failed(exc) from None

    def check(self) -> str | None:
        """Why the database cannot be used now (a cheap read, plus the last failure of any write), or None."""
        try:
            self._rows("SELECT seq FROM analyses ORDER BY seq DESC LIMIT 1")
        except DatabaseUnusable:
            pass
        return self.problem

    def create(self, *, source: dict, source_key: str, model_version: str, sha256: str | None = None,
               status: str = "queued", result: dict | None = None, cached_from: str | None = None) -> str:
        """Insert a new analysis and return its id."""
        analysis_id = uuid.uuid4().hex
        stamp = now_iso()
        progress = {"fraction": 1.0 if status == "done" else 0.0, "stage": status}
        self._execute(
            "INSERT INTO analyses (id, created_at, updated_at, status, source, source_key, sha256,"
            " model_version, progress, result, cached_from) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (analysis_id, stamp, stamp, status, _dumps(source), source_key, sha256, model_version,
             _dumps(progress), _dumps(result), cached_from))
        return analysis_id

    def get(self, analysis_id: str) -> dict | None:
        """One analysis as the API shows it, or None."""
        rows = self._rows("SELECT a.*, f.label AS fb_label, f.note AS fb_note, f.created_at AS fb_at"
                          " FROM analyses a LEFT JOIN feedback f ON f.analysis_id = a.id WHERE a.id = ?",
                          (analysis_id,))
        return _public(rows[0]) if rows else None

    def list(self, limit: int, cursor: str | None = None) -> tuple[list[dict], str | None]:
        """A page of history, newest first, and the cursor of the next page (None at the end)."""
        before = _parse_cursor(cursor)
        rows = self._rows("SELECT a.*, f.label AS fb_label, f.note AS fb_note, f.created_at AS fb_at"
                          " FROM analyses a LEFT JOIN feedback f ON f.analysis_id = a.id"
                          " WHERE a.seq < ? ORDER BY a.seq DESC LIMIT ?", (before, limit + 1))
        page = rows[:limit]
        next_cursor = str(page[-1]["seq"]) if len(rows) > limit else None
        return [_public(row) for row in page], next_cursor

    def delete(self, analysis_id: str) -> bool:
        """Remove an analysis (and its correction); False when there was none."""
        return self._execute("DELETE FROM analyses WHERE id = ?", (analysis_id,)).rowcount > 0

    def status_of(self, analysis_id: str) -> str | None:
        """The state of an analysis, None when it does not exist."""
        rows = self._rows("SELECT status FROM analyses WHERE id = ?", (analysis_id,))
        return rows[0]["status"] if rows else None

    def mark_running(self, analysis_id: str) -> bool:
        """queued -> running; False when the analysis was deleted (or is not queued)."""
        return self._execute("UPDATE analyses SET status='running', updated_at=?, progress=? WHERE id=?"
                             " AND status='queued'", (now_iso(), _dumps({"fraction": 0.0, "stage": "starting"}),
                                                      analysis_id)).rowcount > 0

    def set_progress(self, analysis_id: str, fraction: float, stage: str) -> None:
        """Record how far a running analysis is."""
        self._execute("UPDATE analyses SET progress=?, updated_at=? WHERE id=? AND status='running'",
                      (_dumps({"fraction": fraction, "stage": stage}), now_iso(), analysis_id))

    def finish(self, analysis_id: str, result: dict, sha256: str | None) -> None:
        """running -> done with its result (and the media's sha256, for the cache)."""
        self._execute("UPDATE analyses SET status='done', result=?, sha256=COALESCE(?, sha256), progress=?,"
                      " updated_at=? WHERE id=?", (_dumps(result), sha256,
                                                   _dumps({"fraction": 1.0, "stage": "done"}), now_iso(),
                                                   analysis_id))

    def fail(self, analysis_id: str, code: str, message: str) -> None:
        """-> failed with a typed error."""
        self._execute("UPDATE analyses SET status='failed', error=?, progress=?, updated_at=? WHERE id=?",
                      (_dumps({"code": code, "message": message}), _dumps({"fraction": 1.0, "stage": "failed"}),
                       now_iso(), analysis_id))

    def mark_interrupted(self) -> int:
        """Fail every analysis a previous process left queued or running; returns how many."""
        return self._execute(
            "UPDATE analyses SET status='failed', error=?, progress=?, updated_at=? WHERE status IN (?, ?)",
            (_dumps({"code": "interrupted", "message": INTERRUPTED_MESSAGE}),
             _dumps({"fraction": 1.0, "stage": "failed"}), now_iso(), *ACTIVE_STATES)).rowcount

    def find_done(self, sha256: str, model_version: str) -> dict | None:
        """The newest finished analysis of this media by this model version, or None."""
        rows = self._rows("SELECT id FROM analyses WHERE sha256=? AND model_version=? AND status='done'"
                          " ORDER BY seq DESC LIMIT 1", (sha256, model_version))
        return self.get(rows[0]["id"]) if rows else None

    def sha256_for_source(self, source_key: str) -> str | None:
        """The sha256 a finished analysis found behind this source (a URL), or None."""
        rows = self._rows("SELECT sha256 FROM analyses WHERE source_key=? AND status='done' AND sha256 IS NOT NULL"
                          " ORDER BY seq DESC LIMIT 1", (source_key,))
        return rows[0]["sha256"] if rows else None

    def set_feedback(self, analysis_id: str, label: str, note: str) -> dict:
        """Record (or replace) the user's correction of an analysis."""
        stamp = now_iso()
        self._execute("INSERT INTO feedback (analysis_id, created_at, label, note) VALUES (?,?,?,?)"
                      " ON CONFLICT (analysis_id) DO UPDATE SET created_at=excluded.created_at,"
                      " label=excluded.label, note=excluded.note", (analysis_id, stamp, label, note))
        return {"label": label, "note": note, "created_at": stamp}

    def feedback_rows(self) -> Iterator[dict]:
        """Every correction joined with its analysis, oldest first."""
        rows = self._rows("SELECT a.*, f.label AS fb_label, f.note AS fb_note, f.created_at AS fb_at"
                          " FROM feedback f JOIN analyses a ON a.id = f.analysis_id ORDER BY f.created_at, a.seq")
        for row in rows:
            yield _public(row)

    def count(self, status: str | None = None) -> int:
        """How many analyses there are (in one state when given)."""
        if status is None:
            return self._rows("SELECT COUNT(*) AS n FROM analyses")[0]["n"]
        return self._rows("SELECT COUNT(*) AS n FROM analyses WHERE status=?", (status,))[0]["n"]


def _parse_cursor(cursor: str | None) -> int:
    """The sequence number a cursor stands for (a value above every row when there is none)."""
    if cursor in (None, ""):
        return CURSOR_MAX
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 19 or int(cursor) > CURSOR_MAX:
        raise InvalidCursor(cursor)
    return int(cursor)


def _public(row: sqlite3.Row) -> dict:
    """An analysis row in its API shape: result only when done, error only when failed."""
    analysis = {
        "id": row["id"],
        "status": row["status"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "source": _loads(row["source"]),
        "model_version": row["model_version"],
        "progress": _loads(row["progress"]),
        "cached": row["cached_from"] is not None,
    }
    if row["status"] == "done":
        analysis["result"] = _loads(row["result"])
    if row["status"] == "failed":
        analysis["error"] = _loads(row["error"])
    if row["fb_label"] is not None:
        analysis["feedback"] = {"label": row["fb_label"], "note": row["fb_note"], "created_at": row["fb_at"]}
    return analysis
