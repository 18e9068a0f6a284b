"""The classification rules' shape: a rule, the AWS messages it reads, and examples in AWS's wording.

Matching: a rule's ``pattern`` (regular expression, case-insensitive, over the message text) and its
``codes`` (stopCode / reason code / status) are alternatives — either one matching is enough; a rule
with neither matches any message. ``exit`` (stopped tasks only) is an extra condition on the exit code of
the essential container that stopped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from popcornctl.diagnose.findings import Status


class Source(StrEnum):
    """What kind of AWS message a rule reads."""

    STOPPED_TASK = "stopped-task"  # DescribeTasks: stopCode, stoppedReason, containers[].reason/exitCode
    SERVICE_EVENT = "service-event"  # DescribeServices: services[].events[].message
    TARGET_HEALTH = "target-health"  # DescribeTargetHealth: TargetHealth.Reason (+ Description)
    RDS_EVENT = "rds-event"  # DescribeEvents: Events[].Message
    RDS_STATUS = "rds-status"  # DescribeDBInstances: DBInstanceStatus
    CACHE_EVENT = "cache-event"  # elasticache DescribeEvents: Events[].Message


@dataclass(frozen=True)
class Example:
    """A message as AWS words it, with the fields that travel with it."""

    message: str
    stop_code: str | None = None
    exit_code: int | None = None
    code: str | None = None  # target-health reason code, or RDS status


@dataclass(frozen=True)
class Rule:
    """One classification: when it matches, what it means, and what to do."""

    id: str
    source: Source
    status: Status
    title: str
    cause: str
    remediation: str
    examples: tuple[Example, ...]
    pattern: str | None = None
    codes: frozenset[str] = field(default_factory=frozenset)
    exit: str | None = None  # "137" | "nonzero" | "zero" (stopped tasks)
    highlight: bool = False  # service events worth calling out ("unable to place", "unhealthy", ...)

    @cached_property
    def regex(self) -> re.Pattern[str] | None:
        """The compiled pattern."""
        return re.compile(self.pattern, re.IGNORECASE) if self.pattern else None

    def matches_text(self, text: str, code: str | None) -> bool:
        """Pattern or code (either is enough; neither given matches anything)."""
        if self.regex is None and not self.codes:
            return True
        if self.regex is not None and self.regex.search(text):
            return True
        return bool(code and code in self.codes)
