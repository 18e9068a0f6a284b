"""RDS: encrypted, never public, and in prod highly available, protected from deletion and backed up."""

from __future__ import annotations

from popcornctl.policy.api import UNKNOWN, Change, Context, Findings, fail, policy, unknown, unset_default

DB_TYPES = ("aws_db_instance", "aws_rds_cluster")
MIN_BACKUP_DAYS = 7


@policy(
    id="POP-RDS-001",
    title="RDS storage is encrypted at rest",
    severity="high",
    resource_types=DB_TYPES,
    rationale="The database holds every user's data; an unencrypted volume or snapshot leaks it to anyone "
    "who can read the storage or a shared snapshot. Encryption can only be chosen at creation.",
    remediation="Set storage_encrypted = true (with kms_key_id for a customer-managed key); existing "
    "instances need a snapshot-copy-restore to change.",
)
def rds_encrypted(change: Change, context: Context) -> Findings:
    value = change.get("storage_encrypted")
    if unset_default(change, context, "storage_encrypted"):
        yield fail("storage_encrypted is not set (defaults to unencrypted)", attribute="storage_encrypted")
    elif value is UNKNOWN:
        yield unknown("storage_encrypted is known only after apply", attribute="storage_encrypted")
    elif value is not True:
        yield fail("storage_encrypted is not true: the database is stored unencrypted", attribute="storage_encrypted")


@policy(
    id="POP-RDS-002",
    title="RDS instances are never publicly accessible",
    severity="critical",
    resource_types=("aws_db_instance", "aws_rds_cluster_instance"),
    rationale="A publicly accessible instance gets a public DNS name and address; one security-group "
    "mistake then exposes PostgreSQL to the internet. The services reach it from private subnets only.",
    remediation="Set publicly_accessible = false and keep the DB subnet group on private data subnets.",
)
def rds_not_public(change: Change, context: Context) -> Findings:
    value = change.get("publicly_accessible")
    if unset_default(change, context, "publicly_accessible"):
        return  # AWS defaults to private
    if value is UNKNOWN:
        yield unknown("publicly_accessible is known only after apply", attribute="publicly_accessible")
    elif value is True:
        yield fail("publicly_accessible = true: the database gets a public endpoint", attribute="publicly_accessible")


@policy(
    id="POP-RDS-003",
    title="Prod RDS is Multi-AZ",
    severity="high",
    resource_types=("aws_db_instance",),
    environments=("prod",),
    rationale="A single-AZ prod database is down for the whole outage of its AZ and during maintenance; "
    "Multi-AZ fails over to a standby in about a minute.",
    remediation="Set multi_az = true for prod (the dev profile stays single-AZ for cost).",
)
def rds_multi_az(change: Change, context: Context) -> Findings:
    value = change.get("multi_az")
    if unset_default(change, context, "multi_az"):
        yield fail("multi_az is not set (defaults to single-AZ) in prod", attribute="multi_az")
    elif value is UNKNOWN:
        yield unknown("multi_az is known only after apply", attribute="multi_az")
    elif value is not True:
        yield fail("multi_az is not true in prod: one AZ outage takes the database down", attribute="multi_az")


@policy(
    id="POP-RDS-004",
    title="Prod RDS has deletion protection",
    severity="high",
    resource_types=DB_TYPES,
    environments=("prod",),
    rationale="Deletion protection turns an accidental destroy (a bad plan, a console click) into an "
    "error instead of data loss.",
    remediation="Set deletion_protection = true for prod; turn it off deliberately before a planned removal.",
)
def rds_deletion_protection(change: Change, context: Context) -> Findings:
    value = change.get("deletion_protection")
    if unset_default(change, context, "deletion_protection"):
        yield fail("deletion_protection is not set (defaults to off) in prod", attribute="deletion_protection")
    elif value is UNKNOWN:
        yield unknown("deletion_protection is known only after apply", attribute="deletion_protection")
    elif value is not True:
        yield fail("deletion_protection is not true in prod", attribute="deletion_protection")


@policy(
    id="POP-RDS-005",
    title=f"Prod RDS keeps automated backups for at least {MIN_BACKUP_DAYS} days",
    severity="high",
    resource_types=DB_TYPES,
    environments=("prod",),
    rationale="Point-in-time recovery only reaches back as far as the backup retention; a bad migration "
    "noticed after a weekend needs a week of backups.",
    remediation=f"Set backup_retention_period = {MIN_BACKUP_DAYS} or more (and a backup_window outside peak hours).",
)
def rds_backups(change: Change, context: Context) -> Findings:
    value = change.get("backup_retention_period")
    if unset_default(change, context, "backup_retention_period"):
        yield fail(
            f"backup_retention_period is not set (AWS default: 1 day); prod needs {MIN_BACKUP_DAYS}",
            attribute="backup_retention_period",
        )
    elif value is UNKNOWN:
        yield unknown("backup_retention_period is known only after apply", attribute="backup_retention_period")
    elif not isinstance(value, int) or value < MIN_BACKUP_DAYS:
        yield fail(
            f"backup_retention_period = {value}; prod needs at least {MIN_BACKUP_DAYS} days",
            attribute="backup_retention_period",
        )
