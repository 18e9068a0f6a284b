"""Service state: status, running vs desired tasks, and the deployment (rollout and circuit breaker)."""

from __future__ import annotations

from datetime import timedelta

from popcornctl.diagnose.ecs.facts import Deployment, Service
from popcornctl.diagnose.ecs.lines import deployment_line, td_ref
from popcornctl.diagnose.ecs.subjects import ServiceSubject
from popcornctl.diagnose.findings import Finding, Status
from popcornctl.diagnose.registry import check
from popcornctl.diagnose.window import human_age

IN_PROGRESS_WARN = timedelta(minutes=15)
IN_PROGRESS_FAIL = timedelta(minutes=30)
PENDING_STUCK = timedelta(minutes=10)


@check(
    "ecs.service.status",
    kind="ecs-service",
    order=10,
    title="service status",
    looks_at="DescribeServices status",
    findings=("service.status",),
    ok="ACTIVE",
    fail="DRAINING / INACTIVE (down)",
)
def service_status(subject: ServiceSubject) -> list[Finding]:
    """ACTIVE, or being deleted (down)."""
    status = subject.service.status
    if status == "ACTIVE":
        return [Finding("service.status", Status.OK, "service is ACTIVE")]
    return [
        Finding(
            "service.status",
            Status.FAIL,
            f"service is {status}",
            cause="DRAINING/INACTIVE services are being deleted and run no tasks.",
            remediation="Re-create the service (terraform apply of the env stack).",
            down=True,
        )
    ]


@check(
    "ecs.service.running",
    kind="ecs-service",
    order=20,
    title="running vs desired tasks, and tasks stuck pending",
    looks_at="DescribeServices desiredCount, runningCount, pendingCount; the primary deployment's age",
    findings=("service.running", "service.pending"),
    ok="running = desired; pending tasks starting",
    warn="desired 0, or 0 < running < desired; pending for more than 10 minutes (stuck)",
    fail="running 0 of desired > 0 (down)",
)
def service_running(subject: ServiceSubject) -> list[Finding]:
    """Running against desired tasks; pending tasks that do not start."""
    svc = subject.service
    return [_counts(svc), *_pending(subject)]


def _counts(svc: Service) -> Finding:
    desired, running, pending = svc.desired, svc.running, svc.pending
    if desired == 0:
        return Finding(
            "service.running",
            Status.WARN,
            "desired count is 0: the service is scaled to zero",
            remediation="Set desired_count (or the autoscaling minimum) above 0 if it should serve traffic.",
        )
    if running == 0:
        return Finding(
            "service.running",
            Status.FAIL,
            f"down: 0 of {desired} tasks running",
            evidence=[f"{pending} pending"] if pending else [],
            cause="Every task fails to start or is killed; the stopped-task findings below say why.",
            remediation="Fix the first FAIL below, then watch: popcornctl diagnose ecs again.",
            down=True,
        )
    if running < desired:
        return Finding(
            "service.running",
            Status.WARN,
            f"degraded: {running} of {desired} tasks running",
            cause="Some tasks fail to start or are being replaced.",
            remediation="See the stopped-task and deployment findings.",
        )
    return Finding("service.running", Status.OK, f"{running} of {desired} tasks running")


def _pending(subject: ServiceSubject) -> list[Finding]:
    pending = subject.service.pending
    if not pending:
        return []
    primary = subject.service.primary
    since = (primary.updated_at or primary.created_at) if primary else None
    age = subject.window.age(since) if since else None
    if age is not None and age > PENDING_STUCK:
        return [
            Finding(
                "service.pending",
                Status.WARN,
                f"{pending} task(s) pending for over {human_age(age)}",
                cause="Tasks stay PENDING while the image pulls, secrets load or capacity is found; this long "
                "means they are stuck.",
                remediation="Check 'unable to place' events and capacity; pulls of large images from far "
                "registries are slow.",
            )
        ]
    return [Finding("service.pending", Status.OK, f"{pending} task(s) starting")]


@check(
    "ecs.service.deployment",
    kind="ecs-service",
    order=30,
    title="deployment and rollout state, circuit-breaker rollbacks",
    looks_at="DescribeServices deployments (rolloutState, rolloutStateReason, failedTasks, age), "
    "deploymentCircuitBreaker, the rollback/failure events in the window",
    findings=("service.deployment",),
    ok="COMPLETED, or IN_PROGRESS under 15 min",
    warn="IN_PROGRESS 15-30 min or with failed tasks; several deployments active",
    fail="FAILED, circuit breaker rolled back (from `rolloutState`, `rolloutStateReason` or the events), or "
    "IN_PROGRESS 30+ min",
)
def service_deployment(subject: ServiceSubject) -> list[Finding]:
    """A failed or rolled-back deployment, a rollout that does not finish, deployments that do not drain."""
    svc = subject.service
    deployments = list(svc.deployments)
    if not deployments:
        return [Finding("service.deployment", Status.OK, "no deployment information (external controller)")]
    evidence = [deployment_line(d, subject.window.end) for d in deployments]
    failed = _failed(subject, evidence)
    if failed is not None:
        return [failed]
    primary = svc.primary or deployments[0]
    if primary.rollout_state == "IN_PROGRESS":
        return [_in_progress(subject, primary, evidence)]
    if len(deployments) > 1:
        return [
            Finding(
                "service.deployment",
                Status.WARN,
                f"{len(deployments)} deployments active",
                evidence=evidence,
                cause="An older deployment has not drained yet.",
                remediation="Wait for the rollout; if it persists see tasks.stopped.",
            )
        ]
    state = primary.rollout_state or "PRIMARY"
    return [Finding("service.deployment", Status.OK, f"deployment {primary.id} {state}", evidence=evidence)]


def _failed(subject: ServiceSubject, evidence: list[str]) -> Finding | None:
    svc = subject.service
    events = [e for e in svc.events if subject.window.contains(e.created_at)]
    rollback_events = [e.message for e in events if "rolling back to deployment" in e.message]
    failed_events = [e.message for e in events if "deployment failed" in e.message]
    failed = [d for d in svc.deployments if d.rollout_state == "FAILED"]
    rolling_back = [d for d in svc.deployments if "rolling back" in (d.rollout_state_reason or "").lower()]
    if not (failed or rolling_back or rollback_events or failed_events):
        return None
    target_name: str | None = None
    if rolling_back:
        target_name = _deployment_name(rolling_back[0])
    elif rollback_events:
        target_id = rollback_events[0].rsplit(" ", 1)[-1].rstrip(".")
        known = next((d for d in svc.deployments if d.id == target_id), None)
        target_name = _deployment_name(known) if known else target_id
    title = "deployment failed"
    if target_name is not None:
        title += f"; the circuit breaker rolled back to {target_name}"
    reasons = [d.rollout_state_reason for d in failed + rolling_back if d.rollout_state_reason]
    return Finding(
        "service.deployment",
        Status.FAIL,
        title,
        evidence=evidence + [f"event: {m}" for m in (failed_events + rollback_events)[:4]],
        cause=(reasons[0] if reasons else "Tasks of the new deployment failed to start or to become healthy")
        + " — the new release is not serving.",
        remediation="Fix why the new tasks stop (tasks.stopped below), then deploy again; the service "
        "keeps running the previous revision meanwhile.",
        rule="event.rollback" if (rolling_back or rollback_events) else "event.deployment-failed",
    )


def _deployment_name(target: Deployment) -> str:
    if target.task_definition:
        return f"{td_ref(target.task_definition)} (deployment {target.id})"
    return target.id


def _in_progress(subject: ServiceSubject, primary: Deployment, evidence: list[str]) -> Finding:
    age = subject.window.age(primary.created_at) if primary.created_at else timedelta(0)
    failed_tasks = primary.failed_tasks
    if age >= IN_PROGRESS_FAIL or (age >= IN_PROGRESS_WARN and failed_tasks):
        status = Status.FAIL
    elif age >= IN_PROGRESS_WARN or failed_tasks:
        status = Status.WARN
    else:
        status = Status.OK
    no_breaker = (
        ""
        if subject.service.circuit_breaker
        else " The deployment circuit breaker is off, so a failing rollout never stops by itself."
    )
    problem = status is not Status.OK
    return Finding(
        "service.deployment",
        status,
        f"rollout IN_PROGRESS for {human_age(age)}" + (f" ({failed_tasks} failed tasks)" if failed_tasks else ""),
        evidence=evidence,
        cause="New tasks do not reach a steady state." + no_breaker if problem else None,
        remediation="See tasks.stopped and the events; enable deployment_circuit_breaker { enable = true, "
        "rollback = true } on the service."
        if problem
        else None,
    )
