"""``diagnose ecs`` against seeded moto worlds (in-process ``mock_aws``; fixture ``aws``).

Seeding: clusters, task definitions, services, roles, log events, alarms and target groups go through
boto3. What moto cannot produce is written to its backend state by tests/diagnose/conftest.py (each helper
says why): running counts, deployments and events of services; stopped tasks with stopCode, exit codes and
container reasons; ECS Exec agents; unhealthy target health.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
from botocore.stub import Stubber
from diagworld import CLUSTER, ECR, PREFIX, World

from popcornctl.diagnose import Window, diagnose_ecs
from popcornctl.diagnose.findings import REPORT_SCHEMA, Finding, Health, Report, Status, TargetReport
from popcornctl.errors import PopcornError

HOUR = timedelta(hours=1)


def run(world: World, services: list[str] | None = None, since: timedelta = HOUR) -> Report:
    report = diagnose_ecs(world.clients, cluster=CLUSTER, services=services, window=Window.ending_now(since))
    jsonschema.validate(report.to_dict(), REPORT_SCHEMA)
    return report


def service(report: Report, svc: str) -> TargetReport:
    return next(t for t in report.targets if t.name == f"{PREFIX}-{svc}")


def finding(target: TargetReport, check: str, status: Status | None = None) -> Finding:
    found = [f for f in target.findings if f.check == check and (status is None or f.status is status)]
    assert found, f"no {check} {status or ''} finding in {[(f.check, f.status.value, f.title) for f in target.findings]}"
    return found[0]


def healthy_service(world: World, svc: str = "api", **kwargs: Any) -> dict[str, Any]:
    tg = world.target_group(svc, ["10.20.1.10", "10.20.2.10"])
    created = world.service(svc, target_group=tg, **kwargs)
    world.task(svc)
    world.task(svc)
    return created


def test_healthy_service_is_all_ok_and_exits_0(aws: World) -> None:
    """Backend-seeded: runningCount 2, a COMPLETED deployment, a steady-state event, exec enabled and two RUNNING
    tasks with a RUNNING exec agent (moto reports runningCount 0, no events and drops enableExecuteCommand)."""
    aws.cluster()
    healthy_service(aws)
    report = run(aws)
    assert report.exit_code == 0, [(f.check, f.title) for t in report.targets for f in t.findings if f.status.rank]
    assert report.health is Health.HEALTHY
    cluster, api = report.targets
    assert cluster.kind == "ecs-cluster" and "1 healthy" in cluster.facts["services"]
    assert finding(api, "service.running").title == "2 of 2 tasks running"
    assert finding(api, "lb.targets").title.endswith("2 of 2 targets healthy")
    assert finding(api, "exec").title == "ECS Exec ready"
    assert "ExecuteCommandAgent RUNNING" in " ".join(finding(api, "exec").evidence)
    assert finding(api, "taskdef").status is Status.OK


def test_image_pull_failure_tag_missing(aws: World) -> None:
    """CannotPullContainerError 'not found' -> tag missing, confirmed against ECR (the repository is absent).
    Backend-seeded: the stopped tasks with stopCode and stoppedReason (moto's tasks never fail to pull)."""
    aws.cluster()
    aws.service("api", running=0, rollout="IN_PROGRESS")
    reason = (
        f"CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
        f"{ECR}/goorm-popcorn/api:1.4.2: {ECR}/goorm-popcorn/api:1.4.2: not found"
    )
    for _ in range(3):
        aws.task("api", stopped=True, stop_code="TaskFailedToStart", reason=reason)
    api = service(run(aws), "api")
    assert api.health is Health.DOWN
    stopped = finding(api, "tasks.stopped", Status.FAIL)
    assert stopped.rule == "pull.image-not-found"
    assert stopped.title.startswith("3 task(s) stopped: the image or tag does not exist")
    assert any("ECR repository goorm-popcorn/api does not exist" in line for line in stopped.evidence)
    assert "immutable tag" in (stopped.remediation or "")


def test_image_pull_failure_no_route_to_ecr(aws: World) -> None:
    """i/o timeout pulling -> no route: the evidence shows the subnets have neither NAT nor ECR endpoints."""
    aws.cluster()
    aws.service("api", running=0, subnets=aws.isolated_subnets())
    reason = (
        f'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref '
        f'"{ECR}/goorm-popcorn/api:1.4.2": failed to do request: Head "https://{ECR}/v2/goorm-popcorn/api/manifests/'
        f'1.4.2": dial tcp 10.20.31.17:443: i/o timeout'
    )
    aws.task("api", stopped=True, stop_code="TaskFailedToStart", reason=reason)
    stopped = finding(service(run(aws), "api"), "tasks.stopped", Status.FAIL)
    assert stopped.rule == "pull.no-route"
    text = "\n".join(stopped.evidence)
    assert "0.0.0.0/0 -> no default route" in text
    assert "no NAT/internet route and no VPC endpoint for: ecr.api, ecr.dkr, s3" in text


def test_image_pull_denied_checks_the_execution_role(aws: World) -> None:
    aws.cluster()
    aws.roles(exec_policy=False)  # the execution role exists but has no ECR permissions
    aws.service("api", running=0)
    aws.task("api", stopped=True, stop_code="TaskFailedToStart",
             reason="CannotPullContainerError: The task can’t pull the image. Check that the role has the permissions "
             "to pull images from the registry. Error response from daemon: pull access denied for "
             f"{ECR}/goorm-popcorn/api, repository does not exist or may require 'docker login': denied: User: "
             "arn:aws:sts::123456789012:assumed-role/goorm-popcorn-dev-ecs-execution/1 is not authorized to "
             "perform: ecr:BatchGetImage on resource: arn:aws:ecr:ap-northeast-2:123456789012:repository/"
             "goorm-popcorn/api because no identity-based policy allows the ecr:BatchGetImage action")
    api = service(run(aws), "api")
    stopped = finding(api, "tasks.stopped", Status.FAIL)
    assert stopped.rule == "pull.ecr-permissions"
    assert any("missing ecr:GetAuthorizationToken, ecr:BatchGetImage" in line for line in stopped.evidence)
    assert finding(api, "taskdef.execution-role", Status.WARN)


def test_oom_137_names_the_memory_limit_and_shows_the_log(aws: World) -> None:
    """Backend-seeded: exit code 137 and the OOM container reason (moto's containers always exit 0); the log
    lines go through CloudWatch Logs' PutLogEvents."""
    aws.cluster()
    aws.service("api", running=1, container_memory=512, memory="1024")
    aws.task("api")
    arn = aws.task("api", stopped=True, stop_code="EssentialContainerExited",
                   reason="Essential container in task exited", exit_code=137,
                   container_reason="OutOfMemoryError: Container killed due to memory usage")
    aws.log_lines("api", arn, ["Started Application in 9.1 seconds", "java.lang.OutOfMemoryError: Java heap space",
                               "\tat com.goorm.popcorn.Cache.load(Cache.java:42)"])
    api = service(run(aws), "api")
    assert api.health is Health.DEGRADED
    assert finding(api, "service.running", Status.WARN).title == "degraded: 1 of 2 tasks running"
    oom = finding(api, "tasks.stopped", Status.FAIL)
    assert oom.rule == "exit.oom"
    assert oom.title == "1 task(s) out of memory: container api killed at 512 MiB container hard limit, 1024 MiB task memory"
    assert "  | java.lang.OutOfMemoryError: Java heap space" in oom.evidence
    assert "MaxRAMPercentage" in (oom.remediation or "")


def test_exit_137_without_reason_is_still_oom(aws: World) -> None:
    aws.cluster()
    aws.service("api", running=1)
    aws.task("api", stopped=True, stop_code="EssentialContainerExited", reason="Essential container in task exited",
             exit_code=137)
    assert finding(service(run(aws), "api"), "tasks.stopped", Status.FAIL).rule == "exit.137"


def test_nonzero_exit_shows_the_last_error_lines(aws: World) -> None:
    aws.cluster()
    aws.service("api", running=0)
    arn = aws.task("api", stopped=True, stop_code="EssentialContainerExited",
                   reason="Essential container in task exited", exit_code=1)
    aws.log_lines("api", arn, [
        "Starting popcorn-api 1.4.2",
        "HikariPool-1 - Starting...",
        "org.postgresql.util.PSQLException: Connection to goorm-popcorn-dev-postgres:5432 refused.",
        "Caused by: java.net.ConnectException: Connection timed out",
        "Application run failed",
        "Stopping service",
    ])
    stopped = finding(service(run(aws), "api"), "tasks.stopped", Status.FAIL)
    assert stopped.rule == "exit.nonzero"
    assert stopped.title == "1 task(s) stopped: api exited with code 1"
    tail = [line for line in stopped.evidence if line.startswith("  | ")]
    assert tail == [
        "  | org.postgresql.util.PSQLException: Connection to goorm-popcorn-dev-postgres:5432 refused.",
        "  | Caused by: java.net.ConnectException: Connection timed out",
        "  | Application run failed",
    ]


def test_resource_initialization_error_missing_secret(aws: World) -> None:
    """ResourceInitializationError + a task definition whose secret ARN points at nothing. The stopped task is
    backend-seeded; the secrets are real moto Secrets Manager look-ups."""
    aws.cluster()
    missing = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:goorm-popcorn/dev/db-AbCdEf"
    present = aws.c("secretsmanager").create_secret(Name="goorm-popcorn/dev/jwt", SecretString="x")["ARN"]
    aws.service("api", running=0, secrets=[{"name": "DB_PASSWORD", "valueFrom": missing},
                                           {"name": "JWT", "valueFrom": present}])
    aws.task("api", stopped=True, stop_code="TaskFailedToStart",
             reason="ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
             "retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed "
             f"to fetch secret {missing} from secrets manager: ResourceNotFoundException: Secrets Manager can't "
             "find the specified secret.")
    api = service(run(aws), "api")
    assert finding(api, "tasks.stopped", Status.FAIL).rule == "secrets.missing"
    secrets = finding(api, "taskdef.secrets", Status.FAIL)
    assert secrets.evidence == [f"api: {missing}"]


def test_resource_initialization_error_logs_unreachable(aws: World) -> None:
    aws.cluster()
    aws.service("api", running=0, subnets=aws.isolated_subnets())
    aws.task("api", stopped=True, stop_code="TaskFailedToStart",
             reason="ResourceInitializationError: failed to validate logger args: The task cannot find the Amazon "
             "CloudWatch log group defined in the task definition. There is a connection issue between the task and "
             "Amazon CloudWatch. Check your network configuration. : signal: killed")
    stopped = finding(service(run(aws), "api"), "tasks.stopped", Status.FAIL)
    assert stopped.rule == "logs.unreachable"
    assert f"log group /ecs/{PREFIX}/api exists" in stopped.evidence
    assert any("no VPC endpoint for: logs" in line for line in stopped.evidence)


def test_failed_deployment_with_circuit_breaker_rollback(aws: World) -> None:
    """Backend-seeded deployments and events (moto has no circuit breaker): the rollback deployment, the FAILED
    one, and the events ECS writes."""
    aws.cluster()
    now = datetime.now(UTC)
    old_td = aws.task_definition("api")
    new_td = aws.task_definition("api", image=f"{ECR}/goorm-popcorn/api:1.5.0")
    name = f"{PREFIX}-api"
    deployments = [
        {"id": "ecs-svc/2222", "status": "PRIMARY", "taskDefinition": old_td, "desiredCount": 2, "runningCount": 1,
         "pendingCount": 1, "failedTasks": 0, "rolloutState": "IN_PROGRESS", "createdAt": now - timedelta(minutes=4),
         "updatedAt": now - timedelta(minutes=4),
         "rolloutStateReason": "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1111."},
        {"id": "ecs-svc/3333", "status": "ACTIVE", "taskDefinition": new_td, "desiredCount": 0, "runningCount": 0,
         "pendingCount": 0, "failedTasks": 10, "rolloutState": "FAILED", "createdAt": now - timedelta(minutes=25),
         "updatedAt": now - timedelta(minutes=4),
         "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start."},
    ]
    aws.service("api", running=1, pending=1, deployments=deployments, events=[
        f"(service {name}) rolling back to deployment ecs-svc/1111.",
        f"(service {name}) (deployment ecs-svc/3333) deployment failed: tasks failed to start.",
        f"(service {name}) is unable to consistently start tasks successfully. For more information, see the "
        "Troubleshooting section of the Amazon ECS Developer Guide.",
    ])
    api = service(run(aws), "api")
    dep = finding(api, "service.deployment", Status.FAIL)
    assert dep.title == (
        "deployment failed; the circuit breaker rolled back to goorm-popcorn-dev-api:1 (deployment ecs-svc/2222)"
    )
    assert dep.rule == "event.rollback"
    assert any("FAILED" in line and "failed tasks 10" in line for line in dep.evidence)
    events = finding(api, "service.events", Status.FAIL)
    assert all(line.startswith("!! ") for line in events.evidence)


def test_rollout_stuck_in_progress(aws: World) -> None:
    aws.cluster()
    created = aws.service("api", running=0, rollout="IN_PROGRESS")
    created["backend"].deployments[0]["createdAt"] = datetime.now(UTC) - timedelta(minutes=45)
    dep = finding(service(run(aws), "api"), "service.deployment", Status.FAIL)
    assert dep.title.startswith("rollout IN_PROGRESS for 45m")


def test_unhealthy_targets_with_reasons_and_no_grace_period(aws: World) -> None:
    """moto reports registered targets healthy: the elbv2 backend's health_for is patched to answer
    Target.ResponseCodeMismatch; the ELB-killed tasks are backend-seeded."""
    aws.cluster()
    tg = aws.target_group("api", ["10.20.1.10", "10.20.2.10"])
    aws.unhealthy_targets(tg, "Target.ResponseCodeMismatch", "Health checks failed with these codes: [404]")
    name = f"{PREFIX}-api"
    aws.service("api", target_group=tg, grace=0, running=2, events=[
        f"(service {name}) (port 8080) is unhealthy in (target-group {tg}) due to (reason Health checks failed "
        "with these codes: [404]).",
        f"(service {name}) (port 8080) is unhealthy in (target-group {tg}) due to (reason Health checks failed "
        "with these codes: [404]).",
    ])
    aws.task("api")
    aws.task("api")
    for _ in range(2):
        aws.task("api", stopped=True, stop_code="ServiceSchedulerInitiated", exit_code=137,
                 reason=f"Task failed ELB health checks in (target-group {tg})", ran_for=timedelta(seconds=35))
    api = service(run(aws), "api")
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


def test_events_deduplicate_across_task_ids_and_recovery_is_ok(aws: World) -> None:
    aws.cluster()
    name = f"{PREFIX}-api"
    aws.service("api", events=[
        f"(service {name}) has reached a steady state.",
        f"(service {name}) (task 0a1b2c3d4e5f46a7b8c9d0e1f2a3b4c5) failed container health checks.",
        f"(service {name}) (task 9f8e7d6c5b4a43210fedcba987654321) failed container health checks.",
    ])
    aws.task("api")
    aws.task("api")
    events = finding(service(run(aws), "api"), "service.events", Status.OK)
    assert events.title == "recovered: steady state now, after 2 problem event(s)"
    assert sum(1 for line in events.evidence if "failed container health checks" in line) == 1


def test_stopped_tasks_outside_the_window_are_ignored(aws: World) -> None:
    aws.cluster()
    aws.service("api")
    aws.task("api")
    aws.task("api")
    aws.task("api", stopped=True, stop_code="EssentialContainerExited", reason="Essential container in task exited",
             exit_code=1, stopped_ago=timedelta(minutes=50))
    assert finding(service(run(aws, since=timedelta(minutes=30)), "api"), "tasks.stopped").status is Status.OK
    assert finding(service(run(aws, since=HOUR), "api"), "tasks.stopped").status is Status.FAIL


def test_task_definition_problems(aws: World) -> None:
    aws.cluster()
    aws.task_definition("api", image="nginx:latest", cpu="256", memory="4096", logs=False, exec_role=None)
    aws.service("api")
    aws.task("api")
    aws.task("api")
    api = service(run(aws), "api")
    assert finding(api, "taskdef.fargate-size", Status.FAIL).evidence == ["valid memory for cpu 256: 512-2048 MiB"]
    assert finding(api, "taskdef.logs", Status.WARN).title == "no log configuration for: api"
    assert finding(api, "taskdef.image-tag", Status.WARN).evidence == ["api: nginx:latest"]
    # nginx from Docker Hub without logs and secrets needs no execution role: no finding
    assert not [f for f in api.findings if f.check == "taskdef.execution-role"]


def test_missing_execution_role_is_a_failure(aws: World) -> None:
    aws.cluster()
    aws.task_definition("api", exec_role="arn:aws:iam::123456789012:role/deleted-role")
    aws.service("api")
    role = finding(service(run(aws), "api"), "taskdef.execution-role", Status.FAIL)
    assert role.title == "execution role deleted-role does not exist"


def test_cloudwatch_alarm_in_alarm_for_the_service(aws: World) -> None:
    aws.cluster()
    healthy_service(aws)
    aws.alarm(f"{PREFIX}-api-cpu-high", [{"Name": "ClusterName", "Value": CLUSTER},
                                         {"Name": "ServiceName", "Value": f"{PREFIX}-api"}])
    aws.alarm("someone-elses-alarm", [{"Name": "ServiceName", "Value": "other"}])
    alarms = finding(service(run(aws), "api"), "alarms", Status.FAIL)
    assert alarms.evidence[0].startswith(f"{PREFIX}-api-cpu-high: Threshold Crossed")
    assert len(alarms.evidence) == 1


def test_ecs_exec_not_ready(aws: World) -> None:
    aws.cluster()
    aws.roles(ssm=False)
    aws.service("api")
    aws.task("api", agent="STOPPED")
    aws.task("api")
    exec_finding = finding(service(run(aws), "api"), "exec", Status.FAIL)
    assert "lacks ssmmessages:CreateControlChannel" in exec_finding.title
    assert any("exec agent is STOPPED" in line for line in exec_finding.evidence)


def test_ecs_exec_off_is_not_a_problem(aws: World) -> None:
    aws.cluster()
    healthy_service(aws, exec_enabled=False)
    report = run(aws)
    assert finding(service(report, "api"), "exec").title == "ECS Exec is off for this service"
    assert report.exit_code == 0


def test_services_named_but_missing(aws: World) -> None:
    aws.cluster()
    healthy_service(aws)
    report = run(aws, services=[f"{PREFIX}-api", f"{PREFIX}-ghost"])
    missing = finding(report.targets[0], "cluster.missing", Status.FAIL)
    assert missing.evidence == [f"{PREFIX}-ghost"]
    assert report.exit_code == 1


def test_cluster_summary_counts_down_and_degraded(aws: World) -> None:
    aws.cluster()
    healthy_service(aws, "api")
    aws.service("user", running=0)
    aws.service("payment", running=1)
    aws.task("payment")
    report = run(aws)
    cluster = report.targets[0]
    assert cluster.facts["services"] == "3 diagnosed: 1 healthy, 1 degraded, 1 down"
    summary = finding(cluster, "cluster.services", Status.FAIL)
    assert summary.evidence == [f"down: {PREFIX}-user", f"degraded: {PREFIX}-payment"]
    assert report.health is Health.DEGRADED


def test_unknown_cluster_is_a_usage_error(aws: World) -> None:
    aws.cluster("other-cluster")
    with pytest.raises(PopcornError) as err:
        run(aws)
    assert err.value.line().startswith(f"ECS cluster '{CLUSTER}' not found")
    assert "clusters here: other-cluster" in err.value.line()


def test_expired_credentials_are_a_one_line_error(aws: World) -> None:
    """Stubber: moto accepts any key, so an expired token can only be simulated."""
    ecs = aws.clients.client("ecs")
    with Stubber(ecs) as stub:
        stub.add_client_error("describe_clusters", service_error_code="ExpiredTokenException",
                              service_message="The security token included in the request is expired")
        with pytest.raises(PopcornError) as err:
            run(aws)
    assert err.value.line().startswith("AWS rejected the credentials (ExpiredTokenException")


def test_access_denied_on_one_check_is_a_warning_not_a_crash(aws: World) -> None:
    """Stubber on CloudWatch: moto never denies, so a refused DescribeAlarms is simulated."""
    aws.cluster()
    healthy_service(aws)
    cloudwatch = aws.clients.client("cloudwatch")
    with Stubber(cloudwatch) as stub:
        stub.add_client_error("describe_alarms", service_error_code="AccessDenied",
                              service_message="User is not authorized to perform: cloudwatch:DescribeAlarms")
        report = run(aws)
    alarms = finding(service(report, "api"), "alarms", Status.WARN)
    assert alarms.title.startswith("could not list CloudWatch alarms: AccessDenied")
