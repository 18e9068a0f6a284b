"""Reading a resource block's ``lifecycle`` as python-hcl2 parses it."""

from __future__ import annotations

import re
from typing import Any


def _lifecycle(block: dict[str, Any]) -> dict[str, Any]:
    entries = block.get("lifecycle") or [{}]
    return entries[0] if isinstance(entries, list) else entries


def _names(value: Any) -> list[str]:
    flat = value[0] if isinstance(value, list) and value and isinstance(value[0], list) else value
    return [re.sub(r"^\$\{(.*)\}$", r"\1", str(v)) for v in flat or []]


def ignored(block: dict[str, Any]) -> set[str]:
    """Attributes the block's ``ignore_changes`` lists."""
    return set(_names(_lifecycle(block).get("ignore_changes")))


def replace_triggers(block: dict[str, Any]) -> list[str]:
    """The references of the block's ``replace_triggered_by``."""
    return _names(_lifecycle(block).get("replace_triggered_by"))
