"""What AWS said about the instance: RDS events in the window, and CloudWatch alarms in ALARM."""

from __future__ import annotations

from popcornctl.diagnose.findings import Finding, Status
from popcornctl.diagnose.rds.facts import RdsFacts
from popcornctl.diagnose.registry import check
from popcornctl.diagnose.rules import classify_rds_event
from popcornctl.diagnose.window import aware, human_age

SHOWN = 8


@check(
    "rds.events",
    kind="rds-instance",
    order=90,
    title="notable RDS events in the window",
    looks_at="DescribeEvents for the instance (messages classified by the RDS event rules)",
    findings=("rds.events",),
    reads=("events",),
    ok="nothing notable",
    warn="failover, restart, recovery, low storage",
    fail="storage full, incompatible state, KMS key unusable",
)
def rds_events(facts: RdsFacts) -> list[Finding]:
    """The worst classified event, newest events as evidence."""
    window = facts.window
    classified = [(e, r) for e in facts.events if (r := classify_rds_event(e.message)) is not None]
    if not classified:
        title = f"{len(facts.events)} event(s) in the last {human_age(window.since)}, none alarming"
        return [Finding("rds.events", Status.OK, title)]
    classified.sort(key=lambda pair: aware(pair[0].date) if pair[0].date else window.end, reverse=True)
    evidence = [
        f"{human_age(window.age(e.date)) + ' ago' if e.date else ''}: {e.message}" for e, _ in classified[:SHOWN]
    ]
    top = max((r for _, r in classified), key=lambda r: r.status.rank)
    return [
        Finding(
            "rds.events",
            top.status,
            f"{len(classified)} notable event(s): {top.title}",
            evidence=evidence,
            cause=top.cause,
            remediation=top.remediation,
            rule=top.id,
        )
    ]


@check(
    "rds.alarms",
    kind="rds-instance",
    order=140,
    title="CloudWatch alarms in ALARM for the instance",
    looks_at="DescribeAlarms (StateValue ALARM, metric alarms): the DBInstanceIdentifier dimension and names",
    findings=("alarms",),
    reads=("alarms",),
    ok="none in ALARM",
    warn="DescribeAlarms refused",
    fail="alarms in ALARM with the `DBInstanceIdentifier` dimension or a name starting with the instance id",
)
def rds_alarms(facts: RdsFacts) -> list[Finding]:
    """Alarms about this instance."""
    if not facts.alarms:
        return [Finding("alarms", Status.OK, "no CloudWatch alarm in ALARM for this instance")]
    return [
        Finding(
            "alarms",
            Status.FAIL,
            f"{len(facts.alarms)} CloudWatch alarm(s) in ALARM",
            evidence=[a.line for a in facts.alarms],
            cause="A database metric crossed its threshold.",
            remediation="Act on the metric (storage, CPU, connections), or fix the alarm's threshold.",
        )
    ]
