"""The run report: one record per stack, the summary table, and the ``--report FILE`` JSON.

JSON schema (``version`` 1; :data:`SCHEMA` is the machine-checkable form, validated in the tests)::

    {
      "version": 1,
      "command": "up" | "plan" | "down",
      "env": "dev",
      "target": "sandbox at 127.0.0.1:5000 (region ap-northeast-2)",
      "sandbox": true,
      "run_id": "20250101-120000-up-dev-1a2b",
      "run_dir": "/home/me/.local/state/popcornctl/runs/…",   # saved plans, plan JSON, logs
      "started_at": "2025-01-01T12:00:00+00:00",
      "duration_seconds": 42.1,
      "exit_code": 0 | 1,
      "options": {"only": [...], "exclude": [...], "targets": [...], "parallelism": 2, "fail_fast": false,
                  "auto_approve": true, "allow_destroy": false, "skip_policy": false,
                  "skip_policy_reason": null, "fail_on": "high", "checkov": true, "attempts": 3},
      "policy_override": null | {"reason": "...", "by": "user@host"},
      "retried_stacks": ["global/ecr"],
      "combined_plan": null | "/path/combined.json",          # `plan --out-dir` only
      "stacks": [                                              # in dependency order
        {
          "stack": "envs/dev",
          "result": "applied" | "up_to_date" | "planned" | "destroyed" | "waiting"
                    | "failed" | "blocked" | "declined" | "skipped",
          "ok": true,                        # false for failed/blocked/declined/skipped
          "reason": "…",                     # one line: why this result
          "adds": 3, "changes": 1, "destroys": 0,            # null when no plan was made
          "changes_detail": {...} | null,    # replacements, deletions, stateful_losses, resources, outputs_changed
          "policy": {"status": "passed" | "blocked" | "skipped" | "unavailable" | "not-run", "fail_on": "high",
                     "counts": {"high": 1}, "findings": [...], "blocking": [...], "reason": null} | null,
          "retries": [{"step": "apply", "attempt": 1, "error": "send-request-failed", "waited_seconds": 5.0}],
          "duration_seconds": 12.3,
          "plan_file": "…/envs-dev.tfplan" | null,
          "plan_json": "…/envs-dev.json" | null,
          "log_file": "…/envs-dev.log" | null,
          "error": "Terraform's error, verbatim" | null,
          "notes": ["state migrated to s3://…"]
        }
      ]
    }
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from popcornctl.common.durations import format_duration
from popcornctl.orchestrate.outcome import Outcome
from popcornctl.orchestrate.policy_gate import GateOutcome, GateStatus
from popcornctl.orchestrate.summary import ChangeSummary

if TYPE_CHECKING:
    from rich.console import Console

REPORT_VERSION = 1


@dataclass(frozen=True)
class RetryRecord:
    """One retried Terraform step of a stack."""

    step: str
    attempt: int
    error: str
    waited_seconds: float

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"step": self.step, "attempt": self.attempt, "error": self.error, "waited_seconds": self.waited_seconds}


@dataclass
class StackResult:
    """What happened to one stack in a run."""

    stack: str
    result: Outcome = Outcome.skipped
    reason: str = ""
    summary: ChangeSummary | None = None
    policy: GateOutcome | None = None
    retries: list[RetryRecord] = field(default_factory=list)
    duration: float = 0.0
    plan_file: Path | None = None
    plan_json: Path | None = None
    log_file: Path | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.result = Outcome(self.result)

    @property
    def ok(self) -> bool:
        """True for results that leave the run successful."""
        return self.result.ok

    def as_dict(self) -> dict[str, Any]:
        """JSON form (see the module docstring)."""
        s = self.summary
        return {
            "stack": self.stack,
            "result": self.result.value,
            "ok": self.ok,
            "reason": self.reason,
            "adds": s.adds if s else None,
            "changes": s.changes if s else None,
            "destroys": s.destroys if s else None,
            "changes_detail": s.as_dict() if s else None,
            "policy": self.policy.as_dict() if self.policy else None,
            "retries": [r.as_dict() for r in self.retries],
            "duration_seconds": round(self.duration, 2),
            "plan_file": str(self.plan_file) if self.plan_file else None,
            "plan_json": str(self.plan_json) if self.plan_json else None,
            "log_file": str(self.log_file) if self.log_file else None,
            "error": self.error,
            "notes": list(self.notes),
        }


@dataclass
class RunReport:
    """The whole run."""

    command: str
    env: str
    target: str
    sandbox: bool
    run_id: str
    run_dir: Path
    started_at: str
    options: dict[str, Any]
    stacks: list[StackResult] = field(default_factory=list)
    duration: float = 0.0
    policy_override: dict[str, str] | None = None
    combined_plan: Path | None = None

    @property
    def exit_code(self) -> int:
        """0 when every stack ended well, 1 when any failed, was blocked, declined or skipped."""
        return 0 if all(s.ok for s in self.stacks) else 1

    @property
    def retried_stacks(self) -> list[str]:
        """Stacks that needed at least one retry."""
        return [s.stack for s in self.stacks if s.retries]

    def result_of(self, stack: str) -> StackResult:
        """The record of one stack."""
        return next(s for s in self.stacks if s.stack == stack)

    def as_dict(self) -> dict[str, Any]:
        """JSON form (see the module docstring)."""
        return {
            "version": REPORT_VERSION,
            "command": self.command,
            "env": self.env,
            "target": self.target,
            "sandbox": self.sandbox,
            "run_id": self.run_id,
            "run_dir": str(self.run_dir),
            "started_at": self.started_at,
            "duration_seconds": round(self.duration, 2),
            "exit_code": self.exit_code,
            "options": self.options,
            "policy_override": self.policy_override,
            "retried_stacks": self.retried_stacks,
            "combined_plan": str(self.combined_plan) if self.combined_plan else None,
            "stacks": [s.as_dict() for s in self.stacks],
        }

    def to_json(self) -> str:
        """The JSON report as text."""
        return json.dumps(self.as_dict(), indent=2) + "\n"

    def write(self, path: Path) -> None:
        """Write the JSON report (parents created)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(), encoding="utf-8")


def _duration(seconds: float) -> str:
    return format_duration(seconds, precise=True)


def render_table(console: Console, report: RunReport) -> None:
    """The end-of-run summary table (stack, result, reason, adds/changes/destroys, policy, duration)."""
    from rich.table import Table

    table = Table(title=f"popcornctl {report.command} {report.env} — {report.target}", title_justify="left")
    table.add_column("stack", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("reason")
    table.add_column("+/~/-", justify="right", no_wrap=True)
    table.add_column("policy")
    table.add_column("duration", justify="right", no_wrap=True)
    routine = {Outcome.applied, Outcome.up_to_date, Outcome.planned, Outcome.destroyed}
    for s in report.stacks:
        reason = s.reason
        if s.result in routine and s.summary is not None and reason in (s.summary.headline(), "no changes"):
            reason = ""  # the counts column says it
        errors = ", ".join(sorted({r.error for r in s.retries}))
        retries = f" (retried {len(s.retries)}×: {errors})" if s.retries else ""
        counts = s.summary.counts() if s.summary else "-"
        table.add_row(
            s.stack,
            f"[{s.result.style}]{s.result.label}[/]",
            reason + retries,
            counts,
            s.policy.short() if s.policy else "-",
            _duration(s.duration),
        )
    console.print(table, width=None if console.is_terminal else max(console.width, 140))
    ok = report.exit_code == 0
    verdict = "[green]all stacks ok[/]" if ok else "[bold red]not all stacks ok[/]"
    console.print(f"{verdict} in {_duration(report.duration)} — report: {report.run_dir / 'report.json'}")


_NULLABLE_INT = {"type": ["integer", "null"], "minimum": 0}
_FINDING = {
    "type": "object",
    "required": ["policy", "severity", "address", "title", "waived"],
    "properties": {
        "policy": {"type": "string"},
        "severity": {"type": "string"},
        "address": {"type": "string"},
        "title": {"type": "string"},
        "waived": {"type": "boolean"},
    },
}

# JSON Schema (draft 2020-12) of the report; tests validate every report they produce against it.
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "popcornctl run report",
    "type": "object",
    "required": [
        "version",
        "command",
        "env",
        "target",
        "sandbox",
        "run_id",
        "run_dir",
        "started_at",
        "duration_seconds",
        "exit_code",
        "options",
        "policy_override",
        "retried_stacks",
        "combined_plan",
        "stacks",
    ],
    "properties": {
        "version": {"const": REPORT_VERSION},
        "command": {"enum": ["up", "plan", "down"]},
        "env": {"type": "string"},
        "target": {"type": "string"},
        "sandbox": {"type": "boolean"},
        "run_id": {"type": "string"},
        "run_dir": {"type": "string"},
        "started_at": {"type": "string"},
        "duration_seconds": {"type": "number", "minimum": 0},
        "exit_code": {"enum": [0, 1]},
        "options": {"type": "object"},
        "policy_override": {
            "type": ["object", "null"],
            "required": ["reason", "by"],
            "properties": {"reason": {"type": "string", "minLength": 1}, "by": {"type": "string"}},
        },
        "retried_stacks": {"type": "array", "items": {"type": "string"}},
        "combined_plan": {"type": ["string", "null"]},
        "stacks": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "stack",
                    "result",
                    "ok",
                    "reason",
                    "adds",
                    "changes",
                    "destroys",
                    "changes_detail",
                    "policy",
                    "retries",
                    "duration_seconds",
                    "plan_file",
                    "plan_json",
                    "log_file",
                    "error",
                    "notes",
                ],
                "properties": {
                    "stack": {"type": "string"},
                    "result": {"enum": [o.value for o in Outcome]},
                    "ok": {"type": "boolean"},
                    "reason": {"type": "string"},
                    "adds": _NULLABLE_INT,
                    "changes": _NULLABLE_INT,
                    "destroys": _NULLABLE_INT,
                    "changes_detail": {"type": ["object", "null"]},
                    "policy": {
                        "type": ["object", "null"],
                        "required": ["status", "fail_on", "counts", "findings", "blocking", "reason"],
                        "properties": {
                            "status": {"enum": [s.value for s in GateStatus]},
                            "fail_on": {"type": "string"},
                            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                            "findings": {"type": "array", "items": _FINDING},
                            "blocking": {"type": "array", "items": _FINDING},
                            "reason": {"type": ["string", "null"]},
                        },
                    },
                    "retries": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["step", "attempt", "error", "waited_seconds"],
                            "properties": {
                                "step": {"type": "string"},
                                "attempt": {"type": "integer", "minimum": 1},
                                "error": {"type": "string"},
                                "waited_seconds": {"type": "number"},
                            },
                        },
                    },
                    "duration_seconds": {"type": "number", "minimum": 0},
                    "plan_file": {"type": ["string", "null"]},
                    "plan_json": {"type": ["string", "null"]},
                    "log_file": {"type": ["string", "null"]},
                    "error": {"type": ["string", "null"]},
                    "notes": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
