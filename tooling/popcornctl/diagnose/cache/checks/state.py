"""Is the cache up, can it fail over, and what did ElastiCache report about it?"""

from __future__ import annotations

from popcornctl.diagnose.cache.facts import CacheFacts
from popcornctl.diagnose.cloudwatch import Threshold
from popcornctl.diagnose.findings import Finding, Status
from popcornctl.diagnose.levels import Level
from popcornctl.diagnose.registry import check
from popcornctl.diagnose.rules import classify_cache_event
from popcornctl.diagnose.window import aware, human_age

DOWN_GROUP = ("create-failed", "deleting")
BUSY = ("creating", "modifying", "snapshotting")
LAG_WARN = 10.0  # seconds a replica may trail before a failover would lose that much of the writes
SHOWN = 8


@check(
    "cache.status",
    kind="cache-replication-group",
    order=10,
    title="the replication group's and its nodes' status",
    looks_at="DescribeReplicationGroups Status, PendingModifiedValues; DescribeCacheClusters CacheClusterStatus, "
    "CacheNodeStatus and the parameter group's ParameterApplyStatus",
    findings=("cache.status",),
    reads=("nodes",),
    ok="the group and every node `available`, parameters in sync",
    warn="`modifying`, `snapshotting`, a node rebooting, pending modifications, parameters `pending-reboot`",
    fail="`create-failed`, `deleting`, a node `incompatible-network` or `restore-failed`, or no node available",
)
def cache_status(facts: CacheFacts) -> list[Finding]:
    """The group's status, then each node's."""
    group = facts.group
    evidence = [f"replication group {group.id}: {group.status}"]
    evidence += [f"pending: {k} = {v}" for k, v in group.pending]
    evidence += [
        f"node {n.id} ({n.az or '?'}): {n.status}, nodes {', '.join(n.node_statuses) or '?'}, parameters "
        f"{n.parameter_status or '?'}"
        for n in facts.nodes
    ]
    broken = [n for n in facts.nodes if n.status in ("incompatible-network", "restore-failed")]
    available = [n for n in facts.nodes if n.status == "available"]
    if group.status in DOWN_GROUP or broken or (facts.nodes and not available):
        what = group.status if group.status in DOWN_GROUP else ", ".join(f"{n.id} {n.status}" for n in broken)
        return [
            Finding(
                "cache.status",
                Status.FAIL,
                f"the cache is unusable: {what or 'no node available'}",
                evidence=evidence,
                cause="incompatible-network: the subnet group's subnets or their VPC changed under the nodes; "
                "restore-failed: the snapshot could not be restored; create-failed: the group never came up.",
                remediation="Read the events (below); recreate the group from the env stack (terraform apply) once "
                "the subnet group is valid.",
                down=True,
            )
        ]
    pending_reboot = [n.id for n in facts.nodes if n.parameter_status == "pending-reboot"]
    others = [n for n in facts.nodes if n.status != "available"]
    if group.status != "available" or others or group.pending or pending_reboot:
        return [
            Finding(
                "cache.status",
                Status.WARN,
                f"replication group {group.status}"
                + (f"; parameters pending a reboot on {', '.join(pending_reboot)}" if pending_reboot else ""),
                evidence=evidence,
                cause="A change is being applied (modifying, a node reboot, a snapshot) or waits for the next "
                "maintenance window or reboot.",
                remediation="Wait for it to finish; reboot the nodes named pending-reboot (one at a time) to apply "
                "parameter changes.",
            )
        ]
    return [Finding("cache.status", Status.OK, f"available, {len(facts.node_ids)} node(s)", evidence=evidence)]


def _lag(facts: CacheFacts) -> tuple[list[str], list[str]]:
    """(problems, evidence) from the replicas' ReplicationLag."""
    problems, evidence = [], []
    for member in facts.group.members:
        if member.role != "replica":
            continue
        level = Level("replication lag", facts.series("lag", member.id), Threshold(LAG_WARN), facts.period,
                      unit=" s")
        if level.has_data:
            evidence.append(level.describe(member.id))
            if level.status is not Status.OK:
                problems.append(f"replica {member.id} lags {level.peak:.1f} s behind")
    return problems, evidence


def _failovers(facts: CacheFacts) -> list[str]:
    return [
        f"{human_age(facts.window.age(e.date)) + ' ago' if e.date else 'recently'}: {e.message}"
        for e in facts.events
        if (rule := classify_cache_event(e.message)) is not None and rule.id == "cache.failover"
    ]


def _redundancy(facts: CacheFacts) -> tuple[Status, list[str]]:
    """(status, problems) of the group's failover set-up."""
    group = facts.group
    nodes = len(facts.node_ids)
    azs = {m.az for m in group.members if m.az}
    problems: list[str] = []
    status = Status.OK
    if group.members and not any(m.role == "primary" for m in group.members):
        return Status.FAIL, ["no node is primary: writes fail"]
    if nodes < 2:
        if facts.prod:
            status, problems = Status.WARN, ["a single node: no replica to fail over to"]
        return status, problems
    if group.automatic_failover != "enabled":
        problems.append(f"automatic failover is {group.automatic_failover} with {nodes} nodes")
    if group.multi_az != "enabled":
        problems.append(f"Multi-AZ is {group.multi_az}")
    if len(azs) == 1:
        problems.append(f"every node is in {next(iter(azs))}")
    return (Status.WARN if problems else Status.OK), problems


@check(
    "cache.failover",
    kind="cache-replication-group",
    order=20,
    title="failover readiness and recent failovers",
    looks_at="DescribeReplicationGroups AutomaticFailover, MultiAZ, NodeGroupMembers (CurrentRole, AZ); "
    "ReplicationLag of the replicas; failover events in the window",
    findings=("cache.failover",),
    ok="a primary, automatic failover and Multi-AZ with replicas in other AZs (or a single node outside prod)",
    warn="replicas without automatic failover or Multi-AZ, all nodes in one AZ, a single node in prod, a failover "
    "in the window, a replica more than 10 s behind",
    fail="no node is primary",
)
def cache_failover(facts: CacheFacts) -> list[Finding]:
    """Would a failure of the primary be survived, and did one happen?"""
    group = facts.group
    status, problems = _redundancy(facts)
    lag_problems, evidence = _lag(facts)
    failovers = _failovers(facts)
    evidence = [f"{m.id}: {m.role or '?'} in {m.az or '?'}" for m in group.members] + evidence + failovers
    evidence.insert(0, f"automatic failover {group.automatic_failover}, Multi-AZ {group.multi_az}")
    problems += lag_problems + ([f"{len(failovers)} failover(s) in the last {human_age(facts.window.since)}"]
                                if failovers else [])
    if status is Status.OK and problems:
        status = Status.WARN
    only_failovers = bool(failovers) and len(problems) == 1
    if status is Status.OK:
        title = "failover ready" if len(facts.node_ids) > 1 else "a single node (no failover outside prod needed)"
        return [Finding("cache.failover", Status.OK, title, evidence=evidence)]
    return [
        Finding(
            "cache.failover",
            status,
            "; ".join(problems),
            evidence=evidence,
            cause="The primary failed over: clients reconnected and in-flight writes were lost."
            if only_failovers
            else "Without a promotable replica in another AZ, a node or AZ failure takes the cache down until "
            "ElastiCache replaces the node (data not yet replicated is lost).",
            remediation="Run two or more nodes (cache.num_cache_clusters) across AZs; the elasticache module then "
            "turns on automatic failover and Multi-AZ.",
        )
    ]


@check(
    "cache.events",
    kind="cache-replication-group",
    order=60,
    title="notable ElastiCache events in the window",
    looks_at="DescribeEvents for the replication group and its nodes (messages classified by the ElastiCache event "
    "rules)",
    findings=("cache.events",),
    reads=("events",),
    ok="nothing notable",
    warn="a failover, node recovery or restart, a failed snapshot",
    fail="no free IP address for a node, failed provisioning (incompatible network), a failed node-type change",
)
def cache_events(facts: CacheFacts) -> list[Finding]:
    """The worst classified event decides; the newest are evidence."""
    window = facts.window
    classified = [(e, r) for e in facts.events if (r := classify_cache_event(e.message)) is not None]
    notable = [(e, r) for e, r in classified if r.status is not Status.OK]
    if not notable:
        return [Finding("cache.events", Status.OK,
                        f"{len(facts.events)} event(s) in the last {human_age(window.since)}, none alarming")]
    notable.sort(key=lambda pair: aware(pair[0].date) if pair[0].date else window.end, reverse=True)
    top = max((r for _, r in notable), key=lambda r: r.status.rank)
    return [
        Finding(
            "cache.events",
            top.status,
            f"{top.title} ({len(notable)} notable event(s))",
            evidence=[f"{e.source}, {human_age(window.age(e.date)) + ' ago' if e.date else ''}: {e.message}"
                      for e, _ in notable[:SHOWN]],
            cause=top.cause,
            remediation=top.remediation,
            rule=top.id,
        )
    ]
