"""ElastiCache replication groups: member clusters, read-back, modify and delete as AWS does them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from popcornctl.sandbox.extensions import Kind, extension
from popcornctl.sandbox.extensions.elasticache.base import (
    MOTO,
    _action,
    _arn,
    _backend_cls,
    _fault,
    _parameter_group,
    _record_event,
    _result,
)

# -- replication groups: members, read-back, modify, delete ---------------------------------------------------


class MemberCluster:
    """A node of a cluster-mode-disabled replication group, as DescribeCacheClusters lists it: its settings are
    the group's (AWS keeps them in step), read through at every describe."""

    def __init__(self, group: Any, cluster_id: str, az: str, backend: Any) -> None:
        self.group = group
        self.cache_cluster_id = cluster_id
        self.preferred_availability_zone = az
        self.arn = _arn(backend, "cluster", cluster_id)
        self.cache_cluster_create_time = datetime.now(UTC)
        self.cache_cluster_status = "available"
        self.num_cache_nodes = 1
        self.replication_group_id = group.replication_group_id
        self.cache_node_id = "0001"
        self.tags: list[dict[str, str]] = []

    def __getattr__(self, name: str) -> Any:
        # Everything the group also has (engine, node type, windows, encryption, subnet group...) is the group's.
        if name == "group":
            raise AttributeError(name)
        return getattr(self.group, name)

    def describe(self, show_nodes: bool) -> dict[str, Any]:
        g = self.group
        major = str(g.engine_version or "8").split(".")[0]
        parameter_group = g.cache_parameter_group_name or f"default.{g.engine}{major}"
        found: dict[str, Any] = {
            "CacheClusterId": self.cache_cluster_id,
            "CacheNodeType": g.cache_node_type,
            "Engine": g.engine,
            "EngineVersion": _full_version(g.engine_version),
            "CacheClusterStatus": self.cache_cluster_status,
            "NumCacheNodes": 1,
            "PreferredAvailabilityZone": self.preferred_availability_zone,
            "CacheClusterCreateTime": self.cache_cluster_create_time,
            "PreferredMaintenanceWindow": g.preferred_maintenance_window,
            "CacheSecurityGroups": [],
            "CacheParameterGroup": {
                "CacheParameterGroupName": parameter_group,
                "ParameterApplyStatus": "in-sync",
                "CacheNodeIdsToReboot": [],
            },
            "CacheSubnetGroupName": g.cache_subnet_group_name,
            "AutoMinorVersionUpgrade": g.auto_minor_version_upgrade is not False,
            "SecurityGroups": [{"SecurityGroupId": s, "Status": "active"} for s in g.security_group_ids or []],
            "ReplicationGroupId": g.replication_group_id,
            "SnapshotRetentionLimit": g.snapshot_retention_limit,
            "SnapshotWindow": g.snapshot_window,
            "AuthTokenEnabled": g.auth_token_enabled,
            "TransitEncryptionEnabled": g.transit_encryption_enabled,
            "AtRestEncryptionEnabled": g.at_rest_encryption_enabled,
            "ARN": self.arn,
            "ReplicationGroupLogDeliveryEnabled": bool(g.log_delivery_configurations),
            "LogDeliveryConfigurations": g.log_delivery_configurations,
            "NetworkType": g.network_type,
            "IpDiscovery": g.ip_discovery,
            "TransitEncryptionMode": g.transit_encryption_mode,
        }
        if g.notification_topic_arn:
            found["NotificationConfiguration"] = {"TopicArn": g.notification_topic_arn, "TopicStatus": "active"}
        if show_nodes:
            found["CacheNodes"] = [
                {
                    "CacheNodeId": "0001",
                    "CacheNodeStatus": "available",
                    "CacheNodeCreateTime": self.cache_cluster_create_time,
                    "Endpoint": {"Address": f"{self.cache_cluster_id}.{_domain(g)}", "Port": g.port},
                    "ParameterGroupStatus": "in-sync",
                    "CustomerAvailabilityZone": self.preferred_availability_zone,
                }
            ]
        return found


def _full_version(version: str | None) -> str:
    """ElastiCache runs the newest patch of the requested major.minor ("8.0" -> "8.0.1")."""
    if not version:
        return "8.0.1"
    return version if version.count(".") >= 2 else f"{version}.1"


def _domain(group: Any) -> str:
    return str(group.node_groups[0]["primary_endpoint_address"]).removeprefix("master.")


def _subnet_azs(backend: Any, subnet_group: str | None) -> list[str]:
    found = backend.cache_subnet_groups.get(subnet_group) if subnet_group else None
    azs = [s.get("subnet_availability_zone") for s in (found.subnets if found else [])]
    return sorted({a for a in azs if isinstance(a, str)}) or [f"{backend.region_name}a"]


def _place_members(backend: Any, group: Any, count: int, preferred: list[str]) -> None:
    """``count`` nodes named "<group>-001".., the first primary, spread over the subnet group's AZs (or the
    preferred AZs), each a DescribeCacheClusters-visible cache cluster."""
    azs = _subnet_azs(backend, group.cache_subnet_group_name)
    node_group = group.node_groups[0]
    members = []
    group.member_clusters.clear()
    for i in range(count):
        cluster_id = f"{group.replication_group_id}-{i + 1:03d}"
        az = preferred[i] if i < len(preferred) else azs[i % len(azs)]
        members.append(
            {
                "cache_cluster_id": cluster_id,
                "cache_node_id": "0001",
                "read_endpoint": {"address": f"{cluster_id}.{_domain(group)}", "port": group.port},
                "preferred_availability_zone": az,
                "current_role": "primary" if i == 0 else "replica",
            }
        )
        group.member_clusters.append(cluster_id)
        backend.cache_clusters[cluster_id] = MemberCluster(group, cluster_id, az, backend)
    node_group["node_group_members"] = members
    node_group["reader_endpoint"] = {"address": node_group["reader_endpoint_address"], "port": group.port}
    group.snapshotting_cluster_id = group.member_clusters[-1] if group.snapshot_retention_limit else None


@extension(
    "elasticache.replication_group_members",
    kind=Kind.READBACK,
    summary="a cluster-mode-disabled replication group has NumCacheClusters members (in the subnet group's AZs), "
    "each a cache cluster DescribeCacheClusters lists with the group's settings, its nodes and endpoints",
    moto_lacks=MOTO,
)
def install_replication_group_members() -> None:
    """AWS creates one cache cluster per node ("<group>-001" primary, then replicas), lists them in MemberClusters
    and NodeGroupMembers and answers DescribeCacheClusters for each (the provider reads the parameter group,
    security groups, maintenance window, notification topic and engine version from the first member). Transit
    encryption without a mode is "required"; an unknown parameter or subnet group is refused."""
    backend_cls = _backend_cls()
    original = backend_cls.create_replication_group

    def create_replication_group(self: Any, **kwargs: Any) -> Any:
        parameter_group = kwargs.get("cache_parameter_group_name")
        if parameter_group:
            _parameter_group(self, parameter_group)
        subnet_group = kwargs.get("cache_subnet_group_name")
        if subnet_group and subnet_group not in self.cache_subnet_groups:
            raise _fault("CacheSubnetGroupNotFoundFault", f"CacheSubnetGroup {subnet_group} not found.")
        if kwargs.get("transit_encryption_enabled") and not kwargs.get("transit_encryption_mode"):
            kwargs["transit_encryption_mode"] = "required"
        group = original(self, **kwargs)
        if group.cluster_mode != "enabled":
            count = kwargs.get("num_cache_clusters") or (kwargs.get("replicas_per_node_group") or 0) + 1
            _place_members(self, group, count, list(kwargs.get("preferred_cache_cluster_azs") or []))
            for member in group.member_clusters:
                _record_event(self, "cache-cluster", member, "Cache cluster created")
        return group

    backend_cls.create_replication_group = create_replication_group

    @_action("describe_cache_clusters")
    def describe_cache_clusters(self: Any) -> Any:
        backend = self.elasticache_backend
        show_nodes = bool(self._get_bool_param("ShowCacheNodeInfo"))
        outside_only = bool(self._get_bool_param("ShowCacheClustersNotInReplicationGroups"))
        found = backend.describe_cache_clusters(cache_cluster_id=self._get_param("CacheClusterId"))
        rows = [
            c.describe(show_nodes) if isinstance(c, MemberCluster) else c
            for c in found
            if not (outside_only and getattr(c, "replication_group_id", None))
        ]
        return _result({"CacheClusters": rows})


def _log_delivery(configs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The configurations as AWS reports them: enabled ones active, without the request-only Enabled flag."""
    return [
        {
            **{k: v for k, v in c.items() if k != "Enabled"},
            "Status": "active",
            "Message": "Log delivery configuration is active.",
        }
        for c in configs
        if c.get("Enabled", True) not in (False, "false")
    ]


@extension(
    "elasticache.replication_group_modify",
    kind=Kind.OPERATION,
    summary="ModifyReplicationGroup applies every setting the provider changes (windows, parameter and security "
    "groups, notification topic, AUTH token rotation, log delivery, engine version...), not only five",
    moto_lacks=MOTO,
)
def install_replication_group_modify() -> None:
    """AWS applies a ModifyReplicationGroup to the group and its members; moto 5.2.5 only takes the description,
    engine, node type, failover/Multi-AZ and snapshot retention. Changes apply at once here (AWS defers some to the
    maintenance window unless ApplyImmediately)."""

    @_action("modify_replication_group")
    def modify(self: Any) -> Any:
        backend = self.elasticache_backend
        group_id = self._get_param("ReplicationGroupId")
        if group_id not in backend.replication_groups:
            from moto.elasticache.exceptions import ReplicationGroupNotFound

            raise ReplicationGroupNotFound(group_id)
        group = backend.replication_groups[group_id]
        p = self._get_params()
        if (name := p.get("CacheParameterGroupName")) is not None:
            _parameter_group(backend, name)
            group.cache_parameter_group_name = name
        simple = {
            "ReplicationGroupDescription": "description",
            "PreferredMaintenanceWindow": "preferred_maintenance_window",
            "SnapshotWindow": "snapshot_window",
            "CacheNodeType": "cache_node_type",
            "EngineVersion": "engine_version",
            "Engine": "engine",
            "SecurityGroupIds": "security_group_ids",
            "IpDiscovery": "ip_discovery",
            "TransitEncryptionMode": "transit_encryption_mode",
        }
        for key, attr in simple.items():
            if p.get(key) is not None:
                setattr(group, attr, p[key])
        if p.get("NotificationTopicArn") is not None:
            group.notification_topic_arn = p["NotificationTopicArn"] or None
        for key, attr in (("AutomaticFailoverEnabled", "automatic_failover"), ("MultiAZEnabled", "multi_az")):
            if (flag := self._get_bool_param(key)) is not None:
                setattr(group, attr, "enabled" if flag else "disabled")
        for key, attr in (
            ("AutoMinorVersionUpgrade", "auto_minor_version_upgrade"),
            ("TransitEncryptionEnabled", "transit_encryption_enabled"),
        ):
            if (flag := self._get_bool_param(key)) is not None:
                setattr(group, attr, flag)
        if (limit := self._get_int_param("SnapshotRetentionLimit")) is not None:
            group.snapshot_retention_limit = limit
        if p.get("AuthToken") is not None or p.get("AuthTokenUpdateStrategy") is not None:
            group.auth_token_enabled = p.get("AuthTokenUpdateStrategy") != "DELETE"
            group.auth_token_last_modified_date = datetime.now(UTC)
        if p.get("LogDeliveryConfigurations") is not None:
            changed = {c["LogType"]: c for c in p["LogDeliveryConfigurations"]}
            kept = [c for c in group.log_delivery_configurations if c.get("LogType") not in changed]
            group.log_delivery_configurations = kept + _log_delivery(changed.values())
        return _result({"ReplicationGroup": group})


@extension(
    "elasticache.replication_group_delete",
    kind=Kind.OPERATION,
    summary="DeleteReplicationGroup removes the group and its member clusters (moto keeps it 'deleting' forever) "
    "and takes the FinalSnapshotIdentifier snapshot first",
    moto_lacks=MOTO,
)
def install_replication_group_delete() -> None:
    """AWS takes the final snapshot, deletes the members, then the group disappears from
    DescribeReplicationGroups (the provider waits for ReplicationGroupNotFoundFault)."""

    @_action("delete_replication_group")
    def delete(self: Any) -> Any:
        backend = self.elasticache_backend
        group_id = self._get_param("ReplicationGroupId")
        if group_id not in backend.replication_groups:
            from moto.elasticache.exceptions import ReplicationGroupNotFound

            raise ReplicationGroupNotFound(group_id)
        if final := self._get_param("FinalSnapshotIdentifier"):
            backend.create_snapshot(
                snapshot_name=final, replication_group_id=group_id, cache_cluster_id=None, kms_key_id=None, tags=None
            )
        group = backend.replication_groups.pop(group_id)
        for member in group.member_clusters:
            backend.cache_clusters.pop(member, None)
        backend.tagging_service.delete_all_tags_for_resource(group.arn)
        group.status = "deleting"
        _record_event(backend, "replication-group", group_id, f"Replication group {group_id} deleted")
        return _result({"ReplicationGroup": group})
