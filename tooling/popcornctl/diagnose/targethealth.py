"""A target group's targets summed up: how many are healthy, which AWS reason code dominates, and the verdict.

Shared by ``diagnose ecs`` (a service's target groups) and ``diagnose alb`` (every target group of the load
balancer). Pure; the reason codes are explained by :mod:`popcornctl.diagnose.rules.target_health`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from popcornctl.diagnose.ecs.facts import TargetHealth
from popcornctl.diagnose.findings import Status
from popcornctl.diagnose.rules import Rule, classify_target_health

BAD_STATES = ("unhealthy", "unavailable", "unused")


@dataclass
class Targets:
    """The targets of one group: one evidence line each, the state counts, the dominant reason's rule."""

    health: tuple[TargetHealth, ...]
    lines: list[str] = field(default_factory=list)
    states: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    rules: dict[str, Rule] = field(default_factory=dict)

    @property
    def dominant(self) -> Rule | None:
        """The rule of the most frequent reason among targets that are neither healthy nor draining."""
        return self.rules[self.reasons.most_common(1)[0][0]] if self.reasons else None


def targets(health: tuple[TargetHealth, ...]) -> Targets:
    """Classify every target's reason code."""
    out = Targets(health)
    for target in health:
        out.states[target.state] += 1
        line = f"{target.target_id}:{target.port} {target.state}"
        rule = classify_target_health(target.reason, target.description)
        if rule is not None:
            line += f" — {target.reason}: {target.description}"
            if target.state not in ("healthy", "draining"):
                out.reasons[rule.id] += 1
                out.rules[rule.id] = rule
        out.lines.append(line)
    return out


def verdict(name: str, found: Targets, wanted: int) -> tuple[Status, str]:
    """FAIL: none healthy (or none registered while ``wanted`` tasks); WARN: some unhealthy or initial; OK."""
    healthy = found.states.get("healthy", 0)
    bad = sum(n for s, n in found.states.items() if s in BAD_STATES)
    total = len(found.health)
    if not total:
        return (Status.FAIL if wanted else Status.OK), f"target group {name}: no targets registered"
    if healthy == 0 and bad:
        return Status.FAIL, f"target group {name}: 0 of {total} targets healthy"
    if bad:
        return Status.WARN, f"target group {name}: {bad} of {total} targets unhealthy"
    if found.states.get("initial"):
        return Status.WARN, f"target group {name}: {found.states['initial']} target(s) still in initial checks"
    return Status.OK, f"target group {name}: {healthy} of {total} targets healthy"
