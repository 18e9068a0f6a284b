"""The instance's own state: status, pending changes, endpoint, AZs, backups, Performance Insights, parameters."""

from __future__ import annotations

from datetime import timedelta

from popcornctl.diagnose.findings import Finding, Status, worst
from popcornctl.diagnose.rds.facts import RdsFacts
from popcornctl.diagnose.registry import check
from popcornctl.diagnose.rules import classify_rds_status
from popcornctl.diagnose.window import human_age

RESTORE_LAG = timedelta(minutes=15)
PROD_RETENTION_DAYS = 7


@check(
    "rds.status",
    kind="rds-instance",
    order=10,
    title="instance status and pending modifications",
    looks_at="DescribeDBInstances DBInstanceStatus (classified by the status rules), PendingModifiedValues",
    findings=("rds.status", "rds.pending"),
    ok="available",
    warn="a change or maintenance in progress (status rule); pending modifications (listed; they apply in the "
    "maintenance window)",
    fail="stopped, storage-full, failed, incompatible-*, inaccessible-encryption-credentials... (down)",
)
def rds_status(facts: RdsFacts) -> list[Finding]:
    """The status, as the status rules read it; pending modifications."""
    db = facts.instance
    rule = classify_rds_status(db.status)
    out = [
        Finding(
            "rds.status",
            rule.status,
            f"status {db.status}" + ("" if db.status == "available" else f": {rule.title}"),
            cause=None if rule.status is Status.OK else rule.cause,
            remediation=None if rule.status is Status.OK else rule.remediation,
            rule=rule.id,
            down=rule.status is Status.FAIL,
        )
    ]
    if db.pending:
        out.append(
            Finding(
                "rds.pending",
                Status.WARN,
                f"{len(db.pending)} pending modification(s)",
                evidence=[f"{k}: {v}" for k, v in db.pending],
                cause="Changes made without apply_immediately wait for the maintenance window "
                f"({db.maintenance_window or '?'}); some cause a restart.",
                remediation="Apply them in a quiet hour (apply_immediately = true, or wait for the window).",
            )
        )
    return out


@check(
    "rds.endpoint",
    kind="rds-instance",
    order=20,
    title="the instance has an endpoint",
    looks_at="DescribeDBInstances Endpoint",
    findings=("rds.endpoint",),
    ok="address:port",
    fail="no endpoint",
)
def rds_endpoint(facts: RdsFacts) -> list[Finding]:
    """Clients need an address."""
    db = facts.instance
    if not db.address:
        return [
            Finding(
                "rds.endpoint",
                Status.FAIL,
                "no endpoint yet",
                cause="The instance is still being created or has failed.",
                remediation="Wait for status 'available'; see the events.",
            )
        ]
    return [Finding("rds.endpoint", Status.OK, f"endpoint {db.address}:{db.endpoint_port}")]


@check(
    "rds.subnet-group",
    kind="rds-instance",
    order=50,
    title="the DB subnet group spans two AZs",
    looks_at="DescribeDBInstances DBSubnetGroup subnets' availability zones",
    findings=("rds.subnet-group",),
    ok="2+ AZs",
    warn="1 AZ (single-AZ instance)",
    fail="1 AZ with Multi-AZ",
)
def rds_subnet_group(facts: RdsFacts) -> list[Finding]:
    """A standby or a restore needs a second AZ."""
    db = facts.instance
    azs = sorted({az for _, az in db.subnets})
    name = db.subnet_group or "?"
    if len(azs) < 2:
        return [
            Finding(
                "rds.subnet-group",
                Status.FAIL if db.multi_az else Status.WARN,
                f"subnet group {name} covers {len(azs)} AZ: {', '.join(azs) or 'none'}",
                cause="A standby or a restore needs a second AZ; with one AZ an AZ outage takes the database down.",
                remediation="Add a private subnet in a second AZ to the DB subnet group.",
            )
        ]
    return [Finding("rds.subnet-group", Status.OK, f"subnet group {name} covers {len(azs)} AZs: {', '.join(azs)}")]


@check(
    "rds.multi-az",
    kind="rds-instance",
    order=60,
    title="Multi-AZ in production",
    looks_at="DescribeDBInstances MultiAZ, AvailabilityZone, SecondaryAvailabilityZone; whether the environment "
    "is prod (`prod` or `protected`)",
    findings=("rds.multi-az",),
    ok="Multi-AZ, or single-AZ outside prod",
    fail="single-AZ in prod (`prod` or a `protected` environment)",
)
def rds_multi_az(facts: RdsFacts) -> list[Finding]:
    """Production databases keep a standby."""
    db = facts.instance
    if db.multi_az:
        where = f"primary {db.az}, standby {db.secondary_az or '?'}"
        return [Finding("rds.multi-az", Status.OK, f"Multi-AZ ({where})")]
    if facts.prod:
        return [
            Finding(
                "rds.multi-az",
                Status.FAIL,
                "single-AZ in a production environment",
                cause="An AZ outage or a host failure takes the database down until it is replaced (tens of "
                "minutes); maintenance reboots are full outages.",
                remediation="Set multi_az = true (applied in the maintenance window, or now with apply_immediately).",
            )
        ]
    return [Finding("rds.multi-az", Status.OK, f"single-AZ in {db.az} (fine outside prod)")]


@check(
    "rds.backups",
    kind="rds-instance",
    order=100,
    title="automated backups and point-in-time recovery",
    looks_at="DescribeDBInstances BackupRetentionPeriod, PreferredBackupWindow, LatestRestorableTime",
    findings=("rds.backups",),
    ok="on, latest restorable time under 15 min old",
    warn="restore point lagging; prod retention under 7 days",
    fail="retention 0",
)
def rds_backups(facts: RdsFacts) -> list[Finding]:
    """Backups on, recent restore point, enough retention in prod."""
    db = facts.instance
    retention = db.backup_retention
    if retention == 0:
        return [
            Finding(
                "rds.backups",
                Status.FAIL,
                "automated backups are off (retention 0 days)",
                cause="No point-in-time recovery: a bad migration or deletion is unrecoverable.",
                remediation="Set backup_retention_period to 7 or more.",
            )
        ]
    evidence = [f"retention {retention} day(s), backup window {db.backup_window or '?'}"]
    problems: list[tuple[Status, str]] = []
    if db.latest_restorable is None:
        problems.append((Status.WARN, "no latest restorable time yet"))
    else:
        lag = facts.window.age(db.latest_restorable)
        evidence.append(f"latest restorable time {human_age(lag)} ago")
        if lag > RESTORE_LAG:
            problems.append((Status.WARN, f"latest restorable time is {human_age(lag)} old (normally under 5 minutes)"))
    if facts.prod and retention < PROD_RETENTION_DAYS:
        problems.append((Status.WARN, f"retention {retention} day(s) in production (expected {PROD_RETENTION_DAYS}+)"))
    if problems:
        return [
            Finding(
                "rds.backups",
                worst(s for s, _ in problems),
                problems[0][1],
                evidence=evidence,
                cause="Transaction-log backups lag or retention is short: recovery points are missing.",
                remediation="Check the events for backup failures; raise backup_retention_period.",
            )
        ]
    return [
        Finding(
            "rds.backups",
            Status.OK,
            f"backups on ({retention} days), point-in-time recovery current",
            evidence=evidence,
        )
    ]


@check(
    "rds.performance-insights",
    kind="rds-instance",
    order=110,
    title="Performance Insights",
    looks_at="DescribeDBInstances PerformanceInsightsEnabled, PerformanceInsightsRetentionPeriod",
    findings=("rds.performance-insights",),
    ok="on",
    warn="off",
)
def rds_performance_insights(facts: RdsFacts) -> list[Finding]:
    """Without it a slow database cannot be explained."""
    db = facts.instance
    if db.performance_insights:
        days = db.performance_insights_days
        title = "Performance Insights on" + (f" ({days} days retention)" if days else "")
        return [Finding("rds.performance-insights", Status.OK, title)]
    return [
        Finding(
            "rds.performance-insights",
            Status.WARN,
            "Performance Insights is off",
            cause="Without it a slow or saturated database cannot be explained (top SQL, wait events).",
            remediation="Set performance_insights_enabled = true (7 days retention is free).",
        )
    ]


@check(
    "rds.parameter-group",
    kind="rds-instance",
    order=120,
    title="parameter groups applied",
    looks_at="DescribeDBInstances DBParameterGroups[].ParameterApplyStatus",
    findings=("rds.parameter-group",),
    ok="in-sync",
    warn="pending-reboot / applying",
)
def rds_parameter_group(facts: RdsFacts) -> list[Finding]:
    """Static parameters wait for a reboot."""
    groups = facts.instance.parameter_groups
    stale = [(name, status) for name, status in groups if status != "in-sync"]
    if stale:
        return [
            Finding(
                "rds.parameter-group",
                Status.WARN,
                ", ".join(f"{name} is {status}" for name, status in stale),
                cause="Static parameters changed but the instance has not been rebooted: the running values differ "
                "from the parameter group.",
                remediation="Reboot the instance in a quiet hour (aws rds reboot-db-instance) to apply them.",
            )
        ]
    names = ", ".join(name for name, _ in groups) or "none"
    return [Finding("rds.parameter-group", Status.OK, f"parameter group {names} in sync")]
