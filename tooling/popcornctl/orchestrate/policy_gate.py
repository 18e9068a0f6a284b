"""The policy gate: the ONE place the runner talks to the policy room (``popcornctl.policy``).

The policy room exposes ``evaluate_plan(plan, *, root, env, run_checkov, plan_path) -> Report`` with
``Report.blocking(fail_on)``; :func:`policy_gate` calls it and turns the report into a
:class:`GateOutcome` the runner and the run report understand. A gate that cannot run fails *closed*
(Atlantis users' complaint: "0 tests" passing silently): the stack is blocked with the reason, and only
``--skip-policy --reason ...`` (recorded in the report) gets past it.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from popcornctl.common.severity import ALL_SEVERITIES
from popcornctl.errors import PopcornError


class GateStatus(StrEnum):
    """What the gate decided for a stack's plan (its value is the report's ``policy.status``)."""

    passed = "passed"
    blocked = "blocked"
    skipped = "skipped"
    unavailable = "unavailable"
    not_run = "not-run"

    @property
    def stops(self) -> bool:
        """True when the stack must not be applied."""
        return self in (GateStatus.blocked, GateStatus.unavailable)

    def column(self, outcome: GateOutcome) -> str | None:
        """The summary table's policy column for this status; None: the finding counts."""
        return {
            GateStatus.skipped: f"skipped: {outcome.reason}",
            GateStatus.unavailable: "gate unavailable",
            GateStatus.not_run: "-",
        }.get(self)


@dataclass(frozen=True)
class GateFinding:
    """One policy finding as the run report shows it."""

    policy: str
    severity: str
    address: str
    title: str
    waived: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "policy": self.policy,
            "severity": self.severity,
            "address": self.address,
            "title": self.title,
            "waived": self.waived,
        }


@dataclass
class GateOutcome:
    """What the gate decided for one stack's plan."""

    status: GateStatus
    findings: list[GateFinding] = field(default_factory=list)
    blocking: list[GateFinding] = field(default_factory=list)
    reason: str | None = None  # the --skip-policy reason, or why the gate could not run
    fail_on: str = "high"

    def __post_init__(self) -> None:
        self.status = GateStatus(self.status)

    @property
    def stops(self) -> bool:
        """True when the stack must not be applied."""
        return self.status.stops

    def counts(self) -> dict[str, int]:
        """Unwaived findings per severity."""
        counter = Counter(f.severity for f in self.findings if not f.waived)
        return {s: counter[s] for s in ALL_SEVERITIES if counter.get(s)}

    def short(self) -> str:
        """``2 (1 high, 1 low)`` / ``skipped: <reason>`` / ``0`` for the summary table."""
        column = self.status.column(self)
        if column is not None:
            return column
        counts = self.counts()
        total = sum(counts.values())
        if not total:
            return "0"
        return f"{total} ({', '.join(f'{n} {s}' for s, n in counts.items())})"

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the run report."""
        return {
            "status": self.status.value,
            "fail_on": self.fail_on,
            "counts": self.counts(),
            "findings": [f.as_dict() for f in self.findings],
            "blocking": [f.as_dict() for f in self.blocking],
            "reason": self.reason,
        }


# (plan, stack folder, env, run_checkov, plan JSON path, fail_on) -> outcome; tests substitute their own.
GateFunction = Callable[[Mapping[str, Any], Path, "str | None", bool, "Path | None", str], GateOutcome]


def _text(obj: Any, *names: str) -> str:
    for name in names:
        value = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
        if value is not None:
            return str(getattr(value, "value", value))
    return "?"


def _finding(obj: Any) -> GateFinding:
    waived = obj.get("waived") if isinstance(obj, Mapping) else getattr(obj, "waived", False)
    return GateFinding(
        policy=_text(obj, "policy_id", "id", "check_id", "policy"),
        severity=_text(obj, "severity").lower(),
        address=_text(obj, "address", "resource", "resource_address"),
        title=_text(obj, "title", "check_name", "message", "name"),
        waived=bool(waived),
    )


SANDBOX_WAIVERS = Path("policies") / "sandbox-waivers.toml"


def gate_for(repo: Path, *, sandbox: bool, base: Callable[..., GateOutcome] | None = None) -> GateFunction:
    """The gate of a run: sandbox runs add the repository's sandbox waivers (never real runs) to ``base``."""
    gate = base or policy_gate
    waivers = repo / SANDBOX_WAIVERS
    if not sandbox or not waivers.is_file():
        return gate
    return functools.partial(gate, extra_waivers=(waivers,))


def _load_evaluate() -> Callable[..., Any] | None:
    """The policy room's ``evaluate_plan`` (None when it cannot be imported: the gate then fails closed)."""
    try:
        from popcornctl.policy import evaluate_plan
    except ImportError:
        return None
    return evaluate_plan


def policy_gate(
    plan: Mapping[str, Any],
    root: Path,
    env: str | None,
    run_checkov: bool,
    plan_path: Path | None,
    fail_on: str,
    *,
    extra_waivers: tuple[Path, ...] = (),
) -> GateOutcome:
    """Evaluate one stack's plan with the policy room; block at or above ``fail_on``.

    ``root`` is the stack's folder (file:line mapping, Checkov enrichment); ``plan_path`` the plan JSON file;
    ``extra_waivers`` are added to the repository's waivers (sandbox runs: ``policies/sandbox-waivers.toml``).
    """
    evaluate = _load_evaluate()
    if evaluate is None:
        return GateOutcome(
            status=GateStatus.unavailable,
            reason="the policy engine (popcornctl.policy) is not installed, so the gate cannot run",
            fail_on=fail_on,
        )
    try:
        extra: dict[str, Any] = {"extra_waivers": extra_waivers} if extra_waivers else {}
        report = evaluate(dict(plan), root=root, env=env, run_checkov=run_checkov, plan_path=plan_path, **extra)
    except PopcornError as exc:
        return GateOutcome(
            status=GateStatus.unavailable, reason=f"policy evaluation failed: {exc.line()}", fail_on=fail_on
        )
    findings = [_finding(f) for f in (getattr(report, "findings", None) or [])]
    blocking = [_finding(f) for f in report.blocking(fail_on)]
    return GateOutcome(
        status=GateStatus.blocked if blocking else GateStatus.passed,
        findings=findings,
        blocking=blocking,
        fail_on=fail_on,
    )
