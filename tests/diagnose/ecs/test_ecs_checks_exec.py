"""ECS Exec and alarm checks (popcornctl.diagnose.ecs.checks.execute/alarms) on facts built directly.

moto drops enableExecuteCommand and reports no exec agents, so ECS Exec scenarios are typed facts.
"""

from __future__ import annotations

from diagfacts import (
    CLUSTER,
    PREFIX,
    REGION,
    SUBNETS,
    alarm,
    container,
    ecs_facts,
    ecs_report,
    finding,
    running_task,
    service,
    target,
    task_definition,
)

from popcornctl.diagnose.calls import Outcome
from popcornctl.diagnose.ecs import lookups
from popcornctl.diagnose.ecs.facts import TaskContainer
from popcornctl.diagnose.findings import Status
from popcornctl.diagnose.iam import Verdict
from popcornctl.diagnose.iam.questions import LOCAL
from popcornctl.diagnose.vpc.facts import SubnetRoute


def test_ecs_exec_not_ready() -> None:
    td = task_definition()
    no_ssm = {q: Outcome(Verdict(q.role_name, True, missing=q.actions, method=LOCAL))
              for q in lookups.exec_questions(td, None, REGION)}
    stopped_agent = running_task(n=1, containers=(TaskContainer("api", exec_agents=("STOPPED",)),))
    facts = ecs_facts([service()], [stopped_agent, running_task(n=2)], permissions=no_ssm)
    exec_finding = finding(target(ecs_report(facts), "api"), "exec", Status.FAIL)
    assert "lacks ssmmessages:CreateControlChannel" in exec_finding.title
    assert any("exec agent is STOPPED" in line for line in exec_finding.evidence)


def test_ecs_exec_off_is_not_a_problem() -> None:
    report = ecs_report(ecs_facts([service(exec_enabled=False)], [running_task(n=1), running_task(n=2)]))
    assert finding(target(report, "api"), "exec").title == "ECS Exec is off for this service"
    assert report.exit_code == 0


def test_ecs_exec_prerequisites() -> None:
    td = task_definition(task_role=None, containers=(container(readonly_root=True, init_process=False),))
    old = running_task(td=td, platform_version="1.3.0", containers=(TaskContainer("api"),))
    exec_finding = finding(target(ecs_report(ecs_facts([service(td=td)], [old], tds=[td])), "api"), "exec",
                           Status.FAIL)
    assert exec_finding.title == "ECS Exec not ready: the task definition has no task role (ECS Exec needs ssmmessages:* on it)"
    text = "\n".join(exec_finding.evidence)
    assert "readonlyRootFilesystem" in text and "runs Fargate 1.3.0" in text and "has no exec agent" in text
    assert "initProcessEnabled is off" in text


def test_ecs_exec_needs_kms_decrypt_when_sessions_are_encrypted() -> None:
    key = "arn:aws:kms:ap-northeast-2:123456789012:key/1234"
    td = task_definition()
    questions = lookups.exec_questions(td, key, REGION)
    answers = {questions[0]: Outcome(Verdict("r", True, allowed=questions[0].actions)),
               questions[1]: Outcome(Verdict("r", True, missing=("kms:Decrypt",)))}
    base = ecs_facts([service()], [running_task()], permissions=answers)
    facts = base.__class__(**{**base.__dict__, "cluster": base.cluster.__class__(
        **{**base.cluster.__dict__, "exec_kms_key": key})})
    facts = facts.__class__(**{**facts.__dict__, "permissions": {**facts.permissions, **answers}})
    exec_finding = finding(target(ecs_report(facts), "api"), "exec", Status.FAIL)
    assert exec_finding.title == f"ECS Exec not ready: sessions are encrypted with {key} but the task role lacks kms:Decrypt"


def test_ecs_exec_needs_a_way_to_ssmmessages() -> None:
    isolated = {s: SubnetRoute(s, "vpc-1", "10.20.31.0/24", f"{REGION}a", None, None) for s in SUBNETS}
    facts = ecs_facts([service()], [running_task()], routes={SUBNETS: Outcome(isolated)},
                      endpoints={"vpc-1": Outcome(("com.amazonaws.ap-northeast-2.ecr.api",))})
    exec_finding = finding(target(ecs_report(facts), "api"), "exec", Status.FAIL)
    assert exec_finding.title == "ECS Exec not ready: private subnets without NAT and without the ssmmessages VPC endpoint"


def test_cloudwatch_alarm_in_alarm_for_the_service() -> None:
    alarms = (alarm(f"{PREFIX}-api-cpu-high", ClusterName=CLUSTER, ServiceName=f"{PREFIX}-api"),
              alarm("someone-elses-alarm", ServiceName="other"))
    facts = ecs_facts([service()], [running_task()], alarms=Outcome(alarms))
    alarms_finding = finding(target(ecs_report(facts), "api"), "alarms", Status.FAIL)
    assert alarms_finding.evidence[0].startswith(f"{PREFIX}-api-cpu-high: Threshold Crossed")
    assert len(alarms_finding.evidence) == 1


def test_access_denied_listing_alarms_is_one_warning_per_service() -> None:
    facts = ecs_facts([service()], [running_task()],
                      alarms=Outcome(error="AccessDenied: User is not authorized to perform: cloudwatch:DescribeAlarms"))
    api = target(ecs_report(facts), "api")
    alarms_finding = finding(api, "alarms", Status.WARN)
    assert alarms_finding.title.startswith("could not list CloudWatch alarms: AccessDenied")
    assert alarms_finding.remediation == "Grant cloudwatch:DescribeAlarms to the credentials running popcornctl, then run again."
    assert [f.check for f in api.findings].count("alarms") == 1
