"""End to end with real Terraform (the product's embedded engine) and the S3 backend on the emulator.

An apply is SIGKILLed mid-run (its process group: the embedded worker and the local-exec ``sleep``), which
leaves the state lock behind exactly as a crashed laptop or CI runner would. Then ``popcornctl unlock``
lists it (holder and age), refuses it while young, releases it, and the next ``plan`` succeeds with the
state's serial, bytes and ``-md5`` digest item unchanged. For DynamoDB locks (``dynamodb_table`` only), S3
lockfiles (``use_lockfile`` only) and both configured (Terraform >= 1.11 during a migration: the killed
apply leaves one lock in each place with the same ID, and both are released).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from locks_support import World, make_repo

from clirunner import run_cli
from popcornctl.engine import TfResult
from popcornctl.locks import HeldLock, describe_lock_error, local_user, read_audit, read_locks
from popcornctl.runtime import Runtime
from popcornctl.settings import Settings

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

DEV = "envs/dev"
STACK_TF = """
terraform {
  required_version = ">= 1.11"
  backend "s3" {}
}

variable "slow" {
  type    = bool
  default = false
}

variable "marker" {
  type    = string
  default = ""
}

resource "terraform_data" "hello" {
  input = "hello"
}

resource "terraform_data" "slow" {
  count = var.slow ? 1 : 0
  provisioner "local-exec" {
    command = "touch '${var.marker}' && sleep 60"
  }
}
"""
PLACES = {"dynamodb": {"dynamodb"}, "s3": {"s3"}, "both": {"dynamodb", "s3"}}


@dataclass
class Snapshot:
    serial: int
    state_md5: str
    digest_item: dict[str, Any] | None


@dataclass
class Stack:
    """envs/dev of a throwaway repository, run by the product's engine exactly as a sandbox run would."""

    rt: Runtime
    world: World

    @property
    def directory(self) -> Path:
        return self.rt.root / DEV

    @property
    def env(self) -> dict[str, str]:
        return self.rt.stack_env(DEV.replace("/", "-"))  # TF_DATA_DIR under the sandbox data dir

    def init(self) -> None:
        res = self.rt.engine.init(self.directory, backend_config=self.rt.config.backend.backend_config(DEV),
                                  env=self.env)
        assert res.ok, res.output

    def apply(self) -> None:
        res = self.rt.engine.run(self.directory, ["apply", "-auto-approve", "-input=false", "-no-color",
                                                  "-lock-timeout=0s"], env=self.env)
        assert res.ok, res.output

    def plan(self) -> TfResult:
        return self.rt.engine.plan(self.directory, self.directory.parent / "dev.tfplan", env=self.env)

    def snapshot(self) -> Snapshot:
        body = self.world.s3.get_object(Bucket=self.world.bucket, Key=self.rt.config.backend.key_for(DEV))["Body"]
        state = body.read()
        digest = self.world.items().get(self.rt.config.backend.lock_id(DEV) + "-md5")
        return Snapshot(json.loads(state)["serial"], hashlib.md5(state).hexdigest(), digest)

    def locks(self) -> list[HeldLock]:
        return read_locks(self.world.clients(), self.rt.config.backend, [DEV])

    def killed_apply(self, places: set[str], tmp_path: Path) -> list[HeldLock]:
        """Start ``apply`` (adds the slow resource), SIGKILL its process group mid-provisioner."""
        marker = tmp_path / "provisioner-started"
        argv = [*self.rt.engine.command(), "apply", "-auto-approve", "-input=false", "-no-color",
                "-var=slow=true", f"-var=marker={marker}"]
        proc = subprocess.Popen(  # the same process shape as ProcessEngine.run: its own session
            argv, cwd=self.directory, env={**self.rt.engine.base_env, **self.env},
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            held: list[HeldLock] = []
            while time.monotonic() < deadline:
                held = self.locks() if marker.exists() else []
                if {h.where for h in held} == places:
                    break
                assert proc.poll() is None, "the apply ended before it could be killed"
                time.sleep(0.05)
            else:
                raise AssertionError(f"the apply never held its lock in {places}: {held}")
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        return held


def make_stack(world: World, tmp_path: Path, mode: str) -> Stack:
    backend = world.backend if mode != "s3" else replace(world.backend, lock_table="")
    repo = make_repo(tmp_path / "repo", backend, use_lockfile=mode != "dynamodb", stack_tf=STACK_TF)
    rt = Runtime(Settings(repo=repo), sandbox=True, start_sandbox=False)
    assert rt.config.backend == replace(backend, use_lockfile=mode != "dynamodb")
    return Stack(rt, world)


def unlock(stack: Stack, *args: str) -> list[str]:
    return ["--repo", str(stack.rt.root), "unlock", "--stack", DEV, *args, "--sandbox"]


@pytest.mark.parametrize("mode", ["dynamodb", "s3", "both"])
def test_killed_apply_lock_listed_released_and_plan_works(
    mode: str, on_sandbox: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = make_stack(on_sandbox, tmp_path, mode)
    stack.init()
    stack.apply()
    before = stack.snapshot()
    assert (before.digest_item is not None) == (mode != "s3")  # Terraform keeps a digest only with a table

    held = stack.killed_apply(PLACES[mode], tmp_path)
    assert len({h.lock_id for h in held}) == 1
    lock_id, who = held[0].lock_id, held[0].who
    assert who == local_user() and held[0].operation == "OperationTypeApply" and held[0].version == "1.15.5"
    assert stack.snapshot() == before  # the killed apply wrote nothing

    blocked = stack.plan()
    assert not blocked.ok and "Error acquiring the state lock" in blocked.output
    # The orchestrator's API on Terraform's real output: the same reader names the holder.
    locked = describe_lock_error(blocked.output, stack=DEV, clients=on_sandbox.clients(),
                                 backend=stack.rt.config.backend, sandbox=True)
    assert locked is not None and locked.lock_id == lock_id and locked.who == who
    assert locked.fix.endswith(f"popcornctl unlock --stack {DEV} --lock-id {lock_id} --sandbox")

    code, out, _ = run_cli(unlock(stack), capsys)
    assert code == 0
    rows = [line for line in out.splitlines() if lock_id in line]
    assert sorted(w for w in PLACES[mode] if any(w in r for r in rows)) == sorted(PLACES[mode])
    assert all(who in r and "apply" in r and "1.15.5" in r for r in rows)
    assert all(re.search(r"│ (\d+s|\d+m \d+s|\d+m) +│$", r.rstrip()) for r in rows), rows  # just taken

    code, _, err = run_cli(unlock(stack, "--lock-id", lock_id, "--yes"), capsys)
    assert code == 2 and "younger than --older-than 15m" in err  # a young lock looks like a live apply
    assert {h.where for h in stack.locks()} == PLACES[mode]

    code, out, err = run_cli(unlock(stack, "--lock-id", lock_id, "--yes", "--older-than", "0s"), capsys)
    assert code == 0, out + err
    assert out.count("confirmed gone") == len(PLACES[mode])
    assert stack.locks() == []
    after = stack.snapshot()
    assert after == before  # serial, state bytes and digest item untouched

    replan = stack.plan()
    assert replan.ok, replan.output
    assert stack.snapshot() == before
    audit = read_audit(Path(os.environ["POPCORN_STATE_DIR"]))
    assert sorted(r["where"] for r in audit) == sorted(PLACES[mode])
    assert {(r["lock_id"], r["holder"], r["stack"]) for r in audit} == {(lock_id, who, DEV)}


def test_via_terraform_force_unlock(on_sandbox: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--via-terraform``: ``terraform init`` + ``force-unlock ID`` in the stack, in the sandbox TF_DATA_DIR."""
    stack = make_stack(on_sandbox, tmp_path, "both")
    stack.init()
    stack.apply()
    before = stack.snapshot()
    held = stack.killed_apply(PLACES["both"], tmp_path)
    lock_id = held[0].lock_id

    code, out, err = run_cli(unlock(stack, "--lock-id", lock_id, "--yes", "--force", "--via-terraform"), capsys)
    assert code == 0, out + err
    assert out.count("confirmed gone") == 2
    assert stack.locks() == [] and stack.snapshot() == before
    assert stack.plan().ok
    audit = read_audit(Path(os.environ["POPCORN_STATE_DIR"]))
    assert [r["method"] for r in audit] == ["terraform force-unlock"] * 2
