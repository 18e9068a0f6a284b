"""Small helpers the diagnosers share: the time window, batching, memoised look-ups, AWS error handling.

boto3 and botocore are imported inside functions only, so importing this module stays cheap.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from popcornctl.errors import PopcornError

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")

_DURATION = re.compile(r"(\d+)\s*([smhdw])", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_WINDOW = timedelta(days=14)  # RDS keeps events for 14 days; nothing we read goes further back


def parse_since(text: str) -> timedelta:
    """``90s``, ``15m``, ``1h``, ``1h30m``, ``2d`` -> a timedelta; anything else is a usage error."""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned or _DURATION.sub("", cleaned):
        raise PopcornError(f"--since {text!r} is not a duration", "use a number with a unit: 90s, 15m, 1h, 1h30m, 2d")
    seconds = sum(int(n) * _UNIT_SECONDS[u.lower()] for n, u in _DURATION.findall(cleaned))
    if seconds <= 0:
        raise PopcornError(f"--since {text!r} is empty", "use a positive duration such as 1h")
    span = timedelta(seconds=seconds)
    if span > MAX_WINDOW:
        raise PopcornError(f"--since {text!r} is longer than 14 days", "RDS keeps events 14 days; use 14d or less")
    return span


@dataclass(frozen=True)
class Window:
    """The time window a diagnosis looks at: [start, end]."""

    since: timedelta
    end: datetime

    @property
    def start(self) -> datetime:
        """The window's start."""
        return self.end - self.since

    @classmethod
    def ending_now(cls, since: timedelta) -> Window:
        """A window of ``since`` ending now (UTC)."""
        return cls(since=since, end=datetime.now(UTC))

    def contains(self, moment: datetime | None) -> bool:
        """True when ``moment`` is inside the window (unknown moments count as inside)."""
        if moment is None:
            return True
        return aware(moment) >= self.start


def aware(moment: datetime) -> datetime:
    """A timezone-aware datetime (naive ones are taken as UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def human_age(delta: timedelta) -> str:
    """``3h12m``, ``45m``, ``20s``: a compact duration."""
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"


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
    """Thread-safe per-key memo: concurrent callers for one key make a single AWS call."""

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
                try:
                    self._values[key] = Outcome(value=self._fn(key))
                except Exception as exc:
                    if is_fatal(exc):
                        raise
                    self._values[key] = Outcome(error=describe_error(exc), code=error_code(exc))
            return self._values[key]


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError (None for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def describe_error(exc: BaseException) -> str:
    """``Code: message`` for AWS errors, the exception text otherwise."""
    code = error_code(exc)
    response = getattr(exc, "response", None)
    if code and isinstance(response, dict):
        message = response.get("Error", {}).get("Message") or ""
        return f"{code}: {message}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"


_CREDENTIAL_CODES = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "AuthFailure",
    "RequestExpired",
}


def is_fatal(exc: BaseException) -> bool:
    """Errors that make the whole run meaningless: bad credentials, no endpoint, no network."""
    from botocore.exceptions import (
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    fatal_types = (
        NoCredentialsError,
        PartialCredentialsError,
        NoRegionError,
        EndpointConnectionError,
        ConnectTimeoutError,
    )
    return isinstance(exc, fatal_types) or error_code(exc) in _CREDENTIAL_CODES


def fatal_error(exc: BaseException, where: str) -> PopcornError:
    """The one-line user error for a fatal AWS problem."""
    code = error_code(exc)
    if code in _CREDENTIAL_CODES:
        return PopcornError(
            f"AWS rejected the credentials ({describe_error(exc)})",
            "refresh them (aws sso login / aws configure) or use --sandbox",
        )
    return PopcornError(
        f"cannot reach AWS ({where}): {exc}",
        "check credentials and network, or start the sandbox with: popcornctl sandbox start",
    )


def arn_name(arn: str) -> str:
    """The last path segment of an ARN (role name, target group name, task id...)."""
    return arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def mib(value: Any) -> int | None:
    """An integer from a task-definition memory/cpu field ('512', 512, None)."""
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None
