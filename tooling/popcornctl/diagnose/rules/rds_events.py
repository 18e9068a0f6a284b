"""RDS events (DescribeEvents ``Events[].Message``)."""

from __future__ import annotations

from popcornctl.diagnose.findings import Status
from popcornctl.diagnose.rules.model import Example, Rule, Source

RDS_EVENT_RULES: tuple[Rule, ...] = (
    Rule(
        id="rds.storage-full",
        source=Source.RDS_EVENT,
        status=Status.FAIL,
        title="the database ran out of storage",
        cause="FreeStorageSpace reached zero (RDS-EVENT-0007 / 0221): writes fail and the instance may stop.",
        remediation="Increase allocated_storage now, and set max_allocated_storage to enable storage autoscaling.",
        pattern=r"storage-full threshold|Allocated storage has been exhausted",
        examples=(
            Example(
                "DB instance has reached the storage-full threshold, and the database has been shut down. You can "
                "increase the allocated storage to address this issue."
            ),
            Example("Allocated storage has been exhausted. Allocate additional storage to resolve."),
        ),
    ),
    Rule(
        id="rds.storage-low",
        source=Source.RDS_EVENT,
        status=Status.WARN,
        title="the database is low on storage",
        cause="More than 90% of the allocated storage is used (RDS-EVENT-0089).",
        remediation="Increase allocated_storage or set max_allocated_storage (autoscaling); find what grows "
        "(tables, WAL from a stuck replication slot, temp files).",
        pattern=r"free storage capacity for DB instance",
        examples=(
            Example(
                "The free storage capacity for DB instance: goorm-popcorn-prod-postgres is low at 7% of the "
                "provisioned storage [Provisioned Storage: 100 GB, Free Storage: 7 GB]. You may want to increase "
                "the provisioned storage to address this issue."
            ),
        ),
    ),
    Rule(
        id="rds.failover",
        source=Source.RDS_EVENT,
        status=Status.WARN,
        title="a Multi-AZ failover happened",
        cause="The primary became unhealthy or unreachable (or a reboot with failover was requested) and the "
        "standby took over; connections were dropped for about a minute.",
        remediation="Check the events around it for the reason; make the app reconnect and keep DNS TTL short "
        "(JVM networkaddress.cache.ttl).",
        pattern=r"Multi-AZ instance failover|failover to standby",
        examples=(
            Example("Multi-AZ instance failover started."),
            Example("Multi-AZ instance failover completed."),
        ),
    ),
    Rule(
        id="rds.reboot",
        source=Source.RDS_EVENT,
        status=Status.WARN,
        title="the database restarted",
        cause="A reboot (requested, maintenance, parameter change, or recovery) interrupted connections.",
        remediation="Check whether it was planned (maintenance window, pending-reboot parameters); otherwise see "
        "the events before it.",
        pattern=r"DB instance restarted|DB instance shutdown",
        examples=(Example("DB instance restarted."), Example("DB instance shutdown.")),
    ),
    Rule(
        id="rds.recovery",
        source=Source.RDS_EVENT,
        status=Status.WARN,
        title="the database went through recovery",
        cause="RDS detected a failure and recovered the instance.",
        remediation="Check FreeableMemory and storage around the event; consider Multi-AZ.",
        pattern=r"Recovery of the DB instance has started|Multi-AZ instance recovery started",
        examples=(
            Example(
                "Recovery of the DB instance has started. Recovery time will vary with the amount of data to be "
                "recovered."
            ),
        ),
    ),
    Rule(
        id="rds.incompatible",
        source=Source.RDS_EVENT,
        status=Status.FAIL,
        title="the database is in an incompatible state",
        cause="Invalid parameters (e.g. memory settings too high for the class) or an invalid network "
        "(subnets deleted or out of addresses).",
        remediation="incompatible-parameters: reset the offending parameters in the parameter group and reboot; "
        "incompatible-network: fix the subnet group, then start the instance.",
        pattern=r"incompatible-(parameters|network)",
        examples=(Example("Database instance put into incompatible-parameters."),),
    ),
    Rule(
        id="rds.kms",
        source=Source.RDS_EVENT,
        status=Status.FAIL,
        title="the database cannot use its KMS key",
        cause="The storage encryption key is disabled, scheduled for deletion, or its policy denies RDS.",
        remediation="Re-enable the key (or cancel its deletion) and restore its key policy; RDS recovers when it can "
        "use the key again.",
        pattern=r"unable to access the KMS encryption key",
        examples=(
            Example(
                "Amazon RDS is unable to access the KMS encryption key for database instance "
                "goorm-popcorn-prod-postgres. This is likely due to the key being disabled or Amazon RDS being "
                "unable to access it. If this continues the database will be placed into an inaccessible state. "
                "Please refer to the troubleshooting section in the Amazon RDS documentation for further details."
            ),
        ),
    ),
)
