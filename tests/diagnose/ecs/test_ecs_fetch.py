"""``diagnose ecs`` against the emulator: the fetch step's facts, and whole runs, seeded through the AWS API only.

What moto cannot produce is stubbed with botocore's Stubber where a test needs it (unhealthy target health,
expired credentials, a refused DescribeAlarms); everything else is real emulator traffic. Tasks run with bridge
networking on a registered container instance (moto cannot run awsvpc tasks); stopped tasks carry the reason
given to StopTask and exit code 0 (moto sets no stopCode or exit code), which the rules classify by text.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jsonschema
import pytest
from botocore.stub import Stubber
from diagworld import ACCOUNT, CLUSTER, ECR, PREFIX, World

from popcornctl.diagnose import Window, diagnose_ecs
from popcornctl.diagnose.ecs.fetch import EcsFetch
from popcornctl.diagnose.findings import REPORT_SCHEMA, DiagnosisReport, Finding, Health, Status, TargetReport
from popcornctl.errors import PopcornError

HOUR = timedelta(hours=1)


def run(world: World, services: list[str] | None = None) -> DiagnosisReport:
    report = diagnose_ecs(world.clients, cluster=CLUSTER, services=services, window=Window.ending_now(HOUR))
    jsonschema.validate(report.to_dict(), REPORT_SCHEMA)
    return report


def service(report: DiagnosisReport, svc: str) -> TargetReport:
    return next(t for t in report.targets if t.name == f"{PREFIX}-{svc}")


def finding(target: TargetReport, check: str, status: Status | None = None) -> Finding:
    found = [f for f in target.findings if f.check == check and (status is None or f.status is status)]
    assert found, f"no {check} {status or ''} finding in {[(f.check, f.status.value, f.title) for f in target.findings]}"
    return found[0]


def healthy_service(world: World, svc: str = "api", **kwargs: Any) -> None:
    tg = world.target_group(svc, ["10.20.1.10", "10.20.2.10"])
    world.service(svc, target_group=tg, **kwargs)
    world.task(svc)
    world.task(svc)


def test_fetch_turns_the_api_into_typed_facts(aws: World) -> None:
    aws.cluster()
    healthy_service(aws)
    facts = EcsFetch(aws.clients, CLUSTER, None, Window.ending_now(HOUR))()
    assert facts.cluster.name == CLUSTER and facts.cluster.status == "ACTIVE"
    (svc,) = facts.services
    assert (svc.name, svc.desired, svc.running, svc.launch_type) == (f"{PREFIX}-api", 2, 2, "FARGATE")
    assert svc.network is not None and svc.network.subnets == tuple(aws.network().subnets)
    assert [t.group for t in facts.tasks] == [f"service:{PREFIX}-api"] * 2
    td = facts.task_definitions[str(svc.task_definition)].value
    assert td is not None and td.family == f"{PREFIX}-api"
    assert td.containers[0].log is not None and td.containers[0].log.group == f"/ecs/{PREFIX}/api"
    (tg_arn,) = facts.target_groups
    health = facts.target_health[tg_arn].value
    assert health is not None and [h.state for h in health] == ["healthy", "healthy"]
    assert facts.alarms.value == ()
    verdicts = [o.value for o in facts.permissions.values()]
    assert verdicts and all(v is not None and v.ok for v in verdicts)
    # the emulator has no iam:SimulatePrincipalPolicy: the answers come from the offline fallback, which says so
    assert all(v is not None and v.method == "local" and "SimulatePrincipalPolicy failed" in v.note for v in verdicts)


def test_healthy_service_is_all_ok_and_exits_0(aws: World) -> None:
    aws.cluster()
    healthy_service(aws)
    report = run(aws)
    assert report.exit_code == 0, [(f.check, f.title) for t in report.targets for f in t.findings if f.status.rank]
    assert report.health is Health.HEALTHY
    cluster, api = report.targets
    assert cluster.kind == "ecs-cluster" and "1 healthy" in cluster.facts["services"]
    assert finding(api, "service.running").title == "2 of 2 tasks running"
    assert finding(api, "lb.targets").title.endswith("2 of 2 targets healthy")
    assert finding(api, "taskdef").status is Status.OK


def test_image_pull_failure_tag_missing(aws: World) -> None:
    """The classification is confirmed by a real ECR look-up: the repository does not exist."""
    aws.cluster()
    aws.service("api", running=0)
    reason = (
        f"CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
        f"{ECR}/goorm-popcorn/api:1.4.2: {ECR}/goorm-popcorn/api:1.4.2: not found"
    )
    for _ in range(3):
        aws.task("api", stopped=True, reason=reason)
    api = service(run(aws), "api")
    assert api.health is Health.DOWN
    stopped = finding(api, "tasks.stopped", Status.FAIL)
    assert stopped.rule == "pull.image-not-found"
    assert stopped.title.startswith("3 task(s) stopped: the image or tag does not exist")
    assert any("ECR repository goorm-popcorn/api does not exist" in line for line in stopped.evidence)
    assert "immutable tag" in (stopped.remediation or "")


def test_image_pull_failure_no_route_to_ecr(aws: World) -> None:
    """Real route tables and VPC endpoints: the isolated subnets have neither NAT nor ECR endpoints."""
    aws.cluster()
    aws.service("api", running=0, subnets=aws.isolated_subnets())
    reason = (
        f'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref '
        f'"{ECR}/goorm-popcorn/api:1.4.2": failed to do request: Head "https://{ECR}/v2/goorm-popcorn/api/manifests/'
        f'1.4.2": dial tcp 10.20.31.17:443: i/o timeout'
    )
    aws.task("api", stopped=True, reason=reason)
    stopped = finding(service(run(aws), "api"), "tasks.stopped", Status.FAIL)
    assert stopped.rule == "pull.no-route"
    text = "\n".join(stopped.evidence)
    assert "0.0.0.0/0 -> no default route" in text
    assert "no NAT/internet route and no VPC endpoint for: ecr.api, ecr.dkr, s3" in text


def test_image_pull_denied_checks_the_execution_role(aws: World) -> None:
    """The role's policies are read from the emulator by the offline fallback (no simulator there)."""
    aws.cluster()
    aws.roles(exec_policy=False)  # the execution role exists but has no ECR permissions
    aws.service("api", running=0)
    aws.task("api", stopped=True,
             reason="CannotPullContainerError: The task can’t pull the image. Check that the role has the permissions "
             "to pull images from the registry. Error response from daemon: pull access denied for "
             f"{ECR}/goorm-popcorn/api, repository does not exist or may require 'docker login': denied: User: "
             f"arn:aws:sts::{ACCOUNT}:assumed-role/goorm-popcorn-dev-ecs-execution/1 is not authorized to "
             "perform: ecr:BatchGetImage on resource: arn:aws:ecr:ap-northeast-2:123456789012:repository/"
             "goorm-popcorn/api because no identity-based policy allows the ecr:BatchGetImage action")
    api = service(run(aws), "api")
    stopped = finding(api, "tasks.stopped", Status.FAIL)
    assert stopped.rule == "pull.ecr-permissions"
    assert any("missing ecr:GetAuthorizationToken, ecr:BatchGetImage" in line for line in stopped.evidence)
    assert any("the policy simulator was not used" in line for line in stopped.evidence)
    assert finding(api, "taskdef.execution-role", Status.WARN)


def test_oom_names_the_memory_limit_and_shows_the_log(aws: World) -> None:
    """The log lines go through CloudWatch Logs' PutLogEvents and come back through GetLogEvents."""
    aws.cluster()
    aws.service("api", running=1, container_memory=512, memory="1024")
    aws.task("api")
    arn = aws.task("api", stopped=True, reason="OutOfMemoryError: Container killed due to memory usage")
    aws.log_lines("api", arn, ["Started Application in 9.1 seconds", "java.lang.OutOfMemoryError: Java heap space",
                               "\tat com.goorm.popcorn.Cache.load(Cache.java:42)"])
    api = service(run(aws), "api")
    assert api.health is Health.DEGRADED
    assert finding(api, "service.running", Status.WARN).title == "degraded: 1 of 2 tasks running"
    oom = finding(api, "tasks.stopped", Status.FAIL)
    assert oom.rule == "exit.oom"
    assert oom.title == "1 task(s) out of memory: container api killed at 512 MiB container hard limit, 1024 MiB task memory"
    assert "  | java.lang.OutOfMemoryError: Java heap space" in oom.evidence


def test_resource_initialization_error_missing_secret(aws: World) -> None:
    """The secrets are real Secrets Manager look-ups: one exists, one does not."""
    aws.cluster()
    missing = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:goorm-popcorn/dev/db-AbCdEf"
    present = aws.c("secretsmanager").create_secret(Name="goorm-popcorn/dev/jwt", SecretString="x")["ARN"]
    aws.service("api", running=0, secrets=[{"name": "DB_PASSWORD", "valueFrom": missing},
                                           {"name": "JWT", "valueFrom": present}])
    aws.task("api", stopped=True,
             reason="ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
             "retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed "
             f"to fetch secret {missing} from secrets manager: ResourceNotFoundException: Secrets Manager can't "
             "find the specified secret.")
    api = service(run(aws), "api")
    assert finding(api, "tasks.stopped", Status.FAIL).rule == "secrets.missing"
    assert finding(api, "taskdef.secrets", Status.FAIL).evidence == [f"api: {missing}"]


def test_resource_initialization_error_logs_unreachable(aws: World) -> None:
    aws.cluster()
    aws.service("api", running=0, subnets=aws.isolated_subnets())
    aws.task("api", stopped=True,
             reason="ResourceInitializationError: failed to validate logger args: The task cannot find the Amazon "
             "CloudWatch log group defined in the task definition. There is a connection issue between the task and "
             "Amazon CloudWatch. Check your network configuration. : signal: killed")
    stopped = finding(service(run(aws), "api"), "tasks.stopped", Status.FAIL)
    assert stopped.rule == "logs.unreachable"
    assert f"log group /ecs/{PREFIX}/api exists" in stopped.evidence
    assert any("no VPC endpoint for: logs" in line for line in stopped.evidence)


def test_missing_execution_role_is_a_failure(aws: World) -> None:
    aws.cluster()
    aws.task_definition("api", exec_role=f"arn:aws:iam::{ACCOUNT}:role/deleted-role")
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


def test_services_named_but_missing(aws: World) -> None:
    aws.cluster()
    healthy_service(aws)
    report = run(aws, services=[f"{PREFIX}-api", f"{PREFIX}-ghost"])
    missing = finding(report.targets[0], "cluster.missing", Status.FAIL)
    assert missing.evidence == [f"{PREFIX}-ghost"]
    assert report.exit_code == 1


def test_unknown_cluster_is_a_usage_error(aws: World) -> None:
    aws.cluster("other-cluster", instances=0)
    with pytest.raises(PopcornError) as err:
        run(aws)
    assert err.value.line().startswith(f"ECS cluster '{CLUSTER}' not found")
    assert "clusters here: other-cluster" in err.value.line()


def test_unhealthy_target_reason_codes_come_through_the_fetch(aws: World) -> None:
    """Stubber on ELBv2: moto reports every registered target healthy."""
    aws.cluster()
    tg = aws.target_group("api", ["10.20.1.10"])
    aws.service("api", target_group=tg)
    elbv2 = aws.clients.client("elbv2")
    with Stubber(elbv2) as stub:
        stub.add_response("describe_target_groups", {"TargetGroups": [{
            "TargetGroupArn": tg, "HealthCheckProtocol": "HTTP", "HealthCheckPath": "/health", "HealthCheckPort": "8080",
            "HealthCheckIntervalSeconds": 15, "HealthCheckTimeoutSeconds": 5, "HealthyThresholdCount": 3,
            "UnhealthyThresholdCount": 2, "Matcher": {"HttpCode": "200"}}]})
        stub.add_response("describe_target_health", {"TargetHealthDescriptions": [{
            "Target": {"Id": "10.20.1.10", "Port": 8080},
            "TargetHealth": {"State": "unhealthy", "Reason": "Target.ResponseCodeMismatch",
                             "Description": "Health checks failed with these codes: [404]"}}]})
        facts = EcsFetch(aws.clients, CLUSTER, None, Window.ending_now(HOUR))()
        stub.assert_no_pending_responses()
    health = facts.target_health[tg].value
    assert health is not None and health[0].reason == "Target.ResponseCodeMismatch"
    assert facts.target_groups[tg].path == "/health"


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
