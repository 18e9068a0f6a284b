"""Each target group: its targets with AWS's reason codes explained, its health check against the container that
answers it, and its own 5xx and latency."""

from __future__ import annotations

import re

from popcornctl.diagnose.alb.facts import P99, TARGET_5XX, TargetGroupSubject
from popcornctl.diagnose.cloudwatch import threshold
from popcornctl.diagnose.ecs.facts import ContainerDefinition, Service
from popcornctl.diagnose.ecs.lines import health_check_line
from popcornctl.diagnose.findings import Finding, Status, worst
from popcornctl.diagnose.levels import Level
from popcornctl.diagnose.registry import check
from popcornctl.diagnose.targethealth import targets, verdict

ELB = "AWS/ApplicationELB"
TARGET_5XX_DEFAULT, P99_DEFAULT = 20.0, 2.0
_PATH = re.compile(r"https?://[^/\s]+(/[^\s'\"|]*)")


def users(subject: TargetGroupSubject) -> list[Service]:
    """The ECS services that register into the group."""
    arn = subject.group.arn
    return [s for s in subject.facts.services.services if any(lb.target_group_arn == arn for lb in s.load_balancers)]


@check(
    "alb.tg.targets",
    kind="alb-target-group",
    order=10,
    title="the group's targets, with AWS's reason codes explained",
    looks_at="DescribeTargetHealth (state, TargetHealth.Reason and Description, classified by the target-health "
    "rules); the listeners forwarding to the group; the desired count of the ECS services registering into it",
    findings=("alb.tg.targets",),
    reads=("target_health",),
    ok="every target healthy (or draining)",
    warn="some targets unhealthy or in initial checks; no listener forwards to the group; no target and no "
    "service to register one",
    fail="no healthy target, or none registered while its services want tasks",
)
def tg_targets(subject: TargetGroupSubject) -> list[Finding]:
    """One finding: the verdict, every target as evidence, the dominant reason's cause and fix."""
    group, health = subject.group, subject.health
    wanted = sum(s.desired for s in users(subject))
    found = targets(health)
    status, title = verdict(group.name, found, wanted)
    evidence = [health_check_line(group, group.arn), *found.lines]
    dominant = found.dominant if status is not Status.OK else None
    if not subject.listeners and status is not Status.FAIL:
        return [
            Finding(
                "alb.tg.targets",
                Status.WARN,
                f"target group {group.name}: no listener forwards to it",
                evidence=evidence,
                cause="Its targets get no traffic (AWS reports them Target.NotInUse).",
                remediation="Add the listener rule (the alb module's routed_services) or remove the group.",
            )
        ]
    if not health and not wanted:
        return [
            Finding(
                "alb.tg.targets",
                Status.WARN,
                f"target group {group.name}: no targets, and no ECS service registers into it",
                evidence=evidence,
                cause="A listener forwards here but nothing can answer: requests get 503.",
                remediation="Point the service's load_balancer block at this target group, or remove the rule.",
            )
        ]
    cause = dominant.cause if dominant else None
    fix = dominant.remediation if dominant else None
    if not health and wanted:
        cause = f"Its services want {wanted} task(s) but none is registered: tasks do not start or fail to register."
        fix = "Run `popcornctl diagnose ecs` for the services' stopped tasks and events."
    return [
        Finding("alb.tg.targets", status, title, evidence=evidence, cause=cause, remediation=fix,
                rule=dominant.id if dominant else None, down=status is Status.FAIL)
    ]


def _container_problems(
    subject: TargetGroupSubject, svc: Service, evidence: list[str]
) -> tuple[list[str], list[str]]:
    """(port problems, path problems) of one service registering into the group."""
    group = subject.group
    problems: list[str] = []
    paths: list[str] = []
    for lb in (lb for lb in svc.load_balancers if lb.target_group_arn == group.arn):
        container = subject.facts.services.container(svc, lb.container_name)
        if container is None:
            problems.append(f"{svc.name} registers container {lb.container_name}, which its task definition lacks")
            continue
        port = lb.container_port
        evidence.append(f"{svc.name}: container {container.name} maps {', '.join(map(str, container.ports)) or 'no'} "
                        f"port(s); the service registers {port}")
        if port is not None and container.ports and port not in container.ports:
            problems.append(f"{svc.name} registers port {port}, but {container.name} maps "
                            f"{', '.join(map(str, container.ports))}")
        if port is not None and group.port not in (None, "traffic-port") and str(group.port) != str(port):
            problems.append(f"health checks probe port {group.port}, but {container.name} listens on {port}")
        paths += _path_problem(group.path, container)
    return problems, paths


def _path_problem(path: str | None, container: ContainerDefinition) -> list[str]:
    """The container's own health check naming another path is a strong hint the group's path is wrong."""
    match = _PATH.search(" ".join(container.health_command))
    if not match or not path or match.group(1).split("?")[0] == path:
        return []
    return [f"health checks probe {path}, but {container.name}'s own health check probes {match.group(1)}"]


@check(
    "alb.tg.health-check",
    kind="alb-target-group",
    order=20,
    title="the health check against the container that answers it",
    looks_at="DescribeTargetGroups health-check protocol, port, path and HealthCheckEnabled; the ECS services "
    "registering into the group (loadBalancers containerName/containerPort) and their task definitions "
    "(portMappings, the container's own healthCheck command)",
    findings=("alb.tg.health-check",),
    ok="health checks probe the port the container maps",
    warn="health checks disabled; HTTPS checks against an HTTP target; the container's own health check probes "
    "another path; the services could not be read",
    fail="the registered port is not mapped by the container, or the health check probes another port",
)
def tg_health_check(subject: TargetGroupSubject) -> list[Finding]:
    """Health-check port/path/protocol vs the container's port and health check."""
    group, services = subject.group, subject.facts.services
    evidence = [health_check_line(group, group.arn)]
    if not group.enabled:
        return [Finding("alb.tg.health-check", Status.WARN, f"health checks are disabled on {group.name}",
                        evidence=evidence, cause="The load balancer sends traffic to every target, alive or not.",
                        remediation="Enable the health check (health_check.enabled = true).")]
    port_fails: list[str] = []
    warns: list[str] = []
    for svc in users(subject):
        ports, paths = _container_problems(subject, svc, evidence)
        port_fails += ports
        warns += paths
    if group.protocol == "HTTPS" and group.traffic_protocol == "HTTP":
        warns.append("health checks use HTTPS against an HTTP target")
    if services.note and not users(subject):
        warns.append(services.note)
    if port_fails or warns:
        return [
            Finding(
                "alb.tg.health-check",
                Status.FAIL if port_fails else Status.WARN,
                "; ".join(port_fails + warns),
                evidence=evidence,
                cause="Health checks that probe the wrong port time out (Target.Timeout) and mark every target "
                "unhealthy; a wrong path answers 404 (Target.ResponseCodeMismatch)."
                if port_fails
                else "The health check may not reflect whether the app is up.",
                remediation="Make the service's containerPort, the container's portMappings and the target group's "
                "health-check port agree (leave the port as traffic-port); use the app's health path "
                "(health_check_path in the env's routing).",
            )
        ]
    names = ", ".join(s.name for s in users(subject)) or "no ECS service"
    return [Finding("alb.tg.health-check", Status.OK, f"health checks match the container ({names})",
                    evidence=evidence)]


@check(
    "alb.tg.errors",
    kind="alb-target-group",
    order=30,
    title="the group's 5xx and p99 latency",
    looks_at="CloudWatch HTTPCode_Target_5XX_Count (Sum) and TargetResponseTime p99 per period for the group, "
    "against alarms on them (else the load balancer's alarms, else 20 per minute and 2 s)",
    findings=("alb.tg.errors",),
    reads=("metrics",),
    ok="under 90% of the thresholds",
    warn="over a threshold earlier in the window, or within 90% of it",
    fail="an alarm in ALARM, or the latest period over a threshold",
)
def tg_errors(subject: TargetGroupSubject) -> list[Finding]:
    """Which service answers 5xx or slowly."""
    facts, group = subject.facts, subject.group
    dims = {"TargetGroup": group.arn.split(":", 5)[-1]}
    lb = {"LoadBalancer": facts.lb.arn_suffix}
    errors_line = threshold(facts.alarms, ELB, "HTTPCode_Target_5XX_Count", TARGET_5XX_DEFAULT, dims)
    if errors_line.alarm is None:
        errors_line = threshold(facts.alarms, ELB, "HTTPCode_Target_5XX_Count", TARGET_5XX_DEFAULT, lb)
    latency_line = threshold(facts.alarms, ELB, "TargetResponseTime", P99_DEFAULT, dims)
    if latency_line.alarm is None:
        latency_line = threshold(facts.alarms, ELB, "TargetResponseTime", P99_DEFAULT, lb)
    levels = [
        Level("target 5xx", facts.series(TARGET_5XX, group.arn), errors_line, facts.period, summed=True),
        Level("p99 response time", facts.series(P99, group.arn), latency_line, facts.period, unit=" s"),
    ]
    evidence = [level.describe() for level in levels]
    status = worst(level.status for level in levels)
    if status is Status.OK:
        return [Finding("alb.tg.errors", Status.OK, "5xx and latency under their thresholds", evidence=evidence)]
    bad = [level for level in levels if level.status is not Status.OK]
    return [
        Finding(
            "alb.tg.errors",
            status,
            "; ".join(f"{level.label} reached {level.peak:g}{level.unit}" for level in bad),
            evidence=evidence,
            cause="The service behind this group answers with errors or slowly.",
            remediation="Read the service's logs and `popcornctl diagnose ecs --service` for it.",
        )
    ]
