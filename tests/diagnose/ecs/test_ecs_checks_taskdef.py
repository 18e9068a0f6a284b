"""Task-definition checks (popcornctl.diagnose.ecs.checks.taskdef) on facts built directly."""

from __future__ import annotations

from diagfacts import (
    ACCOUNT,
    EXEC_ROLE,
    REGION,
    container,
    ecs_facts,
    ecs_report,
    finding,
    service,
    target,
    task_definition,
)

from popcornctl.diagnose.calls import Outcome
from popcornctl.diagnose.ecs import lookups
from popcornctl.diagnose.findings import Status
from popcornctl.diagnose.iam import Verdict
from popcornctl.diagnose.iam.questions import LOCAL, SIMULATOR


def test_task_definition_problems() -> None:
    td = task_definition(memory="4096", execution_role=None,
                         containers=(container(image="nginx:latest", log=None),))
    api = target(ecs_report(ecs_facts([service(td=td)], tds=[td])), "api")
    assert finding(api, "taskdef.fargate-size", Status.FAIL).evidence == ["valid memory for cpu 256: 512-2048 MiB"]
    assert finding(api, "taskdef.logs", Status.WARN).title == "no log configuration for: api"
    assert finding(api, "taskdef.image-tag", Status.WARN).evidence == ["api: nginx:latest"]
    # nginx from Docker Hub without logs and secrets needs no execution role: no finding
    assert not [f for f in api.findings if f.check == "taskdef.execution-role"]
    assert not [f for f in api.findings if f.check == "taskdef"]  # no OK summary while there are problems


def test_a_good_task_definition_is_one_ok_line() -> None:
    api = target(ecs_report(ecs_facts([service()])), "api")
    ok = finding(api, "taskdef", Status.OK)
    assert ok.title == ("task definition goorm-popcorn-dev-api:1: cpu 256 / memory 512, logs configured, pinned images, "
                        "0 secret(s) resolvable, execution role present")
    assert [f.check for f in api.findings if f.check.startswith("taskdef")] == ["taskdef"]


def test_missing_execution_role_is_a_failure() -> None:
    td = task_definition(execution_role=f"arn:aws:iam::{ACCOUNT}:role/deleted-role")
    gone = {q: Outcome(Verdict(q.role_name, False, missing=q.actions))
            for q in lookups.execution_role_questions(td, REGION)}
    api = target(ecs_report(ecs_facts([service(td=td)], tds=[td], permissions=gone)), "api")
    assert finding(api, "taskdef.execution-role", Status.FAIL).title == "execution role deleted-role does not exist"


def test_no_execution_role_while_ecr_and_awslogs_need_one() -> None:
    td = task_definition(execution_role=None)
    role = finding(target(ecs_report(ecs_facts([service(td=td)], tds=[td])), "api"), "taskdef.execution-role",
                   Status.FAIL)
    assert role.evidence == ["the task uses awslogs, ECR images, which ECS fetches with the execution role"]


def test_the_simulator_answer_is_definite_and_says_so() -> None:
    td = task_definition()
    questions = lookups.execution_role_questions(td, REGION)
    lacking = {q: Outcome(Verdict(q.role_name, True, missing=q.actions, method=SIMULATOR)) for q in questions}
    role = finding(target(ecs_report(ecs_facts([service()], permissions=lacking)), "api"), "taskdef.execution-role",
                   Status.WARN)
    assert role.title.startswith(f"execution role {EXEC_ROLE.rsplit('/', 1)[1]} lacks ecr:GetAuthorizationToken")
    assert "AWS policy simulator (iam:SimulatePrincipalPolicy)" in role.evidence[-1]


def test_the_local_fallback_says_what_it_cannot_see() -> None:
    td = task_definition()
    lacking = {q: Outcome(Verdict(q.role_name, True, missing=q.actions, method=LOCAL, note="x"))
               for q in lookups.execution_role_questions(td, REGION)}
    role = finding(target(ecs_report(ecs_facts([service()], permissions=lacking)), "api"), "taskdef.execution-role",
                   Status.WARN)
    assert "may lack" in role.title
    assert "conditions and resource scopes are not evaluated" in role.evidence[-1]


def test_unreadable_execution_role_is_one_finding_not_a_guess() -> None:
    td = task_definition()
    refused = {q: Outcome(error="AccessDenied: iam:GetRole") for q in lookups.execution_role_questions(td, REGION)}
    api = target(ecs_report(ecs_facts([service()], permissions=refused)), "api")
    role = finding(api, "taskdef.execution-role", Status.WARN)
    assert role.title == "execution role goorm-popcorn-dev-ecs-execution unreadable: AccessDenied: iam:GetRole"
    assert [f.check for f in api.findings].count("taskdef.execution-role") == 1
    assert not [f for f in api.findings if f.check == "taskdef"]


def test_secret_that_could_not_be_checked_warns() -> None:
    ref = "arn:aws:secretsmanager:us-east-1:123456789012:secret:elsewhere-AbCdEf"
    td = task_definition(containers=(container(secrets=(ref,)),))
    facts = ecs_facts([service(td=td)], tds=[td], secrets={ref: "in us-east-1, not checked"})
    secrets = finding(target(ecs_report(facts), "api"), "taskdef.secrets", Status.WARN)
    assert secrets.evidence == [f"api: {ref} (in us-east-1, not checked)"]


def test_unreadable_task_definition_is_a_failure_and_skips_what_needs_it() -> None:
    svc = service()
    facts = ecs_facts([svc], tds=[])
    facts = facts.__class__(**{**facts.__dict__, "task_definitions": {
        str(svc.task_definition): Outcome(error="ClientException: Unable to describe task definition.")}})
    api = target(ecs_report(facts), "api")
    td = finding(api, "taskdef", Status.FAIL)
    assert td.title == "task definition unreadable: ClientException: Unable to describe task definition."
    assert td.remediation == "Register the task definition again (terraform apply)."
    assert "not checked: taskdef, taskdef.fargate-size" in " ".join(td.evidence)
    assert not [f for f in api.findings if f.check in ("exec", "taskdef.logs")]
