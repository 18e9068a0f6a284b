"""The classification table: AWS messages -> cause and fix, kept as data with AWS's own wording, per area.

Every rule carries at least one example in the real wording AWS uses (stopped-task reasons from the ECS
agent and the "Stopped tasks error codes" / "CannotPullContainer task errors" pages, service event
messages, ELB target-health reason codes, RDS event messages and DB instance statuses, ElastiCache event
messages). The test suite classifies every example and expects its own rule back, and ``docs/DIAGNOSE.md``
lists every rule.

Areas: :mod:`.ecs_pull`, :mod:`.ecs_init`, :mod:`.ecs_stop` (stopped tasks, in table order),
:mod:`.ecs_events`, :mod:`.target_health`, :mod:`.rds_events`, :mod:`.rds_status`, :mod:`.cache_events`.
Rules are tried in table order, so a specific rule sits before a broader one with the same words (for example
"image not found" before the CannotPullContainerError catch-all, Spot interruption before the exit-code-137
rule, ELB health-check kills before exit codes).
"""

from __future__ import annotations

from dataclasses import dataclass

from popcornctl.diagnose.findings import Status
from popcornctl.diagnose.rules.cache_events import CACHE_EVENT_RULES
from popcornctl.diagnose.rules.ecs_events import SERVICE_EVENT_RULES
from popcornctl.diagnose.rules.ecs_init import INIT_RULES
from popcornctl.diagnose.rules.ecs_pull import PULL_RULES
from popcornctl.diagnose.rules.ecs_stop import STOP_RULES
from popcornctl.diagnose.rules.model import Example, Rule, Source
from popcornctl.diagnose.rules.rds_events import RDS_EVENT_RULES
from popcornctl.diagnose.rules.rds_status import RDS_STATUS_RULES
from popcornctl.diagnose.rules.target_health import TARGET_HEALTH_RULES

__all__ = [
    "ALL_RULES",
    "CACHE_EVENT_RULES",
    "RDS_EVENT_RULES",
    "RDS_STATUS_RULES",
    "RULES_BY_ID",
    "SERVICE_EVENT_RULES",
    "STOPPED_TASK_RULES",
    "TARGET_HEALTH_RULES",
    "ContainerExit",
    "Example",
    "Rule",
    "Source",
    "StopInfo",
    "classify_cache_event",
    "classify_event",
    "classify_rds_event",
    "classify_rds_status",
    "classify_stop",
    "classify_target_health",
]

STOPPED_TASK_RULES: tuple[Rule, ...] = PULL_RULES + INIT_RULES + STOP_RULES
ALL_RULES: tuple[Rule, ...] = (
    STOPPED_TASK_RULES
    + SERVICE_EVENT_RULES
    + TARGET_HEALTH_RULES
    + RDS_EVENT_RULES
    + RDS_STATUS_RULES
    + CACHE_EVENT_RULES
)
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in ALL_RULES}
UNCLASSIFIED_STOP = RULES_BY_ID["stop.unclassified"]


@dataclass(frozen=True)
class ContainerExit:
    """One container of a stopped task, as DescribeTasks reports it."""

    name: str
    exit_code: int | None = None
    reason: str | None = None
    essential: bool = True


@dataclass(frozen=True)
class StopInfo:
    """What DescribeTasks says about why a task stopped."""

    stop_code: str | None
    stopped_reason: str
    containers: tuple[ContainerExit, ...] = ()

    @property
    def text(self) -> str:
        """The stopped reason and every container reason, one per line (what rule patterns read)."""
        parts = [self.stopped_reason] + [c.reason for c in self.containers if c.reason]
        return "\n".join(p for p in parts if p)

    def exited(self) -> ContainerExit | None:
        """The essential container that exited: the first with a non-zero code, else the first with a code."""
        essentials = [c for c in self.containers if c.essential and c.exit_code is not None]
        for container in essentials:
            if container.exit_code != 0:
                return container
        return essentials[0] if essentials else None


def _exit_matches(kind: str, container: ContainerExit | None) -> bool:
    if container is None or container.exit_code is None:
        return False
    code = container.exit_code
    if kind == "137":
        return code == 137
    if kind == "nonzero":
        return code != 0
    return kind == "zero" and code == 0


def classify_stop(stop: StopInfo) -> tuple[Rule, ContainerExit | None]:
    """The first stopped-task rule that matches, and the container whose exit it is about."""
    container = stop.exited()
    text = stop.text
    for rule in STOPPED_TASK_RULES:
        if rule.exit is not None and not _exit_matches(rule.exit, container):
            continue
        if rule.matches_text(text, stop.stop_code):
            return rule, container
    return UNCLASSIFIED_STOP, container


def _first(rules: tuple[Rule, ...], text: str, code: str | None = None) -> Rule | None:
    return next((r for r in rules if (r.pattern or r.codes) and r.matches_text(text, code)), None)


def classify_event(message: str) -> Rule | None:
    """The service-event rule for a message (None for informational events such as 'has started 1 tasks')."""
    return _first(SERVICE_EVENT_RULES, message)


def classify_target_health(reason: str | None, description: str = "") -> Rule | None:
    """The rule for an ELB target-health reason code (None for a healthy target)."""
    return _first(TARGET_HEALTH_RULES, description, reason) if reason else None


def classify_cache_event(message: str) -> Rule | None:
    """The ElastiCache event rule for a message (None for routine events such as snapshots)."""
    return _first(CACHE_EVENT_RULES, message)


def classify_rds_event(message: str) -> Rule | None:
    """The RDS event rule for a message (None for routine events such as backups)."""
    return _first(RDS_EVENT_RULES, message)


UNKNOWN_RDS_STATUS = Rule(
    id="rds.status-unknown",
    source=Source.RDS_STATUS,
    status=Status.WARN,
    title="an unfamiliar status",
    cause="popcornctl does not know this DB instance status.",
    remediation="Check the RDS console and the recent events.",
    examples=(),
)


def classify_rds_status(status: str) -> Rule:
    """The rule for a DBInstanceStatus value."""
    return next((r for r in RDS_STATUS_RULES if status in r.codes), UNKNOWN_RDS_STATUS)
