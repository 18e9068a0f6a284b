"""ECS/ELB API responses as typed facts (pure: dictionaries in, frozen dataclasses out)."""

from __future__ import annotations

from typing import Any

from popcornctl.diagnose.ecs.facts import (
    Cluster,
    ContainerDefinition,
    Deployment,
    LoadBalancer,
    LogConfig,
    Network,
    Service,
    ServiceEvent,
    TargetGroup,
    TargetHealth,
    Task,
    TaskContainer,
    TaskDefinition,
)


def _int(value: Any) -> int | None:
    """An integer from an API field ('512', 512, None)."""
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def cluster(raw: dict[str, Any]) -> Cluster:
    """DescribeClusters ``clusters[]``."""
    exec_conf = (raw.get("configuration") or {}).get("executeCommandConfiguration") or {}
    return Cluster(
        name=str(raw.get("clusterName", "")),
        arn=raw.get("clusterArn"),
        status=str(raw.get("status")),
        running_tasks=int(raw.get("runningTasksCount", 0)),
        pending_tasks=int(raw.get("pendingTasksCount", 0)),
        container_instances=int(raw.get("registeredContainerInstancesCount", 0)),
        capacity_providers=tuple(str(p) for p in raw.get("capacityProviders", [])),
        exec_kms_key=exec_conf.get("kmsKeyId"),
    )


def _deployment(raw: dict[str, Any]) -> Deployment:
    return Deployment(
        id=str(raw.get("id")),
        status=str(raw.get("status")),
        task_definition=str(raw.get("taskDefinition", "")),
        rollout_state=raw.get("rolloutState"),
        rollout_state_reason=raw.get("rolloutStateReason"),
        running=int(raw.get("runningCount", 0) or 0),
        desired=int(raw.get("desiredCount", 0) or 0),
        failed_tasks=int(raw.get("failedTasks", 0) or 0),
        created_at=raw.get("createdAt"),
        updated_at=raw.get("updatedAt"),
    )


def service(raw: dict[str, Any]) -> Service:
    """DescribeServices ``services[]``."""
    vpc = (raw.get("networkConfiguration") or {}).get("awsvpcConfiguration")
    breaker = (raw.get("deploymentConfiguration") or {}).get("deploymentCircuitBreaker") or {}
    return Service(
        name=str(raw["serviceName"]),
        arn=raw.get("serviceArn"),
        status=str(raw.get("status", "?")),
        desired=int(raw.get("desiredCount", 0)),
        running=int(raw.get("runningCount", 0)),
        pending=int(raw.get("pendingCount", 0)),
        launch_type=raw.get("launchType"),
        capacity_providers=tuple(str(s.get("capacityProvider")) for s in raw.get("capacityProviderStrategy") or []),
        task_definition=raw.get("taskDefinition"),
        deployments=tuple(_deployment(d) for d in raw.get("deployments", [])),
        events=tuple(ServiceEvent(str(e.get("message", "")), e.get("createdAt")) for e in raw.get("events", [])),
        circuit_breaker=bool(breaker.get("enable")),
        load_balancers=tuple(
            LoadBalancer(str(lb.get("targetGroupArn", "")), str(lb.get("containerName", "")), lb.get("containerPort"))
            for lb in raw.get("loadBalancers", [])
        ),
        grace_seconds=int(raw.get("healthCheckGracePeriodSeconds") or 0),
        exec_enabled=bool(raw.get("enableExecuteCommand")),
        network=Network(
            subnets=tuple(str(s) for s in vpc.get("subnets", [])),
            security_groups=tuple(str(g) for g in vpc.get("securityGroups", [])),
            public_ip=vpc.get("assignPublicIp") == "ENABLED",
        )
        if vpc
        else None,
    )


def _task_container(raw: dict[str, Any]) -> TaskContainer:
    agents = tuple(
        str(a.get("lastStatus")) for a in raw.get("managedAgents", []) if a.get("name") == "ExecuteCommandAgent"
    )
    return TaskContainer(
        name=str(raw.get("name", "?")), exit_code=raw.get("exitCode"), reason=raw.get("reason"), exec_agents=agents
    )


def task(raw: dict[str, Any]) -> Task:
    """DescribeTasks ``tasks[]``."""
    return Task(
        arn=str(raw.get("taskArn")),
        task_definition=str(raw.get("taskDefinitionArn", "")),
        group=str(raw.get("group", "")),
        last_status=str(raw.get("lastStatus", "")),
        desired_status=str(raw.get("desiredStatus", "")),
        stop_code=raw.get("stopCode"),
        stopped_reason=str(raw.get("stoppedReason", "")),
        created_at=raw.get("createdAt"),
        started_at=raw.get("startedAt"),
        stopping_at=raw.get("stoppingAt"),
        stopped_at=raw.get("stoppedAt"),
        launch_type=raw.get("launchType"),
        platform_version=raw.get("platformVersion"),
        containers=tuple(_task_container(c) for c in raw.get("containers", [])),
    )


def _log(raw: dict[str, Any]) -> LogConfig | None:
    config = raw.get("logConfiguration")
    if not config:
        return None
    options = config.get("options") or {}
    return LogConfig(
        driver=str(config.get("logDriver", "")),
        group=options.get("awslogs-group"),
        region=options.get("awslogs-region"),
        stream_prefix=options.get("awslogs-stream-prefix"),
    )


def _container_definition(raw: dict[str, Any]) -> ContainerDefinition:
    return ContainerDefinition(
        name=str(raw.get("name")),
        image=str(raw.get("image", "")),
        essential=bool(raw.get("essential", True)),
        memory=_int(raw.get("memory")),
        memory_reservation=_int(raw.get("memoryReservation")),
        log=_log(raw),
        secrets=tuple(str(s.get("valueFrom")) for s in raw.get("secrets", [])),
        registry_credentials=(raw.get("repositoryCredentials") or {}).get("credentialsParameter"),
        readonly_root=bool(raw.get("readonlyRootFilesystem")),
        init_process=bool((raw.get("linuxParameters") or {}).get("initProcessEnabled")),
        health_start_period=int((raw.get("healthCheck") or {}).get("startPeriod") or 0),
        ports=tuple(p for m in raw.get("portMappings", []) if (p := _int(m.get("containerPort"))) is not None),
        environment=tuple((str(e.get("name")), str(e.get("value", ""))) for e in raw.get("environment", [])),
        secret_env=tuple((str(e.get("name")), str(e.get("valueFrom", ""))) for e in raw.get("secrets", [])),
        health_command=tuple(str(c) for c in (raw.get("healthCheck") or {}).get("command", [])),
    )


def task_definition(raw: dict[str, Any]) -> TaskDefinition:
    """DescribeTaskDefinition ``taskDefinition``."""
    return TaskDefinition(
        arn=str(raw.get("taskDefinitionArn", "")),
        family=str(raw.get("family", "")),
        revision=_int(raw.get("revision")),
        cpu=None if raw.get("cpu") is None else str(raw.get("cpu")),
        memory=None if raw.get("memory") is None else str(raw.get("memory")),
        requires=tuple(str(c) for c in raw.get("requiresCompatibilities") or []),
        execution_role=raw.get("executionRoleArn"),
        task_role=raw.get("taskRoleArn"),
        containers=tuple(_container_definition(c) for c in raw.get("containerDefinitions", [])),
    )


def target_group(raw: dict[str, Any]) -> TargetGroup:
    """DescribeTargetGroups ``TargetGroups[]``."""
    return TargetGroup(
        arn=str(raw["TargetGroupArn"]),
        protocol=raw.get("HealthCheckProtocol"),
        path=raw.get("HealthCheckPath"),
        port=None if raw.get("HealthCheckPort") is None else str(raw.get("HealthCheckPort")),
        matcher=(raw.get("Matcher") or {}).get("HttpCode"),
        interval=_int(raw.get("HealthCheckIntervalSeconds")),
        timeout=_int(raw.get("HealthCheckTimeoutSeconds")),
        healthy_threshold=_int(raw.get("HealthyThresholdCount")),
        unhealthy_threshold=_int(raw.get("UnhealthyThresholdCount")),
        name=str(raw.get("TargetGroupName", "")),
        traffic_protocol=raw.get("Protocol"),
        traffic_port=_int(raw.get("Port")),
        target_type=raw.get("TargetType"),
        load_balancers=tuple(str(a) for a in raw.get("LoadBalancerArns", [])),
        enabled=raw.get("HealthCheckEnabled", True) is not False,
    )


def target_health(raw: dict[str, Any]) -> TargetHealth:
    """DescribeTargetHealth ``TargetHealthDescriptions[]``."""
    health = raw.get("TargetHealth", {})
    target = raw.get("Target", {})
    return TargetHealth(
        target_id=str(target.get("Id")),
        port=target.get("Port"),
        state=str(health.get("State", "?")),
        reason=health.get("Reason"),
        description=str(health.get("Description", "")),
        az=target.get("AvailabilityZone"),
    )
