"""popcornctl drift over a whole (small) repository on the emulator: bootstrap → global → env stacks, real plans.

The orchestrator's fixture repository (tests/orchestrate/fixture_repo.py: terraform_data stacks on the S3
backend) is applied once; the env stack also holds a log group, so that something in AWS can drift.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from smallstack import REGION

from popcornctl.drift import load_schema
from tfhelpers import REPO

sys.path.insert(0, str(REPO / "tests" / "orchestrate"))
from fixture_repo import BUCKET, TABLE, StackSpec, create_backend, diamond
from orch_support import Fx

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

LOG_GROUP = """
provider "aws" {
  region = "ap-northeast-2"
  default_tags {
    tags = { Project = "fx", Environment = "dev" }
  }
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/fx-dev/app"
  retention_in_days = 7
}
"""
STACKS = ["bootstrap", "global/a", "global/b", "envs/dev"]


@dataclass
class Applied:
    root: Path
    marks: Path
    endpoint: str
    state_dir: Path
    mirror: Path


def _environment(mp: pytest.MonkeyPatch, state_dir: Path, cache: Path, mirror: Path) -> None:
    mp.setenv("POPCORN_STATE_DIR", str(state_dir))
    mp.setenv("POPCORN_PLUGIN_CACHE_DIR", str(cache))
    mp.setenv("POPCORN_PROVIDER_MIRROR", str(mirror))


@pytest.fixture(scope="module")
def applied(
    moto_server: Any, tmp_path_factory: pytest.TempPathFactory, shared_plugin_cache: Path, tf_session: Any
) -> Iterator[Applied]:
    moto_server.reset()
    root = tmp_path_factory.mktemp("fx-repo")
    marks, state_dir = root.parent / f"{root.name}-marks", tmp_path_factory.mktemp("fx-state")
    diamond(root, marks, overrides={"envs/dev": StackSpec(reads=["global/a"], extra=LOG_GROUP)})
    create_backend(moto_server.endpoint)
    with pytest.MonkeyPatch.context() as mp:
        _environment(mp, state_dir, shared_plugin_cache, tf_session.mirror)
        report = Fx(root, marks, moto_server.endpoint, mp).run()
        assert report.exit_code == 0, [(s.stack, s.reason, s.error) for s in report.stacks]
    yield Applied(root, marks, moto_server.endpoint, state_dir, tf_session.mirror)


@pytest.fixture
def fx(applied: Applied, monkeypatch: pytest.MonkeyPatch, shared_plugin_cache: Path) -> Fx:
    _environment(monkeypatch, applied.state_dir, shared_plugin_cache, applied.mirror)  # the applied run's Terraform data dirs
    return Fx(applied.root, applied.marks, applied.endpoint, monkeypatch)


def _client(fx: Fx, service: str) -> Any:
    from popcornctl.aws import Clients
    from popcornctl.target import Target

    return Clients(Target(REGION, fx.endpoint)).client(service)


def _objects(fx: Fx) -> dict[str, bytes]:
    s3 = _client(fx, "s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    return {key: s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys}


def _json(out: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(out)
    jsonschema.validate(document, load_schema())
    return document


def test_a_clean_environment_exits_0_and_writes_nothing(fx: Fx) -> None:
    before = _objects(fx)
    code, out, err = fx.cli("--no-color", "drift", "dev", "--sandbox", "--output", "json")
    report = _json(out)
    assert code == 0, err
    assert [(s["stack"], s["status"]) for s in report["stacks"]] == [(s, "checked") for s in STACKS]
    assert report["totals"] == dict.fromkeys(report["totals"], 0)
    assert report["unmanaged"]["status"] == "complete" and report["options"]["state_lock"] is False
    assert _objects(fx) == before  # byte for byte: no state written, no lock object left


def test_a_scan_neither_waits_for_nor_touches_a_held_lock(fx: Fx) -> None:
    """Someone's apply holds envs/dev's lock: the scan (plans with -lock=false) runs and leaves the lock as it was."""
    s3, dynamodb = _client(fx, "s3"), _client(fx, "dynamodb")
    key = "envs/dev/terraform.tfstate"
    info = json.dumps({"ID": "0b5e-held", "Operation": "OperationTypeApply", "Who": "alice@laptop",
                       "Version": "1.15.0", "Created": "2026-01-01T00:00:00Z", "Path": f"{BUCKET}/{key}"})
    s3.put_object(Bucket=BUCKET, Key=f"{key}.tflock", Body=info.encode())
    dynamodb.put_item(TableName=TABLE, Item={"LockID": {"S": f"{BUCKET}/{key}"}, "Info": {"S": info}})
    try:
        code, out, err = fx.cli("--no-color", "drift", "dev", "--sandbox", "--output", "json")
        assert code == 0, err
        assert _json(out)["stacks"][-1]["status"] == "checked"
        assert s3.get_object(Bucket=BUCKET, Key=f"{key}.tflock")["Body"].read() == info.encode()
        item = dynamodb.get_item(TableName=TABLE, Key={"LockID": {"S": f"{BUCKET}/{key}"}})["Item"]
        assert item["Info"]["S"] == info
    finally:
        s3.delete_object(Bucket=BUCKET, Key=f"{key}.tflock")
        dynamodb.delete_item(TableName=TABLE, Key={"LockID": {"S": f"{BUCKET}/{key}"}})


def test_a_deleted_resource_exits_1_with_markdown_and_a_json_report(fx: Fx, tmp_path: Path) -> None:
    logs = _client(fx, "logs")
    logs.delete_log_group(logGroupName="/fx-dev/app")
    markdown, report_file = tmp_path / "drift.md", tmp_path / "drift.json"
    try:
        code, out, err = fx.cli("--no-color", "drift", "dev", "--sandbox", "--output", "markdown", "--out",
                                str(markdown), "--report", str(report_file))
    finally:
        logs.create_log_group(logGroupName="/fx-dev/app", tags={"Project": "fx", "Environment": "dev"})
        logs.put_retention_policy(logGroupName="/fx-dev/app", retentionInDays=7)
    assert code == 1, err
    assert out == ""
    report = _json(report_file.read_text())
    (deleted,) = report["stacks"][-1]["deleted"]
    assert (deleted["address"], deleted["id"], deleted["next_apply"]) == (
        "aws_cloudwatch_log_group.app", "/fx-dev/app", "create")
    assert report["totals"]["deleted"] == 1 and report["exit_code"] == 1
    text = markdown.read_text()
    assert text.startswith("## Drift in dev: 0 changed, 1 deleted, 0 unmanaged")
    assert "| deleted | `aws_cloudwatch_log_group.app` |" in text
    assert text.rstrip().endswith("<!-- popcornctl-drift env=dev -->")


def test_a_stack_that_cannot_plan_makes_the_scan_incomplete(fx: Fx) -> None:
    broken = fx.root / "global" / "b" / "broken.tf"
    broken.write_text('output "broken" {\n  value = terraform_data.missing.output\n}\n', encoding="utf-8")
    try:
        code, out, err = fx.cli("--no-color", "drift", "dev", "--sandbox", "--output", "json")
    finally:
        broken.unlink()
    report = _json(out)
    assert code == 2, err
    statuses = {s["stack"]: s["status"] for s in report["stacks"]}
    assert statuses["global/b"] == "failed" and statuses["global/a"] == "checked"
    assert report["errors"] and report["errors"][0].startswith("global/b: terraform plan failed")
