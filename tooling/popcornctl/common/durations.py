"""Spans of time as users type them (``90s``, ``15m``, ``1h30m``, ``2d``, ``1w``) and as popcornctl prints them.

One parser and one formatter for every command: ``unlock --older-than``, ``diagnose --since``, lock ages,
run durations. The parser works on Python integers before building a :class:`~datetime.timedelta`, so an
absurd value (``1000000000d``, ``99999999999999999999s``) is a one-line usage error instead of an
``OverflowError``.
"""

from __future__ import annotations

import re
from datetime import timedelta

from popcornctl.errors import PopcornError

UNITS: dict[str, int] = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Longer than any lock, log or window anyone means: beyond it, a value is a typo (and near timedelta's limit).
LONGEST = timedelta(days=36500)

_PART = re.compile(r"(\d+)([smhdw])")
_SYNTAX = "write it like 90s, 15m, 2h, 1d or 1h30m (units s, m, h, d, w)"


def parse_duration(
    text: str,
    *,
    flag: str | None = None,
    allow_zero: bool = True,
    longest: timedelta = LONGEST,
    longest_why: str | None = None,
) -> timedelta:
    """``90s``, ``15m``, ``2h``, ``1d``, ``1w`` or combinations (``1h30m``, ``1h 30m``); ``0`` is zero.

    ``flag`` names the option in messages (``--since '5' is not a duration``). ``allow_zero=False`` refuses
    zero; ``longest`` caps the value (``longest_why`` says why, e.g. "RDS keeps events 14 days").
    Every refusal is a :class:`PopcornError` (one line, exit 2).
    """
    label = f"{flag} {text!r}" if flag else repr(text)
    raw = text.strip().lower().replace(" ", "")
    if raw == "0":
        seconds = 0
    else:
        if not raw or _PART.sub("", raw) != "":
            raise PopcornError(f"{label} is not a duration", _SYNTAX)
        seconds = sum(int(number) * UNITS[unit] for number, unit in _PART.findall(raw))
    if seconds == 0 and not allow_zero:
        raise PopcornError(f"{label} is empty", "use a positive duration such as 15m or 1h")
    if seconds > longest.total_seconds():
        why = f" ({longest_why})" if longest_why else ""
        raise PopcornError(
            f"{label} is longer than {format_duration(longest)}{why}", f"use {format_duration(longest)} or less"
        )
    return timedelta(seconds=seconds)


def format_duration(span: timedelta | float | None, *, precise: bool = False) -> str:
    """``45s``, ``12m 3s``, ``15m``, ``3h 12m``, ``2d 4h``; ``?`` when unknown.

    Two units at most, the larger first. ``precise`` keeps tenths of a second under a minute (``12.3s``),
    for durations of steps rather than ages.
    """
    if span is None:
        return "?"
    total = span.total_seconds() if isinstance(span, timedelta) else float(span)
    total = max(0.0, total)
    if precise and total < 60:
        return f"{total:.1f}s"
    seconds = int(total)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m {secs}s" if secs else f"{minutes}m"
    return f"{secs}s"
