"""modules/xray: planned against the sandbox with rules, groups and encryption on, and with all three switched off."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tfhelpers import REPO, resources

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

EXAMPLE = REPO / "modules/xray/examples/basic"
NAME = "popcorn-xray-ex"


@pytest.fixture(scope="module")
def plan(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    return tf_session.plan_json(EXAMPLE, sandbox=moto_server)


@pytest.fixture(scope="module")
def switched_off_plan(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    off = {"enable_sampling_rules": "false", "enable_groups": "false", "enable_encryption_config": "false"}
    return tf_session.plan_json(EXAMPLE, sandbox=moto_server, variables=off)


def test_sampling_rules_are_scoped_to_the_environment(plan: dict[str, Any]) -> None:
    rules = {r["values"]["rule_name"]: r["values"] for r in resources(plan, "aws_xray_sampling_rule")}
    assert all(len(n) <= 32 for n in rules), "X-Ray rule names are limited to 32 characters"
    default = rules[f"{NAME}-default"]
    assert default["service_name"] == f"{NAME}-*" and default["priority"] == 9000
    api = rules[f"{NAME}-api-gateway"]
    assert (api["fixed_rate"], api["reservoir_size"], api["service_name"]) == (0.1, 2, f"{NAME}-api-gateway")
    health = [r for r in rules.values() if r["fixed_rate"] == 0 and r["reservoir_size"] == 0]
    assert {r["url_path"] for r in health} == {"/health", "/actuator/health*"}
    assert all(r["priority"] < api["priority"] for r in health), "health checks are excluded before anything else"
    long_rule = [r for r in rules.values() if r["service_name"] == f"{NAME}-notification-dispatcher-worker"]
    assert len(long_rule) == 1 and len(long_rule[0]["rule_name"]) == 32


def test_groups_and_encryption(plan: dict[str, Any]) -> None:
    groups = {g["values"]["group_name"]: g["values"] for g in resources(plan, "aws_xray_group")}
    assert groups[f"{NAME}-api-gateway"]["filter_expression"] == f'service("{NAME}-api-gateway")'
    assert f'service("{NAME}-user-service")' in groups[NAME]["filter_expression"]
    (enc,) = resources(plan, "aws_xray_encryption_config")
    assert enc["values"]["type"] == "KMS"
    (key,) = resources(plan, "aws_kms_key")
    assert key["values"]["enable_key_rotation"] is True


def test_task_role_policy_allows_sending_traces(switched_off_plan: dict[str, Any]) -> None:
    policy = json.loads(switched_off_plan["planned_values"]["outputs"]["task_role_policy_json"]["value"])
    actions = {a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"} <= actions
    assert not any(a.startswith("kms:") for a in actions), "no key use without encryption config"


def test_switched_off_plans_nothing_the_emulator_rejects(switched_off_plan: dict[str, Any]) -> None:
    for t in ("aws_xray_sampling_rule", "aws_xray_group", "aws_xray_encryption_config", "aws_kms_key"):
        assert resources(switched_off_plan, t) == [], t
