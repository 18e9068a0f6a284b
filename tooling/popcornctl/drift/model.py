"""What a drift scan found, as typed records, and their JSON form (``data/drift.schema.json`` describes it).

Four kinds of finding:

- ``changed``: a managed resource whose attributes AWS now reports differently from the state (per attribute:
  before → after, and whether the next apply sets it back or Terraform keeps it);
- ``deleted``: a managed resource AWS no longer has;
- ``pending``: a configuration change that was never applied (reported apart: a pending pull request is not drift);
- ``unmanaged``: a resource of the platform (its tags, its VPCs, its name prefix) that no stack's state holds.

An item an ``[[drift.ignore]]`` rule covers keeps its place in the report with ``ignored`` set; only items that
are not ignored count as drift (exit code 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from popcornctl.drift import values

SCHEMA_VERSION = 1
DRIFT_KINDS = ("changed", "deleted", "unmanaged")  # what makes the exit code 1


@dataclass(frozen=True)
class Ignored:
    """Why an item (or an attribute) is ignored: the rule that covers it."""

    rule: int  # 1-based position of the rule in [[drift.ignore]]
    address: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"rule": self.rule, "address": self.address, "reason": self.reason}


@dataclass(frozen=True)
class Attribution:
    """Who made a change and when, from CloudTrail (best effort)."""

    who: str
    when: str
    event: str

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"who": self.who, "when": self.when, "event": self.event}


@dataclass
class AttributeChange:
    """One attribute path of a resource: its value in the state (or plan) and now."""

    path: str
    before: Any
    after: Any
    sensitive: bool = False
    # changed: "reverts" (the next apply sets it back), "keeps" (Terraform leaves it: ignore_changes, or the
    # configuration does not set it), "replaces" (the next apply replaces the resource for it); pending: "applies"
    next_apply: str = "reverts"
    # False: the configuration does not set this attribute (AWS or another resource derives it); such drift is
    # shown but does not count, as Terraform's own "objects changed outside Terraform" note leaves it out
    configured: bool = True
    ignored: Ignored | None = None

    @property
    def counted(self) -> bool:
        """True when this attribute's drift counts: not ignored, and set back or set by the configuration."""
        return self.ignored is None and (self.configured or self.next_apply != "keeps")

    def lines(self) -> list[str]:
        """The difference as short lines (see :func:`popcornctl.drift.values.short_diff`)."""
        return values.short_diff(self.before, self.after, sensitive=self.sensitive)

    def as_dict(self) -> dict[str, Any]:
        """JSON form (sensitive values are never written)."""
        hidden = values.SENSITIVE_TEXT
        return {
            "path": self.path,
            "before": hidden if self.sensitive else _plain(self.before),
            "after": hidden if self.sensitive else _plain(self.after),
            "sensitive": self.sensitive,
            "diff": self.lines(),
            "next_apply": self.next_apply,
            "configured": self.configured,
            "counted": self.counted,
            "ignored": self.ignored.as_dict() if self.ignored else None,
        }


def _plain(value: Any) -> Any:
    return repr(value) if isinstance(value, values.Unknown) else value


@dataclass
class ManagedFinding:
    """A managed resource that changed or was deleted outside Terraform, or has a configuration change pending."""

    kind: str  # changed | deleted | pending
    stack: str
    address: str
    type: str
    id: str | None = None
    attributes: list[AttributeChange] = field(default_factory=list)
    next_apply: str = "none"  # what the next `popcornctl up` does to it: update | replace | create | delete | none
    cause: str | None = None  # pending only: configuration | follows (values known only after apply)
    note: str | None = None
    ignored: Ignored | None = None
    attribution: Attribution | None = None
    lookup_names: tuple[str, ...] = ()  # what CloudTrail may call it (id, name, ARN); not in the JSON

    @property
    def counted(self) -> bool:
        """True when the finding counts: not ignored as a whole and, when changed, some attribute counts."""
        if self.ignored is not None:
            return False
        return self.kind != "changed" or any(a.counted for a in self.attributes)

    @property
    def informational(self) -> bool:
        """A change only in attributes the configuration does not set (shown, never counted)."""
        return self.kind == "changed" and not self.counted and self.ignored is None and \
            not any(a.ignored for a in self.attributes)

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "kind": self.kind,
            "stack": self.stack,
            "address": self.address,
            "type": self.type,
            "id": self.id,
            "attributes": [a.as_dict() for a in self.attributes],
            "next_apply": self.next_apply,
            "cause": self.cause,
            "note": self.note,
            "counted": self.counted,
            "ignored": self.ignored.as_dict() if self.ignored else None,
            "attribution": self.attribution.as_dict() if self.attribution else None,
        }


@dataclass
class UnmanagedResource:
    """A resource of the platform that no stack's state holds."""

    type: str  # the Terraform resource type that would manage it (aws_security_group, ...)
    id: str
    found_by: list[str]
    arn: str | None = None
    name: str | None = None
    detail: str | None = None  # e.g. "tcp 22 from 0.0.0.0/0"
    parent: str | None = None  # e.g. "sg-0abc (module.security_groups.aws_security_group.this[\"ecs\"] in envs/dev)"
    tags: dict[str, str] = field(default_factory=dict)
    ignored: Ignored | None = None

    @property
    def address(self) -> str:
        """``TYPE.ID``: how ignore rules name it (driftctl's convention)."""
        return f"{self.type}.{self.id}"

    @property
    def counted(self) -> bool:
        """True when not ignored."""
        return self.ignored is None

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "kind": "unmanaged",
            "address": self.address,
            "type": self.type,
            "id": self.id,
            "arn": self.arn,
            "name": self.name,
            "detail": self.detail,
            "parent": self.parent,
            "found_by": list(self.found_by),
            "tags": dict(sorted(self.tags.items())),
            "ignored": self.ignored.as_dict() if self.ignored else None,
        }


@dataclass
class StackDrift:
    """One stack's scan."""

    stack: str
    status: str = "skipped"  # checked | not_applied | failed | skipped
    reason: str = ""
    findings: list[ManagedFinding] = field(default_factory=list)
    resources: int = 0  # managed resources in the state Terraform refreshed
    duration: float = 0.0
    plan_json: str | None = None
    log_file: str | None = None
    error: str | None = None

    def of_kind(self, kind: str) -> list[ManagedFinding]:
        """The findings of one kind, in address order."""
        return [f for f in self.findings if f.kind == kind]

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "stack": self.stack,
            "status": self.status,
            "reason": self.reason,
            "resources": self.resources,
            "changed": [f.as_dict() for f in self.of_kind("changed")],
            "deleted": [f.as_dict() for f in self.of_kind("deleted")],
            "pending": [f.as_dict() for f in self.of_kind("pending")],
            "duration_seconds": round(self.duration, 2),
            "plan_json": self.plan_json,
            "log_file": self.log_file,
            "error": self.error,
        }


@dataclass
class Coverage:
    """One kind of cloud resource the unmanaged inventory looks for, and how."""

    type: str
    how: str
    listed: int = 0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"type": self.type, "how": self.how, "listed": self.listed, "error": self.error}


@dataclass
class Inventory:
    """The unmanaged-resource part of a scan."""

    status: str = "skipped"  # complete | partial | failed | skipped
    reason: str = ""
    scope: dict[str, Any] = field(default_factory=dict)
    coverage: list[Coverage] = field(default_factory=list)
    resources: list[UnmanagedResource] = field(default_factory=list)
    api_calls: int = 0
    duration: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "status": self.status,
            "reason": self.reason,
            "scope": self.scope,
            "coverage": [c.as_dict() for c in self.coverage],
            "resources": [r.as_dict() for r in self.resources],
            "api_calls": self.api_calls,
            "duration_seconds": round(self.duration, 2),
        }


@dataclass
class RuleUse:
    """An ignore rule and how many items/attributes it covered in this scan."""

    rule: int
    address: str
    reason: str
    attributes: list[str]
    matched: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"rule": self.rule, "address": self.address, "attributes": self.attributes, "reason": self.reason,
                "matched": self.matched}


@dataclass
class DriftReport:
    """A whole ``popcornctl drift ENV`` scan."""

    env: str
    target: str
    sandbox: bool
    started_at: str
    stacks: list[StackDrift] = field(default_factory=list)
    inventory: Inventory = field(default_factory=Inventory)
    rules: list[RuleUse] = field(default_factory=list)
    cloudtrail: dict[str, Any] = field(default_factory=lambda: {"status": "skipped", "reason": "not asked"})
    duration: float = 0.0
    run_dir: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def managed(self) -> list[ManagedFinding]:
        """Every managed finding, stack by stack."""
        return [f for s in self.stacks for f in s.findings]

    def totals(self) -> dict[str, int]:
        """Counts per kind (ignored items apart), and errors."""
        counts = dict.fromkeys(("changed", "deleted", "pending", "unmanaged", "ignored", "informational"), 0)
        for finding in self.managed():
            if finding.counted:
                counts[finding.kind] += 1
            elif finding.informational:
                counts["informational"] += 1
            if finding.kind != "pending" and (finding.ignored or any(a.ignored for a in finding.attributes)):
                counts["ignored"] += 1
        for resource in self.inventory.resources:
            counts["unmanaged" if resource.counted else "ignored"] += 1
        counts["errors"] = len(self.errors())
        return counts

    def errors(self) -> list[str]:
        """What kept the scan from being complete (a stack that failed, an inventory that could not list)."""
        problems = [f"{s.stack}: {s.reason}" for s in self.stacks if s.status == "failed"]
        if self.inventory.status in ("failed", "partial"):
            problems.append(f"unmanaged inventory: {self.inventory.reason}")
        return problems

    @property
    def exit_code(self) -> int:
        """2 when the scan is incomplete, 1 when drift or unmanaged resources were found, else 0."""
        if self.errors():
            return 2
        totals = self.totals()
        return 1 if any(totals[k] for k in DRIFT_KINDS) else 0

    def as_dict(self) -> dict[str, Any]:
        """The JSON report (``data/drift.schema.json``)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "env": self.env,
            "target": self.target,
            "sandbox": self.sandbox,
            "started_at": self.started_at,
            "duration_seconds": round(self.duration, 2),
            "exit_code": self.exit_code,
            "totals": self.totals(),
            "errors": self.errors(),
            "stacks": [s.as_dict() for s in self.stacks],
            "unmanaged": self.inventory.as_dict(),
            "ignore_rules": [r.as_dict() for r in self.rules],
            "cloudtrail": self.cloudtrail,
            "options": self.options,
            "run_dir": self.run_dir,
        }
