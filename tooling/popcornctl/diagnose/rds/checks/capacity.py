"""Headroom: storage against the autoscaling ceiling, CPU, connections, latency and memory over the window."""

from __future__ import annotations

import re

from popcornctl.diagnose.findings import Finding, Status, worst
from popcornctl.diagnose.rds.facts import Metrics, RdsFacts
from popcornctl.diagnose.registry import check
from popcornctl.diagnose.window import human_age

GIB = 1024**3
STORAGE_FAIL_PCT = 10.0
STORAGE_WARN_PCT = 20.0
CEILING_WARN = 0.9
CPU_AVG_FAIL, CPU_MAX_WARN = 80.0, 90.0
CONN_FAIL, CONN_WARN = 0.95, 0.8
LATENCY_FAIL, LATENCY_WARN = 0.1, 0.02  # seconds
MEMORY_LOW = 0.05  # of the class's memory

# DB instance class size -> memory in GiB, per family letter (t: burstable, m: general, r: memory).
_SIZE_GIB = {
    "t": {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32},
    "m": {
        "large": 8,
        "xlarge": 16,
        "2xlarge": 32,
        "4xlarge": 64,
        "8xlarge": 128,
        "12xlarge": 192,
        "16xlarge": 256,
        "24xlarge": 384,
    },
    "r": {
        "large": 16,
        "xlarge": 32,
        "2xlarge": 64,
        "4xlarge": 128,
        "8xlarge": 256,
        "12xlarge": 384,
        "16xlarge": 512,
        "24xlarge": 768,
    },
}
_CLASS = re.compile(r"^db\.(?P<family>[a-z])[a-z0-9-]*\.(?P<size>[0-9]*x?[a-z]+)$")
Problem = tuple[Status, str]


def class_memory_gib(instance_class: str) -> int | None:
    """Approximate memory of a DB instance class (None when unknown)."""
    match = _CLASS.match(instance_class)
    if not match:
        return None
    return _SIZE_GIB.get(match.group("family"), {}).get(match.group("size"))


def max_connections(engine: str, instance_class: str) -> int | None:
    """The default max_connections formula of the engine for the class (approximate)."""
    memory = class_memory_gib(instance_class)
    if memory is None:
        return None
    total = memory * GIB
    if "postgres" in engine:
        return min(total // 9531392, 5000)
    if "mysql" in engine or "mariadb" in engine:
        return total // 12582880
    return None


def _mean(values: tuple[float, ...]) -> float:
    return sum(values) / len(values) if values else 0.0


@check(
    "rds.storage",
    kind="rds-instance",
    order=70,
    title="storage headroom against the autoscaling ceiling",
    looks_at="CloudWatch FreeStorageSpace (minimum over the window); AllocatedStorage, MaxAllocatedStorage",
    findings=("rds.storage",),
    reads=("metrics",),
    ok="20%+ free",
    warn="under 20% free, allocated within 90% of `max_allocated_storage`; under 10% with autoscaling room",
    fail="under 10% free without autoscaling room",
)
def rds_storage(facts: RdsFacts) -> list[Finding]:
    """The lowest free space, and whether autoscaling can still add more."""
    db = facts.instance
    allocated, ceiling = db.allocated, db.max_allocated
    evidence = [
        f"allocated {allocated} GiB" + (f", autoscaling up to {ceiling} GiB" if ceiling else ", no autoscaling")
    ]
    free = facts.metrics.free_min
    if not free or not allocated:
        return [
            Finding(
                "rds.storage",
                Status.WARN,
                f"no FreeStorageSpace datapoints in the last {human_age(facts.window.since)}",
                evidence=evidence,
                remediation="Check the instance reports metrics (it must be available).",
            )
        ]
    free_gib = min(free) / GIB
    pct = 100.0 * free_gib / allocated
    near_ceiling = bool(ceiling) and allocated >= CEILING_WARN * ceiling
    evidence.append(f"lowest free space {free_gib:.1f} GiB ({pct:.0f}% of allocated)")
    if near_ceiling:
        evidence.append(f"allocated storage is at {100 * allocated / ceiling:.0f}% of the autoscaling ceiling")
    if pct < STORAGE_FAIL_PCT:
        room = ceiling > allocated and not near_ceiling
        return [
            Finding(
                "rds.storage",
                Status.WARN if room else Status.FAIL,
                f"storage nearly full: {pct:.0f}% free ({free_gib:.1f} of {allocated} GiB)",
                evidence=evidence,
                cause="Storage autoscaling will add space (it triggers below 10% free) — watch it does."
                if room
                else "When it reaches zero the instance goes to storage-full and writes stop.",
                remediation="Increase allocated_storage and set max_allocated_storage (autoscaling) with "
                "room above it; find what grows (bloat, WAL held by a replication slot, temp files).",
            )
        ]
    if pct < STORAGE_WARN_PCT or near_ceiling:
        return [
            Finding(
                "rds.storage",
                Status.WARN,
                f"storage headroom low: {pct:.0f}% free",
                evidence=evidence,
                cause="Growth at the current rate runs out of space soon"
                + (" and autoscaling is near its ceiling." if ceiling else " and autoscaling is off."),
                remediation="Raise max_allocated_storage (or allocated_storage).",
            )
        ]
    title = f"storage {pct:.0f}% free ({free_gib:.1f} of {allocated} GiB)"
    return [Finding("rds.storage", Status.OK, title, evidence=evidence)]


@check(
    "rds.metrics",
    kind="rds-instance",
    order=80,
    title="CPU, connections, latency and memory over the window",
    looks_at="CloudWatch CPUUtilization, DatabaseConnections, ReadLatency, WriteLatency, FreeableMemory (one "
    "GetMetricData call); the class's default max_connections",
    findings=("rds.metrics",),
    reads=("metrics",),
    ok="normal",
    warn="CPU peak 90%+, connections 80%+ of the default `max_connections` for the class, latency 20 ms+, "
    "freeable memory under 5%, or no datapoints",
    fail="CPU average 80%+, connections 95%+, latency 100 ms+",
)
def rds_metrics(facts: RdsFacts) -> list[Finding]:
    """Saturation signs: CPU, connection count, latency, memory."""
    m = facts.metrics
    if not any((m.cpu_avg, m.cpu_max, m.conn_max, m.read_lat, m.write_lat)):
        return [
            Finding(
                "rds.metrics",
                Status.WARN,
                f"no CPU/connection/latency datapoints in the last {human_age(facts.window.since)}",
                remediation="Check the instance is available and reporting to CloudWatch.",
            )
        ]
    problems: list[Problem] = []
    evidence: list[str] = []
    for part in (_cpu, _connections, _latency, _memory):
        found, seen = part(facts, m)
        problems += found
        evidence += seen
    status = worst(s for s, _ in problems)
    if status is Status.OK:
        title = f"CPU, connections and latency normal over the last {human_age(facts.window.since)}"
        return [Finding("rds.metrics", Status.OK, title, evidence=evidence)]
    return [
        Finding(
            "rds.metrics",
            status,
            "; ".join(p for _, p in problems),
            evidence=evidence,
            cause="The instance is saturated: slow queries, connection storms or too small a class.",
            remediation="Open Performance Insights (top SQL / wait events), pool connections (RDS Proxy, smaller "
            "app pools), or move to a larger instance class.",
        )
    ]


def _cpu(facts: RdsFacts, m: Metrics) -> tuple[list[Problem], list[str]]:
    if not (m.cpu_avg or m.cpu_max):
        return [], []
    avg, peak = _mean(m.cpu_avg), max(m.cpu_max or (0.0,))
    problems: list[Problem] = []
    if avg >= CPU_AVG_FAIL:
        problems.append((Status.FAIL, f"CPU averages {avg:.0f}%"))
    elif peak >= CPU_MAX_WARN:
        problems.append((Status.WARN, f"CPU peaks at {peak:.0f}%"))
    return problems, [f"CPU average {avg:.0f}%, peak {peak:.0f}%"]


def _connections(facts: RdsFacts, m: Metrics) -> tuple[list[Problem], list[str]]:
    if not m.conn_max:
        return [], []
    peak = max(m.conn_max)
    limit = max_connections(facts.instance.engine, facts.instance.instance_class)
    if not limit:
        return [], [f"connections peak {peak:.0f}"]
    problems: list[Problem] = []
    if peak >= CONN_FAIL * limit:
        problems.append((Status.FAIL, f"connections at {peak:.0f} of about {limit}"))
    elif peak >= CONN_WARN * limit:
        problems.append((Status.WARN, f"connections at {peak:.0f} of about {limit}"))
    return problems, [f"connections peak {peak:.0f} of about {limit} (default max_connections)"]


def _latency(facts: RdsFacts, m: Metrics) -> tuple[list[Problem], list[str]]:
    problems: list[Problem] = []
    evidence: list[str] = []
    for values, label in ((m.read_lat, "read"), (m.write_lat, "write")):
        if not values:
            continue
        latency = _mean(values)
        evidence.append(f"{label} latency average {latency * 1000:.1f} ms")
        if latency >= LATENCY_FAIL:
            problems.append((Status.FAIL, f"{label} latency {latency * 1000:.0f} ms"))
        elif latency >= LATENCY_WARN:
            problems.append((Status.WARN, f"{label} latency {latency * 1000:.0f} ms"))
    return problems, evidence


def _memory(facts: RdsFacts, m: Metrics) -> tuple[list[Problem], list[str]]:
    memory = class_memory_gib(facts.instance.instance_class)
    if not m.mem_min or not memory:
        return [], []
    low = min(m.mem_min) / GIB
    problems: list[Problem] = (
        [(Status.WARN, f"freeable memory down to {low:.2f} GiB")] if low < MEMORY_LOW * memory else []
    )
    return problems, [f"freeable memory low point {low:.2f} GiB of {memory} GiB"]
