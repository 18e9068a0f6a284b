"""The README's main-job command on the real tree: `popcornctl up dev --sandbox` from an empty sandbox.

Runs the real command line (a sandbox of its own is started in the test's state dir, on 127.0.0.1), applies
bootstrap (local state, then migrated into the bucket it created), both global stacks and envs/dev with the
sandbox profile (``sandbox.tfvars``: what the emulator cannot create is switched off by variables, never by
editing HCL). A second `up` must report every stack up to date, except drift the emulator itself causes
(tests/sandboxdrift.py, the list the envs sandbox apply also uses); then `down dev --sandbox` destroys envs/dev.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from clirunner import run_cli
from popcornctl.orchestrate.run_report import SCHEMA
from sandboxdrift import unexplained_drift

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]

def _composed() -> bool:
    return (REPO / "envs/dev").is_dir() and any((REPO / "envs/dev").glob("*.tf"))


def _cli(*args: str) -> tuple[int, str, str]:
    return run_cli(args, prefix=["--repo", str(REPO), "--no-color"])


def _report(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    jsonschema.validate(data, SCHEMA)
    return data


@pytest.mark.skipif(not _composed(), reason="envs/dev is not composed yet (HCL part 3): nothing to apply end to end")
@pytest.mark.timeout(3600)
def test_up_dev_sandbox_end_to_end(tmp_path: Path) -> None:
    from popcornctl.sandbox import Sandbox

    sandbox = Sandbox(Path(os.environ["POPCORN_STATE_DIR"]))
    # The real policy gate runs on every plan (our policies; Checkov is left to policy-check's own tests).
    gate = ["--no-checkov"]
    try:
        first = tmp_path / "first.json"
        code, out, err = _cli("up", "dev", "--sandbox", "--auto-approve", *gate, "--report", str(first))
        report = _report(first)
        assert code == 0, out + err
        stacks = {s["stack"]: s for s in report["stacks"]}
        assert list(stacks) == ["bootstrap", "global/account", "global/ecr", "global/route53-acm", "envs/dev"]
        assert {s["result"] for s in stacks.values()} == {"applied"}
        assert any("state migrated from local to s3://" in n for n in stacks["bootstrap"]["notes"])
        assert {s["policy"]["status"] for s in stacks.values()} == {"passed"}
        assert report["policy_override"] is None
        # Every state object, bootstrap's migrated one included, is encrypted with bootstrap's customer key
        # (popcorn.toml [backend] kms_key_id), not SSE-S3.
        import boto3

        from popcornctl.target import Target

        info = sandbox.require()
        s3 = boto3.client("s3", **Target("ap-northeast-2", info.endpoint).boto3_kwargs())
        kms = boto3.client("kms", **Target("ap-northeast-2", info.endpoint).boto3_kwargs())
        key_arn = kms.describe_key(KeyId="alias/goorm-popcorn-tfstate")["KeyMetadata"]["Arn"]
        for stack in stacks:
            head = s3.head_object(Bucket="goorm-popcorn-tfstate", Key=f"{stack}/terraform.tfstate")
            assert head["ServerSideEncryption"] == "aws:kms", stack
            assert head["SSEKMSKeyId"] in ("alias/goorm-popcorn-tfstate", key_arn), (stack, head["SSEKMSKeyId"])

        # The second `up`: the full pipeline (init, plan, gate, summary) against what the first one left.
        # Its approval step records each stack's plan and declines, so emulator drift is reported, not
        # applied into the emulator's own bugs (the private zone's VPC association, tests/sandboxdrift.py).
        from orch_support import Scripted

        from popcornctl.orchestrate import Runner, RunOptions
        from popcornctl.runtime import Runtime
        from popcornctl.settings import Settings

        asked = Scripted(default=False)
        rt = Runtime(Settings(repo=REPO), sandbox=True, start_sandbox=False)
        second = Runner(rt, RunOptions(command="up", env="dev", checkov=False),
                        confirmer=asked).run()
        for stack in second.stacks:
            assert stack.result in ("up_to_date", "declined"), (stack.stack, stack.result, stack.reason)
        for request in asked.requests:
            plan = json.loads(second.result_of(request.stack).plan_json.read_text())  # type: ignore[union-attr]
            assert not unexplained_drift(plan), f"{request.stack}: {unexplained_drift(plan)}"
        assert {r.stack for r in asked.requests} <= {"envs/dev"}, "bootstrap and global stacks are up to date"

        down = tmp_path / "down.json"
        code, out, err = _cli("down", "dev", "--sandbox", "--auto-approve", "--report", str(down))
        assert code == 0, out + err
        assert [(s["stack"], s["result"]) for s in _report(down)["stacks"]] == [("envs/dev", "destroyed")]
    finally:
        sandbox.stop()
