"""Configuration references from a plan's ``configuration`` block, resolved across module boundaries.

``terraform show -json`` describes every resource's expressions with the ``references`` they make
(``aws_vpc.this.id``, ``var.vpc_id``, ``module.sg.alb_id``). This index follows input variables up to the
module call that sets them and module outputs down to the resource behind them, so a policy can ask
"which aws_flow_log refers to this VPC" even when the VPC and the flow log live in different modules.
References through ``local.*`` values cannot be followed (the plan JSON does not describe locals); callers
fall back to comparing known attribute values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from popcornctl.policy.addresses import parse_address, reference_target
from popcornctl.policy.api import Change

_INDEX = re.compile(r"\[[^\]]*\]")
_MAX_DEPTH = 24


def _collect_references(expr: Any) -> Iterator[str]:
    """Every reference string inside an expression node (attribute, nested block or block list)."""
    if isinstance(expr, Mapping):
        refs = expr.get("references")
        if isinstance(refs, list):
            yield from (r for r in refs if isinstance(r, str))
        for key, value in expr.items():
            if key not in ("references", "constant_value") and isinstance(value, Mapping | list):
                yield from _collect_references(value)
    elif isinstance(expr, list):
        for item in expr:
            yield from _collect_references(item)


class PlanReferences:
    """The reference index of one plan's configuration."""

    def __init__(self, configuration: Mapping[str, Any] | None) -> None:
        self.modules: dict[tuple[str, ...], Mapping[str, Any]] = {}
        self.resources: dict[str, Mapping[str, Any]] = {}
        root = (configuration or {}).get("root_module")
        if isinstance(root, Mapping):
            self._index((), root)
        self._memo: dict[tuple[tuple[str, ...], str], frozenset[str]] = {}
        self._cache: dict[tuple[str, str], frozenset[str]] = {}

    def _index(self, path: tuple[str, ...], module: Mapping[str, Any]) -> None:
        self.modules[path] = module
        prefix = "".join(f"module.{name}." for name in path)
        for resource in module.get("resources") or []:
            if isinstance(resource, Mapping) and isinstance(resource.get("address"), str):
                self.resources[prefix + resource["address"]] = resource
        for name, call in (module.get("module_calls") or {}).items():
            child = call.get("module") if isinstance(call, Mapping) else None
            if isinstance(child, Mapping):
                self._index((*path, name), child)

    @property
    def available(self) -> bool:
        """True when the plan carried a configuration block."""
        return bool(self.modules)

    def expression(self, change: Change, attribute: str) -> Any:
        """The configuration expression of ``attribute`` (dotted path into nested blocks), or None."""
        resource = self.resources.get(change.config_address)
        if resource is None:
            return None
        node: Any = resource.get("expressions") or {}
        for part in attribute.split("."):
            if isinstance(node, list):
                if part.isdigit():
                    index = int(part)
                    node = node[index] if index < len(node) else None
                    continue
                node = node[0] if node else None
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return node

    def configured(self, change: Change, attribute: str) -> bool | None:
        """True when the configuration sets ``attribute``; None when the resource is not described."""
        if change.config_address not in self.resources:
            return None
        return self.expression(change, attribute) is not None

    def references(self, change: Change, attribute: str) -> frozenset[str]:
        """Configuration addresses of the resources ``attribute`` refers to, through variables and outputs."""
        key = (change.config_address, attribute)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        expr = self.expression(change, attribute)
        found: set[str] = set()
        if expr is not None:
            parsed = parse_address(change.address)
            path = parsed.module_path if parsed else ()
            for ref in _collect_references(expr):
                found |= self._resolve(path, ref, 0)
        result = self._cache[key] = frozenset(found)
        return result

    def _resolve(self, path: tuple[str, ...], reference: str, depth: int) -> frozenset[str]:
        key = (path, reference)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = frozenset()  # cycle guard
        result = self._resolve_uncached(path, _INDEX.sub("", reference), depth)
        self._memo[key] = result
        return result

    def _resolve_uncached(self, path: tuple[str, ...], ref: str, depth: int) -> frozenset[str]:
        if depth > _MAX_DEPTH:
            return frozenset()
        prefix = "".join(f"module.{name}." for name in path)
        parts = ref.split(".")
        found: set[str] = set()
        if parts[0] == "var" and len(parts) >= 2 and path:
            parent = path[:-1]
            call = (self.modules.get(parent, {}).get("module_calls") or {}).get(path[-1]) or {}
            expr = (call.get("expressions") or {}).get(parts[1])
            for inner in _collect_references(expr):
                found |= self._resolve(parent, inner, depth + 1)
        elif parts[0] == "module" and len(parts) >= 3:
            child = (*path, parts[1])
            output = ((self.modules.get(child) or {}).get("outputs") or {}).get(parts[2]) or {}
            for inner in _collect_references(output.get("expression")):
                found |= self._resolve(child, inner, depth + 1)
        else:
            target = reference_target(ref)
            if target is not None and prefix + target in self.resources:
                found.add(prefix + target)
        return frozenset(found)
