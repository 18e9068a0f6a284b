"""IAM answers (popcornctl.diagnose.iam): AWS's policy simulator first, the local evaluator as offline fallback.

moto does not implement iam:SimulatePrincipalPolicy, so the simulator path is tested with botocore's Stubber
(the requests it sends and the answers AWS gives), and the fallback against the emulator's real IAM.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.stub import Stubber
from diagworld import ACCOUNT, TRUST, World

from popcornctl.aws import Clients
from popcornctl.diagnose.iam import ContextEntry, Permissions, Question
from popcornctl.diagnose.iam.local import RolePolicies, evaluate
from popcornctl.diagnose.iam.questions import LOCAL, SIMULATOR
from popcornctl.target import Target

ROLE = f"arn:aws:iam::{ACCOUNT}:role/goorm-popcorn-dev-ecs-execution"
REPO = f"arn:aws:ecr:ap-northeast-2:{ACCOUNT}:repository/goorm-popcorn/api"
CONTEXT = (ContextEntry("aws:RequestedRegion", ("ap-northeast-2",)),)
PULL = Question(ROLE, ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"), (REPO,), CONTEXT)


@pytest.fixture
def iam() -> Any:
    """An IAM client from popcornctl's factory; every call in these tests is stubbed (nothing is sent)."""
    return Clients(Target("ap-northeast-2")).client("iam")


def get_role(stub: Stubber, name: str = "goorm-popcorn-dev-ecs-execution") -> None:
    stub.add_response("get_role", {"Role": {"Path": "/", "RoleName": name, "RoleId": "AROAEXAMPLE1234567890",
                                            "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
                                            "CreateDate": "2026-01-01T00:00:00Z"}}, {"RoleName": name})


def simulation(*results: dict[str, Any]) -> dict[str, Any]:
    return {"EvaluationResults": list(results), "IsTruncated": False}


def simulate_params(question: Question) -> dict[str, Any]:
    return {
        "PolicySourceArn": question.role_arn,
        "ActionNames": list(question.actions),
        "ResourceArns": list(question.resources),
        "ContextEntries": [{"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": ["ap-northeast-2"],
                            "ContextKeyType": "string"}],
    }


def test_the_simulator_answers_with_resources_and_context(iam: Any) -> None:
    with Stubber(iam) as stub:
        get_role(stub)
        stub.add_response("simulate_principal_policy", simulation(
            {"EvalActionName": "ecr:BatchGetImage", "EvalDecision": "allowed",
             "MatchedStatements": [{"SourcePolicyId": "AmazonECSTaskExecutionRolePolicy"}]},
            {"EvalActionName": "ecr:GetDownloadUrlForLayer", "EvalDecision": "explicitDeny"},
        ), simulate_params(PULL))
        verdict = Permissions(iam).ask(PULL)
        stub.assert_no_pending_responses()
    assert verdict.method == SIMULATOR
    assert verdict.allowed == ("ecr:BatchGetImage",) and verdict.denied == ("ecr:GetDownloadUrlForLayer",)
    assert verdict.sources == (("ecr:BatchGetImage", "AmazonECSTaskExecutionRolePolicy"),)
    assert "AWS policy simulator" in verdict.how


def test_the_simulator_sees_resource_scopes_and_boundaries(iam: Any) -> None:
    """An action allowed in general but not on this repository, or capped by a boundary, is missing."""
    with Stubber(iam) as stub:
        get_role(stub)
        stub.add_response("simulate_principal_policy", simulation(
            {"EvalActionName": "ecr:BatchGetImage", "EvalDecision": "allowed",
             "ResourceSpecificResults": [{"EvalResourceName": REPO, "EvalResourceDecision": "implicitDeny"}]},
            {"EvalActionName": "ecr:GetDownloadUrlForLayer", "EvalDecision": "implicitDeny",
             "PermissionsBoundaryDecisionDetail": {"AllowedByPermissionsBoundary": False},
             "MissingContextValues": ["aws:SourceVpc"]},
        ), simulate_params(PULL))
        verdict = Permissions(iam).ask(PULL)
    assert verdict.missing == PULL.actions and not verdict.ok
    assert "blocked by the permissions boundary: ecr:GetDownloadUrlForLayer" in verdict.note
    assert "condition keys not supplied: aws:SourceVpc" in verdict.note


def test_a_refused_simulator_switches_the_run_to_the_local_fallback(iam: Any) -> None:
    """The first refusal is remembered: the next question goes straight to the role's documents."""
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]})
    with Stubber(iam) as stub:
        get_role(stub)
        stub.add_client_error("simulate_principal_policy", service_error_code="AccessDenied",
                              service_message="not authorized to perform: iam:SimulatePrincipalPolicy")
        stub.add_response("list_role_policies", {"PolicyNames": ["pull"], "IsTruncated": False})
        stub.add_response("get_role_policy", {"RoleName": "goorm-popcorn-dev-ecs-execution", "PolicyName": "pull",
                                              "PolicyDocument": policy})
        stub.add_response("list_attached_role_policies", {"AttachedPolicies": [], "IsTruncated": False})
        permissions = Permissions(iam)
        first = permissions.ask(PULL)
        second = permissions.ask(Question(ROLE, ("logs:PutLogEvents",)))  # no simulator call queued: none made
        stub.assert_no_pending_responses()
    assert first.method == LOCAL and first.ok
    assert "iam:SimulatePrincipalPolicy failed: AccessDenied" in first.note
    assert "conditions and resource scopes are not evaluated" in first.how
    assert second.method == LOCAL and second.missing == ("logs:PutLogEvents",)


def test_a_role_that_does_not_exist(iam: Any) -> None:
    with Stubber(iam) as stub:
        stub.add_client_error("get_role", service_error_code="NoSuchEntity", service_message="no role",
                              http_status_code=404)
        verdict = Permissions(iam).ask(PULL)
    assert not verdict.exists and verdict.missing == PULL.actions


def test_fallback_on_the_emulator_reads_inline_and_attached_policies(aws: World) -> None:
    """The emulator has no simulator: its IAM roles and policies are evaluated locally."""
    iam = aws.c("iam")
    iam.create_role(RoleName="svc", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName="svc", PolicyName="inline", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ssmmessages:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "ssmmessages:OpenDataChannel", "Resource": "*"}]}))
    arn = iam.create_policy(PolicyName="logs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}))[
        "Policy"]["Arn"]
    iam.attach_role_policy(RoleName="svc", PolicyArn=arn)
    role = f"arn:aws:iam::{ACCOUNT}:role/svc"
    verdict = Permissions(iam).ask(Question(role, ("ssmmessages:CreateControlChannel", "ssmmessages:OpenDataChannel",
                                                   "logs:PutLogEvents", "iam:PassRole")))
    assert verdict.method == LOCAL and "iam:SimulatePrincipalPolicy failed" in verdict.note
    assert verdict.allowed == ("ssmmessages:CreateControlChannel", "logs:PutLogEvents")
    assert verdict.denied == ("ssmmessages:OpenDataChannel",)  # explicit Deny wins over the wildcard Allow
    assert verdict.missing == ("iam:PassRole",)  # NotAction excludes it
    assert dict(verdict.sources)["logs:PutLogEvents"] == "logs"
    gone = Permissions(iam).ask(Question(f"arn:aws:iam::{ACCOUNT}:role/deleted", ("s3:GetObject",)))
    assert not gone.exists


def test_local_evaluation_ignores_resources_which_it_says() -> None:
    doc = {"Statement": {"Effect": "Allow", "Action": ["ecr:Batch*"], "Resource": "arn:aws:ecr:*:*:repository/other"}}
    verdict = evaluate(RolePolicies("r", (("scoped", doc),)), ("ecr:BatchGetImage", "ecr:GetAuthorizationToken"))
    assert verdict.allowed == ("ecr:BatchGetImage",)  # counted although scoped to another repository
    assert verdict.missing == ("ecr:GetAuthorizationToken",)
    assert "not evaluated" in verdict.how


def test_questions_differing_only_in_resources_share_one_simulation(iam: Any) -> None:
    """Each service asks about its own log group: one call per role and actions, read per resource."""
    groups = [f"arn:aws:logs:ap-northeast-2:{ACCOUNT}:log-group:/ecs/goorm-popcorn-dev/{s}:log-stream:*"
              for s in ("api", "user")]
    api, user = (Question(ROLE, ("logs:PutLogEvents",), (arn,), CONTEXT) for arn in groups)
    merged = Question(ROLE, ("logs:PutLogEvents",), tuple(groups), CONTEXT)
    with Stubber(iam) as stub:
        get_role(stub)
        stub.add_response("simulate_principal_policy", simulation(
            {"EvalActionName": "logs:PutLogEvents", "EvalDecision": "implicitDeny",
             "ResourceSpecificResults": [
                 {"EvalResourceName": groups[0], "EvalResourceDecision": "allowed"},
                 {"EvalResourceName": groups[1], "EvalResourceDecision": "implicitDeny"}]},
        ), simulate_params(merged))
        answers = Permissions(iam).answer([api, user])
        stub.assert_no_pending_responses()
    assert answers[api].value is not None and answers[api].value.ok
    assert answers[user].value is not None and answers[user].value.missing == ("logs:PutLogEvents",)
