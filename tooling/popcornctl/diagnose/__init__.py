"""The diagnose room: explain what is wrong with an environment's services, database, load balancer, cache, Kafka
brokers and network, and how to fix it.

Shape (the same for every target):

- per target a package (:mod:`.ecs`, :mod:`.rds`, :mod:`.alb`, :mod:`.cache`, :mod:`.kafka`, :mod:`.network`)
  with typed facts (``facts.py``), ONE fetch step
  (``fetch.py``: every AWS read, batched and concurrent, recording what it could not read), and checks
  (``checks/*.py``): pure functions of the facts registered with ``@check`` (:mod:`.registry`);
- one runner (:mod:`.runner`) for every target: the fetch within the run's deadline (:mod:`.deadline`), then
  the checks in order, unreadable facts and failing checks turned into findings, timings kept;
- ``diagnose all`` (:mod:`.environment`): every target of an environment in one run, parts fetched
  concurrently under one deadline, reports worst first;
- shared pieces: :mod:`.findings` (the report), :mod:`.rules` (AWS wording -> cause and fix, per area),
  :mod:`.iam` (policy simulator, offline fallback), :mod:`.vpc`, :mod:`.cloudwatch` (alarms, thresholds,
  batched metric data), :mod:`.levels` (a series against its alarm's threshold), :mod:`.services` (the ECS
  services as the other targets see them), :mod:`.targethealth`, :mod:`.names`, :mod:`.render`; AWS error
  handling lives in :mod:`.failures` only.

Public API (used by ``popcornctl.commands.diagnose`` and the tests): :func:`diagnose_ecs`, :func:`diagnose_rds`,
:func:`diagnose_alb`, :func:`diagnose_cache`, :func:`diagnose_kafka`, :func:`diagnose_network`,
:func:`diagnose_all`, each with a :class:`RunLabels` (names, environment, where, deadline). Nothing here imports
boto3 at module level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from popcornctl.diagnose.deadline import Deadline
from popcornctl.diagnose.findings import DiagnosisReport, Finding, Health, Names, Status, TargetReport
from popcornctl.diagnose.window import DEFAULT_TIMEOUT, Window, parse_since, parse_timeout

if TYPE_CHECKING:
    from popcornctl.aws import Clients
    from popcornctl.diagnose.alb.facts import Expected
    from popcornctl.diagnose.kafka.facts import Layout
    from popcornctl.diagnose.names import Resolved
    from popcornctl.diagnose.runner import DiagnoseTarget

F = TypeVar("F")


@dataclass(frozen=True)
class RunLabels:
    """How one diagnosis is labelled and bounded, the same for every target."""

    names: Names | None = None  # where the diagnosed names came from (default: flags)
    environment: str | None = None
    where: str = ""  # the target line (account, region, endpoint); default: the clients' target
    deadline: Deadline | None = None  # default: DEFAULT_TIMEOUT from the start of the run

__all__ = [
    "DEFAULT_TIMEOUT",
    "Deadline",
    "DiagnosisReport",
    "Finding",
    "Health",
    "Names",
    "RunLabels",
    "Status",
    "TargetReport",
    "Window",
    "diagnose_alb",
    "diagnose_all",
    "diagnose_cache",
    "diagnose_ecs",
    "diagnose_kafka",
    "diagnose_network",
    "diagnose_rds",
    "parse_since",
    "parse_timeout",
]


def diagnose_ecs(
    clients: Clients,
    *,
    cluster: str,
    services: list[str] | None,
    window: Window,
    max_workers: int = 16,
    run: RunLabels | None = None,
) -> DiagnosisReport:
    """Diagnose an ECS cluster (all services, or the named ones): cluster summary first, then per service."""
    from popcornctl.diagnose.ecs import EcsTarget

    run = run or RunLabels()
    where = run.where or clients.target.describe()
    target = EcsTarget(clients, cluster, services, window, where=where, max_workers=max_workers)
    return _run("ecs", target, clients, window, where, run)


def diagnose_rds(
    clients: Clients,
    *,
    instance: str,
    window: Window,
    prod: bool = False,
    prefix: str | None = None,
    ecs_cluster: str | None = None,
    ecs_security_groups: list[str] | None = None,
    ecs_subnets: list[str] | None = None,
    run: RunLabels | None = None,
) -> DiagnosisReport:
    """Diagnose one RDS DB instance (``prod`` expects Multi-AZ and 7+ days of backups)."""
    from popcornctl.diagnose.rds import RdsTarget
    from popcornctl.diagnose.rds.fetch import RdsFetch

    run = run or RunLabels()
    where = run.where or clients.target.describe()
    fetch = RdsFetch(
        clients,
        instance,
        window,
        prod=prod,
        prefix=prefix,
        ecs_cluster=ecs_cluster,
        ecs_security_groups=ecs_security_groups,
        ecs_subnets=ecs_subnets,
        where=where,
    )
    return _run("rds", RdsTarget(fetch), clients, window, where, run)


def diagnose_alb(
    clients: Clients,
    *,
    load_balancer: str,
    window: Window,
    cluster: str | None = None,
    expected: Expected | None = None,
    run: RunLabels | None = None,
) -> DiagnosisReport:
    """Diagnose one Application Load Balancer and its target groups (``cluster``: whose services register)."""
    from popcornctl.diagnose.alb import AlbTarget
    from popcornctl.diagnose.alb.fetch import AlbFetch

    run = run or RunLabels()
    where = run.where or clients.target.describe()
    fetch = AlbFetch(clients, load_balancer, window, cluster=cluster, expected=expected, where=where)
    return _run("alb", AlbTarget(fetch), clients, window, where, run)


def diagnose_cache(
    clients: Clients,
    *,
    group: str,
    window: Window,
    prod: bool = False,
    cluster: str | None = None,
    ecs_security_groups: list[str] | None = None,
    run: RunLabels | None = None,
) -> DiagnosisReport:
    """Diagnose one Valkey replication group (``cluster``: the ECS cluster whose services use it)."""
    from popcornctl.diagnose.cache import CacheTarget
    from popcornctl.diagnose.cache.fetch import CacheFetch

    run = run or RunLabels()
    where = run.where or clients.target.describe()
    fetch = CacheFetch(clients, group, window, prod=prod, cluster=cluster,
                       security_groups=tuple(ecs_security_groups or ()), where=where)
    return _run("cache", CacheTarget(fetch), clients, window, where, run)


def diagnose_kafka(
    clients: Clients,
    *,
    window: Window,
    layout: Layout,
    instance_ids: list[str] | None = None,
    prefix: str | None = None,
    cluster: str | None = None,
    ecs_security_groups: list[str] | None = None,
    run: RunLabels | None = None,
) -> DiagnosisReport:
    """Diagnose the Kafka brokers (by instance id, else the ``<prefix>-kafka-*`` instances)."""
    from popcornctl.diagnose.kafka import KafkaTarget
    from popcornctl.diagnose.kafka.fetch import KafkaFetch

    run = run or RunLabels()
    where = run.where or clients.target.describe()
    fetch = KafkaFetch(clients, window, layout, instance_ids=tuple(instance_ids or ()), prefix=prefix,
                       cluster=cluster, security_groups=tuple(ecs_security_groups or ()), where=where)
    return _run("kafka", KafkaTarget(fetch), clients, window, where, run)


def diagnose_network(
    clients: Clients,
    *,
    window: Window,
    vpc: str | None = None,
    name: str | None = None,
    flow_log_group: str | None = None,
    ecs_subnets: list[str] | None = None,
    run: RunLabels | None = None,
) -> DiagnosisReport:
    """Diagnose one VPC (by id, else by its Name tag)."""
    from popcornctl.diagnose.network import NetworkTarget
    from popcornctl.diagnose.network.fetch import NetworkFetch

    run = run or RunLabels()
    where = run.where or clients.target.describe()
    fetch = NetworkFetch(clients, window, vpc=vpc, name=name, flow_log_group=flow_log_group,
                         ecs_subnets=tuple(ecs_subnets or ()), where=where)
    return _run("network", NetworkTarget(fetch), clients, window, where, run)


def diagnose_all(
    clients: Clients,
    *,
    resolved: Resolved,
    window: Window,
    prod: bool = False,
    run: RunLabels | None = None,
) -> DiagnosisReport:
    """Diagnose every target of an environment in one run (names from :func:`.names.resolve_all`)."""
    from popcornctl.diagnose.environment import EnvironmentTarget, environment_parts

    run = run or RunLabels()
    where = run.where or clients.target.describe()
    parts = environment_parts(clients, resolved, window, prod=prod, where=where)
    return _run("all", EnvironmentTarget(parts), clients, window, where, run)


def _run(
    command: str,
    target: DiagnoseTarget[F],
    clients: Clients,
    window: Window,
    where: str,
    labels: RunLabels,
) -> DiagnosisReport:
    from popcornctl.diagnose.runner import run

    deadline = labels.deadline or Deadline(parse_timeout(DEFAULT_TIMEOUT), where)
    targets, fetch_seconds = run(target, deadline, answer_within=clients.answer_within)
    return DiagnosisReport(
        command=command,
        where=where,
        region=clients.target.region,
        environment=labels.environment,
        since=window.since,
        window_start=window.start,
        window_end=window.end,
        names=labels.names or Names(source="flags"),
        targets=targets,
        fetch_seconds=fetch_seconds,
    )
