"""Typed facts of ``diagnose cache``: one Valkey (or Redis OSS) replication group, its nodes, and its clients."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from popcornctl.diagnose.cloudwatch import MetricAlarm
from popcornctl.diagnose.facts import Gap
from popcornctl.diagnose.services import EcsServices
from popcornctl.diagnose.vpc.facts import SecurityGroup, SubnetRoute
from popcornctl.diagnose.window import Window

DEFAULT_PORT = 6379
# metric series per node: key -> (metric, statistic as the monitoring module's alarms use it)
METRICS = {
    "cpu": ("EngineCPUUtilization", "Average"),
    "memory": ("DatabaseMemoryUsagePercentage", "Average"),
    "evictions": ("Evictions", "Sum"),
    "connections": ("CurrConnections", "Maximum"),
    "lag": ("ReplicationLag", "Maximum"),
}


def series_key(metric: str, node: str) -> str:
    """The key of one node's series, e.g. 'cpu@goorm-popcorn-dev-valkey-001'."""
    return f"{metric}@{node}"


@dataclass(frozen=True)
class Endpoint:
    """An endpoint address and port."""

    address: str
    port: int


@dataclass(frozen=True)
class Member:
    """A node as the replication group lists it (NodeGroups[].NodeGroupMembers[])."""

    id: str  # CacheClusterId
    role: str | None = None  # primary | replica
    az: str | None = None


@dataclass(frozen=True)
class ReplicationGroup:
    """DescribeReplicationGroups."""

    id: str
    arn: str | None = None
    status: str = "?"  # creating | available | modifying | deleting | create-failed | snapshotting
    engine: str = ""
    node_type: str = ""
    automatic_failover: str = "disabled"  # enabled | disabled | enabling | disabling
    multi_az: str = "disabled"
    cluster_mode: str = "disabled"
    transit_encryption: bool = False
    transit_mode: str | None = None  # preferred | required
    at_rest_encryption: bool = False
    auth_token: bool = False
    user_groups: tuple[str, ...] = ()
    primary: Endpoint | None = None
    reader: Endpoint | None = None
    configuration: Endpoint | None = None  # cluster mode enabled
    members: tuple[Member, ...] = ()
    member_ids: tuple[str, ...] = ()  # MemberClusters
    pending: tuple[tuple[str, str], ...] = ()  # PendingModifiedValues that are set

    @property
    def port(self) -> int:
        """The port clients connect to."""
        endpoint = self.primary or self.configuration or self.reader
        return endpoint.port if endpoint else DEFAULT_PORT

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every endpoint address a client may use."""
        return tuple(e.address for e in (self.primary, self.reader, self.configuration) if e)


@dataclass(frozen=True)
class Node:
    """DescribeCacheClusters (with node info) for one member."""

    id: str
    status: str = "?"  # available | creating | modifying | rebooting cluster nodes | incompatible-network | ...
    az: str | None = None
    engine_version: str = ""
    security_groups: tuple[str, ...] = ()
    subnet_group: str | None = None
    parameter_status: str = ""  # in-sync | applying | pending-reboot
    node_statuses: tuple[str, ...] = ()  # CacheNodes[].CacheNodeStatus


@dataclass(frozen=True)
class CacheEvent:
    """DescribeEvents for the group or one of its nodes."""

    source: str
    message: str
    date: datetime | None = None


@dataclass(frozen=True)
class CacheFacts:
    """Everything one ``diagnose cache`` run read. Checks take it as their subject."""

    group: ReplicationGroup
    window: Window
    prod: bool = False
    nodes: tuple[Node, ...] = ()
    metrics: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # by series_key
    period: int = 60
    alarms: tuple[MetricAlarm, ...] = ()  # every AWS/ElastiCache alarm (their thresholds)
    events: tuple[CacheEvent, ...] = ()
    services: EcsServices = field(default_factory=EcsServices)
    cache_groups: tuple[SecurityGroup, ...] = ()  # the nodes' security groups
    service_groups: tuple[SecurityGroup, ...] = ()  # the services' security groups
    service_routes: Mapping[str, SubnetRoute] = field(default_factory=dict)  # the services' subnets
    gaps: Mapping[str, Gap] = field(default_factory=dict)

    def series(self, metric: str, node: str) -> tuple[float, ...]:
        """One node's datapoints for ``metric`` (a key of METRICS)."""
        return self.metrics.get(series_key(metric, node), ())

    @property
    def node_ids(self) -> tuple[str, ...]:
        """The group's nodes (members, else what DescribeCacheClusters found)."""
        return self.group.member_ids or tuple(n.id for n in self.nodes)
