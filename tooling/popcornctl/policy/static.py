"""``policy-check DIR``: Terraform configuration read as a would-be plan, for our policies to run on.

Every resource block of the folder (and of local modules it calls, addressed ``module.NAME.TYPE.NAME``)
becomes a ``create`` change whose literal attribute values are known and whose expressions
(``${...}``) are unknown — exactly how a plan marks "known after apply". Expressions' references are kept
in a plan-style ``configuration`` block, so reference-based policies (flow logs, public access blocks)
work too. ``count``/``for_each`` are not expanded and input variables are not evaluated, so policies
that need a real plan (``needs_plan``: destructive changes, computed tags, counts) are reported as not
run, and values that depend on variables come out "unknown until apply".
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from popcornctl.errors import PopcornError
from popcornctl.hcl import HclFile, first, load_dir

_META = ("__start_line__", "__end_line__")
_REFERENCE = re.compile(r"(?<![\w.\"])((?:data\.)?[A-Za-z_][\w-]*(?:\.[A-Za-z_*][\w-]*|\[[^\]]*\])+)")
_NOT_REFS = ("each.", "count.", "path.", "self.", "terraform.")
_MAX_MODULE_DEPTH = 8


def _is_expression(value: Any) -> bool:
    return isinstance(value, str) and "${" in value


def _references(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, str) and "${" in value:
        for match in _REFERENCE.findall(value):
            if match.startswith(_NOT_REFS) or "." not in match:
                continue
            head = match.split(".", 1)[0]
            if head in ("var", "local", "module", "data") or "_" in head:
                found.append(match)
    elif isinstance(value, dict):
        for item in value.values():
            found.extend(_references(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_references(item))
    return found


def _looks_like_block(item: Any) -> bool:
    return isinstance(item, dict) and all(isinstance(v, list) or k in _META for k, v in item.items())


def _value(raw: Any) -> tuple[Any, Any]:
    """(known value, unknown mark) of an attribute value."""
    if _is_expression(raw):
        return None, True
    if isinstance(raw, dict):
        after: dict[str, Any] = {}
        marks: dict[str, Any] = {}
        for key, item in raw.items():
            after[key], mark = _value(item)
            if mark:
                marks[key] = mark
        return after, marks
    if isinstance(raw, list):
        values, list_marks = [], []
        for item in raw:
            value, mark = _value(item)
            values.append(value)
            list_marks.append(mark or False)
        return values, list_marks if any(list_marks) else []
    return raw, False


def _body(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(after, after_unknown, expressions) of a block body from the HCL parser."""
    after: dict[str, Any] = {}
    unknown: dict[str, Any] = {}
    expressions: dict[str, Any] = {}
    for key, raw in body.items():
        if key in _META or key in ("count", "for_each", "depends_on", "lifecycle", "provider", "provisioner"):
            continue
        if key == "dynamic":  # `dynamic "x" { for_each ... }`: how many blocks there are is known only in a plan
            for entry in raw if isinstance(raw, list) else [raw]:
                for name, spec in entry.items() if isinstance(entry, dict) else ():
                    after[name] = None
                    unknown[name] = True
                    refs = _references(spec)
                    expressions[name] = {"references": refs} if refs else {"constant_value": None}
            continue
        if isinstance(raw, list) and raw and all(_looks_like_block(item) for item in raw):
            blocks = [_body(item) for item in raw]
            after[key] = [b[0] for b in blocks]
            marks = [b[1] for b in blocks]
            if any(marks):
                unknown[key] = marks
            expressions[key] = [b[2] for b in blocks]
            continue
        value = raw[0] if isinstance(raw, list) and len(raw) == 1 else raw  # attributes come wrapped once
        after[key], mark = _value(value)
        if mark:
            unknown[key] = mark
        refs = _references(value)
        expressions[key] = {"references": refs} if refs else {"constant_value": after[key]}
    return after, unknown, expressions


def _default_tags(files: list[HclFile]) -> tuple[dict[str, Any], dict[str, Any]]:
    for hcl_file in files:
        for entry in hcl_file.body.get("provider", []):
            aws = entry.get("aws") if isinstance(entry, dict) else None
            if not isinstance(aws, dict):
                continue
            for block in aws.get("default_tags") or []:
                tags = first(block.get("tags")) if isinstance(block, dict) else None
                if isinstance(tags, dict):
                    after, marks = _value(tags)
                    return after, marks if isinstance(marks, dict) else {}
    return {}, {}


class _Builder:
    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.changes: list[dict[str, Any]] = []
        self.visited: set[tuple[Path, tuple[str, ...]]] = set()

    def module(self, directory: Path, path: tuple[str, ...], depth: int) -> dict[str, Any]:
        """The configuration of one module (its resources and calls); its resources also become create changes."""
        files = load_dir(directory)
        prefix = "".join(f"module.{name}." for name in path)
        resources: list[dict[str, Any]] = []
        for hcl_file in files:
            for kind in ("resource", "data"):
                for entry in hcl_file.body.get(kind, []):
                    for rtype, named in entry.items():
                        for name, body in named.items():
                            resources.append(self._resource(kind, rtype, name, body, prefix))
        calls: dict[str, Any] = {}
        for hcl_file in files:
            for entry in hcl_file.body.get("module", []):
                for name, body in entry.items():
                    if isinstance(body, dict):
                        calls[name] = self._call(directory, path, depth, name, body)
        return {"resources": resources, "module_calls": calls}

    def _resource(self, kind: str, rtype: str, name: str, body: Any, prefix: str) -> dict[str, Any]:
        """One resource or data block's configuration entry; a resource is also recorded as a create."""
        after, unknown, expressions = _body(body if isinstance(body, dict) else {})
        local = f"{'data.' if kind == 'data' else ''}{rtype}.{name}"
        mode = "data" if kind == "data" else "managed"
        if kind == "resource":
            change: dict[str, Any] = {
                "address": prefix + local,
                "mode": mode,
                "type": rtype,
                "name": name,
                "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": unknown},
            }
            if prefix:
                change["module_address"] = prefix[:-1]
            self.changes.append(change)
        return {"address": local, "mode": mode, "type": rtype, "name": name, "expressions": expressions}

    def _call(
        self, directory: Path, path: tuple[str, ...], depth: int, name: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """A module call; a local source is followed (once per folder and path, at most _MAX_MODULE_DEPTH deep)."""
        source = first(body.get("source"))
        _after, _unknown, expressions = _body({k: v for k, v in body.items() if k != "source"})
        call: dict[str, Any] = {"source": source, "expressions": expressions}
        if isinstance(source, str) and source.startswith(("./", "../")) and depth < _MAX_MODULE_DEPTH:
            child_dir = (directory / source).resolve()
            if child_dir.is_dir() and (child_dir, path) not in self.visited:
                self.visited.add((child_dir, path))
                call["module"] = self.module(child_dir, (*path, name), depth + 1)
        return call


def static_plan(directory: Path, repo: Path) -> dict[str, Any]:
    """A plan-shaped document (format 1.x) built from the configuration in ``directory``."""
    if not any(directory.glob("*.tf")):
        raise PopcornError(f"{directory} holds no .tf files", "pass a Terraform root module folder, or plan JSON")
    files = load_dir(directory)
    builder = _Builder(repo)
    root_module = builder.module(directory, (), 0)
    variables: dict[str, Any] = {}
    for hcl_file in files:
        for entry in hcl_file.body.get("variable", []):
            for name, body in entry.items():
                default = first(body.get("default")) if isinstance(body, dict) else None
                if isinstance(default, str | int | float | bool) and not _is_expression(default):
                    variables[name] = {"value": default}
    tags, tag_marks = _default_tags(files)
    for change in builder.changes:
        body = change["change"]
        own = body["after"].get("tags")
        own_unknown = body["after_unknown"].get("tags")
        if own_unknown is True:
            continue
        if isinstance(own, dict) or tags:
            merged = {**tags, **(own if isinstance(own, dict) else {})}
            marks = {**tag_marks, **(own_unknown if isinstance(own_unknown, dict) else {})}
            body["after"]["tags_all"] = merged
            if marks:
                body["after_unknown"]["tags_all"] = marks
    provider_config: dict[str, Any] = {}
    if tags and not tag_marks:
        provider_config["aws"] = {"name": "aws", "expressions": {"default_tags": [{"tags": {"constant_value": tags}}]}}
    return {
        "format_version": "1.2",
        "terraform_version": "static",
        "variables": variables,
        "resource_changes": builder.changes,
        "configuration": {"provider_config": provider_config, "root_module": root_module},
    }
