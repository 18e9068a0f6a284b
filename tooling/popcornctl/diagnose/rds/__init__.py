"""``diagnose rds``: is the database up, reachable from the ECS services (and only from them), and healthy?

Beyond AWSSupport-TroubleshootConnectivityToRDS (status, security groups, NACLs, routes between source and
database) it checks what no public tool does: public accessibility against the subnet group's route
tables, storage headroom against the autoscaling ceiling, Performance Insights, parameter-group sync and
the managed master secret.

- :mod:`.fetch`: the one fetch step, returning :class:`.facts.RdsFacts` (the checks' subject);
- :mod:`.checks`: the registered checks (pure);
- :class:`RdsTarget`: the two wired together for :func:`popcornctl.diagnose.runner.run`.
"""

from __future__ import annotations

from popcornctl.diagnose.findings import TargetReport
from popcornctl.diagnose.rds.facts import RdsFacts
from popcornctl.diagnose.rds.fetch import RdsFetch
from popcornctl.diagnose.runner import evaluate


class RdsTarget:
    """``diagnose rds`` for the runner."""

    name = "rds"

    def __init__(self, fetch: RdsFetch) -> None:
        self.fetch = fetch

    def reports(self, facts: RdsFacts) -> list[TargetReport]:
        """One report: the instance."""
        return [rds_report(facts)]


def rds_report(facts: RdsFacts) -> TargetReport:
    """The instance's report: header, then every check (no AWS calls)."""
    db = facts.instance
    report = TargetReport(kind="rds-instance", name=db.id, arn=db.arn)
    storage = f"{db.allocated} GiB {db.storage_type}".strip()
    report.facts = {
        "engine": f"{db.engine} {db.engine_version}",
        "class": db.instance_class,
        "status": db.status,
        "endpoint": f"{db.address or '-'}:{db.endpoint_port if db.endpoint_port is not None else '-'}",
        "multi-AZ": "yes" if db.multi_az else "no",
        "storage": storage + (f", autoscaling to {db.max_allocated} GiB" if db.max_allocated else ""),
        "network": f"{db.vpc_id or '?'}, subnet group {db.subnet_group or '?'}, public "
        f"{'yes' if db.publicly_accessible else 'no'}",
        "security groups": ", ".join(db.security_groups) or "none",
    }
    return evaluate(report, facts)
