"""The diagnose room: explain what is wrong with an environment's ECS services or RDS database.

Public API (used by ``popcornctl.commands.diagnose`` and the tests):

- :func:`diagnose_ecs` / :func:`diagnose_rds` — run a diagnosis on boto3 clients from
  :class:`popcornctl.aws.Clients` and return a :class:`~popcornctl.diagnose.findings.Report`.
- :mod:`.names` — which cluster/services/instance to look at (flags, Terraform outputs, convention).
- :mod:`.rules` — the classification table (AWS wording -> cause and fix).
- :mod:`.render` — Rich output; ``Report.to_dict()`` is the JSON output (schema in ``findings.REPORT_SCHEMA``).

Nothing here imports boto3 at module level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from popcornctl.diagnose.awsutil import Window, parse_since
from popcornctl.diagnose.findings import Finding, Health, Names, Report, Status, TargetReport

if TYPE_CHECKING:
    from popcornctl.aws import Clients

__all__ = [
    "Finding",
    "Health",
    "Names",
    "Report",
    "Status",
    "TargetReport",
    "Window",
    "diagnose_ecs",
    "diagnose_rds",
    "parse_since",
]


def diagnose_ecs(
    clients: Clients,
    *,
    cluster: str,
    services: list[str] | None,
    window: Window,
    names: Names | None = None,
    environment: str | None = None,
    where: str = "",
    max_workers: int = 16,
) -> Report:
    """Diagnose an ECS cluster (all services, or the named ones): cluster summary first, then per service."""
    from popcornctl.diagnose.ecs import EcsDiagnoser

    targets = EcsDiagnoser(clients, cluster, services, window, max_workers=max_workers, where=where).run()
    return Report(
        command="ecs",
        where=where or clients.target.describe(),
        region=clients.target.region,
        environment=environment,
        since=window.since,
        window_start=window.start,
        window_end=window.end,
        names=names or Names(source="flags"),
        targets=targets,
    )


def diagnose_rds(
    clients: Clients,
    *,
    instance: str,
    window: Window,
    names: Names | None = None,
    environment: str | None = None,
    prod: bool = False,
    prefix: str | None = None,
    ecs_cluster: str | None = None,
    ecs_security_groups: list[str] | None = None,
    ecs_subnets: list[str] | None = None,
    where: str = "",
) -> Report:
    """Diagnose one RDS DB instance (``prod`` expects Multi-AZ and 7+ days of backups)."""
    from popcornctl.diagnose.rds import RdsDiagnoser

    targets = RdsDiagnoser(
        clients,
        instance,
        window,
        prod=prod,
        prefix=prefix,
        ecs_cluster=ecs_cluster,
        ecs_security_groups=ecs_security_groups,
        ecs_subnets=ecs_subnets,
        where=where,
    ).run()
    return Report(
        command="rds",
        where=where or clients.target.describe(),
        region=clients.target.region,
        environment=environment,
        since=window.since,
        window_start=window.start,
        window_end=window.end,
        names=names or Names(source="flags"),
        targets=targets,
    )
