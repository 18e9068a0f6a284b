"""`policy-check --env ENV --sandbox` plans the stack first; docs/POLICIES.md and policies/README.md are current."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest

from popcornctl.commands.policy_check import policy_check
from popcornctl.policy import docs
from popcornctl.policy.loader import load_policies
from popcornctl.runtime import Runtime
from popcornctl.settings import Settings
from popcornctl.target import SANDBOX_KEY_ID, SANDBOX_SECRET, Target
from tfhelpers import REPO

POPCORN_TOML = """
[project]
name = "policy-env-test"
region = "ap-northeast-2"

[backend]
bucket = "policy-env-test-state"
lock_table = "policy-env-test-locks"
use_lockfile = true

[environments.dev]
stack = "envs/dev"
sandbox_var_file = "sandbox.tfvars"
"""

STACK = """
terraform {
  backend "s3" {}
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0" }
  }
}

variable "retention_days" {
  type    = number
  default = 7
}

provider "aws" {
  region = "ap-northeast-2"
  default_tags {
    tags = { Project = "popcorn", Environment = "dev", ManagedBy = "terraform", Owner = "platform" }
  }
}

resource "aws_sns_topic" "alerts" {
  name = "policy-env-alerts"
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/policy-env/app"
  retention_in_days = var.retention_days
}
"""


@pytest.mark.terraform
@pytest.mark.sandbox
def test_env_plans_the_stack_first_with_the_sandbox_profile(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    (repo / "envs" / "dev").mkdir(parents=True)
    (repo / "popcorn.toml").write_text(POPCORN_TOML)
    (repo / "envs" / "dev" / "main.tf").write_text(STACK)
    (repo / "envs" / "dev" / "sandbox.tfvars").write_text("retention_days = 30\n")
    shutil.copytree(REPO / "policies", repo / "policies")
    kwargs = {
        "endpoint_url": sandbox.endpoint,
        "region_name": "ap-northeast-2",
        "aws_access_key_id": SANDBOX_KEY_ID,
        "aws_secret_access_key": SANDBOX_SECRET,
    }
    boto3.client("s3", **kwargs).create_bucket(
        Bucket="policy-env-test-state", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"}
    )
    boto3.client("dynamodb", **kwargs).create_table(
        TableName="policy-env-test-locks",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
    )
    rt = Runtime(settings=Settings(repo=repo), sandbox=True)
    rt.__dict__["target"] = Target("ap-northeast-2", sandbox.endpoint)  # the session's emulator, not a new one
    code = policy_check(rt, inputs=[], env="dev", fmt="json", fail_on="medium", run_checkov=False)
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["inputs"][0]["source"] == "envs/dev (planned against sandbox)"
    assert report["inputs"][0]["stack"] == "envs/dev"
    failed = {(f["id"], f["address"]): f for f in report["findings"] if f["status"] == "fail"}
    assert failed[("POP-SNS-001", "aws_sns_topic.alerts")]["file"] == "envs/dev/main.tf"
    # sandbox.tfvars was used: 30 days of retention is too long for dev
    assert "retention_in_days = 30 in dev" in failed[("POP-LOG-002", "aws_cloudwatch_log_group.app")]["message"]
    assert not list((repo / "envs" / "dev").glob("*.tfplan"))  # the saved plan lives in the state dir


def test_policies_doc_is_current() -> None:
    expected = docs.render(REPO)
    current = (REPO / "docs" / "POLICIES.md").read_text(encoding="utf-8")
    assert current == expected, "docs/POLICIES.md is stale: run python -m popcornctl.policy.docs --write"


def test_policies_folder_documents_the_protocol() -> None:
    readme = (REPO / "policies" / "README.md").read_text(encoding="utf-8")
    for needle in (
        "class Policy(Protocol)",
        "resource_types",
        "evaluate(",
        "UNKNOWN",
        "waivers.toml",
        "## Adding a policy",
    ):
        assert needle in readme
    loaded = load_policies(REPO / "policies")
    assert len(loaded) >= 25
    for item in loaded:
        assert re.fullmatch(r"POP-[A-Z0-9]+-\d{3}", item.id)
        assert item.module.startswith("pop_")
    severities = {item.policy.severity for item in loaded}
    assert severities == {"critical", "high", "medium", "low"}
