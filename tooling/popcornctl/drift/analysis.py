"""One stack's plan JSON → what changed or was deleted outside Terraform, and what configuration is not applied.

One normal plan (refresh on, ``-lock=false``) answers both questions; its JSON carries three views
(``terraform show -json``, format 1.x):

- ``resource_drift``: what the refresh found, ``before`` = the state as last written (S0), ``after`` = what AWS
  reports now (S1). In a normal plan Terraform lists every drifted resource except move-only ones, the same set a
  ``-refresh-only`` plan lists; a resource gone from AWS has the action ``delete``.
- ``resource_changes``: what the next apply would do, ``before`` = S1, ``after`` = the configuration (C).
- ``prior_state``: S1 as a whole.

So an attribute that drifted (S0 ≠ S1) is set back by the next apply when C ≠ S1 there, and kept when C = S1
(the configuration does not set it, or ``ignore_changes``). A planned change is pending configuration when it
moves an attribute away from S0 as well (C ≠ S0): a plan that only reverts drift is not a pending change. A
change whose every moved value is known only after apply (a record following a replaced instance's IP) follows
another change in the same plan; it is reported as pending with cause ``follows``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from popcornctl.drift import values
from popcornctl.drift.model import AttributeChange, ManagedFinding

# Attributes that repeat another one's drift: tags_all is tags plus the provider's default_tags.
_ECHOES = {"tags_all": "tags"}

# Attributes that only mirror objects managed as resources of their own (security-group rules, routes, role
# policies). When the configuration does not set them (Terraform keeps whatever AWS has), their drift is each
# child's: a managed child that changed drifts itself, an extra one is listed as unmanaged by the inventory.
CHILD_VIEWS: dict[str, frozenset[str]] = {
    "aws_security_group": frozenset({"ingress", "egress"}),
    "aws_network_acl": frozenset({"ingress", "egress"}),
    "aws_route_table": frozenset({"route"}),
    "aws_iam_role": frozenset({"inline_policy", "managed_policy_arns"}),
    "aws_s3_bucket": frozenset({
        "acceleration_status", "acl", "cors_rule", "grant", "lifecycle_rule", "logging", "object_lock_configuration",
        "policy", "replication_configuration", "request_payer", "server_side_encryption_configuration",
        "versioning", "website",
    }),
}


def config_address(address: str) -> str:
    """A resource instance's address without instance keys (``module.a["x"].aws_b.c[0]`` → ``module.a.aws_b.c``)."""
    out, depth, quoted, escaped = [], 0, False, False
    for char in address:
        if depth:
            if quoted:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    quoted = False
            elif char == '"':
                quoted = True
            elif char == "]":
                depth -= 1
            continue
        if char == "[":
            depth += 1
            continue
        out.append(char)
    return "".join(out)


def configured_attributes(plan: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """Per resource (config address), the top-level attributes and blocks its configuration sets.

    From the plan's ``configuration`` (``expressions``). Blocks written with ``dynamic`` are not listed there, so
    an attribute set only through a dynamic block counts as not configured.
    """
    out: dict[str, frozenset[str]] = {}
    pending = [("", (plan.get("configuration") or {}).get("root_module") or {})]
    while pending:
        prefix, module = pending.pop()
        for resource in module.get("resources") or []:
            if resource.get("mode", "managed") == "managed":
                out[prefix + str(resource["address"])] = frozenset((resource.get("expressions") or {}).keys())
        for name, call in (module.get("module_calls") or {}).items():
            pending.append((f"{prefix}module.{name}.", call.get("module") or {}))
    return out


def _managed(entries: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {e["address"]: e for e in entries if e.get("mode", "managed") == "managed"}


def _identity(values_: Mapping[str, Any] | None) -> str | None:
    if not values_:
        return None
    for key in ("id", "arn", "name"):
        value = values_.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _names(values_: Mapping[str, Any] | None) -> tuple[str, ...]:
    """What CloudTrail may record as the resource's name: its id, name and ARN."""
    if not values_:
        return ()
    found = [values_.get(k) for k in ("id", "name", "arn")]
    return tuple(dict.fromkeys(v for v in found if isinstance(v, str) and v))


def count_resources(plan: Mapping[str, Any]) -> int:
    """Managed resources in the refreshed state (``prior_state``), all modules."""
    root = (plan.get("prior_state") or {}).get("values", {}).get("root_module") or {}
    total = 0
    stack = [root]
    while stack:
        module = stack.pop()
        total += sum(1 for r in module.get("resources", []) if r.get("mode") == "managed")
        stack.extend(module.get("child_modules", []))
    return total


def analyse(plan: Mapping[str, Any], stack: str) -> list[ManagedFinding]:
    """The changed, deleted and pending findings of one stack's plan JSON, in address order."""
    drift = _managed(plan.get("resource_drift") or [])
    changes = _managed(plan.get("resource_changes") or [])
    configured = configured_attributes(plan)
    findings: list[ManagedFinding] = []
    deleted: set[str] = set()
    for address, entry in drift.items():
        change = entry["change"]
        actions = list(change.get("actions") or [])
        planned = changes.get(address)
        if actions == ["delete"]:
            deleted.add(address)
            findings.append(ManagedFinding(
                kind="deleted", stack=stack, address=address, type=entry["type"], id=_identity(change.get("before")),
                next_apply=_next(planned), lookup_names=_names(change.get("before")),
                note=None if planned else "no longer in the configuration either",
            ))
            continue
        if "update" not in actions:
            continue
        attributes = [a for a in _drifted_attributes(change, planned)
                      if not (a.next_apply == "keeps" and _top_name(a.path) in CHILD_VIEWS.get(entry["type"], ()))]
        settings = configured.get(config_address(address))
        for attribute in attributes:
            attribute.configured = settings is None or _top_name(attribute.path) in settings
        if not attributes:
            continue  # only emptiness changed (null vs {}), or the provider normalised a document
        if planned is not None and _is_replace(planned["change"].get("actions") or []):
            forced = {_top(p) for p in planned["change"].get("replace_paths") or [] if p}
            for attribute in attributes:
                if attribute.next_apply == "reverts" and _top_name(attribute.path) in forced:
                    attribute.next_apply = "replaces"
        findings.append(ManagedFinding(
            kind="changed", stack=stack, address=address, type=entry["type"], id=_identity(change.get("after")),
            attributes=attributes, next_apply=_next(planned), lookup_names=_names(change.get("after")),
        ))
    for address, entry in changes.items():
        pending = _pending(entry, drift.get(address), stack, deleted_outside=address in deleted)
        if pending is not None:
            findings.append(pending)
    return sorted(findings, key=lambda f: (f.kind, f.address))


def _top(path: Any) -> str:
    return str(path[0]) if isinstance(path, list) and path else str(path)


def _is_replace(actions: list[str]) -> bool:
    return "delete" in actions and "create" in actions


def _next(planned: Mapping[str, Any] | None) -> str:
    if planned is None:
        return "none"
    actions = list(planned["change"].get("actions") or [])
    if _is_replace(actions):
        return "replace"
    for action in ("create", "delete", "update", "forget"):
        if action in actions:
            return action
    return "none"


def _drifted_attributes(change: Mapping[str, Any], planned: Mapping[str, Any] | None) -> list[AttributeChange]:
    before, after = change.get("before") or {}, change.get("after") or {}
    sensitive_masks = (change.get("before_sensitive"), change.get("after_sensitive"))
    planned_change = planned["change"] if planned else None
    out: list[AttributeChange] = []
    seen: dict[str, values.Difference] = {}
    for diff in values.differences(before, after):
        seen[diff.path] = diff
    for diff in seen.values():
        head, _, rest = diff.path.partition(".")
        echoed = _ECHOES.get(head)
        if echoed and rest and f"{echoed}.{rest}" in seen:
            continue  # tags_all.X repeats tags.X
        sensitive = any(values.marked(m, diff.path) for m in sensitive_masks)
        out.append(AttributeChange(
            path=diff.path, before=diff.before, after=diff.after, sensitive=sensitive,
            next_apply=_fate(planned_change, diff),
        ))
    return out


def _fate(planned: Mapping[str, Any] | None, diff: values.Difference) -> str:
    """What the next apply does to one drifted attribute: reverts it, or keeps what AWS has now."""
    if planned is None:
        return "keeps"
    if values.marked(planned.get("after_unknown"), diff.path):
        return "reverts"
    wanted = values.lookup(planned.get("after"), diff.path)
    return "keeps" if values.same(wanted, diff.after) else "reverts"


def _pending(
    entry: Mapping[str, Any], drifted: Mapping[str, Any] | None, stack: str, *, deleted_outside: bool
) -> ManagedFinding | None:
    change = entry["change"]
    actions = list(change.get("actions") or [])
    if not actions or set(actions) <= {"no-op", "read"}:
        return None
    if deleted_outside and actions == ["create"]:
        return None  # the next apply re-creates what was deleted outside Terraform: reported as deleted
    kind = _next(entry)
    if kind in ("create", "delete", "forget"):
        reason = entry.get("action_reason")
        before = change.get("before")
        return ManagedFinding(kind="pending", stack=stack, address=entry["address"], type=entry["type"],
                              id=_identity(before), next_apply=kind, cause="configuration",
                              note=_REASONS.get(str(reason)) if reason else None, lookup_names=_names(before))
    return _pending_attributes(entry, drifted, stack, kind)


def _pending_attributes(
    entry: Mapping[str, Any], drifted: Mapping[str, Any] | None, stack: str, kind: str
) -> ManagedFinding | None:
    """An update or replace: the attributes the configuration changes, else those that follow another change."""
    change = entry["change"]
    address, rtype = entry["address"], entry["type"]
    before, after = change.get("before"), change.get("after")
    unknown = change.get("after_unknown")
    sensitive_masks = (change.get("before_sensitive"), change.get("after_sensitive"))
    stored = (drifted["change"].get("before") if drifted else None) or before  # S0
    configured: list[AttributeChange] = []
    for diff in values.differences(before, after):
        if values.marked(unknown, diff.path) or values.same(values.lookup(stored, diff.path), diff.after):
            continue  # known only after apply, or the value the state already had (the plan reverts drift)
        configured.append(AttributeChange(
            path=diff.path, before=diff.before, after=diff.after, next_apply="applies",
            sensitive=any(values.marked(m, diff.path) for m in sensitive_masks),
        ))
    forced = {_top(p) for p in change.get("replace_paths") or [] if p}
    if configured:
        note = f"replaced for {', '.join(sorted(forced))}" if kind == "replace" and forced else None
        return ManagedFinding(kind="pending", stack=stack, address=address, type=rtype, id=_identity(before),
                              attributes=configured, next_apply=kind, cause="configuration", note=note,
                              lookup_names=_names(before))
    if kind == "replace" and drifted is not None and forced and forced <= _drifted_tops(drifted):
        return None  # replaced to set drift back: reported as changed (next apply: replace)
    later = [p for p in _unknown_paths(unknown) if kind != "replace" or _top_name(p) in forced]
    if not later:
        return None  # the plan only sets drift back
    return ManagedFinding(
        kind="pending", stack=stack, address=address, type=rtype, id=_identity(before),
        attributes=[AttributeChange(path=p, before=values.lookup(before, p), after=values.UNKNOWN,
                                    next_apply="applies") for p in later],
        next_apply=kind, cause="follows", note="follows another change in this plan (values known only after apply)",
        lookup_names=_names(before),
    )


def _top_name(path: str) -> str:
    return path.split(".", maxsplit=1)[0].split("[", maxsplit=1)[0]


def _drifted_tops(drifted: Mapping[str, Any]) -> set[str]:
    change = drifted["change"]
    return {_top_name(d.path) for d in values.differences(change.get("before"), change.get("after"))}


def _unknown_paths(mask: Any, path: str = "") -> list[str]:
    if mask is True:
        return [path] if path else []
    out: list[str] = []
    if isinstance(mask, dict):
        for key, sub in sorted(mask.items()):
            out += _unknown_paths(sub, f"{path}.{key}" if path else key)
    elif isinstance(mask, list):
        for index, sub in enumerate(mask):
            out += _unknown_paths(sub, f"{path}[{index}]")
    return out


# Terraform's action_reason values, in words (terraform show -json, resource_changes[].action_reason).
_REASONS = {
    "delete_because_no_resource_config": "removed from the configuration",
    "delete_because_no_module": "its module was removed from the configuration",
    "delete_because_wrong_repetition": "count/for_each changed",
    "delete_because_count_index": "its count index is gone",
    "delete_because_each_key": "its for_each key is gone",
    "replace_because_tainted": "tainted",
    "replace_by_request": "replacement requested",
    "replace_by_triggers": "replace_triggered_by",
    "read_because_config_unknown": "data source read during apply",
}
