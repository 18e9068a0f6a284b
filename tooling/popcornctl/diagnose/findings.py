"""What a diagnosis produces: findings (OK / WARN / FAIL with evidence, cause and fix) grouped per target.

A :class:`DiagnosisReport` is the whole answer of one ``popcornctl diagnose`` run. It renders as Rich text
(:mod:`popcornctl.diagnose.render`) or as JSON (:meth:`DiagnosisReport.to_dict`, shape in :data:`REPORT_SCHEMA`,
documented in ``docs/DIAGNOSE.md``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

SCHEMA_ID = "popcornctl.diagnose/v1"


class Status(StrEnum):
    """How bad one finding is."""

    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"

    @property
    def rank(self) -> int:
        """0 for OK, 1 for WARN, 2 for FAIL (for picking the worst)."""
        return {"OK": 0, "WARN": 1, "FAIL": 2}[self.value]


class Health(StrEnum):
    """How a target (a cluster, a service, a database) is doing overall."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    DOWN = "down"


def worst(statuses: Iterable[Status]) -> Status:
    """The worst of ``statuses`` (OK when there are none)."""
    return max(statuses, key=lambda s: s.rank, default=Status.OK)


@dataclass
class Finding:
    """One check's result: what was looked at, what was seen, why, and what to do."""

    check: str  # stable dotted id, e.g. "service.running", "tasks.stopped"
    status: Status
    title: str  # one line
    evidence: list[str] = field(default_factory=list)
    cause: str | None = None
    remediation: str | None = None
    rule: str | None = None  # the classification rule (popcornctl.diagnose.rules) that matched, if any
    down: bool = False  # the subject serves nothing at all (e.g. 0 of N tasks running); not part of the JSON

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (see REPORT_SCHEMA)."""
        return {
            "check": self.check,
            "status": self.status.value,
            "title": self.title,
            "evidence": list(self.evidence),
            "cause": self.cause,
            "remediation": self.remediation,
            "rule": self.rule,
        }


@dataclass
class TargetReport:
    """Findings about one target: an ECS cluster, an ECS service, or an RDS instance."""

    kind: str  # one of registry.TARGETS' kinds: "ecs-cluster", "ecs-service", "rds-instance", "alb-target-group", ...
    name: str
    arn: str | None = None
    facts: dict[str, str] = field(default_factory=dict)  # the header panel, in display order
    findings: list[Finding] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per check id (verbose output, not JSON)

    def add(self, finding: Finding) -> Finding:
        """Append a finding and return it."""
        self.findings.append(finding)
        return finding

    @property
    def status(self) -> Status:
        """The worst finding."""
        return worst(f.status for f in self.findings)

    @property
    def down(self) -> bool:
        """True when a finding says the target serves nothing at all."""
        return any(f.down for f in self.findings)

    @property
    def health(self) -> Health:
        """down when a finding says so; degraded when any finding is WARN or FAIL; healthy otherwise."""
        if self.down:
            return Health.DOWN
        return Health.HEALTHY if self.status is Status.OK else Health.DEGRADED

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (see REPORT_SCHEMA)."""
        return {
            "kind": self.kind,
            "name": self.name,
            "arn": self.arn,
            "health": self.health.value,
            "status": self.status.value,
            "facts": dict(self.facts),
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass
class Names:
    """Where the diagnosed names came from: Terraform outputs, the naming convention, or flags."""

    source: str  # "outputs" | "convention" | "flags" (or a mix, e.g. "flags+outputs")
    notes: list[str] = field(default_factory=list)


@dataclass
class DiagnosisReport:
    """One ``popcornctl diagnose`` run."""

    command: str  # "ecs" | "rds" | "alb" | "cache" | "kafka" | "network" | "all"
    where: str  # Target.describe(): "AWS account 1234 in ap-northeast-2" or "sandbox at 127.0.0.1:port ..."
    region: str
    environment: str | None
    since: timedelta
    window_start: datetime
    window_end: datetime
    names: Names
    targets: list[TargetReport] = field(default_factory=list)
    generated_at: datetime | None = None
    fetch_seconds: float | None = None  # how long the fetch step took (verbose output, not JSON)

    @property
    def health(self) -> Health:
        """The first target's health for ECS (the cluster summary), the worst target's otherwise."""
        if not self.targets:
            return Health.HEALTHY
        healths = [t.health for t in self.targets]
        if self.command == "ecs" and self.targets[0].kind == "ecs-cluster":
            return healths[0]
        if Health.DOWN in healths:
            return Health.DOWN
        return Health.DEGRADED if Health.DEGRADED in healths else Health.HEALTHY

    @property
    def status(self) -> Status:
        """The worst finding of the run."""
        return worst(t.status for t in self.targets)

    @property
    def exit_code(self) -> int:
        """0 when every finding is OK, 1 when any is WARN or FAIL."""
        return 0 if self.status is Status.OK else 1

    def counts(self) -> dict[str, int]:
        """Number of findings per status."""
        out = {s.value: 0 for s in Status}
        for target in self.targets:
            for finding in target.findings:
                out[finding.status.value] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON document printed by ``--output json`` (validated against REPORT_SCHEMA in tests)."""
        healths = [t.health.value for t in self.targets]
        return {
            "schema": SCHEMA_ID,
            "command": self.command,
            "target": self.where,
            "region": self.region,
            "environment": self.environment,
            "generated_at": _iso(self.generated_at or self.window_end),
            "window": {
                "since_seconds": int(self.since.total_seconds()),
                "start": _iso(self.window_start),
                "end": _iso(self.window_end),
            },
            "names": {"source": self.names.source, "notes": list(self.names.notes)},
            "health": self.health.value,
            "status": self.status.value,
            "exit_code": self.exit_code,
            "summary": {
                "targets": len(self.targets),
                "healthy": healths.count("healthy"),
                "degraded": healths.count("degraded"),
                "down": healths.count("down"),
                "findings": self.counts(),
            },
            "targets": [t.to_dict() for t in self.targets],
        }


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


_STATUS = {"type": "string", "enum": [s.value for s in Status]}
_HEALTH = {"type": "string", "enum": [h.value for h in Health]}
_NULLABLE_STR = {"type": ["string", "null"]}

# JSON Schema (draft 2020-12) of DiagnosisReport.to_dict(); docs/DIAGNOSE.md carries the same document.
REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "type": "object",
    "additionalProperties": False,
    "required": [
        "schema",
        "command",
        "target",
        "region",
        "environment",
        "generated_at",
        "window",
        "names",
        "health",
        "status",
        "exit_code",
        "summary",
        "targets",
    ],
    "properties": {
        "schema": {"const": SCHEMA_ID},
        "command": {"enum": ["ecs", "rds", "alb", "cache", "kafka", "network", "all"]},
        "target": {"type": "string"},
        "region": {"type": "string"},
        "environment": _NULLABLE_STR,
        "generated_at": {"type": "string", "format": "date-time"},
        "window": {
            "type": "object",
            "additionalProperties": False,
            "required": ["since_seconds", "start", "end"],
            "properties": {
                "since_seconds": {"type": "integer", "minimum": 1},
                "start": {"type": "string", "format": "date-time"},
                "end": {"type": "string", "format": "date-time"},
            },
        },
        "names": {
            "type": "object",
            "additionalProperties": False,
            "required": ["source", "notes"],
            "properties": {"source": {"type": "string"}, "notes": {"type": "array", "items": {"type": "string"}}},
        },
        "health": _HEALTH,
        "status": _STATUS,
        "exit_code": {"enum": [0, 1]},
        "summary": {
            "type": "object",
            "additionalProperties": False,
            "required": ["targets", "healthy", "degraded", "down", "findings"],
            "properties": {
                "targets": {"type": "integer", "minimum": 0},
                "healthy": {"type": "integer", "minimum": 0},
                "degraded": {"type": "integer", "minimum": 0},
                "down": {"type": "integer", "minimum": 0},
                "findings": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["OK", "WARN", "FAIL"],
                    "properties": {s.value: {"type": "integer", "minimum": 0} for s in Status},
                },
            },
        },
        "targets": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["kind", "name", "arn", "health", "status", "facts", "findings"],
                "properties": {
                    "kind": {
                        "enum": [
                            "ecs-cluster",
                            "ecs-service",
                            "rds-instance",
                            "alb-load-balancer",
                            "alb-target-group",
                            "cache-replication-group",
                            "kafka-cluster",
                            "kafka-broker",
                            "network-vpc",
                        ]
                    },
                    "name": {"type": "string"},
                    "arn": _NULLABLE_STR,
                    "health": _HEALTH,
                    "status": _STATUS,
                    "facts": {"type": "object", "additionalProperties": {"type": "string"}},
                    "findings": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["check", "status", "title", "evidence", "cause", "remediation", "rule"],
                            "properties": {
                                "check": {"type": "string"},
                                "status": _STATUS,
                                "title": {"type": "string"},
                                "evidence": {"type": "array", "items": {"type": "string"}},
                                "cause": _NULLABLE_STR,
                                "remediation": _NULLABLE_STR,
                                "rule": _NULLABLE_STR,
                            },
                        },
                    },
                },
            },
        },
    },
}
