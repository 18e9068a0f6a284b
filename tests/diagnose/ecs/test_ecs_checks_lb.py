"""Load-balancer checks (popcornctl.diagnose.ecs.checks.lb) on facts built directly.

moto reports every registered target healthy, so unhealthy targets with AWS's reason codes are typed facts
here (the fetch of target health is in test_ecs_fetch.py, with a Stubber for the unhealthy answer).
"""

from __future__ import annotations

from datetime import timedelta

from diagfacts import (
    PREFIX,
    ago,
    container,
    ecs_facts,
    ecs_report,
    finding,
    healthy_targets,
    load_balancer,
    running_task,
    service,
    stopped_task,
    target,
    target_group,
    target_group_arn,
    task_definition,
)

from popcornctl.diagnose.calls import Outcome
from popcornctl.diagnose.ecs.facts import ServiceEvent, TargetHealth
from popcornctl.diagnose.findings import Status

TG = target_group_arn()


def facts_with(health: tuple[TargetHealth, ...], **kwargs: object) -> object:
    tasks = kwargs.pop("tasks", [running_task(n=1), running_task(n=2)])
    svc = service(load_balancers=(load_balancer(),), **kwargs)  # type: ignore[arg-type]
    return ecs_facts([svc], tasks, target_groups={TG: target_group(TG)},  # type: ignore[arg-type]
                     target_health={TG: Outcome(health)})


def test_healthy_targets() -> None:
    api = target(ecs_report(facts_with(healthy_targets(TG))), "api")  # type: ignore[arg-type]
    assert finding(api, "lb.targets").title.endswith("2 of 2 targets healthy")
    assert finding(api, "lb.grace", Status.OK).title == "grace period 60s; no task killed by ELB health checks"


def test_unhealthy_targets_with_reasons_and_no_grace_period() -> None:
    unhealthy = tuple(TargetHealth(ip, 8080, "unhealthy", "Target.ResponseCodeMismatch",
                                   "Health checks failed with these codes: [404]") for ip in ("10.20.1.10", "10.20.2.10"))
    name = f"{PREFIX}-api"
    killed = [stopped_task(reason=f"Task failed ELB health checks in (target-group {TG})",
                           stop_code="ServiceSchedulerInitiated", exit_code=137, ran_for=timedelta(seconds=35), n=i)
              for i in range(2)]
    message = (f"(service {name}) (port 8080) is unhealthy in (target-group {TG}) due to (reason Health checks failed "
               "with these codes: [404]).")
    facts = facts_with(unhealthy, grace_seconds=0, tasks=[running_task(n=1), running_task(n=2), *killed],
                       events=(ServiceEvent(message, ago(minutes=2)), ServiceEvent(message, ago(minutes=5))))
    api = target(ecs_report(facts), "api")  # type: ignore[arg-type]
    targets = finding(api, "lb.targets", Status.FAIL)
    assert targets.title == f"target group {PREFIX}-api: 0 of 2 targets healthy"
    assert targets.rule == "tg.response-code-mismatch"
    assert "10.20.1.10:8080 unhealthy — Target.ResponseCodeMismatch: Health checks failed with these codes: [404]" in (
        targets.evidence
    )
    assert "health check HTTP /health" in targets.evidence[0]
    assert finding(api, "tasks.stopped", Status.FAIL).rule == "health.elb"
    grace = finding(api, "lb.grace", Status.FAIL)
    assert any("killed by ELB health checks 35s after starting" in line for line in grace.evidence)
    events = finding(api, "service.events", Status.FAIL)
    assert events.evidence[0].startswith("!! 2x ")  # de-duplicated, highlighted


def test_no_target_registered_while_tasks_are_wanted() -> None:
    targets = finding(target(ecs_report(facts_with(())), "api"), "lb.targets", Status.FAIL)  # type: ignore[arg-type]
    assert targets.title == f"target group {PREFIX}-api: no targets registered"
    assert "containerName/containerPort" in (targets.remediation or "")


def test_grace_shorter_than_the_container_start_period() -> None:
    td = task_definition(containers=(container(health_start_period=120),))
    svc = service(td=td, load_balancers=(load_balancer(),))
    facts = ecs_facts([svc], [running_task(td=td)], tds=[td], target_groups={TG: target_group(TG)},
                      target_health={TG: Outcome(healthy_targets(TG))})
    grace = finding(target(ecs_report(facts), "api"), "lb.grace", Status.WARN)
    assert grace.title == "grace period 60s is shorter than the container startPeriod 120s"


def test_unreadable_target_health_is_one_warning() -> None:
    svc = service(load_balancers=(load_balancer(),))
    facts = ecs_facts([svc], target_health={TG: Outcome(error="AccessDenied: elasticloadbalancing:DescribeTargetHealth")})
    api = target(ecs_report(facts), "api")
    gap = finding(api, "lb.targets", Status.WARN)
    assert gap.title == (f"could not read the targets of {PREFIX}-api: "
                         "AccessDenied: elasticloadbalancing:DescribeTargetHealth")
