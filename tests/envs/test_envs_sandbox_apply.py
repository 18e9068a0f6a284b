"""envs/dev applied on the sandbox with the sandbox profile, the way a user brings dev up from nothing:
`popcornctl up dev --sandbox` (bootstrap with local state, migrated into the bucket it creates; the global stacks;
envs/dev with terraform.tfvars + sandbox.tfvars). Then a second plan of envs/dev: it must show 0 changes (the
emulator reads back what it was given: tooling/popcornctl/sandbox/extensions).

The environment is the run's shared one (tests/devsandbox.py, also used by the drift end-to-end), read right after
`up`. This file checks what the HCL creates; `up`'s own behaviour from empty to teardown is tested in
tests/orchestrate/test_e2e_sandbox.py. The runtime and the peak memory (the largest Terraform process, and the
whole process tree with the sandbox) are written to artifacts/plans/dev-sandbox-apply.json (the state and the
second plan next to it).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from envsupport import (
    ARTIFACTS,
    SANDBOX_EXCLUDED_TYPES,
    SANDBOX_EXTENDED_TYPES,
    SERVICES,
    dashboard_widgets,
    malformed_metric_widgets,
    missing_cells,
    monitoring_matrix,
    state_as_plan,
    values,
)

from devsandbox import AppliedDev
from tfhelpers import REPO

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox, pytest.mark.slow]

# Every global stack of the tree (the environments read all of them through terraform_remote_state).
GLOBAL_STACKS = [p.relative_to(REPO).as_posix() for p in sorted(REPO.glob("global/*")) if any(p.glob("*.tf"))]


@pytest.mark.timeout(3600)
def test_dev_applies_on_the_sandbox_with_bootstrap_and_global(dev_on_sandbox: AppliedDev) -> None:
    applied = dev_on_sandbox
    results = {s["stack"]: s["result"] for s in applied.up_report["stacks"]}
    assert results == dict.fromkeys(["bootstrap", *GLOBAL_STACKS, "envs/dev"], "applied")
    outputs, state, second = applied.outputs, applied.state, applied.second_plan
    managed = [r for r in _all_resources(state["values"]["root_module"]) if r["mode"] == "managed"]

    # The second plan, with the same profile: nothing to change.
    drift = sorted({f"{rc['address']} {rc['change']['actions']}" for rc in second["resource_changes"]
                    if rc["change"]["actions"] != ["no-op"] and rc["mode"] == "managed"})
    summary = {
        "seconds": applied.seconds,
        "peak_rss_mib": applied.peak_rss_mib,  # whole_run: pytest + the sandbox + Terraform + provider plugins
        "resources_in_dev_state": len(managed),
        "second_plan_changes": drift,
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "dev-sandbox-apply.json").write_text(json.dumps(summary, indent=1))
    (ARTIFACTS / "dev-sandbox-state.json").write_text(json.dumps(state))
    (ARTIFACTS / "dev-sandbox-second-plan.json").write_text(json.dumps(second))
    print(json.dumps(summary, indent=1))

    # What the environment is: the seed's names, reachable by diagnose and humans through the outputs.
    out = dict(outputs)
    assert out["ecs_cluster_name"] == "goorm-popcorn-dev-cluster"
    assert out["ecs_service_names"]["api-gateway"] == "goorm-popcorn-dev-api-gateway"
    assert out["rds_instance_id"] == "goorm-popcorn-dev-postgres"
    assert out["kafka_bootstrap_servers"] == "broker-1.kafka.goorm-popcorn-dev.internal:9092"
    assert out["alarm_topic_arn"].endswith(":goorm-popcorn-dev-alerts")
    assert out["elasticache_cluster_id"] == "goorm-popcorn-dev-valkey"
    # The profile left out exactly what the emulator cannot create, and nothing of it reached the state.
    types = {r["type"] for r in managed}
    assert not types & SANDBOX_EXCLUDED_TYPES, sorted(types & SANDBOX_EXCLUDED_TYPES)
    assert {"aws_ecs_service", "aws_db_instance", "aws_instance", "aws_lb", "aws_cloudwatch_dashboard"} <= types
    # What the emulator's extensions create as AWS does (the account's X-Ray encryption lives in global/account).
    assert SANDBOX_EXTENDED_TYPES - {"aws_xray_encryption_config"} <= types, sorted(SANDBOX_EXTENDED_TYPES - types)
    (db,) = [r["values"] for r in managed if r["type"] == "aws_db_instance"]
    assert db["performance_insights_enabled"] and db["performance_insights_kms_key_id"], "Performance Insights"
    assert db["parameter_group_name"].startswith("goorm-popcorn-dev-postgres-"), "the custom parameter group"
    assert all(r["values"]["monitoring"] for r in managed if r["type"] == "aws_instance"), "detailed monitoring"
    from popcornctl.aws import Clients
    from popcornctl.target import Target

    xray = Clients(Target("ap-northeast-2", applied.endpoint)).client("xray")
    assert xray.get_encryption_config()["EncryptionConfig"]["Type"] == "KMS", "global/account's trace encryption"
    assert len(managed) > 150
    assert drift == [], f"a second plan right after the apply must show 0 changes: {drift}"

    # Monitoring as applied, read from the state (the dashboard body is known now): every family the sandbox
    # creates has logs, metrics, alarms and dashboard widgets; dev has no ALB logs.
    applied = state_as_plan(state)
    matrix = monitoring_matrix(applied, "goorm-popcorn-dev")
    assert missing_cells(matrix) == ["ALB/logs"], json.dumps(matrix, indent=1)
    widgets = dashboard_widgets(applied)
    titles = [(w.get("properties") or {}).get("title", "") for w in widgets]
    assert all(any(t.startswith(f"{s}: ") for t in titles) for s in SERVICES), titles

    # No credential is a plain environment value; the database services carry no database secret at all: each
    # connects as its own IAM-authenticated user (docs/AWS_NOTES.md, "Database credentials").
    users = out["database_users"]
    for td in values(applied, "aws_ecs_task_definition"):
        for container in json.loads(td["container_definitions"]):
            names = {e["name"]: e.get("value") for e in container.get("environment", [])}
            assert not [n for n in names if any(w in n for w in ("PASSWORD", "SECRET", "TOKEN"))], names
            secrets = {x["name"] for x in container.get("secrets", [])}
            assert not {s for s in secrets if "DATASOURCE" in s}, secrets
            if container["name"] in users:
                assert names["SPRING_DATASOURCE_USERNAME"] == users[container["name"]]
                assert "wrapperPlugins=iam" in names["SPRING_DATASOURCE_URL"]

    # The emulator accepts any body; CloudWatch's PutDashboard wants every widget's metrics as an array of arrays.
    assert malformed_metric_widgets(widgets) == [], "modules/monitoring: every dashboard widget's metrics are an array of arrays"


def _all_resources(module: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(module.get("resources", []))
    for child in module.get("child_modules", []):
        found.extend(_all_resources(child))
    return found
