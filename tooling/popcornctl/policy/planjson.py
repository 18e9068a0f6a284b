"""Reading plan JSON: what ``terraform show -json PLANFILE`` prints (format 1.x), checked before use.

Accepted inputs:

- one stack's plan: an object with ``format_version`` "1.x" and plan keys (``resource_changes``,
  ``planned_values``, ``configuration``...);
- a combined plan (``popcornctl plan``): an object with ``"stacks"``, either a list of
  ``{"stack": "envs/dev", "plan": {...}}`` or a mapping ``{"envs/dev": {...}}``, each value a plan as
  above. Findings carry the stack name; addresses stay Terraform addresses.

Everything else is refused with one line naming the file and what it is instead: empty, not JSON
(truncated), a binary plan file, state JSON (``terraform show -json`` without a plan, or a
``.tfstate``), another JSON document, or an unsupported ``format_version`` (Terraform before 1.0).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from popcornctl.errors import PopcornError

SHOW_FIX = "pass the output of `terraform show -json PLANFILE` (Terraform 1.x)"
_PLAN_KEYS = ("resource_changes", "planned_values", "prior_state", "configuration", "resource_drift")
# Top-level keys Terraform always writes as JSON objects: anything else there means a damaged or forged plan.
_OBJECT_KEYS = ("variables", "planned_values", "prior_state", "configuration", "output_changes")


@dataclass
class PlanInput:
    """One plan to evaluate, with where it came from."""

    source: str  # file path, or a description such as "envs/prod (planned)"
    plan: dict[str, Any]
    stack: str | None = None  # stack path when known (combined plans, --env runs)
    root: Path | None = None  # the Terraform root module the plan was made from (file:line mapping)
    plan_path: Path | None = None  # a file holding exactly this plan (for Checkov), when there is one


def _fail(source: str, problem: str, fix: str = SHOW_FIX) -> PopcornError:
    return PopcornError(f"{source}: {problem}", fix)


def read_plan_file(path: Path) -> list[PlanInput]:
    """Read and check a plan JSON file (one stack's or combined) into plan inputs."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PopcornError(f"{source} does not exist", "check the path of the plan JSON") from None
    except IsADirectoryError:
        raise PopcornError(f"{source} is a directory", "pass a plan JSON file, or a directory alone") from None
    except OSError as exc:
        raise PopcornError(f"cannot read {source} ({exc.strerror})", "check its permissions") from None
    if raw[:2] == b"PK":
        raise _fail(
            source, "is a binary plan file, not plan JSON", "convert it: terraform show -json PLANFILE > plan.json"
        )
    if not raw.strip():
        raise _fail(source, "is empty")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _fail(source, "is not UTF-8 text, so not plan JSON") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        if exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated string"):
            raise _fail(source, f"is truncated JSON (cut off at {where})") from None
        raise _fail(source, f"is not valid JSON ({exc.msg} at {where})") from None
    return split_inputs(data, source, plan_path=path)


def split_inputs(data: Any, source: str, *, plan_path: Path | None = None) -> list[PlanInput]:
    """Check a parsed document and return its plans (one, or one per stack of a combined plan)."""
    if isinstance(data, Mapping) and "stacks" in data and "format_version" not in data:
        stacks = data["stacks"]
        items: list[tuple[str, Any]]
        if isinstance(stacks, Mapping):
            items = [(str(k), v) for k, v in stacks.items()]
        elif isinstance(stacks, list):
            items = []
            for i, entry in enumerate(stacks):
                if not isinstance(entry, Mapping) or "plan" not in entry:
                    raise _fail(source, f"combined plan entry {i} has no 'plan'", "regenerate it with popcornctl plan")
                items.append((str(entry.get("stack") or f"stack {i}"), entry["plan"]))
        else:
            raise _fail(source, "'stacks' is neither a list nor an object", "regenerate it with popcornctl plan")
        # No stack could be planned (e.g. all waiting for dependencies): nothing to evaluate; the caller says so.
        return [
            PlanInput(source=f"{source} [{stack}]", plan=validate_plan(plan, f"{source} [{stack}]"), stack=stack)
            for stack, plan in items
        ]
    return [PlanInput(source=source, plan=validate_plan(data, source), plan_path=plan_path)]


def validate_plan(data: Any, source: str) -> dict[str, Any]:
    """Check that ``data`` is a Terraform 1.x plan document; return it."""
    if not isinstance(data, dict):
        kind = "a JSON list" if isinstance(data, list) else f"a JSON {type(data).__name__}"
        raise _fail(source, f"is {kind}, not a Terraform plan")
    if "lineage" in data and "serial" in data:
        raise _fail(
            source,
            "is a Terraform state file (.tfstate), not a plan",
            "run terraform plan -out=PLANFILE first, then " + SHOW_FIX,
        )
    version = data.get("format_version")
    if version is None:
        raise _fail(source, "has no format_version: not a Terraform plan (is it another tool's JSON?)")
    if not isinstance(version, str) or version.split(".")[0] != "1":
        raise _fail(
            source,
            f"has plan format_version {version!r}; only 1.x (Terraform 1.0 and later) is supported",
            "re-create it with Terraform 1.x",
        )
    if not any(key in data for key in _PLAN_KEYS):
        if "values" in data:
            raise _fail(
                source,
                "is state JSON (terraform show -json without a plan file), not a plan",
                "run terraform show -json PLANFILE",
            )
        raise _fail(source, "has a format_version but no plan content (no resource_changes or planned_values)")
    if "values" in data and "planned_values" not in data and "resource_changes" not in data:
        raise _fail(
            source,
            "is state JSON (terraform show -json without a plan file), not a plan",
            "run terraform show -json PLANFILE",
        )
    _check_structure(data, source)
    return data


def _check_structure(data: dict[str, Any], source: str) -> None:
    """The plan's objects and each resource change have the shape the evaluator reads."""
    for key in _OBJECT_KEYS:
        value = data.get(key)
        if value is not None and not isinstance(value, dict):
            raise _fail(source, f"{key} is a JSON {_json_type(value)}, not an object: the plan JSON is damaged")
    changes = data.get("resource_changes", [])
    if not isinstance(changes, list):
        raise _fail(source, "resource_changes is not a list: the plan JSON is damaged")
    for i, rc in enumerate(changes):
        if (
            not isinstance(rc, dict)
            or not isinstance(rc.get("address"), str)
            or not isinstance(rc.get("type"), str)
            or not isinstance(rc.get("change"), dict)
            or not isinstance(rc["change"].get("actions"), list)
        ):
            raise _fail(source, f"resource_changes[{i}] lacks address/type/change.actions: the plan JSON is damaged")
        for side in ("before", "after"):
            value = rc["change"].get(side)
            if value is not None and not isinstance(value, dict):
                raise _fail(
                    source, f"resource_changes[{i}].change.{side} is a JSON {_json_type(value)}, not an object or "
                    "null: the plan JSON is damaged"
                )


def _json_type(value: Any) -> str:
    return {str: "string", list: "list", bool: "boolean", int: "number", float: "number"}.get(type(value), "value")


# -- the environment a plan belongs to -----------------------------------------------------------

_ALIASES = {"production": "prod", "prd": "prod", "development": "dev", "develop": "dev"}
_VARIABLE_NAMES = ("environment", "env", "Environment", "environment_name")


def normalise_env(value: str) -> str:
    """``Production`` → ``prod``; other names lower-cased."""
    lowered = value.strip().lower()
    return _ALIASES.get(lowered, lowered)


def plan_environment(plan: Mapping[str, Any]) -> tuple[str | None, str]:
    """The environment the plan says it belongs to, and where that was read."""
    variables = plan.get("variables") or {}
    for name in _VARIABLE_NAMES:
        value = (variables.get(name) or {}).get("value") if isinstance(variables.get(name), Mapping) else None
        if isinstance(value, str) and value:
            return normalise_env(value), f"plan variable {name}"
    providers = ((plan.get("configuration") or {}).get("provider_config")) or {}
    for provider in providers.values():
        for block in (provider.get("expressions") or {}).get("default_tags") or []:
            tags = (block.get("tags") or {}).get("constant_value") if isinstance(block, Mapping) else None
            if isinstance(tags, Mapping) and isinstance(tags.get("Environment"), str):
                return normalise_env(tags["Environment"]), "provider default_tags"
    seen: set[str] = set()
    for rc in plan.get("resource_changes") or []:
        after = (rc.get("change") or {}).get("after")
        tags = after.get("tags_all") if isinstance(after, Mapping) else None
        if isinstance(tags, Mapping) and isinstance(tags.get("Environment"), str):
            seen.add(normalise_env(tags["Environment"]))
    if len(seen) == 1:
        return seen.pop(), "Environment tag of every tagged resource"
    return None, "unknown"
