"""ElastiCache events (DescribeEvents ``Events[].Message`` for the replication group and its nodes)."""

from __future__ import annotations

from popcornctl.diagnose.findings import Status
from popcornctl.diagnose.rules.model import Example, Rule, Source

NODE = "goorm-popcorn-prod-valkey-001"


def _event(rule_id: str, status: Status, title: str, cause: str, fix: str, pattern: str, *messages: str) -> Rule:
    return Rule(
        id=rule_id,
        source=Source.CACHE_EVENT,
        status=status,
        title=title,
        cause=cause,
        remediation=fix,
        pattern=pattern,
        examples=tuple(Example(m) for m in messages),
    )


CACHE_EVENT_RULES: tuple[Rule, ...] = (
    _event(
        "cache.no-free-ip",
        Status.FAIL,
        "a cache node could not be added: no free IP address",
        "The cache subnet group's subnets have no free addresses left (ElastiCache:AddCacheNodeFailed).",
        "Free addresses in the data subnets (`popcornctl diagnose network` lists them) or add subnets to the "
        "cache subnet group.",
        r"AddCacheNodeFailed|insufficient free IP",
        "ElastiCache:AddCacheNodeFailed : goorm-popcorn-prod-valkey",
    ),
    _event(
        "cache.provisioning-failed",
        Status.FAIL,
        "a cache cluster could not be provisioned (incompatible network state)",
        "The subnet group or VPC the cluster was launched into no longer exists (incompatible-network).",
        "Point the replication group at an existing cache subnet group and re-apply.",
        r"CacheClusterProvisioningFailed|incompatible network",
        "ElastiCache:CacheClusterProvisioningFailed : goorm-popcorn-prod-valkey",
    ),
    _event(
        "cache.scaling-failed",
        Status.FAIL,
        "a node type change failed",
        "ElastiCache could not move the nodes to the new node type (capacity, or too much data for the target "
        "type).",
        "Check the target node type has room for the data set, then apply the change again.",
        r"Failed applying modification to cache node type|ScalingFailed",
        "Failed applying modification to cache node type to cache.r7g.large.",
    ),
    _event(
        "cache.failover",
        Status.WARN,
        "the primary failed over to a replica",
        "The primary node failed (or was replaced for maintenance) and a replica was promoted; writes in flight "
        "at that moment were lost and clients reconnected.",
        "Nothing to do if it was maintenance; otherwise read the node's events and its EngineCPUUtilization and "
        "memory around the failover. Clients must use the primary endpoint, not a node's own address.",
        r"Failover from (primary|master) node \S+ to replica node \S+ completed|FailoverComplete",
        f"Failover from primary node {NODE} to replica node goorm-popcorn-prod-valkey-002 completed",
        "ElastiCache:FailoverComplete : goorm-popcorn-prod-valkey",
    ),
    _event(
        "cache.recovering",
        Status.WARN,
        "cache nodes were being recovered",
        "ElastiCache replaced a node whose host was degraded or unreachable (its data is re-synced from the "
        "primary, or lost on a single-node cache).",
        "Nothing to do once 'Finished recovery' follows; with a single node, consider a replica "
        "(num_cache_clusters = 2).",
        r"Recovering cache nodes|CacheNodeReplaceStarted",
        "Recovering cache nodes 0001",
        "ElastiCache:CacheNodeReplaceStarted : goorm-popcorn-prod-valkey-001",
    ),
    _event(
        "cache.restarted",
        Status.WARN,
        "a cache node restarted",
        "The engine restarted (a reboot, a parameter change needing one, or a crash): its connections dropped.",
        "If nobody rebooted it, check the node's memory (DatabaseMemoryUsagePercentage) and the engine log.",
        r"Cache node \S+ restarted|CacheNodesRebooted",
        "Cache node 0001 restarted",
    ),
    _event(
        "cache.snapshot-failed",
        Status.WARN,
        "a snapshot failed",
        "The daily backup did not complete (often memory pressure while forking).",
        "Keep memory use well under the node's size (reserved-memory-percent) or move the snapshot window.",
        r"SnapshotFailed|Snapshot failed",
        "SnapshotFailed : goorm-popcorn-prod-valkey",
    ),
    _event(
        "cache.recovered",
        Status.OK,
        "node recovery finished",
        "A node replacement completed.",
        "Nothing to do.",
        r"Finished recovery for cache nodes|CacheNodeReplaceComplete",
        "Finished recovery for cache nodes 0001",
    ),
    _event(
        "cache.test-failover",
        Status.OK,
        "a failover was tested on purpose",
        "Someone called TestFailover.",
        "Nothing to do.",
        r"Test Failover API called",
        "Test Failover API called for node group 0001",
    ),
)
