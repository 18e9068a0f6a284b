"""``diagnose cache``: the Valkey replication group — status, failover readiness, engine CPU, memory, evictions and
connections against the alarms' thresholds, TLS/AUTH against the services' settings, reachability, events.

- :mod:`.fetch`: the one fetch step, returning :class:`.facts.CacheFacts`;
- :mod:`.checks`: the registered checks (pure); :mod:`.clients` reads the services' settings;
- :class:`CacheTarget`: the two wired together for :func:`popcornctl.diagnose.runner.run`.
"""

from __future__ import annotations

from popcornctl.diagnose.cache.facts import CacheFacts
from popcornctl.diagnose.cache.fetch import CacheFetch
from popcornctl.diagnose.findings import TargetReport
from popcornctl.diagnose.runner import evaluate


class CacheTarget:
    """``diagnose cache`` for the runner."""

    name = "cache"

    def __init__(self, fetch: CacheFetch) -> None:
        self.fetch = fetch

    def reports(self, facts: CacheFacts) -> list[TargetReport]:
        """One report: the replication group."""
        return [cache_report(facts)]


def cache_report(facts: CacheFacts) -> TargetReport:
    """The group's report: header, then every check (no AWS calls)."""
    group = facts.group
    report = TargetReport(kind="cache-replication-group", name=group.id, arn=group.arn)
    primary = group.primary or group.configuration
    report.facts = {
        "status": group.status,
        "engine": f"{group.engine} {facts.nodes[0].engine_version if facts.nodes else ''}".strip(),
        "node type": group.node_type or "?",
        "nodes": ", ".join(f"{m.id} ({m.role or '?'}, {m.az or '?'})" for m in group.members)
        or ", ".join(facts.node_ids) or "none",
        "endpoint": f"{primary.address}:{primary.port}" if primary else "-",
        "failover": f"automatic {group.automatic_failover}, Multi-AZ {group.multi_az}",
        "encryption": f"in transit {'on' if group.transit_encryption else 'off'}, at rest "
        f"{'on' if group.at_rest_encryption else 'off'}",
    }
    return evaluate(report, facts)
