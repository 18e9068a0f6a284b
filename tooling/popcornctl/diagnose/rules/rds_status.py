"""RDS DB instance statuses (DescribeDBInstances ``DBInstanceStatus``)."""

from __future__ import annotations

from popcornctl.diagnose.findings import Status
from popcornctl.diagnose.rules.model import Example, Rule, Source


def _status_rule(rule_id: str, status: Status, codes: set[str], title: str, cause: str, fix: str) -> Rule:
    return Rule(
        id=rule_id,
        source=Source.RDS_STATUS,
        status=status,
        title=title,
        cause=cause,
        remediation=fix,
        codes=frozenset(codes),
        examples=tuple(Example(code, code=code) for code in sorted(codes)),
    )


RDS_STATUS_RULES: tuple[Rule, ...] = (
    _status_rule(
        "rds.available", Status.OK, {"available"}, "available", "The instance accepts connections.", "Nothing to do."
    ),
    _status_rule(
        "rds.status-storage-full",
        Status.FAIL,
        {"storage-full"},
        "storage full",
        "The instance has no free storage; writes fail.",
        "Increase allocated_storage (and set max_allocated_storage).",
    ),
    _status_rule(
        "rds.stopped",
        Status.FAIL,
        {"stopped", "stopping"},
        "stopped",
        "The instance is stopped (it restarts by itself after 7 days).",
        "Start it: aws rds start-db-instance --db-instance-identifier <id>.",
    ),
    _status_rule(
        "rds.broken",
        Status.FAIL,
        {
            "failed",
            "incompatible-network",
            "incompatible-option-group",
            "incompatible-parameters",
            "incompatible-restore",
            "incompatible-credentials",
            "inaccessible-encryption-credentials",
            "inaccessible-encryption-credentials-recoverable",
            "restore-error",
            "insufficient-capacity",
            "deleting",
        },
        "not usable",
        "The instance is in a failed, incompatible or inaccessible state.",
        "Read the recent RDS events for the reason; fix the parameter group, subnet group or KMS key it names.",
    ),
    _status_rule(
        "rds.busy",
        Status.WARN,
        {
            "backing-up",
            "modifying",
            "upgrading",
            "maintenance",
            "rebooting",
            "starting",
            "renaming",
            "resetting-master-credentials",
            "storage-optimization",
            "configuring-enhanced-monitoring",
            "configuring-iam-database-auth",
            "configuring-log-exports",
            "creating",
            "converting-to-vpc",
            "moving-to-vpc",
            "storage-config-upgrade",
            "storage-initialization",
        },
        "busy (a change or maintenance is in progress)",
        "RDS is applying a change; connections may drop (rebooting, upgrading) or performance dip (backing-up, "
        "storage-optimization).",
        "Wait for 'available'; schedule changes in the maintenance window.",
    ),
)
