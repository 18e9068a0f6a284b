"""Defects 3, 9 and the lock part of 10: lock recovery tells the truth, needs nothing it does not need, and prints
lock IDs whole.

``unlock --sandbox`` against an emulator process of the test's own holding the locks Terraform would write; the
``--via-terraform`` cases run real Terraform's ``force-unlock`` on a lock held in only one of the two places.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from faultkit import Backend, tiny_repo

from popcornctl.cli import main
from popcornctl.locks import read_audit

pytestmark = [pytest.mark.sandbox]


def lock_info(lock_id: str, who: str = "alice@laptop") -> str:
    created = datetime.now(UTC) - timedelta(hours=2)
    return json.dumps({"ID": lock_id, "Operation": "OperationTypeApply", "Info": "", "Who": who,
                       "Version": "1.15.5", "Created": created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                       "Path": "envs/dev/terraform.tfstate"})


def hold(store: Backend, where: str, lock_id: str) -> None:
    """A lock as a killed Terraform leaves it, in one place only."""
    info = lock_info(lock_id)
    if where == "s3":
        store.client("s3").put_object(Bucket=store.bucket, Key="envs/dev/terraform.tfstate.tflock", Body=info.encode())
    else:
        store.client("dynamodb").put_item(TableName=store.table, Item={
            "LockID": {"S": f"{store.bucket}/envs/dev/terraform.tfstate"}, "Info": {"S": info}})


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


@pytest.mark.terraform
@pytest.mark.parametrize("where", ["s3", "dynamodb"])
def test_via_terraform_reads_back_and_audits_a_lock_held_in_one_place(
    where: str, tmp_path: Path, store: Backend, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    root = tiny_repo(tmp_path / "repo", store)
    lock_id = str(uuid.uuid4())
    hold(store, where, lock_id)
    code, out, err = run_cli(["--repo", str(root), "unlock", "--stack", "envs/dev", "--lock-id", lock_id, "--yes",
                              "--via-terraform", "--sandbox"], capsys)
    assert store.locks() == [], "the lock is gone"
    assert code == 0, out + err  # the truth: it was released (read back), whatever Terraform's exit code
    assert "confirmed gone" in out and "Traceback" not in err
    audit = read_audit(Path(os.environ["POPCORN_STATE_DIR"]))
    assert [(r["lock_id"], r["where"], r["method"]) for r in audit] == [(lock_id, where, "terraform force-unlock")]


def test_a_syntax_error_elsewhere_does_not_block_lock_recovery(
    tmp_path: Path, store: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tiny_repo(tmp_path / "repo", store)
    broken = root / "global" / "ecr"
    broken.mkdir(parents=True)
    (broken / "main.tf").write_text('resource "aws_ecr_repository" "x" {\n  name = \n')  # a half-typed file
    lock_id = str(uuid.uuid4())
    hold(store, "s3", lock_id)
    code, out, err = run_cli(["--repo", str(root), "unlock", "--stack", "envs/dev", "--sandbox"], capsys)
    assert code == 0, out + err
    assert lock_id in out
    code, out, err = run_cli(["--repo", str(root), "unlock", "--env", "dev", "--sandbox"], capsys)
    assert code == 0, out + err
    assert lock_id in out and "cannot parse" in err  # a warning, and the locks of every stack are listed
    code, out, err = run_cli(["--repo", str(root), "unlock", "--stack", "envs/dev", "--lock-id", lock_id, "--yes",
                              "--sandbox"], capsys)
    assert code == 0 and "confirmed gone" in out, out + err
    assert store.locks() == []


def test_piped_lock_tables_never_fold_lock_ids(tmp_path: Path, store: Backend) -> None:
    root = tiny_repo(tmp_path / "repo", store)
    lock_id = str(uuid.uuid4())
    hold(store, "s3", lock_id)
    hold(store, "dynamodb", lock_id)
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    res = subprocess.run([sys.executable, "-m", "popcornctl", "--repo", str(root), "unlock", "--stack", "envs/dev",
                          "--sandbox"], capture_output=True, text=True, env=env, check=False, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    rows = [line for line in res.stdout.splitlines() if lock_id in line]
    assert len(rows) == 2, f"each lock's ID whole on its row (a pipe is 80 columns wide):\n{res.stdout}"
