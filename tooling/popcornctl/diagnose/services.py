"""The ECS services as the other targets see them: where they connect from and what they are configured with.

``diagnose alb`` needs each target group's container port, ``cache`` the services' Valkey settings, ``kafka``,
``cache`` and the others the services' security groups and subnets. One read serves them all: ListServices,
DescribeServices in batches of 10 and one DescribeTaskDefinition per distinct revision, concurrently. The facts
are :mod:`popcornctl.diagnose.ecs`'s own (one conversion of the ECS API).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from popcornctl.diagnose.calls import chunks, paginate, unique
from popcornctl.diagnose.ecs import convert
from popcornctl.diagnose.ecs.facts import ContainerDefinition, Service, TaskDefinition
from popcornctl.diagnose.pool import Pool

SERVICE_BATCH = 10  # DescribeServices limit


@dataclass(frozen=True)
class ServiceContainer:
    """One container of a service's current task definition."""

    service: str
    container: ContainerDefinition
    task_definition: str  # family:revision


@dataclass(frozen=True)
class EcsServices:
    """The services of the environment's cluster and their task definitions (empty when not read)."""

    cluster: str | None = None
    services: tuple[Service, ...] = ()
    task_definitions: Mapping[str, TaskDefinition] = field(default_factory=dict)  # by the services' reference
    given_security_groups: tuple[str, ...] = ()  # from a flag or the outputs; override the services' own
    note: str = ""  # why the services could not be read, when they could not

    @property
    def security_groups(self) -> tuple[str, ...]:
        """Where the services connect from: the given groups, else every service's awsvpc groups."""
        if self.given_security_groups:
            return self.given_security_groups
        return tuple(unique(g for s in self.services if s.network for g in s.network.security_groups))

    @property
    def subnets(self) -> tuple[str, ...]:
        """Every service's awsvpc subnets."""
        return tuple(unique(n for s in self.services if s.network for n in s.network.subnets))

    def containers(self) -> list[ServiceContainer]:
        """Every container of every service's current task definition."""
        out: list[ServiceContainer] = []
        for svc in self.services:
            td = self.task_definitions.get(svc.task_definition or "")
            for container in td.containers if td else ():
                out.append(ServiceContainer(svc.name, container, td.name if td else "?"))
        return out

    def container(self, svc: Service, name: str) -> ContainerDefinition | None:
        """The container called ``name`` in the service's current task definition."""
        td = self.task_definitions.get(svc.task_definition or "")
        return td.container(name) if td else None


def fetch_services(
    ecs: Any, cluster: str, pool: Pool, security_groups: tuple[str, ...] = ()
) -> EcsServices:
    """Every service of ``cluster`` and their current task definitions (batched, concurrent)."""
    arns = paginate(ecs, "list_services", "serviceArns", cluster=cluster, maxResults=100)

    def describe(batch: list[str]) -> list[dict[str, Any]]:
        return list(ecs.describe_services(cluster=cluster, services=batch).get("services", []))

    raw = [s for batch in pool.map(describe, list(chunks(arns, SERVICE_BATCH))) for s in batch]
    services = tuple(sorted((convert.service(s) for s in raw), key=lambda s: s.name))

    def task_definition(arn: str) -> TaskDefinition:
        return convert.task_definition(ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"])

    revisions = unique(s.task_definition for s in services if s.task_definition)
    # keyed by what the services name (an ARN, or family:revision)
    tds = dict(zip(revisions, pool.map(task_definition, revisions), strict=True))
    return EcsServices(cluster, services, tds, tuple(security_groups))


def unread(cluster: str | None, error: str, security_groups: tuple[str, ...] = ()) -> EcsServices:
    """The services' view when they could not be read: only the given groups, and why."""
    return EcsServices(cluster, given_security_groups=security_groups, note=f"could not read the services: {error}")
