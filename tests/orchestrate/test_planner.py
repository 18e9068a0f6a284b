"""The planner: init + plan + show JSON of one stack (runs and `policy-check --env`), own-lock recovery."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixture_repo import diamond
from orch_support import FakeEngine, fake_runner


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return diamond(tmp_path / "repo", tmp_path / "marks", prod=True)


def _lock_error(lock_id: str, who: str, operation: str, created: str) -> str:
    return (
        "Error: Error acquiring the state lock\n\nError message: operation error DynamoDB: PutItem, https response "
        "error\nStatusCode: 400, RequestID: X, ConditionalCheckFailedException: The conditional request failed\n"
        f"Lock Info:\n  ID:        {lock_id}\n  Path:      fx-tfstate/global/a/terraform.tfstate\n"
        f"  Operation: {operation}\n  Who:       {who}\n  Version:   1.15.5\n  Created:   {created}\n  Info:      \n"
    )


@pytest.mark.sandbox
def test_a_lock_the_command_left_behind_itself_is_released_and_the_step_rerun(root: Path, sandbox) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    import boto3
    from fixture_repo import BUCKET, REGION, TABLE, create_backend

    from popcornctl.locks import read_audit
    from popcornctl.locks.audit import local_user

    create_backend(sandbox.endpoint)
    ddb = boto3.client("dynamodb", endpoint_url=sandbox.endpoint, region_name=REGION)
    key = f"{BUCKET}/global/a/terraform.tfstate"

    def our_retried_lock_write(who: str) -> tuple[int, str]:
        """What Terraform prints when the SDK retried its own DynamoDB lock write: it holds the lock itself."""
        now = dt.datetime.now(dt.UTC)
        info = {
            "ID": "own-lock-1",
            "Operation": "OperationTypePlan",
            "Info": "",
            "Who": who,
            "Version": "1.15.5",
            "Created": now.isoformat().replace("+00:00", "Z"),
            "Path": key,
        }
        ddb.put_item(TableName=TABLE, Item={"LockID": {"S": key}, "Info": {"S": json.dumps(info)}})
        return 1, _lock_error("own-lock-1", who, "OperationTypePlan", now.strftime("%Y-%m-%d %H:%M:%S.%f +0000 UTC"))

    engine = FakeEngine(root, outputs={("global/a", "plan"): [lambda: our_retried_lock_write(local_user())]})
    runner = fake_runner(root, engine=engine, endpoint=sandbox.endpoint)
    report = runner.run()
    a = report.result_of("global/a")
    assert a.result == "applied", (a.reason, a.error)
    assert [(r.step, r.error) for r in a.retries] == [("plan", "own-orphaned-lock")]
    assert any("own-lock-1" in n and "unlock audit" in n for n in a.notes)
    assert "Item" not in ddb.get_item(TableName=TABLE, Key={"LockID": {"S": key}})
    audit = read_audit(runner.rt.settings.state_dir)
    assert [(r["lock_id"], r["outcome"]) for r in audit] == [("own-lock-1", "released")]
    # Somebody else's lock, even taken a moment ago, is never touched: the friendly message instead.
    engine = FakeEngine(root, outputs={("global/a", "plan"): [lambda: our_retried_lock_write("alice@laptop")]})
    report = fake_runner(root, engine=engine, endpoint=sandbox.endpoint).run()
    a = report.result_of("global/a")
    assert a.result == "failed" and "locked by alice@laptop" in a.reason and not a.retries
    assert "Item" in ddb.get_item(TableName=TABLE, Key={"LockID": {"S": key}})


def test_one_stack_is_planned_like_plan_does_it(root: Path, tmp_path: Path) -> None:
    """``policy-check --env`` plans through the same planner: auto-init, transient retries, plan JSON beside the plan."""
    from orch_support import CREATE, REGION

    from popcornctl.errors import PopcornError
    from popcornctl.orchestrate.planner import plan_one_stack
    from popcornctl.orchestrate.retry import RetryPolicy
    from popcornctl.runtime import Runtime
    from popcornctl.settings import Settings
    from popcornctl.target import Target

    engine = FakeEngine(root, outputs={("envs/dev", "plan"): [(1, "Error: ThrottlingException: Rate exceeded")]})
    rt = Runtime(Settings(repo=root), sandbox=True)
    rt.__dict__["target"] = Target(REGION, "http://127.0.0.1:9")
    rt.__dict__["engine"] = engine
    quick = RetryPolicy(sleep=lambda s: None)
    out = tmp_path / "policy-plans"
    out.mkdir()
    plan = plan_one_stack(
        rt, "dev", "envs/dev", out, "envs-dev-sandbox", command="policy-check --env", retry_policy=quick
    )
    assert plan.doc == CREATE
    assert plan.plan_file == out / "envs-dev-sandbox.tfplan" and plan.plan_json == out / "envs-dev-sandbox.json"
    assert json.loads(plan.plan_json.read_text()) == CREATE
    assert engine.commands("envs/dev") == ["init", "plan", "plan"]  # the throttled plan was retried
    plan_one_stack(rt, "dev", "envs/dev", out, "envs-dev-sandbox", command="policy-check --env", retry_policy=quick)
    assert engine.commands("envs/dev").count("init") == 1, "initialised once, then reused (fingerprint)"
    engine.outputs[("envs/dev", "plan")] = [(1, "Error: Reference to undeclared resource")]
    with pytest.raises(PopcornError) as failed:
        plan_one_stack(rt, "dev", "envs/dev", out, "envs-dev-sandbox", command="policy-check --env", retry_policy=quick)
    assert failed.value.line() == "envs/dev: terraform plan failed: Reference to undeclared resource"
    assert "Reference to undeclared resource" in (failed.value.detail or "")
