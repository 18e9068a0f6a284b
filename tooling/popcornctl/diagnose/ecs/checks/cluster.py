"""The cluster summary: its status, missing services, capacity, and how the services came out."""

from __future__ import annotations

from popcornctl.diagnose.ecs.subjects import ClusterSubject
from popcornctl.diagnose.findings import Finding, Health, Status
from popcornctl.diagnose.registry import check


@check(
    "ecs.cluster.status",
    kind="ecs-cluster",
    order=10,
    title="cluster status",
    looks_at="DescribeClusters status",
    findings=("cluster.status",),
    ok="ACTIVE",
    fail="any other status",
)
def cluster_status(subject: ClusterSubject) -> list[Finding]:
    """ACTIVE or not."""
    status = subject.cluster.status
    if status == "ACTIVE":
        return [Finding("cluster.status", Status.OK, "cluster is ACTIVE")]
    return [
        Finding(
            "cluster.status",
            Status.FAIL,
            f"cluster is {status}",
            remediation="Re-create the cluster (terraform apply of the env stack).",
            down=True,
        )
    ]


@check(
    "ecs.cluster.missing",
    kind="ecs-cluster",
    order=20,
    title="named services that do not exist",
    looks_at="DescribeServices failures",
    findings=("cluster.missing",),
    fail="a service named by `--service` or the outputs does not exist",
)
def cluster_missing(subject: ClusterSubject) -> list[Finding]:
    """Services the outputs or --service name, which the cluster does not have."""
    if not subject.missing_services:
        return []
    return [
        Finding(
            "cluster.missing",
            Status.FAIL,
            f"{len(subject.missing_services)} service(s) not found in the cluster",
            evidence=list(subject.missing_services),
            cause="The Terraform outputs or --service name services that do not exist (not applied yet, or deleted).",
            remediation="terraform apply the env stack, or check the --service names.",
        )
    ]


@check(
    "ecs.cluster.capacity",
    kind="ecs-cluster",
    order=30,
    title="container instances for EC2-launch services",
    looks_at="DescribeClusters registeredContainerInstancesCount; the services' launch type",
    findings=("cluster.capacity",),
    fail="EC2-launch services but no container instance registered",
)
def cluster_capacity(subject: ClusterSubject) -> list[Finding]:
    """EC2-launch services need registered container instances."""
    needs_instances = [s.name for s in subject.services if s.launch == "EC2"]
    if not needs_instances or subject.cluster.container_instances:
        return []
    return [
        Finding(
            "cluster.capacity",
            Status.FAIL,
            "EC2 services but no container instances registered",
            evidence=needs_instances,
            cause="Nothing can host EC2-launch tasks.",
            remediation="Check the capacity provider's Auto Scaling group and the instances' ECS agent.",
        )
    ]


@check(
    "ecs.cluster.services",
    kind="ecs-cluster",
    order=40,
    title="how the diagnosed services came out",
    looks_at="the health of every diagnosed service (from its own checks)",
    findings=("cluster.services",),
    ok="all healthy",
    warn="some degraded; no services to diagnose",
    fail="some down (the cluster is down when all are)",
)
def cluster_services(subject: ClusterSubject) -> list[Finding]:
    """Down and degraded services, by name."""
    services = subject.services
    if not services:
        return [
            Finding(
                "cluster.services",
                Status.WARN,
                "no services to diagnose in this cluster",
                remediation="terraform apply the env stack, or pass --cluster/--service.",
            )
        ]
    down = [s.name for s in services if s.health is Health.DOWN]
    degraded = [s.name for s in services if s.health is Health.DEGRADED]
    if not (down or degraded):
        return [Finding("cluster.services", Status.OK, f"all {len(services)} services healthy")]
    return [
        Finding(
            "cluster.services",
            Status.FAIL if down else Status.WARN,
            f"{len(down)} down, {len(degraded)} degraded of {len(services)} services",
            evidence=[f"down: {n}" for n in down] + [f"degraded: {n}" for n in degraded],
            remediation="See each service's findings below.",
            down=len(down) == len(services),
        )
    ]
