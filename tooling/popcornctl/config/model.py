"""Typed models of the repository's TOML files, checked key by key before anything runs.

A model is a frozen dataclass whose fields are the keys of one TOML table; each field's metadata (:func:`spec`)
gives the spelling shown in error messages (``example``) and an optional check. :func:`parse` turns a parsed
table into the model, or raises one :class:`PopcornError` naming the file, the table, the key and the fix:
unknown keys (with the closest known key), missing keys, wrong types (``"false"`` is not a boolean, ``42`` is
not a string) and failed checks. Field types: ``str``, ``bool``, ``int``, ``datetime.date``, ``StrEnum``
subclasses, ``X | None``, ``list[X]``, ``dict[str, X]`` and nested models.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import types
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from popcornctl.errors import PopcornError

T = TypeVar("T")

Check = Callable[[Any], "str | None"]
"""A check of a converted value: what is wrong with it (``"is not a KMS key"``), or None."""



def spec(*, example: str, check: Check | None = None, fix: str | None = None) -> dict[str, Any]:
    """The metadata of a model's field: ``dataclasses.field(default=..., metadata=spec(...))``.

    ``example`` is the key written right (``'protected = true'``), shown in messages; ``check`` tests the converted
    value; ``fix`` replaces the "write KEY = EXAMPLE" advice when a plain example would not help.
    """
    return {"example": example, "check": check, "fix": fix}


@dataclasses.dataclass(frozen=True)
class Where:
    """A table of a file, as messages name it: ``popcorn.toml: [environments.prod]``."""

    file: str
    table: str = ""  # "[backend]", "[[waiver]] #2"; "" for the top level of the file

    def prefix(self) -> str:
        """``file: [table]`` (or just the file at the top level)."""
        return f"{self.file}: {self.table}" if self.table else self.file


class _Mismatch(Exception):
    """A value that does not have the field's type: the whole field's, or one entry's of a table (``key``)."""

    def __init__(self, key: str | None = None, value: Any = None, tp: Any = None) -> None:
        super().__init__(key)
        self.key, self.value, self.tp = key, value, tp


def parse(model: type[T], table: Mapping[str, Any], where: Where) -> T:
    """``table`` as an instance of ``model``; one-line errors name ``where``, the key and the fix."""
    fields = {f.name: f for f in dataclasses.fields(model)}  # type: ignore[arg-type]
    for key in table:
        if key not in fields:
            raise _unknown_key(key, list(fields), where)
    hints = get_type_hints(model)
    values: dict[str, Any] = {}
    for name, spec in fields.items():
        example = str(spec.metadata.get("example", "..."))
        if name not in table:
            if spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
                under = f" under {where.table}" if where.table else ""
                raise PopcornError(f"{where.prefix()} has no {name}", f"add {example}{under}")
            continue
        raw = table[name]
        fix = spec.metadata.get("fix") or (
            f"write {name} = true or {name} = false, without quotes" if _optional_inner(hints[name]) is bool
            else f"write {example}"
        )
        try:
            value = _convert(hints[name], raw, _nested(where, name))
        except _Mismatch as bad:
            if bad.key is None:
                raise PopcornError(f"{_at(where, name)} = {_shown(raw)} is not {_describe(hints[name])}", fix) from None
            inner = _nested(where, name)
            raise PopcornError(f"{_at(inner, bad.key)} = {_shown(bad.value)} is not {_describe(bad.tp)}", fix) from None
        check: Check | None = spec.metadata.get("check")
        problem = check(value) if check is not None else None
        if problem:
            raise PopcornError(f"{_at(where, name)} = {_shown(raw)} {problem}", fix)
        values[name] = value
    return model(**values)


def _at(where: Where, key: str) -> str:
    """``popcorn.toml: [backend] use_lockfile``: where a key is, for messages."""
    return f"{where.file}: {where.table} {key}" if where.table else f"{where.file}: {key}"


def _unknown_key(key: str, known: list[str], where: Where) -> PopcornError:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    what = f"unknown key {key!r} in {where.table}" if where.table else f"unexpected table {key!r}"
    fix = f"rename it to {close[0]}" if close else f"remove it (known: {', '.join(known)})"
    return PopcornError(f"{where.file}: {what}{hint}", fix)


def _nested(where: Where, key: str) -> Where:
    base = where.table.strip("[]") if where.table.startswith("[") and not where.table.startswith("[[") else ""
    return Where(where.file, f"[{base}.{key}]" if base else f"[{key}]")


def _optional_inner(tp: Any) -> Any:
    if get_origin(tp) in (Union, types.UnionType):
        inner = [a for a in get_args(tp) if a is not type(None)]
        if len(inner) == 1:
            return inner[0]
    return tp


def _convert(tp: Any, value: Any, where: Where) -> Any:
    """``value`` as ``tp``; nested models raise their own PopcornError, anything else :class:`_Mismatch`."""
    tp = _optional_inner(tp)
    origin = get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise _Mismatch
        return parse(tp, value, where)  # type: ignore[arg-type]
    if origin is list:
        (item,) = get_args(tp)
        if not isinstance(value, list):
            raise _Mismatch
        if dataclasses.is_dataclass(item):
            key = where.table.strip("[]")  # the full dotted name: [[drift.ignore]] #2, [[waiver]] #1
            return [_convert(item, v, Where(where.file, f"[[{key}]] #{n}")) for n, v in enumerate(value, 1)]
        return [_convert(item, v, where) for v in value]
    if origin is dict:
        _, item = get_args(tp)
        if not isinstance(value, dict):
            raise _Mismatch
        base = where.table.strip("[]")
        converted = {}
        for k, v in value.items():
            try:
                converted[k] = _convert(item, v, Where(where.file, f"[{base}.{_toml_key(k)}]"))
            except _Mismatch:
                raise _Mismatch(_toml_key(k), v, item) from None
        return converted
    if isinstance(tp, type) and issubclass(tp, Enum):
        for member in tp:
            if isinstance(value, str) and value == member.value:
                return member
        raise _Mismatch
    return _scalar(tp, value)


def _scalar(tp: Any, value: Any) -> Any:
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is str:
        if isinstance(value, str):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
    else:  # pragma: no cover - a model declared a type this module does not know
        raise TypeError(f"config models do not support {tp!r}")
    raise _Mismatch


def _describe(tp: Any, plural: bool = False) -> str:
    tp = _optional_inner(tp)
    origin = get_origin(tp)
    if dataclasses.is_dataclass(tp) or origin is dict:
        return "tables" if plural else "a table"
    if origin is list:
        return f"a list of {_describe(get_args(tp)[0], plural=True)}"
    if isinstance(tp, type) and issubclass(tp, Enum):
        return "one of " + ", ".join(str(m.value) for m in tp)
    names = {
        bool: ("true or false", "true or false values"),
        str: ("a string", "strings"),
        int: ("a whole number", "whole numbers"),
        dt.date: ("a date", "dates"),
    }
    one, many = names.get(tp, ("valid", "valid values"))
    return many if plural else one


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _shown(value: Any) -> str:
    """A value as it would be written in TOML (``"false"`` with its quotes, ``true`` without)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, list):
        text = "[" + ", ".join(_shown(v) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{_toml_key(k)} = {_shown(v)}" for k, v in value.items()) + "}"
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
