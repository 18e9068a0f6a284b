"""The time a diagnosis looks at (``--since``) and how long it may take (``--timeout``).

Pure: no AWS, no boto3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from popcornctl.errors import PopcornError

_DURATION = re.compile(r"(\d+)\s*([smhdw])", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_WINDOW = timedelta(days=14)  # RDS keeps events for 14 days; nothing we read goes further back
MAX_TIMEOUT = timedelta(hours=1)
DEFAULT_TIMEOUT = "60s"


def _seconds(option: str, text: str) -> int:
    cleaned = text.strip().lower().replace(" ", "")
    if cleaned.isdigit() and option == "--timeout":
        cleaned += "s"  # a bare number of seconds, as in the AWS CLI's --cli-read-timeout
    if not cleaned or _DURATION.sub("", cleaned):
        raise PopcornError(f"{option} {text!r} is not a duration", "use a number with a unit: 90s, 15m, 1h, 1h30m, 2d")
    seconds = sum(int(n) * _UNIT_SECONDS[u.lower()] for n, u in _DURATION.findall(cleaned))
    if seconds <= 0:
        raise PopcornError(f"{option} {text!r} is empty", "use a positive duration such as 1h")
    return seconds


def parse_since(text: str) -> timedelta:
    """``90s``, ``15m``, ``1h``, ``1h30m``, ``2d`` -> a timedelta; anything else is a usage error."""
    seconds = _seconds("--since", text)
    if seconds > MAX_WINDOW.total_seconds():  # compared before building a timedelta: huge numbers overflow it
        raise PopcornError(f"--since {text!r} is longer than 14 days", "RDS keeps events 14 days; use 14d or less")
    return timedelta(seconds=seconds)


def parse_timeout(text: str) -> float:
    """``--timeout``: ``60``, ``90s``, ``2m`` -> seconds (at most an hour)."""
    seconds = _seconds("--timeout", text)
    if seconds > MAX_TIMEOUT.total_seconds():
        raise PopcornError(f"--timeout {text!r} is longer than an hour", "use 1h or less (the default is 60s)")
    return float(seconds)


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

    def age(self, moment: datetime) -> timedelta:
        """How long before the window's end ``moment`` was."""
        return self.end - aware(moment)


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


def human_seconds(seconds: float) -> str:
    """``60`` for whole seconds, ``2.5`` otherwise (for 'within N s' messages)."""
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"
