"""How ECS facts read in findings and headers (pure formatting, shared by the ECS checks)."""

from __future__ import annotations

from datetime import datetime

from popcornctl.diagnose.ecs.facts import Deployment, Service, TargetGroup, Task, TaskDefinition
from popcornctl.diagnose.facts import arn_name
from popcornctl.diagnose.rules import ContainerExit
from popcornctl.diagnose.window import aware, human_age


def span(seconds: list[int]) -> str:
    """'40s' or '35-70s'."""
    low, high = min(seconds), max(seconds)
    return f"{low}s" if low == high else f"{low}-{high}s"


def td_ref(arn: str) -> str:
    """family:revision of a task definition ARN."""
    return arn.rsplit("/", 1)[-1]


def td_name(td: TaskDefinition | None, svc: Service) -> str:
    """The task definition's family:revision (from the service's ARN when it is unreadable)."""
    if td is not None and td.family:
        return td.name
    return td_ref(str(svc.task_definition or "?"))


def launch(svc: Service) -> str:
    """How the service launches: 'FARGATE', 'EC2' or its capacity providers."""
    if svc.capacity_providers:
        return "capacity providers " + ", ".join(svc.capacity_providers)
    return str(svc.launch_type or "?")


def tg_name(arn: str) -> str:
    """A target group's name from its ARN."""
    parts = arn.split("/")
    return parts[-2] if len(parts) >= 3 else arn


def deployment_line(d: Deployment, now: datetime) -> str:
    """One deployment as an evidence line."""
    age = f", {human_age(now - aware(d.created_at))} old" if d.created_at else ""
    reason = f": {d.rollout_state_reason}" if d.rollout_state_reason else ""
    return (
        f"{d.status} {d.id} {td_ref(d.task_definition)} {d.rollout_state or ''} running {d.running}/{d.desired}, "
        f"failed tasks {d.failed_tasks}{age}{reason}"
    )


def task_line(task: Task, container: ContainerExit | None, now: datetime) -> str:
    """One stopped task as an evidence line."""
    when = f"{human_age(now - aware(task.stopped_at))} ago" if task.stopped_at else "recently"
    line = f"task {arn_name(task.arn)} stopped {when}"
    if task.stop_code:
        line += f" [{task.stop_code}]"
    line += f": {task.stopped_reason}"
    if container is not None and (container.exit_code is not None or container.reason):
        line += f" | {container.name} exit {container.exit_code}"
        if container.reason:
            line += f": {container.reason}"
    return line


def memory_limit(td: TaskDefinition | None, container: str) -> str:
    """A container's memory limits, as the OOM finding names them."""
    cdef = td.container(container) if td else None
    parts = []
    if cdef and cdef.memory:
        parts.append(f"{cdef.memory} MiB container hard limit")
    if cdef and cdef.memory_reservation:
        parts.append(f"{cdef.memory_reservation} MiB reservation")
    if td and td.memory:
        parts.append(f"{td.memory} MiB task memory")
    return ", ".join(parts) or "no memory limit set"


def health_check_line(tg: TargetGroup | None, arn: str) -> str:
    """A target group's health-check settings as an evidence line."""
    if tg is None:
        return f"target group {tg_name(arn)} (settings unreadable)"
    return (
        f"health check {tg.protocol or '?'} {tg.path or ''} on port {tg.port or '?'}, matcher {tg.matcher or '?'}, "
        f"every {tg.interval if tg.interval is not None else '?'}s, "
        f"timeout {tg.timeout if tg.timeout is not None else '?'}s"
    )
