"""ECS service checks (popcornctl.diagnose.ecs.checks.service/events) on facts built directly.

moto reports runningCount 0, one IN_PROGRESS deployment, no events and no circuit breaker, so every scenario
here is built as typed facts (diagfacts), which is all a pure check reads.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from diagfacts import (
    PREFIX,
    ago,
    ecs_facts,
    ecs_report,
    finding,
    running_task,
    service,
    stopped_task,
    target,
    task_definition,
)

from popcornctl.diagnose.ecs.facts import Deployment, ServiceEvent
from popcornctl.diagnose.findings import Health, Status


def test_healthy_service_is_all_ok_and_exits_0() -> None:
    facts = ecs_facts([service()], [running_task(n=1), running_task(n=2)])
    report = ecs_report(facts)
    assert report.exit_code == 0, [(f.check, f.title) for t in report.targets for f in t.findings if f.status.rank]
    assert report.health is Health.HEALTHY
    cluster, api = report.targets
    assert cluster.kind == "ecs-cluster" and "1 healthy" in cluster.facts["services"]
    assert finding(api, "service.running").title == "2 of 2 tasks running"
    assert finding(api, "exec").title == "ECS Exec ready"
    assert "ExecuteCommandAgent RUNNING" in " ".join(finding(api, "exec").evidence)
    assert finding(api, "taskdef").status is Status.OK


def test_down_when_no_task_runs() -> None:
    api = target(ecs_report(ecs_facts([service(running=0)])), "api")
    assert api.health is Health.DOWN
    assert finding(api, "service.running", Status.FAIL).title == "down: 0 of 2 tasks running"


def test_degraded_when_some_tasks_run() -> None:
    api = target(ecs_report(ecs_facts([service(running=1)], [running_task()])), "api")
    assert api.health is Health.DEGRADED
    assert finding(api, "service.running", Status.WARN).title == "degraded: 1 of 2 tasks running"


def test_draining_service_is_down() -> None:
    api = target(ecs_report(ecs_facts([service(status="DRAINING")])), "api")
    assert finding(api, "service.status", Status.FAIL).title == "service is DRAINING"
    assert api.health is Health.DOWN


def test_tasks_pending_too_long() -> None:
    svc = service(running=1, pending=1)
    svc = replace(svc, deployments=(replace(svc.deployments[0], updated_at=ago(minutes=25)),))
    pending = finding(target(ecs_report(ecs_facts([svc])), "api"), "service.pending", Status.WARN)
    assert pending.title == "1 task(s) pending for over 25m"


def test_failed_deployment_with_circuit_breaker_rollback() -> None:
    """The rollback deployment, the FAILED one, and the events ECS writes (moto has no circuit breaker)."""
    old_td, new_td = task_definition(revision=1), task_definition(revision=2)
    name = f"{PREFIX}-api"
    svc = service(
        td=old_td,
        running=1,
        pending=1,
        deployments=(
            Deployment("ecs-svc/2222", "PRIMARY", old_td.arn, "IN_PROGRESS",
                       "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1111.", 1, 2, 0,
                       ago(minutes=4), ago(minutes=4)),
            Deployment("ecs-svc/3333", "ACTIVE", new_td.arn, "FAILED",
                       "ECS deployment circuit breaker: tasks failed to start.", 0, 0, 10, ago(minutes=25),
                       ago(minutes=4)),
        ),
        events=(
            ServiceEvent(f"(service {name}) rolling back to deployment ecs-svc/1111.", ago(minutes=2)),
            ServiceEvent(f"(service {name}) (deployment ecs-svc/3333) deployment failed: tasks failed to start.",
                         ago(minutes=5)),
            ServiceEvent(f"(service {name}) is unable to consistently start tasks successfully. For more "
                         "information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
                         ago(minutes=8)),
        ),
    )
    api = target(ecs_report(ecs_facts([svc], tds=[old_td, new_td])), "api")
    dep = finding(api, "service.deployment", Status.FAIL)
    assert dep.title == (
        "deployment failed; the circuit breaker rolled back to goorm-popcorn-dev-api:1 (deployment ecs-svc/2222)"
    )
    assert dep.rule == "event.rollback"
    assert any("FAILED" in line and "failed tasks 10" in line for line in dep.evidence)
    events = finding(api, "service.events", Status.FAIL)
    assert all(line.startswith("!! ") for line in events.evidence)


def test_rollback_named_by_the_event_only() -> None:
    name = f"{PREFIX}-api"
    svc = service(events=(ServiceEvent(f"(service {name}) rolling back to deployment ecs-svc/0999.", ago(minutes=1)),))
    dep = finding(target(ecs_report(ecs_facts([svc])), "api"), "service.deployment", Status.FAIL)
    assert dep.title == "deployment failed; the circuit breaker rolled back to ecs-svc/0999"


def test_rollout_stuck_in_progress() -> None:
    svc = service(running=0)
    svc = replace(svc, deployments=(replace(svc.deployments[0], rollout_state="IN_PROGRESS",
                                             created_at=ago(minutes=45)),))
    dep = finding(target(ecs_report(ecs_facts([svc])), "api"), "service.deployment", Status.FAIL)
    assert dep.title.startswith("rollout IN_PROGRESS for 45m")


def test_rollout_in_progress_with_failures_and_no_breaker_warns() -> None:
    svc = service(circuit_breaker=False)
    svc = replace(svc, deployments=(replace(svc.deployments[0], rollout_state="IN_PROGRESS", failed_tasks=2,
                                             created_at=ago(minutes=5)),))
    dep = finding(target(ecs_report(ecs_facts([svc])), "api"), "service.deployment", Status.WARN)
    assert dep.title == "rollout IN_PROGRESS for 5m (2 failed tasks)"
    assert "circuit breaker is off" in (dep.cause or "")


def test_two_deployments_active_warns() -> None:
    svc = service()
    svc = replace(svc, deployments=(*svc.deployments, replace(svc.deployments[0], id="ecs-svc/0", status="ACTIVE")))
    assert finding(target(ecs_report(ecs_facts([svc])), "api"), "service.deployment", Status.WARN).title == (
        "2 deployments active"
    )


def test_events_deduplicate_across_task_ids_and_recovery_is_ok() -> None:
    name = f"{PREFIX}-api"
    svc = service(events=(
        ServiceEvent(f"(service {name}) has reached a steady state.", ago(minutes=2)),
        ServiceEvent(f"(service {name}) (task 0a1b2c3d4e5f46a7b8c9d0e1f2a3b4c5) failed container health checks.",
                     ago(minutes=5)),
        ServiceEvent(f"(service {name}) (task 9f8e7d6c5b4a43210fedcba987654321) failed container health checks.",
                     ago(minutes=8)),
    ))
    events = finding(target(ecs_report(ecs_facts([svc])), "api"), "service.events", Status.OK)
    assert events.title == "recovered: steady state now, after 2 problem event(s)"
    assert sum(1 for line in events.evidence if "failed container health checks" in line) == 1


def test_events_outside_the_window_are_ignored() -> None:
    svc = service(events=(ServiceEvent("(service x) is unable to place a task", ago(hours=2)),))
    events = finding(target(ecs_report(ecs_facts([svc])), "api"), "service.events", Status.OK)
    assert events.title == "no service events in the last 1h00m"


def test_stopped_tasks_outside_the_window_are_ignored() -> None:
    old = stopped_task(reason="Essential container in task exited", stop_code="EssentialContainerExited",
                       exit_code=1, stopped_ago=timedelta(minutes=50))
    facts = ecs_facts([service()], [running_task(n=1), running_task(n=2), old])
    short = replace(facts, window=replace(facts.window, since=timedelta(minutes=30)))
    assert finding(target(ecs_report(short), "api"), "tasks.stopped").status is Status.OK
    assert finding(target(ecs_report(facts), "api"), "tasks.stopped").status is Status.FAIL
