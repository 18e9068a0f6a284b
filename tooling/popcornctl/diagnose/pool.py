"""A small thread pool on daemon threads, for the fetch steps' concurrent AWS calls.

Why not ``concurrent.futures.ThreadPoolExecutor``: the interpreter joins its threads at exit, so one call
stalled on a socket would keep popcornctl alive after the run's deadline has already reported "AWS did not
answer". Daemon threads are abandoned at exit instead; the clients' read timeouts end them soon anyway.
Work submitted here never waits on other work of the same pool, so the pool cannot deadlock.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_STOP = object()


class Pool:
    """Up to ``workers`` daemon threads, started on demand."""

    def __init__(self, workers: int, name: str) -> None:
        self._workers = max(1, workers)
        self._name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[..., R], *args: Any) -> Future[R]:
        """Run ``fn(*args)`` on a worker; the future carries its result or exception."""
        future: Future[R] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the pool is closed")
            self._queue.put((future, fn, args))
            if self._idle:
                self._idle -= 1  # a waiting worker takes it
            elif len(self._threads) < self._workers:
                thread = threading.Thread(target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()
        return future

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``[fn(item) for item in items]`` run concurrently; the first exception is raised."""
        futures = [self.submit(fn, item) for item in items]
        return [f.result() for f in futures]

    def close(self) -> None:
        """Let the workers end when the queue is empty (does not wait for them)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for _ in self._threads:
                self._queue.put(_STOP)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            future, fn, args = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args))
                except BaseException as exc:
                    future.set_exception(exc)
            with self._lock:
                self._idle += 1
