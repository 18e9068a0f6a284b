"""How diagnose calls AWS: batching, pagination, and per-key memos that make each shared look-up once.

Used by the fetch steps only (checks never call AWS).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from popcornctl.diagnose.failures import describe_error, error_code, is_fatal

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of at most ``size`` (API batch limits: DescribeServices 10, DescribeTasks 100)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def unique(items: Iterable[T]) -> list[T]:
    """``items`` without duplicates, first occurrence order kept."""
    seen: set[T] = set()
    out: list[T] = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    """Every item under ``key`` across all pages of ``operation``."""
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


@dataclass(frozen=True)
class Outcome(Generic[V]):
    """A memoised call's value, or the AWS error it raised."""

    value: V | None = None
    error: str | None = None
    code: str | None = None


class Memo(Generic[K, V]):
    """Thread-safe per-key memo: concurrent callers for one key make a single AWS call.

    Fatal errors (credentials, endpoint, timeouts) are raised; any other error is kept as the key's outcome.
    """

    def __init__(self, fn: Callable[[K], V]) -> None:
        self._fn = fn
        self._lock = threading.Lock()
        self._key_locks: dict[K, threading.Lock] = {}
        self._values: dict[K, Outcome[V]] = {}

    def __call__(self, key: K) -> Outcome[V]:
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            if key not in self._values:
                self._values[key] = attempt(lambda: self._fn(key))
            return self._values[key]

    def results(self) -> dict[K, Outcome[V]]:
        """Every outcome so far, by key (a copy)."""
        with self._lock:
            return dict(self._values)


def attempt(fn: Callable[[], V]) -> Outcome[V]:
    """Call ``fn``; a non-fatal error becomes the outcome, a fatal one is raised."""
    try:
        return Outcome(value=fn())
    except Exception as exc:
        if is_fatal(exc):
            raise
        return Outcome(error=describe_error(exc), code=error_code(exc))
