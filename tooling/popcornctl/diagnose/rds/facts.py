"""Typed facts of ``diagnose rds``: what the fetch step read about one DB instance (no AWS, no judgement)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from popcornctl.diagnose.cloudwatch import Alarm
from popcornctl.diagnose.facts import Gap
from popcornctl.diagnose.vpc.facts import NetworkAcl, SecurityGroup, SubnetRoute
from popcornctl.diagnose.window import Window

DEFAULT_PORT = 5432


@dataclass(frozen=True)
class Instance:
    """DescribeDBInstances."""

    id: str
    arn: str | None = None
    engine: str = ""
    engine_version: str = ""
    instance_class: str = ""
    status: str = "?"
    address: str | None = None
    endpoint_port: int | None = None
    db_port: int | None = None  # DbInstancePort
    multi_az: bool = False
    az: str | None = None
    secondary_az: str | None = None
    allocated: int = 0  # GiB
    max_allocated: int = 0  # GiB, 0 without storage autoscaling
    storage_type: str = ""
    publicly_accessible: bool = False
    vpc_id: str | None = None
    subnet_group: str | None = None
    subnets: tuple[tuple[str, str], ...] = ()  # (subnet id, availability zone)
    security_groups: tuple[str, ...] = ()
    backup_retention: int = 0
    backup_window: str | None = None
    latest_restorable: datetime | None = None
    performance_insights: bool = False
    performance_insights_days: int | None = None
    parameter_groups: tuple[tuple[str, str], ...] = ()  # (name, ParameterApplyStatus)
    pending: tuple[tuple[str, str], ...] = ()  # PendingModifiedValues that are set
    maintenance_window: str | None = None
    secret_arn: str | None = None  # MasterUserSecret.SecretArn
    secret_status: str | None = None

    @property
    def port(self) -> int:
        """The port clients connect to."""
        return self.endpoint_port or self.db_port or DEFAULT_PORT

    @property
    def subnet_ids(self) -> list[str]:
        """The DB subnet group's subnets."""
        return [s for s, _ in self.subnets]


@dataclass(frozen=True)
class Metrics:
    """CloudWatch AWS/RDS datapoints over the window (one GetMetricData call)."""

    free_min: tuple[float, ...] = ()  # FreeStorageSpace Minimum, bytes
    cpu_avg: tuple[float, ...] = ()
    cpu_max: tuple[float, ...] = ()
    conn_max: tuple[float, ...] = ()
    read_lat: tuple[float, ...] = ()  # seconds
    write_lat: tuple[float, ...] = ()
    mem_min: tuple[float, ...] = ()  # FreeableMemory Minimum, bytes


@dataclass(frozen=True)
class RdsEvent:
    """DescribeEvents for the instance."""

    message: str
    date: datetime | None = None


@dataclass(frozen=True)
class Secret:
    """The RDS-managed master user secret (DescribeSecret); ``exists`` False when it is gone."""

    exists: bool = True
    rotation_enabled: bool = False
    rotation_days: int | None = None
    last_rotated: datetime | None = None
    deleted: bool = False


@dataclass(frozen=True)
class EcsSide:
    """Where the ECS services connect from: their security groups and subnets, and how they were found."""

    security_groups: tuple[str, ...] = ()
    subnets: tuple[str, ...] = ()
    source: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RdsFacts:
    """Everything one ``diagnose rds`` run read. Checks take it as their subject."""

    instance: Instance
    window: Window
    prod: bool = False
    metrics: Metrics = field(default_factory=Metrics)
    events: tuple[RdsEvent, ...] = ()
    alarms: tuple[Alarm, ...] = ()  # those about the instance
    routes: Mapping[str, SubnetRoute] = field(default_factory=dict)  # of the DB subnets
    db_groups: tuple[SecurityGroup, ...] = ()
    group_names: Mapping[str, str] = field(default_factory=dict)  # id -> name of every group seen
    db_nacls: Mapping[str, NetworkAcl] = field(default_factory=dict)
    ecs: EcsSide = field(default_factory=EcsSide)
    ecs_groups: tuple[SecurityGroup, ...] = ()
    ecs_routes: Mapping[str, SubnetRoute] = field(default_factory=dict)
    ecs_nacls: Mapping[str, NetworkAcl] = field(default_factory=dict)
    secret: Secret | None = None  # None when the password is not managed by Secrets Manager
    gaps: Mapping[str, Gap] = field(default_factory=dict)
