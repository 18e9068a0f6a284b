"""RDS API responses as typed facts (pure)."""

from __future__ import annotations

from typing import Any

from popcornctl.diagnose.rds.facts import Instance


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def instance(db: dict[str, Any]) -> Instance:
    """DescribeDBInstances ``DBInstances[]``."""
    endpoint = db.get("Endpoint") or {}
    group = db.get("DBSubnetGroup") or {}
    secret = db.get("MasterUserSecret") or {}
    pending = {k: v for k, v in (db.get("PendingModifiedValues") or {}).items() if v not in (None, [], {})}
    return Instance(
        id=str(db["DBInstanceIdentifier"]),
        arn=db.get("DBInstanceArn"),
        engine=str(db.get("Engine", "")),
        engine_version=str(db.get("EngineVersion", "")),
        instance_class=str(db.get("DBInstanceClass", "")),
        status=str(db.get("DBInstanceStatus", "?")),
        address=endpoint.get("Address"),
        endpoint_port=_int(endpoint.get("Port")),
        db_port=_int(db.get("DbInstancePort")) or None,
        multi_az=bool(db.get("MultiAZ")),
        az=db.get("AvailabilityZone"),
        secondary_az=db.get("SecondaryAvailabilityZone"),
        allocated=int(db.get("AllocatedStorage") or 0),
        max_allocated=int(db.get("MaxAllocatedStorage") or 0),
        storage_type=str(db.get("StorageType", "")),
        publicly_accessible=bool(db.get("PubliclyAccessible")),
        vpc_id=group.get("VpcId"),
        subnet_group=group.get("DBSubnetGroupName"),
        subnets=tuple(
            (str(s["SubnetIdentifier"]), str((s.get("SubnetAvailabilityZone") or {}).get("Name")))
            for s in group.get("Subnets", [])
        ),
        security_groups=tuple(str(g["VpcSecurityGroupId"]) for g in db.get("VpcSecurityGroups", [])),
        backup_retention=int(db.get("BackupRetentionPeriod") or 0),
        backup_window=db.get("PreferredBackupWindow"),
        latest_restorable=db.get("LatestRestorableTime"),
        performance_insights=bool(db.get("PerformanceInsightsEnabled")),
        performance_insights_days=db.get("PerformanceInsightsRetentionPeriod"),
        parameter_groups=tuple(
            (str(g.get("DBParameterGroupName")), str(g.get("ParameterApplyStatus")))
            for g in db.get("DBParameterGroups", [])
        ),
        pending=tuple((str(k), str(v)) for k, v in pending.items()),
        maintenance_window=db.get("PreferredMaintenanceWindow"),
        secret_arn=secret.get("SecretArn"),
        secret_status=secret.get("SecretStatus"),
    )
