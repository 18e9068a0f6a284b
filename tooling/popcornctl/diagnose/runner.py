"""The one runner every diagnose target goes through: fetch once under the deadline, then run the checks.

- **fetch**: the target's single fetch step runs on a daemon thread within the run's :class:`Deadline`;
  fatal AWS errors (credentials, endpoint, timeouts) become one user-facing line.
- **ordering**: a subject's checks run in their registered order; findings keep that order.
- **unreadable facts**: a check that reads a fact the fetch could not read does not run; the gap becomes
  one finding, under the first check that reads it, naming every check it kept from running.
- **error-to-WARN**: a check that raises (a bug: checks are pure) becomes a WARN finding; the run goes on.
- **timing**: seconds per check on the target report, the fetch time on the report (shown with -v).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Generic, Protocol, TypeVar

from popcornctl.diagnose.deadline import Deadline
from popcornctl.diagnose.facts import Gap
from popcornctl.diagnose.failures import describe_error, fatal_error, is_fatal
from popcornctl.diagnose.findings import Finding, Status, TargetReport
from popcornctl.diagnose.registry import CheckSpec, checks_for
from popcornctl.errors import PopcornError

FactsT = TypeVar("FactsT")
UNREAD = "facts"  # finding id of a gap no check reads


class Subject(Protocol):
    """What a check judges: one report's facts, plus the gaps among them."""

    @property
    def gaps(self) -> Mapping[str, Gap]:
        """Facts the fetch step could not read, by name."""
        ...


class DiagnoseTarget(Protocol, Generic[FactsT]):
    """One thing ``popcornctl diagnose <name>`` explains (ecs, rds; alb, cache, kafka, network to come)."""

    name: str  # the subcommand

    def fetch(self) -> FactsT:
        """The one fetch step: every AWS call of the run, batched and concurrent, no judgement."""
        ...

    def reports(self, facts: FactsT) -> list[TargetReport]:
        """The reports in display order, each built with :func:`evaluate` (no AWS calls)."""
        ...


def run(
    target: DiagnoseTarget[FactsT], deadline: Deadline, *, answer_within: float
) -> tuple[list[TargetReport], float]:
    """Fetch within the deadline, then evaluate; returns the reports and the fetch time in seconds.

    ``answer_within``: how long one AWS call may take with its retries (for the timeout message).
    """
    started = time.perf_counter()
    try:
        facts = deadline.call(target.fetch)
    except PopcornError:
        raise
    except Exception as exc:
        if is_fatal(exc):  # credentials expired, the endpoint vanished or stopped answering mid-run
            raise fatal_error(exc, deadline.where, answer_within=answer_within) from None
        raise
    fetched = time.perf_counter() - started
    return target.reports(facts), fetched


def evaluate(report: TargetReport, subject: Subject) -> TargetReport:
    """Run every check of ``report.kind`` on ``subject``, appending the findings to ``report``."""
    specs = checks_for(report.kind)
    reported: set[str] = set()
    for spec in specs:
        unread = [subject.gaps[name] for name in spec.reads if name in subject.gaps]
        if unread:
            for gap in unread:
                if gap.fact not in reported:
                    reported.add(gap.fact)
                    readers = [s.findings[0] for s in specs if gap.fact in s.reads]
                    report.add(gap.finding(spec.findings[0], readers))
            continue
        started = time.perf_counter()
        report.findings.extend(_run_check(spec, subject))
        report.timings[spec.id] = time.perf_counter() - started
    for name, gap in subject.gaps.items():
        if name not in reported:
            report.add(gap.finding(UNREAD, []))
    return report


def _run_check(spec: CheckSpec, subject: Subject) -> list[Finding]:
    try:
        findings = list(spec.fn(subject))
        undeclared = [f.check for f in findings if f.check not in spec.findings]
        if undeclared:
            raise ValueError(f"check {spec.id} emitted undeclared finding id(s) {', '.join(undeclared)}")
    except PopcornError:
        raise
    except Exception as exc:
        return [
            Finding(
                spec.findings[0],
                Status.WARN,
                f"could not check: {describe_error(exc)}",
                remediation="This is a popcornctl error: run again with -v and report the output.",
            )
        ]
    return findings
