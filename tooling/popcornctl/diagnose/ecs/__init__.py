"""``diagnose ecs``: a cluster summary, then per service what is unhealthy, the evidence, the cause and the fix.

- :mod:`.fetch` (with :mod:`.evidence`): the one fetch step, returning :class:`.facts.EcsFacts`;
- :mod:`.subjects`: the per-service and cluster views the checks judge;
- :mod:`.checks`: the registered checks (pure);
- :class:`EcsTarget`: the two wired together for :func:`popcornctl.diagnose.runner.run`.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from popcornctl.diagnose.ecs.facts import EcsFacts
from popcornctl.diagnose.ecs.fetch import EcsFetch
from popcornctl.diagnose.ecs.lines import launch, td_name, tg_name
from popcornctl.diagnose.ecs.subjects import ClusterSubject, ServiceOutcome, ServiceSubject, service_subjects
from popcornctl.diagnose.findings import TargetReport
from popcornctl.diagnose.runner import evaluate
from popcornctl.diagnose.window import human_age

if TYPE_CHECKING:
    from popcornctl.aws import Clients
    from popcornctl.diagnose.window import Window


class EcsTarget:
    """``diagnose ecs`` for the runner: fetch one cluster, then judge each service and the cluster."""

    name = "ecs"

    def __init__(
        self,
        clients: Clients,
        cluster: str,
        services: list[str] | None,
        window: Window,
        *,
        where: str = "",
        max_workers: int = 16,
    ) -> None:
        self.fetch = EcsFetch(clients, cluster, services, window, where=where, max_workers=max_workers)

    def reports(self, facts: EcsFacts) -> list[TargetReport]:
        """The cluster summary first, then one report per service."""
        return ecs_reports(facts)


def ecs_reports(facts: EcsFacts) -> list[TargetReport]:
    """Judge every service, then the cluster from how they came out (no AWS calls)."""
    services = [evaluate(service_report(s), s) for s in service_subjects(facts)]
    outcomes = tuple(ServiceOutcome(r.name, r.health, r.facts.get("launch", "?")) for r in services)
    subject = ClusterSubject(facts.cluster, facts.window, outcomes, facts.missing_services)
    return [evaluate(cluster_report(subject), subject), *services]


def service_report(subject: ServiceSubject) -> TargetReport:
    """An empty report for a service, with its header."""
    svc = subject.service
    report = TargetReport(kind="ecs-service", name=svc.name, arn=svc.arn)
    report.facts = {
        "status": svc.status,
        "tasks": f"{svc.running} running / {svc.desired} desired / {svc.pending} pending",
        "launch": launch(svc),
        "task definition": td_name(subject.task_definition, svc),
    }
    primary = svc.primary
    if primary:
        report.facts["deployment"] = f"{primary.id} {primary.rollout_state or ''}".strip()
    if svc.load_balancers:
        report.facts["load balancer"] = ", ".join(
            f"{tg_name(lb.target_group_arn)} -> {lb.container_name}:{lb.container_port}" for lb in svc.load_balancers
        )
    report.facts["ecs exec"] = "enabled" if svc.exec_enabled else "off"
    return report


def cluster_report(subject: ClusterSubject) -> TargetReport:
    """An empty report for the cluster, with its header."""
    cluster = subject.cluster
    healths = Counter(s.health.value for s in subject.services)
    report = TargetReport(kind="ecs-cluster", name=cluster.name, arn=cluster.arn)
    report.facts = {
        "status": cluster.status,
        "services": f"{len(subject.services)} diagnosed: {healths.get('healthy', 0)} healthy, "
        f"{healths.get('degraded', 0)} degraded, {healths.get('down', 0)} down",
        "tasks": f"{cluster.running_tasks} running, {cluster.pending_tasks} pending",
        "container instances": str(cluster.container_instances),
        "capacity providers": ", ".join(cluster.capacity_providers) or "none",
        "window": f"last {human_age(subject.window.since)}",
    }
    return report
