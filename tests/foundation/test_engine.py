"""The engine runs real Terraform: init/plan/show/apply with a local backend and the S3 backend on the sandbox."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import boto3
import pytest

from popcornctl.engine import EmbeddedEngine, make_engine
from popcornctl.settings import Settings
from popcornctl.target import Target

pytestmark = pytest.mark.terraform

DATA_STACK = """
terraform {
  required_version = ">= 1.11"
}
variable "who" {
  type    = string
  default = "popcorn"
}
resource "terraform_data" "hello" {
  input = "hello ${var.who}"
}
output "greeting" {
  value = terraform_data.hello.output
}
"""

S3_STACK = DATA_STACK + """
terraform {
  backend "s3" {}
}
resource "terraform_data" "slow" {
  provisioner "local-exec" {
    command = "sleep 4"
  }
}
"""


def _engine(target: Target | None = None) -> EmbeddedEngine:
    settings = Settings()
    engine = make_engine(settings, (target or Target("ap-northeast-2")).env())
    assert isinstance(engine, EmbeddedEngine)
    return engine


def test_every_run_is_offline_and_non_interactive() -> None:
    engine = _engine()
    assert engine.base_env["CHECKPOINT_DISABLE"] == "1"
    assert engine.base_env["TF_IN_AUTOMATION"] == "1"
    assert engine.base_env["TF_INPUT"] == "0"
    assert Path(engine.base_env["TF_PLUGIN_CACHE_DIR"]).is_dir()


def test_local_backend_init_plan_show_apply_output(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(DATA_STACK)
    engine = _engine()
    assert engine.version().startswith("1.")
    assert engine.init(tmp_path).ok
    plan_file = tmp_path / "out.tfplan"
    res = engine.plan(tmp_path, plan_file, variables={"who": "sre"})
    assert res.ok, res.output
    plan = engine.show_json(tmp_path, plan_file)
    assert [rc["change"]["actions"] for rc in plan["resource_changes"]] == [["create"]]
    assert plan["variables"]["who"]["value"] == "sre"
    assert engine.apply(tmp_path, plan_file).ok
    assert engine.output(tmp_path) == {"greeting": "hello sre"}
    state = json.loads((tmp_path / "terraform.tfstate").read_text())
    assert state["resources"][0]["type"] == "terraform_data"


def test_terraform_errors_are_returned_verbatim(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "terraform_data" "x" {\n  input = var.missing\n}\n')
    engine = _engine()
    engine.init(tmp_path)
    res = engine.validate(tmp_path)
    assert not res.ok
    assert "Reference to undeclared input variable" in res.output


@pytest.mark.sandbox
def test_s3_backend_on_the_sandbox(tmp_path: Path, sandbox) -> None:  # type: ignore[no-untyped-def]
    target = Target("ap-northeast-2", sandbox.endpoint)
    s3 = boto3.client("s3", **target.boto3_kwargs())
    ddb = boto3.client("dynamodb", **target.boto3_kwargs())
    s3.create_bucket(Bucket="state", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"})
    ddb.create_table(
        TableName="locks",
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    (tmp_path / "main.tf").write_text(S3_STACK)
    engine = _engine(target)
    env = {"TF_DATA_DIR": str(tmp_path / "data")}
    backend = {"bucket": "state", "key": "envs/x/terraform.tfstate", "region": "ap-northeast-2",
               "dynamodb_table": "locks", "use_lockfile": "true", "encrypt": "true"}
    res = engine.init(tmp_path, backend_config=backend, env=env)
    assert res.ok, res.output
    plan_file = tmp_path / "p.tfplan"
    assert engine.plan(tmp_path, plan_file, env=env).ok

    seen: dict[str, object] = {}

    def watch() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "item" not in seen:
            items = ddb.scan(TableName="locks")["Items"]
            held = [i for i in items if i["LockID"]["S"] == "state/envs/x/terraform.tfstate"]
            if held:
                seen["item"] = json.loads(held[0]["Info"]["S"])
                listing = s3.list_objects_v2(Bucket="state").get("Contents", [])
                seen["lockfile"] = [o["Key"] for o in listing if o["Key"].endswith(".tflock")]
            time.sleep(0.2)

    watcher = threading.Thread(target=watch)
    watcher.start()
    res = engine.apply(tmp_path, plan_file, env=env)
    watcher.join()
    assert res.ok, res.output
    assert seen["item"]["Operation"] == "OperationTypeApply"  # type: ignore[index]
    assert seen["lockfile"] == ["envs/x/terraform.tfstate.tflock"]
    state = json.loads(s3.get_object(Bucket="state", Key="envs/x/terraform.tfstate")["Body"].read())
    assert {r["name"] for r in state["resources"]} == {"hello", "slow"}
    items = {i["LockID"]["S"] for i in ddb.scan(TableName="locks")["Items"]}
    assert items == {"state/envs/x/terraform.tfstate-md5"}  # lock released, digest kept
    assert not (tmp_path / ".terraform").exists()  # TF_DATA_DIR kept the tree clean
