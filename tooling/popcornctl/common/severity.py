"""How bad a policy finding is: the one severity scale of the policy gate, the run report and the JSON schemas."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """A finding's severity; ``unrated`` is a Checkov check ``checkov.toml`` gives no severity (never blocks)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    UNRATED = "unrated"

    @property
    def rank(self) -> int:
        """4 for critical down to 0 for unrated (higher is worse)."""
        return _RANK[self]


_RANK = {Severity.CRITICAL: 4, Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1, Severity.UNRATED: 0}

# The severities a policy may declare and ``--fail-on`` may name, worst first.
RATED_SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity if s is not Severity.UNRATED)
# Every severity a finding may carry, worst first.
ALL_SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)
# Rank by name, for severities read from files and reports (``unrated`` ranks 0).
SEVERITY_RANK: dict[str, int] = {s.value: s.rank for s in Severity}
