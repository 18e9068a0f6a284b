"""Service events: de-duplicated, classified with the event rules, recovery recognised."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from popcornctl.diagnose.ecs.subjects import ServiceSubject
from popcornctl.diagnose.findings import Finding, Status
from popcornctl.diagnose.registry import check
from popcornctl.diagnose.rules import Rule, classify_event
from popcornctl.diagnose.window import human_age

SHOWN = 8  # distinct events shown as evidence
_EVENT_NOISE = re.compile(
    r"[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|ecs-svc/\d+|\b\d+\b", re.IGNORECASE
)


@dataclass
class _Group:
    message: str
    newest: datetime | None
    rule: Rule | None
    count: int = 0


@check(
    "ecs.service.events",
    kind="ecs-service",
    order=40,
    title="service events in the window",
    looks_at="DescribeServices events (messages classified by the service-event rules)",
    findings=("service.events",),
    ok="no problem event, or steady state reached after them",
    warn="worst event rule is WARN",
    fail="worst event rule is FAIL; events de-duplicated (ids and numbers ignored) with counts; `!!` marks "
    '"unable to place", "unhealthy", "failed to launch", circuit-breaker and health-check events',
)
def service_events(subject: ServiceSubject) -> list[Finding]:
    """The worst recent event, unless the service has reached a steady state since."""
    window = subject.window
    events = [e for e in subject.service.events if window.contains(e.created_at)]
    if not events:
        return [Finding("service.events", Status.OK, f"no service events in the last {human_age(window.since)}")]
    grouped: dict[str, _Group] = {}
    for event in events:  # newest first
        group = grouped.setdefault(
            _EVENT_NOISE.sub("#", event.message), _Group(event.message, event.created_at, classify_event(event.message))
        )
        group.count += 1
    evidence = []
    for group in list(grouped.values())[:SHOWN]:
        mark = "!! " if group.rule is not None and group.rule.highlight else ""
        when = human_age(window.age(group.newest)) + " ago" if group.newest else ""
        evidence.append(f"{mark}{group.count}x {when}: {group.message}")
    if len(grouped) > SHOWN:
        evidence.append(f"... {len(grouped) - SHOWN} more distinct events")
    problems = [g for g in grouped.values() if g.rule is not None and g.rule.status is not Status.OK]
    if not problems:
        return [Finding("service.events", Status.OK, f"{len(events)} event(s), none alarming", evidence=evidence)]
    latest = classify_event(events[0].message)
    if latest is not None and latest.id == "event.steady":
        title = f"recovered: steady state now, after {sum(p.count for p in problems)} problem event(s)"
        return [Finding("service.events", Status.OK, title, evidence=evidence)]
    worst = max(problems, key=lambda g: (g.rule.status.rank, g.rule.highlight, g.count) if g.rule else (0, False, 0))
    rule = worst.rule
    assert rule is not None
    return [
        Finding(
            "service.events",
            rule.status,
            f"{len(problems)} problem event(s): {rule.title}",
            evidence=evidence,
            cause=rule.cause,
            remediation=rule.remediation,
            rule=rule.id,
        )
    ]
