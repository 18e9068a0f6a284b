"""modules/iam: its example planned: roles, confused-deputy trust conditions, no wildcard resource except for actions
without resource-level permissions, the execution role reading only the named secret."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hclsupport import as_list, of_type, one, plan, statements

from tfhelpers import REPO

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]


IAM_EXAMPLE = REPO / "modules/iam/examples/basic"
# Actions that have no resource-level permissions in IAM (so "*" is the only possible Resource).
NON_RESOURCE_ACTIONS = {
    "ecr:GetAuthorizationToken",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
}


@pytest.fixture(scope="module")
def iam_plan(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    return plan(tf_session, moto_server, IAM_EXAMPLE)


def test_iam_roles(iam_plan: dict[str, Any]) -> None:
    names = {r["values"]["name"] for r in of_type(iam_plan, "aws_iam_role")}
    assert names == {
        "popcorn-example-ecs-task-execution",
        "popcorn-example-api-gateway-task",
        "popcorn-example-user-task",
        "popcorn-example-order-task",
        "popcorn-example-kafka",
        "popcorn-example-rds-monitoring",
    }
    attached = {r["values"]["policy_arn"].split("/")[-1] for r in of_type(iam_plan, "aws_iam_role_policy_attachment")}
    assert attached == {
        "AmazonSSMManagedInstanceCore",
        "CloudWatchAgentServerPolicy",
        "AmazonRDSEnhancedMonitoringRole",
    }
    assert one(iam_plan, "aws_iam_instance_profile")["name"] == "popcorn-example-kafka"


def test_iam_no_wildcard_resource_except_unscopable_actions(iam_plan: dict[str, Any]) -> None:
    policies = of_type(iam_plan, "aws_iam_role_policy")
    assert len(policies) == 1 + 3
    for p in policies:
        for st in statements(p["values"]["policy"]):
            if "*" in as_list(st["Resource"]):
                assert set(as_list(st["Action"])) <= NON_RESOURCE_ACTIONS, f"{p['address']}: {st}"
            assert not any(a.endswith(":*") or a == "*" for a in as_list(st["Action"])), f"{p['address']}: {st}"


def test_iam_execution_role_reads_only_the_named_secret(iam_plan: dict[str, Any]) -> None:
    policy = next(p for p in of_type(iam_plan, "aws_iam_role_policy") if p["name"] == "task_execution")
    by_sid = {st["Sid"]: st for st in statements(policy["values"]["policy"])}
    assert as_list(by_sid["ReadNamedSecrets"]["Resource"]) == [
        "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:popcorn-example/db-AbCdEf"
    ]
    assert "/aws/ecs/popcorn-example" in json.dumps(by_sid["WriteServiceLogs"]["Resource"])


def test_iam_trust_policies_guard_against_confused_deputy(iam_plan: dict[str, Any]) -> None:
    for role in of_type(iam_plan, "aws_iam_role"):
        trust = statements(role["values"]["assume_role_policy"])
        principal = trust[0]["Principal"]["Service"]
        if principal in ("ecs-tasks.amazonaws.com", "monitoring.rds.amazonaws.com"):
            assert "aws:SourceAccount" in json.dumps(trust[0].get("Condition", {})), role["address"]
