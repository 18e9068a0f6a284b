"""modules/rds: the basic example planned against the sandbox (Performance Insights and the custom parameter group on,
as in a real environment), and with both switched off (the engine's default group)."""

from __future__ import annotations

from typing import Any

import pytest

from tfhelpers import REPO, resources

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

EXAMPLE = REPO / "modules/rds/examples/basic"
NAME = "popcorn-rds-ex"


@pytest.fixture(scope="module")
def plan(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    return tf_session.plan_json(
        EXAMPLE, sandbox=moto_server, variables={"enable_performance_insights": "true", "enable_custom_parameter_group": "true"}
    )


@pytest.fixture(scope="module")
def switched_off_plan(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    return tf_session.plan_json(
        EXAMPLE,
        sandbox=moto_server,
        variables={
            "enable_performance_insights": "false",
            "enable_custom_parameter_group": "false",
            "deletion_protection": "false",
        },
    )


def _instance(plan: dict[str, Any]) -> dict[str, Any]:
    (db,) = resources(plan, "aws_db_instance")
    return db


def test_instance_is_encrypted_private_and_has_no_password(plan: dict[str, Any]) -> None:
    db = _instance(plan)
    v, unknown = db["values"], db["unknown"]
    assert v["identifier"] == f"{NAME}-postgres"
    assert v["engine"] == "postgres" and v["engine_version"] == "16.4"
    assert v["storage_encrypted"] is True and unknown.get("kms_key_id"), "storage encrypted with the module's CMK"
    assert v["publicly_accessible"] is False
    assert v["manage_master_user_password"] is True
    assert v.get("password") is None and v.get("password_wo") is None
    assert unknown.get("master_user_secret_kms_key_id")
    assert v["iam_database_authentication_enabled"] is True
    assert v["deletion_protection"] is True


def test_performance_insights_and_enhanced_monitoring(plan: dict[str, Any]) -> None:
    db = _instance(plan)
    v, unknown = db["values"], db["unknown"]
    assert v["performance_insights_enabled"] is True
    assert v["performance_insights_retention_period"] == 7
    assert unknown.get("performance_insights_kms_key_id")
    assert v["monitoring_interval"] == 60 and unknown.get("monitoring_role_arn")
    (role,) = resources(plan, "aws_iam_role")
    assert "monitoring.rds.amazonaws.com" in role["values"]["assume_role_policy"]


def test_storage_backups_and_logs(plan: dict[str, Any]) -> None:
    v = _instance(plan)["values"]
    assert v["storage_type"] == "gp3"
    assert v["max_allocated_storage"] > v["allocated_storage"]
    assert v["backup_retention_period"] >= 1
    assert v["copy_tags_to_snapshot"] is True
    assert v["auto_minor_version_upgrade"] is True
    assert set(v["enabled_cloudwatch_logs_exports"]) == {"postgresql", "upgrade"}
    groups = {g["values"]["name"]: g for g in resources(plan, "aws_cloudwatch_log_group")}
    assert set(groups) == {f"/aws/rds/instance/{NAME}-postgres/{t}" for t in ("postgresql", "upgrade")}
    assert all(g["values"]["retention_in_days"] == 7 for g in groups.values())


def test_parameter_group_forces_tls_and_logs_slow_queries(plan: dict[str, Any]) -> None:
    (pg,) = resources(plan, "aws_db_parameter_group")
    assert pg["values"]["family"] == "postgres16"
    params = {p["name"]: p["value"] for p in pg["values"]["parameter"]}
    assert params["rds.force_ssl"] == "1"
    assert params["log_min_duration_statement"] == "1000"
    assert "pg_stat_statements" in params["shared_preload_libraries"]
    (subnets,) = resources(plan, "aws_db_subnet_group")
    assert subnets["values"]["name"] == f"{NAME}-postgres"


def test_switched_off_drops_only_performance_insights_and_the_custom_group(switched_off_plan: dict[str, Any]) -> None:
    v = _instance(switched_off_plan)["values"]
    assert v["performance_insights_enabled"] is False
    assert v.get("performance_insights_retention_period") is None
    assert resources(switched_off_plan, "aws_db_parameter_group") == []
    assert v["storage_encrypted"] is True and v["publicly_accessible"] is False
    outputs = switched_off_plan["planned_values"]["outputs"]
    assert outputs["parameter_group_name"]["value"] == "default.postgres16"
