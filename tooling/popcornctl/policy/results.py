"""The report of one policy-check run: findings, what ran, waivers, and the gate's verdict.

``PolicyReport.blocking(fail_on)`` is the gate: failed findings at or above the threshold, policy errors,
and expired waivers (always). ``unknown`` findings (values known only after apply) and ``unrated``
Checkov findings never block; waived findings never block while their waiver is current.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from popcornctl.common.severity import ALL_SEVERITIES, RATED_SEVERITIES, SEVERITY_RANK
from popcornctl.policy.api import PolicyStatus

SCHEMA_VERSION = 1
# ``unknown`` is the strictest gate: every rated failure blocks, and so does whatever could not be evaluated.
FAIL_ON_CHOICES = (*RATED_SEVERITIES, "unknown")
# The id of the result for a change whose planned values are all unknown (``after: null``), so no policy saw it.
UNEVALUATED_ID = "PLAN-VALUES-UNKNOWN"
NOTHING_EVALUATED = "nothing could be evaluated"  # how the report's warning about it begins


def threshold_rank(fail_on: str) -> int:
    """The lowest severity rank that blocks at ``fail_on`` (``unknown``: the same as ``low``)."""
    return SEVERITY_RANK["low"] if fail_on == "unknown" else SEVERITY_RANK[fail_on]


@dataclass
class Result:
    """One finding in the report (ours, Checkov's, or an expired waiver)."""

    id: str
    title: str
    severity: str  # critical | high | medium | low | unrated
    status: PolicyStatus
    address: str
    message: str
    source: str = "popcorn"  # popcorn | checkov | waivers
    resource_type: str | None = None
    stack: str | None = None
    actions: tuple[str, ...] = ()
    attribute: str | None = None
    file: str | None = None
    line: int | None = None
    remediation: str = ""
    rationale: str = ""
    guideline: str | None = None
    also_reported_by: list[str] = field(default_factory=list)
    waiver: dict[str, Any] | None = None

    @property
    def waived(self) -> bool:
        """True when a current waiver covers this finding."""
        return self.status == PolicyStatus.WAIVED

    @property
    def qualified_address(self) -> str:
        """``stack::address`` (as in ``popcornctl plan``'s combined plan) when the stack is known, else the address."""
        return f"{self.stack}::{self.address}" if self.stack else self.address

    @property
    def location(self) -> str | None:
        """``file:line`` when known."""
        if not self.file:
            return None
        return f"{self.file}:{self.line}" if self.line else self.file

    def is_blocking(self, fail_on: str) -> bool:
        """True when this finding stops the gate at threshold ``fail_on``."""
        if self.status in (PolicyStatus.ERROR, PolicyStatus.EXPIRED):
            return True
        if self.status == PolicyStatus.UNKNOWN:
            return fail_on == "unknown"
        return self.status == PolicyStatus.FAIL and SEVERITY_RANK.get(self.severity, 0) >= threshold_rank(fail_on)

    def as_dict(self, fail_on: str) -> dict[str, Any]:
        """The JSON form (see docs/POLICIES.md, schema version 1)."""
        return {
            "id": self.id,
            "source": self.source,
            "title": self.title,
            "severity": self.severity,
            "status": str(self.status),
            "blocking": self.is_blocking(fail_on),
            "stack": self.stack,
            "address": self.address,
            "resource_type": self.resource_type,
            "actions": list(self.actions),
            "message": self.message,
            "attribute": self.attribute,
            "file": self.file,
            "line": self.line,
            "remediation": self.remediation,
            "guideline": self.guideline,
            "also_reported_by": list(self.also_reported_by),
            "waiver": self.waiver,
        }


@dataclass
class PolicyRun:
    """What one policy did in this run."""

    id: str
    title: str
    severity: str
    resource_types: tuple[str, ...]
    environments: tuple[str, ...]
    module: str
    status: str = "ran"  # ran | not-applicable | other-environment | environment-unknown | needs-plan
    evaluated: int = 0
    failed: int = 0
    unknown: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity,
            "resource_types": list(self.resource_types),
            "environments": list(self.environments),
            "status": self.status,
            "evaluated": self.evaluated,
            "failed": self.failed,
            "unknown": self.unknown,
        }


@dataclass
class InputInfo:
    """One evaluated plan (or directory) and the environment it was evaluated for."""

    source: str
    kind: str  # plan | directory
    stack: str | None
    environment: str | None
    environment_source: str
    terraform_version: str | None = None
    format_version: str | None = None
    resource_changes: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "source": self.source,
            "kind": self.kind,
            "stack": self.stack,
            "environment": self.environment,
            "environment_source": self.environment_source,
            "terraform_version": self.terraform_version,
            "format_version": self.format_version,
            "resource_changes": self.resource_changes,
        }


@dataclass
class WaiverState:
    """A waiver from policies/waivers.toml and what it did in this run."""

    id: str
    address: str
    reason: str
    expires: dt.date
    approved_by: str
    state: str  # active | expired | unmatched
    matched: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "id": self.id,
            "address": self.address,
            "reason": self.reason,
            "expires": self.expires.isoformat(),
            "approved_by": self.approved_by,
            "state": self.state,
            "matched": self.matched,
        }


@dataclass
class CheckovInfo:
    """Whether Checkov ran, and what became of its findings."""

    ran: bool = False
    version: str | None = None
    failed: int = 0  # failed checks reported by Checkov
    merged: int = 0  # shown as findings of their own
    superseded: list[dict[str, str]] = field(default_factory=list)  # folded into one of our policies
    reason: str | None = None  # why it did not run

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "ran": self.ran,
            "version": self.version,
            "failed": self.failed,
            "merged": self.merged,
            "superseded": list(self.superseded),
            "reason": self.reason,
        }


@dataclass
class PolicyReport:
    """Everything one policy-check run found."""

    results: list[Result] = field(default_factory=list)  # every status, "unknown" included
    policies: list[PolicyRun] = field(default_factory=list)
    inputs: list[InputInfo] = field(default_factory=list)
    waivers: list[WaiverState] = field(default_factory=list)
    checkov: CheckovInfo = field(default_factory=CheckovInfo)
    warnings: list[str] = field(default_factory=list)
    checks: list[tuple[str, str, str]] = field(default_factory=list)  # (policy id, address, outcome)
    static: bool = False
    generated_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))

    @property
    def findings(self) -> list[Result]:
        """Results a reviewer acts on: failures, errors, expired waivers and waived findings (not unknowns)."""
        return [r for r in self.results if r.status != PolicyStatus.UNKNOWN]

    @property
    def unknowns(self) -> list[Result]:
        """Checks that cannot be decided before apply ("unknown until apply")."""
        return [r for r in self.results if r.status == PolicyStatus.UNKNOWN]

    def blocking(self, fail_on: str = "high") -> list[Result]:
        """Findings that stop the gate at ``fail_on`` (critical|high|medium|low)."""
        if fail_on not in FAIL_ON_CHOICES:
            raise ValueError(f"fail_on must be one of {', '.join(FAIL_ON_CHOICES)}, not {fail_on!r}")
        return [f for f in self.results if f.is_blocking(fail_on)]

    def passed(self, fail_on: str = "high") -> bool:
        """True when nothing blocks."""
        return not self.blocking(fail_on)

    def exit_code(self, fail_on: str = "high") -> int:
        """0 when the gate passes, 1 when it blocks."""
        return 0 if self.passed(fail_on) else 1

    @property
    def changes_total(self) -> int:
        """Resource changes in every input."""
        return sum(i.resource_changes for i in self.inputs)

    @property
    def unevaluated(self) -> list[Result]:
        """Changes no policy could see: their planned values are all unknown (``after: null``)."""
        return [r for r in self.results if r.id == UNEVALUATED_ID]

    @property
    def nothing_evaluated(self) -> bool:
        """True when the inputs have changes but not one policy check could run on any of them."""
        return not self.static and self.changes_total > 0 and not self.checks and bool(self.unevaluated)

    @property
    def multi_stack(self) -> bool:
        """True when the inputs come from more than one stack (addresses are then shown as ``stack::address``)."""
        return len({i.stack for i in self.inputs}) > 1

    @property
    def environment(self) -> str | None:
        """The environment every input was evaluated for (None when unknown or mixed)."""
        envs = {i.environment for i in self.inputs}
        return envs.pop() if len(envs) == 1 else None

    def ids(self, status: str | None = "fail") -> set[str]:
        """Ids of findings with ``status`` (every status when None)."""
        return {f.id for f in self.results if status is None or f.status == status}

    def summary(self, fail_on: str) -> dict[str, Any]:
        """Counts for the JSON report and the table footer."""
        failing = Counter(f.severity for f in self.results if f.status == PolicyStatus.FAIL)
        statuses = Counter(PolicyStatus(f.status) for f in self.results)
        return {
            "fail": {s: failing.get(s, 0) for s in ALL_SEVERITIES},
            "errors": statuses[PolicyStatus.ERROR],
            "expired_waivers": statuses[PolicyStatus.EXPIRED],
            "waived": statuses[PolicyStatus.WAIVED],
            "unknown": statuses[PolicyStatus.UNKNOWN],
            "blocking": len(self.blocking(fail_on)),
            "policies_run": sum(1 for p in self.policies if p.status == "ran"),
            "policies_total": len(self.policies),
            "checks_evaluated": len(self.checks),
            "resources_evaluated": len({a for _, a, _ in self.checks}),
        }

    def as_dict(self, fail_on: str = "high") -> dict[str, Any]:
        """The JSON report (schema in :mod:`popcornctl.policy.schema`, documented in docs/POLICIES.md)."""
        from popcornctl import __version__

        order = {s: i for i, s in enumerate(("error", "expired", "fail", "unknown", "waived"))}
        ordered = sorted(
            self.results,
            key=lambda f: (order.get(f.status, 9), -SEVERITY_RANK.get(f.severity, 0), f.id, f.qualified_address),
        )
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "popcornctl policy-check", "version": __version__},
            "generated_at": self.generated_at,
            "fail_on": fail_on,
            "passed": self.passed(fail_on),
            "exit_code": self.exit_code(fail_on),
            "static": self.static,
            "environment": self.environment,
            "inputs": [i.as_dict() for i in self.inputs],
            "summary": self.summary(fail_on),
            "findings": [f.as_dict(fail_on) for f in ordered],
            "waivers": [w.as_dict() for w in self.waivers],
            "checkov": self.checkov.as_dict(),
            "policies": [p.as_dict() for p in self.policies],
            "warnings": list(self.warnings),
        }
