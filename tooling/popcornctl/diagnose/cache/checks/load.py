"""Per node: engine CPU, memory, evictions and connections against the thresholds of the alarms that watch them.

The thresholds are read from the AWS/ElastiCache alarms on each node's CacheClusterId (the monitoring module's
``<env>-elasticache-<n>-*`` alarms); without an alarm, the module's defaults apply and the evidence says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from popcornctl.diagnose.cache.facts import METRICS, CacheFacts
from popcornctl.diagnose.cloudwatch import threshold
from popcornctl.diagnose.findings import Finding, Status, worst
from popcornctl.diagnose.levels import Level
from popcornctl.diagnose.registry import check
from popcornctl.diagnose.window import human_age

NAMESPACE = "AWS/ElastiCache"


@dataclass(frozen=True)
class Signal:
    """One metric family: its label, default threshold and what a breach means."""

    key: str
    label: str
    default: float
    unit: str
    summed: bool
    cause: str
    fix: str


SIGNALS = {
    "cpu": Signal(
        "cpu", "engine CPU", 80.0, "%", False,
        "The Valkey engine thread is saturated (it runs commands on one core): slow commands (KEYS, large "
        "SMEMBERS/HGETALL, Lua), too many requests, or a burst of connections.",
        "Find slow commands (SLOWLOG, the slow-log log group); spread reads to the replicas (reader endpoint) or "
        "move to a larger node type.",
    ),
    "memory": Signal(
        "memory", "memory used", 80.0, "%", False,
        "The data set approaches maxmemory: keys get evicted (allkeys-lru) and writes may fail.",
        "Set TTLs on keys that never expire, shrink large values, or move to a node type with more memory.",
    ),
    "evictions": Signal(
        "evictions", "evictions", 100.0, "", True,
        "Valkey is full and evicts keys to make room: the cache hit rate falls and the database takes the load.",
        "Give the cache more memory (node type) or keep less in it (TTLs); check DatabaseMemoryUsagePercentage.",
    ),
    "connections": Signal(
        "connections", "connections", 1000.0, "", False,
        "Clients open more connections than expected: a connection leak, pools sized per thread, or many tasks.",
        "Size the clients' connection pools (Lettuce shares one connection by default); look for a service that "
        "scaled out or leaks connections.",
    ),
}


def levels(facts: CacheFacts, key: str) -> list[tuple[str, Level]]:
    """(node, level) for every node of the group."""
    signal = SIGNALS[key]
    metric = METRICS[key][0]
    return [
        (
            node,
            Level(signal.label, facts.series(key, node),
                  threshold(facts.alarms, NAMESPACE, metric, signal.default, {"CacheClusterId": node}), facts.period,
                  unit=signal.unit, summed=signal.summed),
        )
        for node in facts.node_ids
    ]


def judge(facts: CacheFacts, key: str) -> list[Finding]:
    """One finding for one metric family over every node."""
    signal, found = SIGNALS[key], levels(facts, key)
    check_id = f"cache.{key}"
    evidence = [level.describe(node) for node, level in found]
    if not any(level.has_data for _, level in found):
        return [Finding(check_id, Status.WARN,
                        f"no {signal.label} datapoints in the last {human_age(facts.window.since)}",
                        evidence=evidence,
                        remediation="Check the nodes are available and the credentials may read CloudWatch.")]
    status = worst(level.status for _, level in found)
    if status is Status.OK:
        peak = max(level.peak or 0.0 for _, level in found)
        return [Finding(check_id, Status.OK, f"{signal.label} up to {peak:.0f}{signal.unit}", evidence=evidence)]
    bad = [(node, level) for node, level in found if level.status is not Status.OK]
    return [
        Finding(
            check_id,
            status,
            "; ".join(f"{node}: {signal.label} reached {level.peak:.0f}{signal.unit} (threshold {level.line:g})"
                      for node, level in bad),
            evidence=evidence,
            cause=signal.cause,
            remediation=signal.fix,
        )
    ]


KIND = "cache-replication-group"
WARN = "over the threshold earlier in the window, or within 90% of it; no datapoints"
FAIL = "the alarm is in ALARM, or the latest datapoint is over the threshold"
OK = "under 90% of the threshold"


@check("cache.cpu", kind=KIND, order=30, title="engine CPU per node",
       looks_at="CloudWatch EngineCPUUtilization (Average) per node against the alarm on it (else 80%)",
       findings=("cache.cpu",), reads=("metrics",), ok=OK, warn=WARN, fail=FAIL)
def cache_cpu(facts: CacheFacts) -> list[Finding]:
    """EngineCPUUtilization (the engine thread, not the host)."""
    return judge(facts, "cpu")


@check("cache.memory", kind=KIND, order=31, title="memory use per node",
       looks_at="CloudWatch DatabaseMemoryUsagePercentage (Average) per node against the alarm on it (else 80%)",
       findings=("cache.memory",), reads=("metrics",), ok=OK, warn=WARN, fail=FAIL)
def cache_memory(facts: CacheFacts) -> list[Finding]:
    """DatabaseMemoryUsagePercentage (of maxmemory)."""
    return judge(facts, "memory")


@check("cache.evictions", kind=KIND, order=32, title="evictions per node",
       looks_at="CloudWatch Evictions (Sum per period) per node against the alarm on it (else 100 per minute)",
       findings=("cache.evictions",), reads=("metrics",), ok=OK, warn=WARN, fail=FAIL)
def cache_evictions(facts: CacheFacts) -> list[Finding]:
    """Keys evicted for room."""
    return judge(facts, "evictions")


@check("cache.connections", kind=KIND, order=33, title="client connections per node",
       looks_at="CloudWatch CurrConnections (Maximum) per node against the alarm on it (else 1000)",
       findings=("cache.connections",), reads=("metrics",), ok=OK, warn=WARN, fail=FAIL)
def cache_connections(facts: CacheFacts) -> list[Finding]:
    """Open client connections."""
    return judge(facts, "connections")
