"""One overall deadline for a diagnose run: past it, the run ends with "AWS did not answer within N s".

Work that talks to AWS runs on a daemon thread and the caller waits at most the time left. A thread still
blocked on a stalled socket is abandoned (it ends at the client's read timeout, or with the process).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from popcornctl.diagnose.failures import timeout_error

T = TypeVar("T")


class Deadline:
    """``seconds`` from creation; :meth:`call` runs AWS work within what is left."""

    def __init__(self, seconds: float, where: str = "") -> None:
        self.seconds = seconds
        self.where = where
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left (0 when past the deadline)."""
        return max(0.0, self._end - time.monotonic())

    @property
    def expired(self) -> bool:
        """True when no time is left."""
        return self.remaining() <= 0

    def call(self, fn: Callable[[], T]) -> T:
        """``fn()`` on a daemon thread; its result or exception, or a PopcornError when time runs out first."""
        future: Future[T] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)

        threading.Thread(target=run, name="diagnose-deadline", daemon=True).start()
        try:
            return future.result(timeout=self.remaining())
        except FutureTimeout:
            raise timeout_error(self.seconds, self.where) from None
