"""Comparing attribute values the way a reader of a drift report means "changed", and showing the difference short.

Providers and AWS disagree about emptiness (``null`` vs ``{}`` vs ``[]`` vs ``""``) and about the layout of JSON
documents held in strings (policies, container definitions): those are the same value here, so they never show
as drift. Inside a nested block (an object in a list or set) ``0`` and ``false`` are empty too: a provider built on
the legacy plugin SDK reads an unset number or bool of a block back as its zero value, and Terraform's own plan
makes no difference between the two (e.g. ``metric_query.period`` of a CloudWatch alarm, unset in the
configuration and absent from DescribeAlarms, is ``null`` after apply and ``0`` after a refresh).

A difference is reported per attribute path: maps are followed key by key (``tags.Owner``), single
nested blocks index by index (``network_configuration[0].assign_public_ip``), JSON strings into their document;
any other list is one attribute whose short diff lists the items added and removed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MAX_TEXT = 100  # characters of one value in a short diff
MAX_ITEMS = 6  # items added/removed shown per list attribute


class Unknown:
    """A value Terraform knows only after apply."""

    def __repr__(self) -> str:
        return "(known after apply)"


UNKNOWN = Unknown()
SENSITIVE_TEXT = "(sensitive)"


def _json_container(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict | list) else None
    return None


def normalize(value: Any, *, in_block: bool = False) -> Any:
    """The value with every kind of emptiness as None and JSON strings parsed (for comparison only);
    ``in_block``: ``value`` is an attribute of a nested block, where zero numbers and false are empty too."""
    parsed = _json_container(value)
    if parsed is not None:
        value = parsed
    if isinstance(value, dict):
        out = {k: normalize(v) for k, v in value.items()}
        out = {k: v for k, v in out.items() if v is not None}
        return out or None
    if isinstance(value, list):
        items = [_normalize_block(v) if isinstance(v, dict) else normalize(v) for v in value]
        return items or None
    if value == "" or value is None or (in_block and value in (0, False)):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    return value


def _normalize_block(block: dict[str, Any]) -> Any:
    """One nested block (an object in a list or set): its own attributes' zero values are empty."""
    out = {k: normalize(v, in_block=True) for k, v in block.items()}
    out = {k: v for k, v in out.items() if v is not None}
    return out or None


def same(a: Any, b: Any, *, in_block: bool = False) -> bool:
    """True when ``a`` and ``b`` are the same value for a reader (see the module docstring); ``in_block``: they
    are one attribute of a nested block."""
    return bool(normalize(a, in_block=in_block) == normalize(b, in_block=in_block))


@dataclass(frozen=True)
class Difference:
    """One attribute path whose value differs."""

    path: str
    before: Any
    after: Any


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def differences(before: Any, after: Any, path: str = "", *, block: bool = False,
                in_block: bool = False) -> Iterator[Difference]:
    """Every attribute path where ``before`` and ``after`` differ (see the module docstring); ``block``: they are
    one nested block, ``in_block``: one attribute of a nested block."""
    if same(before, after, in_block=in_block):
        return
    b_doc, a_doc = _json_container(before), _json_container(after)
    if b_doc is not None and a_doc is not None:
        yield from differences(b_doc, a_doc, path)
        return
    if isinstance(before, dict | type(None)) and isinstance(after, dict | type(None)) and (before or after):
        b, a = before or {}, after or {}
        for key in sorted(set(b) | set(a)):
            yield from differences(b.get(key), a.get(key), _join(path, key), in_block=block)
        return
    if (isinstance(before, list) and isinstance(after, list) and len(before) == len(after) == 1
            and isinstance(before[0], dict) and isinstance(after[0], dict)):
        yield from differences(before[0], after[0], _join(path, 0), block=True)
        return
    yield Difference(path, before, after)


def lookup(value: Any, path: str) -> Any:
    """The value at ``path`` (as :func:`differences` writes paths) inside ``value``; None when absent."""
    for key in _split(path):
        doc = _json_container(value)
        if doc is not None:
            value = doc
        if isinstance(key, int):
            value = value[key] if isinstance(value, list) and len(value) > key else None
        else:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def marked(mask: Any, path: str) -> bool:
    """True when a Terraform mask (``after_unknown``, ``before_sensitive``...) marks ``path`` or a parent of it."""
    for key in _split(path):
        if mask is True:
            return True
        if isinstance(key, int):
            mask = mask[key] if isinstance(mask, list) and len(mask) > key else None
        else:
            mask = mask.get(key) if isinstance(mask, dict) else None
    return mask is True or (mask not in (None, False, {}, []) and _any_true(mask))


def _any_true(mask: Any) -> bool:
    if mask is True:
        return True
    if isinstance(mask, dict):
        return any(_any_true(v) for v in mask.values())
    if isinstance(mask, list):
        return any(_any_true(v) for v in mask)
    return False


def _split(path: str) -> list[str | int]:
    keys: list[str | int] = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        if name:
            keys.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            keys.append(int(index))
            rest = rest.removeprefix("[")
    return keys


def text(value: Any) -> str:
    """A value in one short line (JSON-like, long text cut)."""
    if isinstance(value, Unknown):
        return repr(value)
    if value is None:
        return "null"
    if isinstance(value, dict):
        inner = ", ".join(f"{k}={text(v)}" for k, v in sorted(value.items()) if normalize(v) is not None)
        shown = "{" + inner + "}"
    elif isinstance(value, list):
        shown = "[" + ", ".join(text(v) for v in value) + "]"
    elif isinstance(value, str):
        shown = json.dumps(value, ensure_ascii=False)
    else:
        shown = json.dumps(value)
    return shown if len(shown) <= MAX_TEXT else shown[: MAX_TEXT - 1] + "…"


def short_diff(before: Any, after: Any, *, sensitive: bool = False) -> list[str]:
    """The difference of one attribute as short lines: ``1 → 3``, or ``+ item`` / ``- item`` for lists."""
    if sensitive:
        return [f"{SENSITIVE_TEXT} → {SENSITIVE_TEXT}"]
    if isinstance(before, list | type(None)) and isinstance(after, list | type(None)) and (before or after):
        b, a = before or [], after or []
        removed = [item for item in b if not any(same(item, other) for other in a)]
        added = [item for item in a if not any(same(item, other) for other in b)]
        if removed or added:
            lines = [f"- {text(item)}" for item in removed[:MAX_ITEMS]]
            lines += [f"+ {text(item)}" for item in added[:MAX_ITEMS]]
            hidden = max(0, len(removed) - MAX_ITEMS) + max(0, len(added) - MAX_ITEMS)
            if hidden:
                lines.append(f"… and {hidden} more")
            return lines
        return [f"{text(before)} → {text(after)} (order)"]
    return [f"{text(before)} → {text(after)}"]
