"""Planned values as policies read them: paths into ``after``, and :data:`UNKNOWN` where Terraform marks a value
as known only after apply (``after_unknown``). Re-exported by :mod:`popcornctl.policy.api`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any


class _Unknown:
    """The value of an attribute Terraform will only know after apply."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(known after apply)"

    def __bool__(self) -> bool:
        raise TypeError("a value unknown until apply has no truth value: compare it with `is UNKNOWN` first")

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
"""Sentinel for values known only after apply (typed ``Any`` so it compares with any attribute value)."""


@lru_cache(maxsize=4096)
def _split(path: str) -> tuple[str | int, ...]:
    return tuple(int(p) if p.isdigit() else p for p in path.split(".")) if path else ()


def _path(path: str | Sequence[str | int]) -> Sequence[str | int]:
    return _split(path) if isinstance(path, str) else path


def _step(value: Any, key: str | int) -> tuple[bool, Any]:
    """One step down ``value``; lenient: a key on a one-block list descends into the block."""
    if isinstance(key, int):
        if isinstance(value, list):
            return (True, value[key]) if -len(value) <= key < len(value) else (False, None)
        if isinstance(value, dict) and key == 0:
            return True, value
        return False, None
    if isinstance(value, list):
        if not value:
            return False, None
        value = value[0]
    if isinstance(value, dict) and key in value:
        return True, value[key]
    return False, None


def merge_unknown(value: Any, unknown_mark: Any) -> Any:
    """``value`` with :data:`UNKNOWN` wherever ``after_unknown`` marks it (recursively)."""
    if unknown_mark is True:
        return UNKNOWN
    if isinstance(unknown_mark, dict) and unknown_mark:
        base = dict(value) if isinstance(value, dict) else {}
        for key, mark in unknown_mark.items():
            base[key] = merge_unknown(base.get(key), mark)
        return base
    if isinstance(unknown_mark, list) and unknown_mark and isinstance(value, list):
        out = list(value)
        for i, mark in enumerate(unknown_mark):
            if i < len(out):
                out[i] = merge_unknown(out[i], mark)
            elif mark is True:
                out.append(UNKNOWN)
        return out
    return value


def walk(after: Any, after_unknown: Any, path: str | Sequence[str | int]) -> Any:
    """The value at ``path`` in ``after``, :data:`UNKNOWN` where ``after_unknown`` says so, else None."""
    if isinstance(path, str) and "." not in path:  # the common case: a top-level attribute
        mark = after_unknown.get(path) if isinstance(after_unknown, dict) else None
        if mark is True:
            return UNKNOWN
        value = after.get(path) if isinstance(after, dict) else None
        return merge_unknown(value, mark) if mark else value
    value, mark = after, after_unknown
    for key in _path(path):
        if mark is True:
            return UNKNOWN
        _found, value = _step(value, key)
        _found_mark, mark = _step(mark, key)
        if not _found and mark is not True:
            return None
    return merge_unknown(value, mark)


def contains_unknown(value: Any) -> bool:
    """True when ``value`` is or holds :data:`UNKNOWN` anywhere."""
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def as_list(value: Any) -> list[Any]:
    """``None`` → ``[]``, a scalar → ``[scalar]``, a list → itself (IAM's string-or-list fields)."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def parse_json(value: Any) -> Any:
    """A JSON document attribute (policy, container_definitions): parsed, UNKNOWN, or None if absent/invalid."""
    if value is UNKNOWN or value is None:
        return value
    if isinstance(value, dict | list):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return None
