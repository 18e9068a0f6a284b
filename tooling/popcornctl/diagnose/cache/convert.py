"""ElastiCache API responses as typed facts (pure)."""

from __future__ import annotations

from typing import Any

from popcornctl.diagnose.cache.facts import CacheEvent, Endpoint, Member, Node, ReplicationGroup


def _endpoint(raw: dict[str, Any] | None) -> Endpoint | None:
    if not raw or not raw.get("Address"):
        return None
    return Endpoint(str(raw["Address"]), int(raw.get("Port") or 0))


def _set(value: Any) -> bool:
    return value not in (None, [], {}, "")


def replication_group(raw: dict[str, Any]) -> ReplicationGroup:
    """DescribeReplicationGroups ``ReplicationGroups[]``."""
    groups = raw.get("NodeGroups") or []
    first = groups[0] if groups else {}
    members = tuple(
        Member(
            id=str(m.get("CacheClusterId")),
            role=m.get("CurrentRole"),
            az=m.get("PreferredAvailabilityZone"),
        )
        for g in groups
        for m in g.get("NodeGroupMembers", [])
    )
    pending = raw.get("PendingModifiedValues") or {}
    return ReplicationGroup(
        id=str(raw["ReplicationGroupId"]),
        arn=raw.get("ARN"),
        status=str(raw.get("Status", "?")),
        engine=str(raw.get("Engine", "")),
        node_type=str(raw.get("CacheNodeType", "")),
        automatic_failover=str(raw.get("AutomaticFailover", "disabled")),
        multi_az=str(raw.get("MultiAZ", "disabled")),
        cluster_mode=str(raw.get("ClusterMode") or ("enabled" if raw.get("ClusterEnabled") else "disabled")),
        transit_encryption=bool(raw.get("TransitEncryptionEnabled")),
        transit_mode=raw.get("TransitEncryptionMode"),
        at_rest_encryption=bool(raw.get("AtRestEncryptionEnabled")),
        auth_token=bool(raw.get("AuthTokenEnabled")),
        user_groups=tuple(str(g) for g in raw.get("UserGroupIds") or []),
        primary=_endpoint(first.get("PrimaryEndpoint")),
        reader=_endpoint(first.get("ReaderEndpoint")),
        configuration=_endpoint(raw.get("ConfigurationEndpoint")),
        members=members,
        member_ids=tuple(str(m) for m in raw.get("MemberClusters") or []),
        pending=tuple((str(k), str(v)) for k, v in pending.items() if _set(v)),
    )


def node(raw: dict[str, Any]) -> Node:
    """DescribeCacheClusters ``CacheClusters[]`` (ShowCacheNodeInfo)."""
    return Node(
        id=str(raw["CacheClusterId"]),
        status=str(raw.get("CacheClusterStatus", "?")),
        az=raw.get("PreferredAvailabilityZone"),
        engine_version=str(raw.get("EngineVersion", "")),
        security_groups=tuple(
            str(g["SecurityGroupId"]) for g in raw.get("SecurityGroups") or [] if g.get("SecurityGroupId")
        ),
        subnet_group=raw.get("CacheSubnetGroupName"),
        parameter_status=str((raw.get("CacheParameterGroup") or {}).get("ParameterApplyStatus", "")),
        node_statuses=tuple(str(n.get("CacheNodeStatus", "?")) for n in raw.get("CacheNodes") or []),
    )


def event(raw: dict[str, Any]) -> CacheEvent:
    """DescribeEvents ``Events[]``."""
    return CacheEvent(source=str(raw.get("SourceIdentifier", "")), message=str(raw.get("Message", "")),
                      date=raw.get("Date"))
