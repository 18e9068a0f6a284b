"""Every classification rule, fed its own example in AWS's real wording, must come back as itself.

Pure classification: no AWS calls. The examples live next to the rules (popcornctl.diagnose.rules) and
are quoted from the AWS pages and sources named in docs/DIAGNOSE.md.
"""

from __future__ import annotations

import pytest

from popcornctl.diagnose.findings import Status
from popcornctl.diagnose.rules import (
    ALL_RULES,
    CACHE_EVENT_RULES,
    RDS_EVENT_RULES,
    RDS_STATUS_RULES,
    SERVICE_EVENT_RULES,
    STOPPED_TASK_RULES,
    TARGET_HEALTH_RULES,
    ContainerExit,
    Example,
    Rule,
    StopInfo,
    classify_cache_event,
    classify_event,
    classify_rds_event,
    classify_rds_status,
    classify_stop,
    classify_target_health,
)


def _cases(rules: tuple[Rule, ...]) -> list[tuple[Rule, Example]]:
    return [(rule, example) for rule in rules for example in rule.examples]


def _stop(example: Example) -> StopInfo:
    """A stopped task as DescribeTasks shows it: the first line is stoppedReason, later lines container reasons."""
    reason, *container_reasons = example.message.split("\n")
    container = ContainerExit("api", example.exit_code, container_reasons[0] if container_reasons else None)
    return StopInfo(stop_code=example.stop_code, stopped_reason=reason, containers=(container,))


def test_rule_ids_are_unique_and_every_rule_has_real_wording() -> None:
    ids = [rule.id for rule in ALL_RULES]
    assert len(ids) == len(set(ids))
    for rule in ALL_RULES:
        assert rule.examples, rule.id
        assert rule.cause and rule.remediation and rule.title, rule.id


@pytest.mark.parametrize(("rule", "example"), _cases(STOPPED_TASK_RULES), ids=lambda v: getattr(v, "id", ""))
def test_stopped_task_rule_matches_its_aws_wording(rule: Rule, example: Example) -> None:
    matched, container = classify_stop(_stop(example))
    assert matched.id == rule.id, f"{example.message!r} classified as {matched.id}"
    if example.exit_code is not None:
        assert container is not None and container.exit_code == example.exit_code


@pytest.mark.parametrize(("rule", "example"), _cases(SERVICE_EVENT_RULES), ids=lambda v: getattr(v, "id", ""))
def test_service_event_rule_matches_its_aws_wording(rule: Rule, example: Example) -> None:
    matched = classify_event(example.message)
    assert matched is not None and matched.id == rule.id


@pytest.mark.parametrize(("rule", "example"), _cases(TARGET_HEALTH_RULES), ids=lambda v: getattr(v, "id", ""))
def test_target_health_rule_matches_its_reason_code(rule: Rule, example: Example) -> None:
    matched = classify_target_health(example.code, example.message)
    assert matched is not None and matched.id == rule.id


@pytest.mark.parametrize(("rule", "example"), _cases(RDS_EVENT_RULES), ids=lambda v: getattr(v, "id", ""))
def test_rds_event_rule_matches_its_aws_wording(rule: Rule, example: Example) -> None:
    matched = classify_rds_event(example.message)
    assert matched is not None and matched.id == rule.id


@pytest.mark.parametrize(("rule", "example"), _cases(CACHE_EVENT_RULES), ids=lambda v: getattr(v, "id", ""))
def test_cache_event_rule_matches_its_aws_wording(rule: Rule, example: Example) -> None:
    matched = classify_cache_event(example.message)
    assert matched is not None and matched.id == rule.id


@pytest.mark.parametrize(("rule", "example"), _cases(RDS_STATUS_RULES), ids=lambda v: getattr(v, "id", ""))
def test_rds_status_rule_matches_the_status(rule: Rule, example: Example) -> None:
    assert classify_rds_status(example.message).id == rule.id


def test_informational_messages_are_not_classified() -> None:
    assert classify_event("(service goorm-popcorn-dev-api) has started 2 tasks: (task 0a1b) (task 2c3d).") is None
    assert classify_event("(service goorm-popcorn-dev-api) registered 1 targets in (target-group arn:...)") is None
    assert classify_rds_event("Finished DB instance backup") is None
    assert classify_cache_event("Snapshot succeeded for snapshot with ID 'automatic.goorm-popcorn-prod-valkey'") is None
    assert classify_target_health(None, "") is None  # healthy targets carry no reason
    assert classify_rds_status("something-new").id == "rds.status-unknown"


def test_spot_interruption_wins_over_exit_137() -> None:
    """Fargate Spot reclaims arrive with exit 137; they are not out-of-memory kills."""
    stop = StopInfo("SpotInterruption", "Your Spot Task was interrupted.", (ContainerExit("api", 137),))
    assert classify_stop(stop)[0].id == "spot.interrupted"


def test_elb_kill_wins_over_exit_code() -> None:
    stop = StopInfo(
        "ServiceSchedulerInitiated",
        "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:...:targetgroup/api/1)",
        (ContainerExit("api", 137),),
    )
    assert classify_stop(stop)[0].id == "health.elb"


def test_sigkill_during_scale_in_is_not_oom() -> None:
    stop = StopInfo("ServiceSchedulerInitiated", "Scaling activity initiated by (deployment ecs-svc/1)",
                    (ContainerExit("api", 137),))
    rule, _ = classify_stop(stop)
    assert rule.id == "exit.sigkill" and rule.status is Status.WARN


def test_sidecar_exit_does_not_hide_the_essential_container() -> None:
    stop = StopInfo(
        "EssentialContainerExited",
        "Essential container in task exited",
        (ContainerExit("xray-daemon", 2, essential=False), ContainerExit("api", 1)),
    )
    rule, container = classify_stop(stop)
    assert rule.id == "exit.nonzero" and container is not None and container.name == "api"


def test_routine_stops_are_ok() -> None:
    for stop in (
        StopInfo("ServiceSchedulerInitiated", "Scaling activity initiated by (deployment ecs-svc/1)",
                 (ContainerExit("api", 0),)),
        StopInfo("UserInitiated", "Task stopped by user", (ContainerExit("api", 0),)),
    ):
        assert classify_stop(stop)[0].status is Status.OK


def test_unknown_reason_falls_back_to_unclassified() -> None:
    rule, _ = classify_stop(StopInfo("TaskFailedToStart", "Something AWS has not said before", ()))
    assert rule.id == "stop.unclassified" and rule.status is Status.WARN


def test_the_image_pull_variants_have_distinct_causes() -> None:
    """Tag missing, ECR permissions and no route are three different fixes."""
    by_id = {rule.id: rule for rule in STOPPED_TASK_RULES}
    fixes = {by_id[r].remediation for r in ("pull.image-not-found", "pull.ecr-permissions", "pull.no-route")}
    assert len(fixes) == 3
    assert "NAT" in by_id["pull.no-route"].remediation and "endpoint" in by_id["pull.no-route"].remediation
