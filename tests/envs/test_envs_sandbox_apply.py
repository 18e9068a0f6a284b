"""envs/dev applied on the sandbox with the sandbox profile, the way a user brings dev up from nothing:
bootstrap (local state: it creates the state bucket and lock table), the global stacks (their real S3 backend,
now on the sandbox) and envs/dev (S3 backend, terraform.tfvars + sandbox.tfvars). Then a second plan: it must show
0 changes (the emulator reads back what it was given: tooling/popcornctl/sandbox/extensions).

Runs the stacks with the `tf` runner directly (not `popcornctl up`, whose own end-to-end test is in
tests/orchestrate), so it proves the HCL independently of the orchestrator. The runtime and the peak memory (the
largest Terraform process, and the whole process tree with the emulator) are written to
artifacts/plans/dev-sandbox-apply.json (the state and the second plan next to it).
"""

from __future__ import annotations

import json
import resource
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from envsupport import (
    ARTIFACTS,
    SANDBOX_EXCLUDED_TYPES,
    SANDBOX_EXTENDED_TYPES,
    SERVICES,
    TreeMemory,
    dashboard_widgets,
    env_dir,
    malformed_metric_widgets,
    missing_cells,
    monitoring_matrix,
    state_as_plan,
    values,
)

from tfhelpers import REPO, Tf

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox, pytest.mark.slow]

# Every global stack of the tree (the environments read all of them through terraform_remote_state).
GLOBAL_STACKS = [p.relative_to(REPO).as_posix() for p in sorted(REPO.glob("global/*")) if any(p.glob("*.tf"))]


def _peak_child_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _bootstrap_copy(tmp_path: Path) -> Path:
    """bootstrap/ with a local backend: its first run cannot use the bucket it creates (see bootstrap/backend.tf)."""
    work = tmp_path / "bootstrap"
    work.mkdir()
    for f in [*(REPO / "bootstrap").glob("*.tf"), REPO / "bootstrap" / "sandbox.tfvars"]:
        if f.name != "backend.tf":
            shutil.copy(f, work / f.name)
    (work / "backend.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    return work


@pytest.mark.timeout(3600)
def test_dev_applies_on_the_sandbox_with_bootstrap_and_global(sandbox: Any, tf: Tf, tmp_path: Path) -> None:
    # Own data dirs: the session's plan fixtures keep theirs for envs/dev (a different backend state).
    runner = Tf(mirror=tf.mirror, state_dir=tmp_path / "state", data_root=tmp_path / "tf-data")
    timings: dict[str, float] = {}

    def apply(name: str, workdir: Path, backend: bool) -> None:
        started = time.monotonic()
        var_files = [workdir / "sandbox.tfvars"]
        runner.apply(workdir, sandbox=sandbox, var_files=var_files, backend=backend)
        timings[name] = round(time.monotonic() - started, 1)

    started = time.monotonic()
    with TreeMemory() as memory:
        apply("bootstrap", _bootstrap_copy(tmp_path), backend=True)
        with ThreadPoolExecutor(max_workers=2) as pool:  # independent stacks, as popcornctl runs them
            for future in [pool.submit(apply, s, REPO / s, True) for s in GLOBAL_STACKS]:
                future.result()
        apply("envs/dev", env_dir("dev"), backend=True)
    total = round(time.monotonic() - started, 1)

    engine, env = runner.engine(sandbox), runner.env(env_dir("dev"), sandbox)
    outputs = engine.output(env_dir("dev"), env=env)
    state = engine.show_json(env_dir("dev"), env=env)
    managed = [r for r in _all_resources(state["values"]["root_module"]) if r["mode"] == "managed"]

    # The second plan, with the same profile: nothing to change.
    second = runner.plan_json(env_dir("dev"), sandbox=sandbox, var_files=[env_dir("dev") / "sandbox.tfvars"],
                              backend=True)
    drift = sorted({f"{rc['address']} {rc['change']['actions']}" for rc in second["resource_changes"]
                    if rc["change"]["actions"] != ["no-op"] and rc["mode"] == "managed"})
    summary = {
        "seconds": {"total": total, **timings},
        "peak_rss_mib": {
            "largest_terraform_process": round(_peak_child_rss_mib()),
            "whole_run": round(memory.peak_mib),  # pytest + in-process emulator + Terraform + provider plugins
        },
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
    import boto3

    xray = boto3.client("xray", endpoint_url=sandbox.endpoint)
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
