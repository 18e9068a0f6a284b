"""The stopped-task check (popcornctl.diagnose.ecs.checks.stopped) on facts built directly.

moto's tasks never carry a stopCode or a non-zero exit code, so the stopped tasks are typed facts here; the
look-ups that confirm a cause (routes, endpoints, the ECR tag, the role, the log group, log tails) are facts too.
Their fetching from the emulator is in test_ecs_fetch.py.
"""

from __future__ import annotations

from datetime import timedelta

from diagfacts import (
    ECR,
    EXEC_ROLE,
    PREFIX,
    REGION,
    SUBNETS,
    container,
    ecs_facts,
    ecs_report,
    finding,
    log_key,
    running_task,
    service,
    stopped_task,
    tail,
    target,
    task_definition,
)

from popcornctl.diagnose.calls import Outcome
from popcornctl.diagnose.ecs import lookups
from popcornctl.diagnose.ecs.facts import ImageCheck
from popcornctl.diagnose.findings import Health, Status
from popcornctl.diagnose.iam import Verdict
from popcornctl.diagnose.iam.questions import LOCAL
from popcornctl.diagnose.rules import RULES_BY_ID
from popcornctl.diagnose.vpc.facts import SubnetRoute

PULL_NOT_FOUND = (
    f"CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
    f"{ECR}/goorm-popcorn/api:1.4.2: {ECR}/goorm-popcorn/api:1.4.2: not found"
)
ISOLATED = {s: SubnetRoute(s, "vpc-1", f"10.20.3{i + 1}.0/24", f"{REGION}{'ab'[i]}", None, None)
            for i, s in enumerate(SUBNETS)}


def test_image_pull_failure_tag_missing() -> None:
    """CannotPullContainerError 'not found' -> tag missing, confirmed against ECR (the repository is absent)."""
    tasks = [stopped_task(reason=PULL_NOT_FOUND, stop_code="TaskFailedToStart", n=i) for i in range(3)]
    images = {(ECR.split(".")[0], "goorm-popcorn/api", "1.4.2"): Outcome(ImageCheck("repository-missing"))}
    api = target(ecs_report(ecs_facts([service(running=0)], tasks, images=images)), "api")
    assert api.health is Health.DOWN
    stopped = finding(api, "tasks.stopped", Status.FAIL)
    assert stopped.rule == "pull.image-not-found"
    assert stopped.title.startswith("3 task(s) stopped: the image or tag does not exist")
    assert any("ECR repository goorm-popcorn/api does not exist" in line for line in stopped.evidence)
    assert "immutable tag" in (stopped.remediation or "")


def test_image_pull_failure_no_route_to_ecr() -> None:
    """i/o timeout pulling -> no route: the evidence shows the subnets have neither NAT nor ECR endpoints."""
    reason = (
        f'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref '
        f'"{ECR}/goorm-popcorn/api:1.4.2": failed to do request: Head "https://{ECR}/v2/goorm-popcorn/api/manifests/'
        f'1.4.2": dial tcp 10.20.31.17:443: i/o timeout'
    )
    facts = ecs_facts([service(running=0)], [stopped_task(reason=reason, stop_code="TaskFailedToStart")],
                      routes={SUBNETS: Outcome(ISOLATED)}, endpoints={"vpc-1": Outcome(())})
    stopped = finding(target(ecs_report(facts), "api"), "tasks.stopped", Status.FAIL)
    assert stopped.rule == "pull.no-route"
    text = "\n".join(stopped.evidence)
    assert "0.0.0.0/0 -> no default route" in text
    assert "no NAT/internet route and no VPC endpoint for: ecr.api, ecr.dkr, s3" in text


def test_image_pull_denied_checks_the_execution_role() -> None:
    """The execution role exists but allows nothing (answered by the local fallback, as on the emulator)."""
    reason = (
        "CannotPullContainerError: The task can’t pull the image. Check that the role has the permissions to pull "
        f"images from the registry. Error response from daemon: pull access denied for {ECR}/goorm-popcorn/api"
    )
    task = stopped_task(reason=reason, stop_code="TaskFailedToStart")
    td = task_definition()
    questions = lookups.rule_questions("pull.ecr-permissions", td, REGION) + lookups.execution_role_questions(td, REGION)
    nothing = {q: Outcome(Verdict(q.role_name, True, missing=q.actions, method=LOCAL, note="offline")) for q in questions}
    api = target(ecs_report(ecs_facts([service(running=0)], [task], permissions=nothing)), "api")
    stopped = finding(api, "tasks.stopped", Status.FAIL)
    assert stopped.rule == "pull.ecr-permissions"
    assert any("missing ecr:GetAuthorizationToken, ecr:BatchGetImage" in line for line in stopped.evidence)
    assert any("local reading of the role's policies" in line for line in stopped.evidence)  # says which
    role = finding(api, "taskdef.execution-role", Status.WARN)
    assert role.title.startswith(f"execution role {EXEC_ROLE.rsplit('/', 1)[1]} may lack ecr:GetAuthorizationToken")


def test_oom_137_names_the_memory_limit_and_shows_the_log() -> None:
    task = stopped_task(reason="Essential container in task exited", stop_code="EssentialContainerExited",
                        exit_code=137, container_reason="OutOfMemoryError: Container killed due to memory usage")
    td = task_definition(memory="1024")
    facts = ecs_facts([service(td=td, running=1)], [running_task(td=td), task], tds=[td],
                      log_tails={log_key(task): tail("Started Application in 9.1 seconds",
                                                     "java.lang.OutOfMemoryError: Java heap space",
                                                     "\tat com.goorm.popcorn.Cache.load(Cache.java:42)")})
    api = target(ecs_report(facts), "api")
    assert api.health is Health.DEGRADED
    assert finding(api, "service.running", Status.WARN).title == "degraded: 1 of 2 tasks running"
    oom = finding(api, "tasks.stopped", Status.FAIL)
    assert oom.rule == "exit.oom"
    assert oom.title == "1 task(s) out of memory: container api killed at 512 MiB container hard limit, 1024 MiB task memory"
    assert "  | java.lang.OutOfMemoryError: Java heap space" in oom.evidence
    assert "MaxRAMPercentage" in (oom.remediation or "")


def test_exit_137_without_reason_is_still_oom() -> None:
    task = stopped_task(reason="Essential container in task exited", stop_code="EssentialContainerExited",
                        exit_code=137)
    facts = ecs_facts([service(running=1)], [task])
    assert finding(target(ecs_report(facts), "api"), "tasks.stopped", Status.FAIL).rule == "exit.137"


def test_nonzero_exit_shows_the_last_error_lines() -> None:
    task = stopped_task(reason="Essential container in task exited", stop_code="EssentialContainerExited", exit_code=1)
    lines = tail(
        "Starting popcorn-api 1.4.2",
        "HikariPool-1 - Starting...",
        "org.postgresql.util.PSQLException: Connection to goorm-popcorn-dev-postgres:5432 refused.",
        "Caused by: java.net.ConnectException: Connection timed out",
        "Application run failed",
        "Stopping service",
    )
    facts = ecs_facts([service(running=0)], [task], log_tails={log_key(task): lines})
    stopped = finding(target(ecs_report(facts), "api"), "tasks.stopped", Status.FAIL)
    assert stopped.rule == "exit.nonzero"
    assert stopped.title == "1 task(s) stopped: api exited with code 1"
    assert [line for line in stopped.evidence if line.startswith("  | ")] == [
        "  | org.postgresql.util.PSQLException: Connection to goorm-popcorn-dev-postgres:5432 refused.",
        "  | Caused by: java.net.ConnectException: Connection timed out",
        "  | Application run failed",
    ]


def test_log_stream_missing_or_unset_is_said() -> None:
    task = stopped_task(reason="Essential container in task exited", stop_code="EssentialContainerExited", exit_code=2)
    facts = ecs_facts([service(running=0)], [task], log_tails={log_key(task): Outcome(error="AccessDenied: no")})
    stopped = finding(target(ecs_report(facts), "api"), "tasks.stopped", Status.FAIL)
    assert f"could not read /ecs/{PREFIX}/api api/api/{task.id}: AccessDenied: no" in stopped.evidence


def test_resource_initialization_error_missing_secret() -> None:
    """ResourceInitializationError + a task definition whose secret ARN points at nothing."""
    missing = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:goorm-popcorn/dev/db-AbCdEf"
    present = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:goorm-popcorn/dev/jwt-XyZ123"
    td = task_definition(containers=(container(secrets=(missing, present)),))
    reason = (
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
        "unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret "
        f"{missing} from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret."
    )
    facts = ecs_facts([service(td=td, running=0)], [stopped_task(reason=reason, stop_code="TaskFailedToStart", td=td)],
                      tds=[td], secrets={missing: False, present: True})
    api = target(ecs_report(facts), "api")
    assert finding(api, "tasks.stopped", Status.FAIL).rule == "secrets.missing"
    assert finding(api, "taskdef.secrets", Status.FAIL).evidence == [f"api: {missing}"]


def test_resource_initialization_error_logs_unreachable() -> None:
    reason = (
        "ResourceInitializationError: failed to validate logger args: The task cannot find the Amazon CloudWatch log "
        "group defined in the task definition. There is a connection issue between the task and Amazon CloudWatch. "
        "Check your network configuration. : signal: killed"
    )
    facts = ecs_facts([service(running=0)], [stopped_task(reason=reason, stop_code="TaskFailedToStart")],
                      routes={SUBNETS: Outcome(ISOLATED)}, endpoints={"vpc-1": Outcome(())},
                      log_groups={f"/ecs/{PREFIX}/api": Outcome(True)})
    stopped = finding(target(ecs_report(facts), "api"), "tasks.stopped", Status.FAIL)
    assert stopped.rule == "logs.unreachable"
    assert f"log group /ecs/{PREFIX}/api exists" in stopped.evidence
    assert any("no VPC endpoint for: logs" in line for line in stopped.evidence)


def test_routine_stops_are_ok() -> None:
    tasks = [stopped_task(reason="Scaling activity initiated by (deployment ecs-svc/1)",
                          stop_code="ServiceSchedulerInitiated", exit_code=0, n=i) for i in range(2)]
    stopped = finding(target(ecs_report(ecs_facts([service()], tasks)), "api"), "tasks.stopped", Status.OK)
    assert stopped.title == f"2 task(s) stopped routinely: 2 {RULES_BY_ID['stop.scheduler'].title}"


def test_causes_are_ordered_worst_then_most_frequent() -> None:
    spot = [stopped_task(reason="Your Spot Task was interrupted.", stop_code="SpotInterruption", n=i,
                         stopped_ago=timedelta(minutes=3)) for i in range(3)]
    crash = stopped_task(reason="Essential container in task exited", stop_code="EssentialContainerExited",
                         exit_code=1, n=9)
    api = target(ecs_report(ecs_facts([service()], [*spot, crash])), "api")
    assert [f.rule for f in api.findings if f.check == "tasks.stopped"] == ["exit.nonzero", "spot.interrupted"]
    assert "... and" not in " ".join(finding(api, "tasks.stopped", Status.WARN).evidence)
