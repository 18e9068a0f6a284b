"""modules/elasticache: planned only (the emulator cannot create any ElastiCache resource, see SANDBOX.md)."""

from __future__ import annotations

from typing import Any

import pytest

from tfhelpers import REPO, resources

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

EXAMPLE = REPO / "modules/elasticache/examples/basic"
NAME = "popcorn-cache-ex"


@pytest.fixture(scope="module")
def plan(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    return tf_session.plan_json(EXAMPLE, sandbox=moto_server, variables={"num_cache_clusters": "2", "auth_mode": "token"})


@pytest.fixture(scope="module")
def plan_iam_single(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    return tf_session.plan_json(EXAMPLE, sandbox=moto_server, variables={"num_cache_clusters": "1", "auth_mode": "iam"})


@pytest.fixture(scope="module")
def plan_off(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    return tf_session.plan_json(EXAMPLE, sandbox=moto_server, variables={"create": "false"})


def _group(plan: dict[str, Any]) -> dict[str, Any]:
    (rg,) = resources(plan, "aws_elasticache_replication_group")
    return rg


def _true(value: Any) -> bool:
    # at_rest_encryption_enabled is a string attribute in provider 5.x.
    return value is True or value == "true"


def test_valkey_is_encrypted_at_rest_and_in_transit(plan: dict[str, Any]) -> None:
    rg = _group(plan)
    v, unknown = rg["values"], rg["unknown"]
    assert v["replication_group_id"] == f"{NAME}-valkey"
    assert v["engine"] == "valkey" and v["engine_version"] == "8.0"
    assert _true(v["at_rest_encryption_enabled"])
    assert unknown.get("kms_key_id"), "at-rest encryption uses the module's CMK"
    assert v["transit_encryption_enabled"] is True
    assert v["transit_encryption_mode"] == "required"


def test_two_nodes_fail_over_across_azs_with_token_auth(plan: dict[str, Any]) -> None:
    rg = _group(plan)
    v, unknown = rg["values"], rg["unknown"]
    assert v["num_cache_clusters"] == 2
    assert v["automatic_failover_enabled"] is True and v["multi_az_enabled"] is True
    assert unknown.get("auth_token") or v.get("auth_token"), "AUTH token read from Secrets Manager"
    assert v["auth_token_update_strategy"] == "ROTATE"
    (secret,) = resources(plan, "aws_secretsmanager_secret")
    assert secret["unknown"].get("kms_key_id")
    (version,) = resources(plan, "aws_secretsmanager_secret_version")
    assert version["values"].get("secret_string") in (None, ""), "the generated token is written write-only"
    assert version["values"]["secret_string_wo_version"] == 1


def test_snapshots_maintenance_logs_and_parameters(plan: dict[str, Any]) -> None:
    v = _group(plan)["values"]
    assert v["snapshot_retention_limit"] == 7
    assert v["snapshot_window"] and v["maintenance_window"]
    assert {c["log_type"] for c in v["log_delivery_configuration"]} == {"slow-log", "engine-log"}
    assert all(c["destination_type"] == "cloudwatch-logs" for c in v["log_delivery_configuration"])
    (pg,) = resources(plan, "aws_elasticache_parameter_group")
    assert pg["values"]["family"] == "valkey8"
    assert {"name": "maxmemory-policy", "value": "allkeys-lru"} in pg["values"]["parameter"]
    outputs = plan["planned_values"]["outputs"]
    assert outputs["member_cluster_ids"]["value"] == [f"{NAME}-valkey-001", f"{NAME}-valkey-002"]


def test_single_node_has_no_failover_and_iam_auth_uses_a_user_group(plan_iam_single: dict[str, Any]) -> None:
    v = _group(plan_iam_single)["values"]
    assert v["automatic_failover_enabled"] is False and v["multi_az_enabled"] is False
    assert v.get("auth_token") is None
    assert v["user_group_ids"] == [f"{NAME}-valkey-users"]
    users = {u["values"]["user_name"]: u["values"] for u in resources(plan_iam_single, "aws_elasticache_user")}
    assert users["default"]["access_string"].startswith("off")
    app = users[f"{NAME}-valkey-app"]
    assert app["user_id"] == app["user_name"] and app["authentication_mode"][0]["type"] == "iam"
    assert resources(plan_iam_single, "aws_secretsmanager_secret") == []


def test_create_false_plans_no_elasticache_resource(plan_off: dict[str, Any]) -> None:
    assert [r for r in resources(plan_off) if r["module_address"] == "module.elasticache"] == []
    outputs = plan_off["planned_values"]["outputs"]
    assert outputs["member_cluster_ids"]["value"] == []
