"""Run a call that cannot be interrupted (native code) with a deadline: give up waiting, let it finish alone."""
from __future__ import annotations

import threading
from typing import Any, Callable


class DeadlineExceeded(Exception):
    """The call did not return in time (it keeps running in its own thread)."""


class TooManyStuck(Exception):
    """Too many earlier calls are still running past their deadline; no new one is started."""


class DeadlineRunner:
    """Runs each call in its own daemon thread and waits at most `seconds` for it."""

    def __init__(self, max_stuck: int):
        self.max_stuck = max_stuck
        self.stuck = 0
        self._lock = threading.Lock()

    def call(self, function: Callable[[], Any], seconds: float) -> Any:
        """function()'s result or exception; DeadlineExceeded after `seconds`; TooManyStuck when saturated."""
        with self._lock:
            if self.stuck >= self.max_stuck:
                raise TooManyStuck(f"{self.stuck} earlier calls are still running past their deadline")
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def run() -> None:
            """Call, keep the outcome, and release the stuck slot if the caller stopped waiting."""
            try:
                outcome["value"] = function()
            except BaseException as exc:  # handed to the waiting caller
                outcome["error"] = exc
            with self._lock:
                done.set()
                if outcome.get("abandoned"):
                    self.stuck -= 1

        threading.Thread(target=run, name="provenance-deadline", daemon=True).start()
        done.wait(seconds)
        with self._lock:
            if not done.is_set():
                outcome["abandoned"] = True
                self.stuck += 1
                raise DeadlineExceeded(f"no answer within {seconds:g} s")
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("value")
