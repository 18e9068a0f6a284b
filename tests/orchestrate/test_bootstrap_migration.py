"""Bootstrap's first run: local state in a shadow of the stack, then `init -migrate-state` into the bucket it made.

Real Terraform with the real AWS provider creating the bucket and lock table in the emulator.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from fixture_repo import BUCKET, REGION, TABLE
from orch_support import Fx

from popcornctl.orchestrate import bootstrap as boot

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]


def _commands(log_text: str) -> list[str]:
    return [line for line in log_text.splitlines() if line.startswith("$ terraform ")]


def _tree_is_clean(fx: Fx) -> None:
    names = [p.name for p in fx.root.rglob("*")]
    assert not [n for n in names if n.endswith("override.tf")], "no override file in the user's tree"
    assert not [n for n in names if n.startswith("terraform.tfstate")], "no local state in the user's tree"
    assert ".terraform" not in names


def test_bootstrap_migrates_local_state_into_its_bucket_once(fx_factory) -> None:  # type: ignore[no-untyped-def]
    fx: Fx = fx_factory(backend=False, aws_bootstrap=True)
    s3 = boto3.client("s3", endpoint_url=fx.endpoint, region_name=REGION)
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=BUCKET)

    first = fx.run(only=("bootstrap",))
    boot_result = first.result_of("bootstrap")
    assert boot_result.result == "applied", (boot_result.reason, boot_result.error)
    notes = " ".join(boot_result.notes)
    assert "bootstrap runs on local state" in notes
    assert f"state migrated from local to s3://{BUCKET}/bootstrap/terraform.tfstate" in notes
    commands = _commands(boot_result.log_file.read_text())  # type: ignore[union-attr]
    assert [c.split()[2] for c in commands] == ["init", "plan", "apply", "init"]
    assert "-migrate-state -force-copy" in commands[-1] and f"-backend-config=bucket={BUCKET}" in commands[-1]
    state = fx.state("bootstrap")
    assert {r["type"] for r in state["resources"]} == {"aws_s3_bucket", "aws_dynamodb_table"}
    items = boto3.client("dynamodb", endpoint_url=fx.endpoint, region_name=REGION).scan(TableName=TABLE)["Items"]
    assert {i["LockID"]["S"] for i in items} == {f"{BUCKET}/bootstrap/terraform.tfstate-md5"}
    phase = fx.runner()._phase()
    assert not phase.state_file.exists(), "the local copy is set aside once the bucket has it"
    assert len(list(phase.base.glob("terraform.tfstate.migrated-*"))) == 1
    assert not phase.shadow_root.exists()
    _tree_is_clean(fx)

    # Later runs use the remote state directly: no shadow, no migration, nothing to change.
    second = fx.run(only=("bootstrap",))
    again = second.result_of("bootstrap")
    assert again.result == "up_to_date", (again.reason, again.error)
    assert again.notes == []
    commands = _commands(again.log_file.read_text())  # type: ignore[union-attr]
    assert not [c for c in commands if "-migrate-state" in c]
    assert str(phase.shadow_root) not in " ".join(commands)
    assert len(list(phase.base.glob("terraform.tfstate.migrated-*"))) == 1
    _tree_is_clean(fx)


@pytest.mark.slow
def test_down_include_bootstrap_destroys_from_local_state_and_up_recreates(fx_factory) -> None:  # type: ignore[no-untyped-def]
    fx: Fx = fx_factory(backend=False, aws_bootstrap=True)
    assert fx.run().exit_code == 0
    report = fx.run("down", include_global=True, include_bootstrap=True)
    assert report.exit_code == 0, [(s.stack, s.reason, s.error) for s in report.stacks]
    assert [s.stack for s in report.stacks] == ["envs/dev", "global/a", "global/b", "bootstrap"]
    assert {s.result for s in report.stacks} == {"destroyed"}
    notes = " ".join(report.result_of("bootstrap").notes)
    assert "bootstrap destroyed" in notes
    s3 = boto3.client("s3", endpoint_url=fx.endpoint, region_name=REGION)
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=BUCKET)
    phase = fx.runner()._phase()
    assert not phase.authoritative and not phase.state_file.exists()
    _tree_is_clean(fx)
    # From nothing again: local phase, migration, everything applied.
    again = fx.run()
    assert again.exit_code == 0, [(s.stack, s.reason, s.error) for s in again.stacks]
    assert "state migrated from local" in " ".join(again.result_of("bootstrap").notes)
    assert not (fx.root / "bootstrap" / boot.OVERRIDE_FILE).exists()
