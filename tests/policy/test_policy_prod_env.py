"""The real envs/prod plan passes the gate at --fail-on high; a deliberately broken copy fails with the expected ids.

Runs once envs/prod exists (it is composed by the HCL issues): a copy of the repository is planned against the
sandbox with envs/prod's sandbox.tfvars, after the stacks it reads (global/*) are applied there with the
committed S3 backend (bucket and lock table created in the emulator, as bootstrap would).
The sandbox profile switches deletion protection off (so `down --sandbox` works); that deviation, and only it,
is waived for sandbox runs by policies/sandbox-waivers.toml, with the reason. The broken copy adds a public RDS instance and an SSH-open security group, and imports an RDS instance with
prod's identifier but unencrypted storage (created in the emulator): the plan must replace it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest

from popcornctl.config import load_config
from popcornctl.graph import StackGraph
from popcornctl.policy import PlanInput, evaluate_inputs, prepare
from popcornctl.target import SANDBOX_KEY_ID, SANDBOX_SECRET
from tfhelpers import REPO, Tf

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox, pytest.mark.slow]

PROD = "envs/prod"
IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "artifacts",
    ".terraform",
    "*.tfstate*",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "tests",
    "bench",
)

BROKEN = """
# Added by tests/policy/test_policy_prod_env.py: what the gate must stop.
resource "aws_db_instance" "broken_public" {
  identifier                  = "broken-public"
  engine                      = "postgres"
  instance_class              = "db.t4g.micro"
  allocated_storage           = 20
  username                    = "popcorn"
  manage_master_user_password = true
  storage_encrypted           = true
  publicly_accessible         = true
  skip_final_snapshot         = true
}

resource "aws_security_group" "broken_open" {
  name = "broken-open-ssh"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""


def _clients(sandbox: Any, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=sandbox.endpoint,
        region_name="ap-northeast-2",
        aws_access_key_id=SANDBOX_KEY_ID,
        aws_secret_access_key=SANDBOX_SECRET,
    )


def _var_files(stack_dir: Path, name: str | None) -> list[Path]:
    candidate = stack_dir / (name or "sandbox.tfvars")
    return [candidate] if candidate.is_file() else []


def _clear_stale_lock(sandbox: Any, repo: Path, stack: str) -> None:
    """Drop a lock left by the emulator: under load the SDK retries a slow PutItem, whose retry then fails its own
    condition, and Terraform reports the stack as locked by itself. The emulator is this test's alone."""
    config = load_config(repo)
    _clients(sandbox, "dynamodb").delete_item(
        TableName=config.backend.lock_table, Key={"LockID": {"S": config.backend.lock_id(stack)}}
    )
    _clients(sandbox, "s3").delete_object(Bucket=config.backend.bucket, Key=config.backend.key_for(stack) + ".tflock")


def _locked_once(run: Any, sandbox: Any, repo: Path, stack: str) -> Any:
    try:
        return run()
    except AssertionError as exc:
        if "Error acquiring the state lock" not in str(exc):
            raise
        _clear_stale_lock(sandbox, repo, stack)
        return run()


def _prepare_sandbox(tf: Tf, sandbox: Any, repo: Path) -> None:
    """The backend (as bootstrap would create it) and every stack envs/prod reads, applied in the emulator."""
    config = load_config(repo)
    s3 = _clients(sandbox, "s3")
    s3.create_bucket(
        Bucket=config.backend.bucket, CreateBucketConfiguration={"LocationConstraint": config.backend.region}
    )
    _clients(sandbox, "dynamodb").create_table(
        TableName=config.backend.lock_table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
    )
    graph = StackGraph.load(config)
    needed = graph.closure([PROD]) - {PROD, config.bootstrap_stack}
    for layer in graph.layers(needed):
        for stack in layer:
            directory = repo / stack
            tf.init(directory, sandbox, backend=True, backend_config=config.backend.backend_config(stack))
            _locked_once(
                lambda d=directory: tf.apply(d, sandbox, var_files=_var_files(d, None), backend=True),
                sandbox,
                repo,
                stack,
            )


def _plan_prod(tf: Tf, sandbox: Any, repo: Path) -> dict[str, Any]:
    config = load_config(repo)
    env = config.environment("prod")
    stack_dir = repo / PROD
    tf.init(stack_dir, sandbox, backend=True, backend_config=config.backend.backend_config(PROD))
    var_files = _var_files(stack_dir, env.sandbox_var_file)
    plan: dict[str, Any] = _locked_once(
        lambda: tf.plan_json(stack_dir, sandbox, var_files=var_files, backend=True), sandbox, repo, PROD
    )
    return plan


def _evaluate(repo: Path, plan: dict[str, Any], *, run_checkov: bool = True) -> Any:
    # the committed waivers plus the sandbox profile's (what `policy-check --env prod --sandbox` uses)
    setup = prepare(repo, extra_waivers=[repo / "policies" / "sandbox-waivers.toml"])
    item = PlanInput(source="envs/prod (sandbox)", plan=plan, stack=PROD, root=repo / PROD)
    return evaluate_inputs([item], setup, env=None, run_checkov=run_checkov)


def test_real_prod_plan_passes_and_a_broken_copy_fails(tf: Tf, sandbox: Any, tmp_path: Path) -> None:
    if not (REPO / PROD / "main.tf").is_file():
        pytest.skip("envs/prod not composed yet")
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo, ignore=IGNORE, symlinks=True)
    _prepare_sandbox(tf, sandbox, repo)

    plan = _plan_prod(tf, sandbox, repo)
    report = _evaluate(repo, plan)
    blocking = [(r.id, r.address, r.message) for r in report.blocking("high")]
    assert not blocking, f"envs/prod fails the gate at --fail-on high: {json.dumps(blocking, indent=1)}"
    assert all(r.waiver and r.waiver.get("reason") for r in report.results if r.status == "waived")
    assert "enable_deletion_protection = false" in (repo / PROD / "sandbox.tfvars").read_text()
    assert report.inputs[0].environment == "prod"

    # The broken copy: public RDS, SSH open to the world, and prod's database replaced. The database exists
    # (created in the emulator, unencrypted) and an import block brings it into the plan, which must replace it.
    database = next(
        rc
        for rc in plan["resource_changes"]
        if rc["type"] == "aws_db_instance" and rc["change"]["actions"] == ["create"]
    )
    identifier = database["change"]["after"]["identifier"]
    _clients(sandbox, "rds").create_db_instance(
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t4g.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="popcorn",
        MasterUserPassword="sandbox-only-password",
        StorageEncrypted=False,
    )
    importing = f'\nimport {{\n  to = {database["address"]}\n  id = "{identifier}"\n}}\n'
    (repo / PROD / "zz_policy_broken.tf").write_text(BROKEN + importing)
    broken = _evaluate(repo, _plan_prod(tf, sandbox, repo), run_checkov=False)  # Checkov ran on the real one
    failed = {(r.id, r.address) for r in broken.blocking("high")}
    assert ("POP-RDS-002", "aws_db_instance.broken_public") in failed
    assert ("POP-NET-001", "aws_security_group.broken_open") in failed
    assert ("POP-DESTROY-001", database["address"]) in failed
    assert broken.exit_code("high") == 1
