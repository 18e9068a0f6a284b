"""Finding the repository's policies: every module in ``policies/``, no registration code.

Each ``policies/*.py`` file not starting with ``_`` is imported (under the private package name
``popcorn_policies``) and every module-level object satisfying :class:`~popcornctl.policy.api.Policy`
is collected. Policies are checked on load: id format, known severity, a non-empty tuple of resource
types, non-empty texts, ids unique across files. A broken policy module is an input error (exit 2) that
names the file — the gate never runs with a policy silently missing.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from popcornctl.common.severity import RATED_SEVERITIES
from popcornctl.errors import PopcornError
from popcornctl.policy.api import Policy

ID_PATTERN = re.compile(r"^POP-[A-Z0-9]+-\d{3}$")
PACKAGE = "popcorn_policies"


@dataclass(frozen=True)
class LoadedPolicy:
    """A policy object and what the evaluator needs to know about it."""

    policy: Policy
    module: str  # file name, e.g. pop_rds.py
    environments: tuple[str, ...]
    evaluates_deletes: bool
    needs_plan: bool

    @property
    def id(self) -> str:
        """The policy id."""
        return self.policy.id


def _check(obj: Policy, where: str) -> None:
    problems = []
    if not isinstance(obj.id, str) or not ID_PATTERN.match(obj.id):
        problems.append(f"id {obj.id!r} is not like POP-AREA-001")
    if obj.severity not in RATED_SEVERITIES:
        problems.append(f"severity {obj.severity!r} is not one of {', '.join(RATED_SEVERITIES)}")
    types = obj.resource_types
    if not isinstance(types, tuple) or not types or not all(isinstance(t, str) and t for t in types):
        problems.append("resource_types must be a non-empty tuple of Terraform types (or ('*',))")
    for attr in ("title", "rationale", "remediation"):
        if not isinstance(getattr(obj, attr), str) or not getattr(obj, attr).strip():
            problems.append(f"{attr} is empty")
    if problems:
        raise PopcornError(f"{where}: policy {getattr(obj, 'id', '?')}: {problems[0]}", "fix the policy module")


def _import(path: Path) -> Any:
    name = f"{PACKAGE}.{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PopcornError(f"cannot import policy module {path}", "check that it is a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        frames = traceback.extract_tb(exc.__traceback__)
        line = next((f.lineno for f in reversed(frames) if f.filename == str(path)), None)
        where = f"{path}:{line}" if line else str(path)
        raise PopcornError(
            f"policy module {where} failed to import: {type(exc).__name__}: {exc}", "fix or remove the module"
        ) from None
    return module


_CACHE: dict[tuple[str, tuple[tuple[str, int, int], ...]], list[LoadedPolicy]] = {}


def load_policies(directory: Path) -> list[LoadedPolicy]:
    """Every policy in ``directory`` (sorted by id); cached while the files are unchanged."""
    if not directory.is_dir():
        raise PopcornError(
            f"no policies folder at {directory}", "run inside the popcorn-infra repository (policies/ at its root)"
        )
    files = sorted(p for p in directory.glob("*.py") if not p.name.startswith("_"))
    key = (str(directory.resolve()), tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files))
    if key in _CACHE:
        return _CACHE[key]
    found: dict[str, LoadedPolicy] = {}
    for path in files:
        module = _import(path)
        seen: set[int] = set()
        for attr, obj in sorted(vars(module).items()):
            if attr.startswith("_") or isinstance(obj, type) or id(obj) in seen:
                continue
            if not isinstance(obj, Policy):
                continue
            seen.add(id(obj))
            _check(obj, path.name)
            if obj.id in found:
                raise PopcornError(
                    f"policy id {obj.id} is defined twice ({found[obj.id].module} and {path.name})",
                    "give each policy its own id",
                )
            found[obj.id] = LoadedPolicy(
                policy=obj,
                module=path.name,
                environments=tuple(getattr(obj, "environments", ()) or ()),
                evaluates_deletes=bool(getattr(obj, "evaluates_deletes", False)),
                needs_plan=bool(getattr(obj, "needs_plan", False)),
            )
    if not found:
        raise PopcornError(f"{directory} holds no policies", "add policy modules (see policies/README.md)")
    loaded = [found[k] for k in sorted(found)]
    _CACHE.clear()
    _CACHE[key] = loaded
    return loaded
