"""modules/ecs: the basic example planned against the sandbox with the real provider.

Plans are module-scoped (one per variant) to keep the run short; nothing is applied.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tfhelpers import REPO, resources

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

EXAMPLE = REPO / "modules/ecs/examples/basic"
NAME = "popcorn-ecs-ex"
SERVICES = {"api-gateway", "user-service"}


def _plan(tf_session: Any, moto_server: Any, **variables: str) -> dict[str, Any]:
    return tf_session.plan_json(EXAMPLE, sandbox=moto_server, variables=variables)


@pytest.fixture(scope="module")
def plan(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    return _plan(tf_session, moto_server, enable_autoscaling="true", enable_xray_sidecar="true")


@pytest.fixture(scope="module")
def plan_pipeline_owned(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    """The sandbox profile (no autoscaling) with a deploy pipeline owning revisions and counts."""
    return _plan(tf_session, moto_server, enable_autoscaling="false", ignore_deploy_changes="true")


def _by_key(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(r["index"]): r for r in items}


def test_cluster_has_insights_exec_logging_and_both_fargate_providers(plan: dict[str, Any]) -> None:
    (cluster,) = resources(plan, "aws_ecs_cluster")
    values = cluster["values"]
    assert values["name"] == f"{NAME}-cluster"
    assert {"name": "containerInsights", "value": "enabled"} in values["setting"]
    exec_cfg = values["configuration"][0]["execute_command_configuration"][0]
    assert exec_cfg["logging"] == "OVERRIDE"
    assert exec_cfg["log_configuration"][0]["cloud_watch_encryption_enabled"] is True
    assert exec_cfg["log_configuration"][0]["cloud_watch_log_group_name"] == f"/aws/ecs/{NAME}/exec"

    (cps,) = resources(plan, "aws_ecs_cluster_capacity_providers")
    assert set(cps["values"]["capacity_providers"]) == {"FARGATE", "FARGATE_SPOT"}
    strategy = {s["capacity_provider"]: s for s in cps["values"]["default_capacity_provider_strategy"]}
    assert strategy["FARGATE"]["base"] == 1 and strategy["FARGATE_SPOT"]["weight"] == 3


def test_services_have_circuit_breaker_exec_and_no_public_ip(plan: dict[str, Any]) -> None:
    services = _by_key(resources(plan, "aws_ecs_service"))
    assert set(services) == SERVICES
    assert all(s["address"].startswith("module.ecs.aws_ecs_service.this[") for s in services.values())
    for key, svc in services.items():
        v = svc["values"]
        assert v["name"] == f"{NAME}-{key}"
        assert v["deployment_circuit_breaker"] == [{"enable": True, "rollback": True}]
        assert v["enable_execute_command"] is True
        net = v["network_configuration"][0]
        assert net["assign_public_ip"] is False
        assert v["propagate_tags"] == "SERVICE"
        assert v["enable_ecs_managed_tags"] is True
        assert v.get("launch_type") is None and v["capacity_provider_strategy"], "capacity providers, not a launch type"


def test_routing_and_discovery_follow_the_service_map(plan: dict[str, Any]) -> None:
    services = _by_key(resources(plan, "aws_ecs_service"))
    api, user = services["api-gateway"]["values"], services["user-service"]["values"]
    # Routed service: one target group attachment on its container port and a health-check grace period.
    assert [(lb["container_name"], lb["container_port"]) for lb in api["load_balancer"]] == [("api-gateway", 8080)]
    assert api["health_check_grace_period_seconds"] == 60
    # Internal service: no load balancer, no grace period, registered in Cloud Map, its own Spot-only strategy.
    assert user["load_balancer"] == []
    assert user["health_check_grace_period_seconds"] is None
    assert len(user["service_registries"]) == 1
    assert [s["capacity_provider"] for s in user["capacity_provider_strategy"]] == ["FARGATE_SPOT"]


def test_log_groups_have_retention_and_kms_under_the_cluster_prefix(plan: dict[str, Any]) -> None:
    groups = resources(plan, "aws_cloudwatch_log_group")
    names = {g["values"]["name"] for g in groups}
    assert names == {f"/aws/ecs/{NAME}/{k}" for k in SERVICES} | {f"/aws/ecs/{NAME}/exec"}
    for g in groups:
        assert g["values"]["retention_in_days"] == 7
        assert g["unknown"].get("kms_key_id") or g["values"].get("kms_key_id"), f"{g['address']} is not KMS-encrypted"
    (key,) = resources(plan, "aws_kms_key")
    assert key["values"]["enable_key_rotation"] is True


def test_task_definitions_are_hardened_fargate_with_xray_sidecar(plan: dict[str, Any]) -> None:
    tds = _by_key(resources(plan, "aws_ecs_task_definition"))
    assert set(tds) == SERVICES
    sizes = {"api-gateway": ("256", "512", "X86_64"), "user-service": ("512", "1024", "ARM64")}
    for key, td in tds.items():
        v = td["values"]
        assert v["family"] == f"{NAME}-{key}"
        assert v["requires_compatibilities"] == ["FARGATE"] and v["network_mode"] == "awsvpc"
        assert (v["cpu"], v["memory"], v["runtime_platform"][0]["cpu_architecture"]) == sizes[key]
        containers = {c["name"]: c for c in json.loads(v["container_definitions"])}
        assert set(containers) == {key, "xray-daemon"}
        app, xray = containers[key], containers["xray-daemon"]
        assert app["essential"] is True and xray["essential"] is False
        for c in containers.values():
            assert c["privileged"] is False
            assert c["readonlyRootFilesystem"] is True
            assert c["logConfiguration"]["logDriver"] == "awslogs"
            assert c["logConfiguration"]["options"]["awslogs-group"] == f"/aws/ecs/{NAME}/{key}"
        assert app["linuxParameters"] == {"initProcessEnabled": True}
        # Read-only root filesystem still gets writable scratch space from task volumes.
        mounts = {m["containerPath"] for m in app["mountPoints"]}
        assert "/tmp" in mounts
        assert {vol["name"] for vol in v["volume"]} == {m["sourceVolume"] for m in app["mountPoints"]}
        env = {e["name"]: e["value"] for e in app["environment"]}
        assert env["AWS_XRAY_TRACING_NAME"] == f"{NAME}-{key}"
        assert xray["portMappings"] == [{"containerPort": 2000, "hostPort": 2000, "protocol": "udp"}]
    secrets = json.loads(tds["api-gateway"]["values"]["container_definitions"])[0].get("secrets")
    assert [s["name"] for s in secrets] == ["DB_PASSWORD"], "secrets are passed by reference (valueFrom), never as values"


def test_target_tracking_on_cpu_and_memory(plan: dict[str, Any]) -> None:
    targets = _by_key(resources(plan, "aws_appautoscaling_target"))
    assert set(targets) == SERVICES
    assert targets["api-gateway"]["values"]["resource_id"] == f"service/{NAME}-cluster/{NAME}-api-gateway"
    assert (targets["api-gateway"]["values"]["min_capacity"], targets["api-gateway"]["values"]["max_capacity"]) == (1, 3)
    policies = resources(plan, "aws_appautoscaling_policy")
    metrics = sorted(
        p["values"]["target_tracking_scaling_policy_configuration"][0]["predefined_metric_specification"][0][
            "predefined_metric_type"
        ]
        for p in policies
    )
    assert metrics == ["ECSServiceAverageCPUUtilization"] * 2 + ["ECSServiceAverageMemoryUtilization"] * 2


def test_pipeline_owned_variant_and_sandbox_toggle(plan_pipeline_owned: dict[str, Any]) -> None:
    services = resources(plan_pipeline_owned, "aws_ecs_service")
    assert {s["address"] for s in services} == {
        f'module.ecs.aws_ecs_service.ignore_deploy["{k}"]' for k in SERVICES
    }, "ignore_deploy_changes selects the variant whose lifecycle ignores task_definition and desired_count"
    assert resources(plan_pipeline_owned, "aws_appautoscaling_target") == []
    assert resources(plan_pipeline_owned, "aws_appautoscaling_policy") == []
    for td in resources(plan_pipeline_owned, "aws_ecs_task_definition"):
        assert td["values"]["track_latest"] is True


def test_outputs_match_the_contract(plan: dict[str, Any]) -> None:
    outputs = plan["planned_values"]["outputs"]
    assert outputs["cluster_name"]["value"] == f"{NAME}-cluster"
    assert outputs["service_names"]["value"] == {k: f"{NAME}-{k}" for k in SERVICES}
    assert outputs["log_group_names"]["value"] == {k: f"/aws/ecs/{NAME}/{k}" for k in SERVICES}
    routed = outputs["routed_services"]["value"]
    assert routed == {
        "api-gateway": {
            "port": 8080,
            "health_check_path": "/actuator/health",
            "path_patterns": ["/*"],
            "host_headers": [],
            "priority": 100,
        }
    }
