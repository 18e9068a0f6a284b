"""ECS services and task definitions: safe deployments, private networking, logs, no privileged containers."""

from __future__ import annotations

from typing import Any

from popcornctl.policy.api import UNKNOWN, Change, Context, Findings, fail, policy, unknown, unset_default

LOG_DRIVERS = ("awslogs", "awsfirelens")


def _containers(change: Change) -> Any:
    """The task definition's containers (list of dicts), UNKNOWN, or None when unreadable."""
    containers = change.json("container_definitions")
    if containers is UNKNOWN or containers is None:
        return containers
    return [c for c in containers if isinstance(c, dict)] if isinstance(containers, list) else None


@policy(
    id="POP-ECS-001",
    title="ECS services roll back failed deployments (circuit breaker)",
    severity="medium",
    resource_types=("aws_ecs_service",),
    rationale="Without the circuit breaker a task definition that crashes on start keeps replacing healthy "
    "tasks until someone notices; with rollback ECS restores the last working revision.",
    remediation="Set deployment_circuit_breaker { enable = true, rollback = true }.",
)
def ecs_circuit_breaker(change: Change, context: Context) -> Findings:
    controller = change.get("deployment_controller.0.type")
    if controller in ("CODE_DEPLOY", "EXTERNAL"):
        return
    breaker = change.get("deployment_circuit_breaker")
    if breaker is UNKNOWN:
        yield unknown("deployment_circuit_breaker is known only after apply", attribute="deployment_circuit_breaker")
        return
    block = breaker[0] if isinstance(breaker, list) and breaker else None
    if not isinstance(block, dict) or block.get("enable") is not True:
        yield fail("the deployment circuit breaker is off", attribute="deployment_circuit_breaker")
    elif block.get("rollback") is not True:
        yield fail("the circuit breaker does not roll back", attribute="deployment_circuit_breaker.rollback")


@policy(
    id="POP-ECS-002",
    title="ECS services get no public IP",
    severity="high",
    resource_types=("aws_ecs_service",),
    rationale="Tasks run in private app subnets behind the ALB; a public IP gives every task a direct "
    "internet address, bypassing the load balancer and its security group.",
    remediation="Set network_configuration { assign_public_ip = false } and use private subnets with NAT "
    "or VPC endpoints.",
)
def ecs_no_public_ip(change: Change, context: Context) -> Findings:
    network = change.get("network_configuration")
    if network is UNKNOWN:
        yield unknown("network_configuration is known only after apply", attribute="network_configuration")
        return
    for block in network or []:
        value = block.get("assign_public_ip") if isinstance(block, dict) else UNKNOWN
        if value is UNKNOWN:
            yield unknown(
                "assign_public_ip is known only after apply", attribute="network_configuration.assign_public_ip"
            )
        elif value is True:
            yield fail("assign_public_ip = true", attribute="network_configuration.assign_public_ip")


@policy(
    id="POP-ECS-003",
    title="Every container sends its logs to CloudWatch (awslogs)",
    severity="medium",
    resource_types=("aws_ecs_task_definition",),
    rationale="A container without a log driver loses its output when the task stops — exactly the output "
    "needed to diagnose why it stopped.",
    remediation='Give every container logConfiguration { logDriver = "awslogs", options = { awslogs-group, '
    "awslogs-region, awslogs-stream-prefix } } (or awsfirelens).",
)
def ecs_awslogs(change: Change, context: Context) -> Findings:
    containers = _containers(change)
    if containers is UNKNOWN:
        yield unknown("container_definitions are known only after apply", attribute="container_definitions")
        return
    if containers is None:
        yield fail("container_definitions is not a JSON list of containers", attribute="container_definitions")
        return
    for container in containers:
        name = container.get("name", "?")
        config = container.get("logConfiguration")
        driver = config.get("logDriver") if isinstance(config, dict) else None
        if driver not in LOG_DRIVERS:
            yield fail(
                f"container {name!r} has no awslogs log configuration (logDriver: {driver!r})",
                attribute="container_definitions",
            )
        elif driver == "awslogs" and not (config.get("options") or {}).get("awslogs-group"):
            yield fail(f"container {name!r} uses awslogs without an awslogs-group", attribute="container_definitions")


@policy(
    id="POP-ECS-004",
    title="No privileged containers",
    severity="critical",
    resource_types=("aws_ecs_task_definition",),
    rationale="A privileged container has root on the host: every other task on the instance and the "
    "instance role are one escape away.",
    remediation='Remove "privileged": true from the container definition (Fargate refuses it anyway).',
)
def ecs_not_privileged(change: Change, context: Context) -> Findings:
    containers = _containers(change)
    if containers is UNKNOWN:
        yield unknown("container_definitions are known only after apply", attribute="container_definitions")
        return
    for container in containers or []:
        if container.get("privileged") is True:
            yield fail(f"container {container.get('name', '?')!r} runs privileged", attribute="container_definitions")


@policy(
    id="POP-ECS-005",
    title="ECS clusters have Container Insights",
    severity="low",
    resource_types=("aws_ecs_cluster",),
    rationale="Container Insights provides the per-service CPU, memory and task-count metrics the "
    "monitoring dashboards and alarms are built on.",
    remediation='Add setting { name = "containerInsights", value = "enabled" } (or "enhanced").',
)
def ecs_container_insights(change: Change, context: Context) -> Findings:
    settings = change.get("setting")
    if unset_default(change, context, "setting"):
        yield fail("containerInsights is not enabled (no cluster settings)", attribute="setting")
        return
    if settings is UNKNOWN:
        yield unknown("the cluster settings are known only after apply", attribute="setting")
        return
    for setting in settings or []:
        if isinstance(setting, dict) and setting.get("name") == "containerInsights":
            value = setting.get("value")
            if value is UNKNOWN:
                yield unknown("containerInsights is known only after apply", attribute="setting")
            elif value not in ("enabled", "enhanced"):
                yield fail(f"containerInsights = {value!r}", attribute="setting")
            return
    yield fail("containerInsights is not enabled", attribute="setting")
