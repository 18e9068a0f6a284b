"""What every target's facts have in common: the record of what the fetch step could not read.

A fetch step never turns an unreadable fact into a finding itself: it records a :class:`Gap` under the fact's
name, and the runner (:mod:`popcornctl.diagnose.runner`) turns each gap into one finding, under the first
check that reads the fact. Pure: no AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from popcornctl.diagnose.calls import Outcome
from popcornctl.diagnose.findings import Finding, Status

Gaps = Mapping[str, "Gap"]


@dataclass(frozen=True)
class Gap:
    """A fact the fetch step could not read, and why."""

    fact: str  # the name checks declare in ``reads``, e.g. "alarms"
    what: str  # what was attempted, e.g. "list CloudWatch alarms"
    api: str  # the call, e.g. "cloudwatch:DescribeAlarms"
    error: str  # "AccessDenied: User is not authorized ..."
    status: Status = Status.WARN
    title: str | None = None  # replaces "could not <what>: <error>" where the gap is itself a problem
    remediation: str | None = None

    def finding(self, check: str, not_checked: list[str]) -> Finding:
        """The one finding for this gap, under ``check``; ``not_checked`` names every check it kept from running."""
        evidence = [f"{self.api} failed: {self.error}"]
        if not_checked:
            evidence.append("not checked: " + ", ".join(not_checked))
        return Finding(
            check,
            self.status,
            self.title or f"could not {self.what}: {self.error}",
            evidence=evidence,
            remediation=self.remediation or f"Grant {self.api} to the credentials running popcornctl, then run again.",
        )


def gap(outcome: Outcome[Any] | None, fact: str, what: str, api: str) -> Gap | None:
    """A gap when ``outcome`` is an error (None when it answered or was never asked)."""
    if outcome is None or outcome.error is None:
        return None
    return Gap(fact=fact, what=what, api=api, error=outcome.error)


def collect(*gaps: Gap | None) -> dict[str, Gap]:
    """The gaps that exist, by fact name (the first gap of a name wins)."""
    out: dict[str, Gap] = {}
    for item in gaps:
        if item is not None:
            out.setdefault(item.fact, item)
    return out


def arn_name(arn: str) -> str:
    """The last path segment of an ARN (role name, target group name, task id...)."""
    return arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
