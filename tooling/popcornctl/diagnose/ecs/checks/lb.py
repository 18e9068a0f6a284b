"""The load balancer's view of the service: target health with AWS's reason codes, and the grace period."""

from __future__ import annotations

from popcornctl.diagnose.ecs.facts import LoadBalancer
from popcornctl.diagnose.ecs.lines import health_check_line, span, tg_name
from popcornctl.diagnose.ecs.subjects import ServiceSubject
from popcornctl.diagnose.findings import Finding, Status
from popcornctl.diagnose.registry import check
from popcornctl.diagnose.targethealth import targets, verdict
from popcornctl.diagnose.window import aware


@check(
    "ecs.lb.targets",
    kind="ecs-service",
    order=70,
    title="target health in each of the service's target groups",
    looks_at="DescribeTargetHealth (state, reason code, description; classified by the target-health rules), "
    "DescribeTargetGroups health-check settings",
    findings=("lb.targets",),
    reads=("target_health", "target_groups"),
    ok="all targets healthy",
    warn="some unhealthy, or still in initial checks",
    fail="no healthy target, or none registered while tasks are wanted; each target's state, reason code and "
    "description is evidence, with the health-check path, port, matcher, interval and timeout",
)
def lb_targets(subject: ServiceSubject) -> list[Finding]:
    """One finding per target group."""
    return [_target_group(subject, lb) for lb in subject.service.load_balancers if lb.target_group_arn]


def _target_group(subject: ServiceSubject, lb: LoadBalancer) -> Finding:
    arn = lb.target_group_arn
    health = subject.target_health(arn)
    found = targets(health)
    evidence = [health_check_line(subject.facts.target_groups.get(arn), arn), *found.lines]
    dominant = found.dominant
    status, title = verdict(tg_name(arn), found, subject.service.desired)
    problem = status is not Status.OK
    cause = dominant.cause if dominant and problem else None
    fix = dominant.remediation if dominant and problem else None
    if not health and subject.service.desired:
        cause = (
            "No running task is registered: tasks do not start, or the service's loadBalancers block "
            "names another container/port."
        )
        fix = "Fix the stopped-task findings; check containerName/containerPort match the task definition."
    return Finding(
        "lb.targets",
        status,
        title,
        evidence=evidence,
        cause=cause,
        remediation=fix,
        rule=dominant.id if dominant and problem else None,
    )


@check(
    "ecs.lb.grace",
    kind="ecs-service",
    order=75,
    title="health-check grace period against boot time and ELB kills",
    looks_at="DescribeServices healthCheckGracePeriodSeconds, the target group's thresholds and interval, the "
    "container healthCheck startPeriod, tasks' createdAt/startedAt/stoppedAt and 'failed ELB health checks' stops",
    findings=("lb.grace",),
    ok="no task killed by ELB health checks",
    warn="tasks killed despite a grace period; grace shorter than the container `startPeriod`",
    fail="tasks killed by ELB health checks with no grace period; evidence: grace vs healthy-threshold × "
    "interval, launch-to-RUNNING times, run time before the kill",
)
def lb_grace(subject: ServiceSubject) -> list[Finding]:
    """Tasks killed by the load balancer before they are up."""
    lbs = [lb for lb in subject.service.load_balancers if lb.target_group_arn]
    if not lbs:
        return []
    grace = subject.service.grace_seconds
    tg = subject.facts.target_groups.get(lbs[0].target_group_arn)
    interval = (tg.interval if tg else None) or 30
    healthy_after = (tg.healthy_threshold if tg else None) or 5
    unhealthy_after = (tg.unhealthy_threshold if tg else None) or 2
    td = subject.task_definition
    cdef = td.container(lbs[0].container_name) if td else None
    start_period = cdef.health_start_period if cdef else 0
    killed = [
        int((aware(t.stopped_at) - aware(t.started_at)).total_seconds())
        for t in subject.stopped
        if "failed ELB health checks" in t.stopped_reason and t.started_at and t.stopped_at
    ]
    starts = [
        int((aware(t.started_at) - aware(t.created_at)).total_seconds())
        for t in subject.running + subject.stopped
        if t.started_at and t.created_at
    ]
    evidence = [
        f"grace period {grace}s; target group needs {healthy_after} x {interval}s = {healthy_after * interval}s "
        f"of passing checks and fails a target after {unhealthy_after} x {interval}s",
    ]
    if start_period:
        evidence.append(f"container health check startPeriod {start_period}s")
    if starts:
        evidence.append(f"tasks took {span(starts)} from launch to RUNNING (pull + start)")
    if killed:
        evidence.append(f"{len(killed)} task(s) killed by ELB health checks {span(killed)} after starting")
    return [_grace(grace, start_period, unhealthy_after * interval, killed, evidence)]


def _grace(grace: int, start_period: int, fail_after: int, killed: list[int], evidence: list[str]) -> Finding:
    if killed and grace == 0:
        return Finding(
            "lb.grace",
            Status.FAIL,
            "tasks killed by ELB health checks with no grace period",
            evidence=evidence,
            cause=f"ECS acts on ELB health from the moment a task is RUNNING; an app that needs longer than "
            f"{fail_after}s to answer is killed before it is up.",
            remediation="Set health_check_grace_period_seconds above the app's boot time (e.g. 60-120).",
        )
    if killed:
        return Finding(
            "lb.grace",
            Status.WARN,
            f"tasks still killed by ELB health checks after a {grace}s grace period",
            evidence=evidence,
            cause="Either the app boots slower than the grace period, or the health check can never pass "
            "(see the target-health reasons).",
            remediation="Fix the health check first; raise health_check_grace_period_seconds only if the app "
            "is just slow to boot.",
        )
    if start_period > grace:
        return Finding(
            "lb.grace",
            Status.WARN,
            f"grace period {grace}s is shorter than the container startPeriod {start_period}s",
            evidence=evidence,
            cause="The load balancer may kill tasks the container health check still tolerates.",
            remediation=f"Set health_check_grace_period_seconds >= {start_period}.",
        )
    return Finding(
        "lb.grace", Status.OK, f"grace period {grace}s; no task killed by ELB health checks", evidence=evidence
    )
