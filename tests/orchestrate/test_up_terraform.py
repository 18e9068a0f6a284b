"""``up`` / ``down`` / ``plan`` on fixture stacks with real Terraform and the S3 backend on the emulator."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest
from fixture_repo import BUCKET, REGION, StackSpec, mark_count, read_marks
from orch_support import Fx, insecure_gate

from popcornctl.orchestrate.run_report import SCHEMA

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

STACKS = ["bootstrap", "global/a", "global/b", "envs/dev"]


def results(report: object) -> dict[str, str]:
    return {s.stack: s.result for s in report.stacks}  # type: ignore[attr-defined]


def terraform_commands(log_file: Path | None) -> list[str]:
    if log_file is None:
        return []
    return [line.split()[2] for line in log_file.read_text().splitlines() if line.startswith("$ terraform ")]


def test_up_applies_in_graph_order_and_independent_stacks_overlap(fx_factory) -> None:  # type: ignore[no-untyped-def]
    fx: Fx = fx_factory(sleep=3)  # inits are serialised (plugin cache safety): sleeps cover the skew
    report = fx.run(parallelism=None)
    assert report.exit_code == 0, [(s.stack, s.reason, s.error) for s in report.stacks]
    assert [s.stack for s in report.stacks] == STACKS
    assert set(results(report).values()) == {"applied"}
    boot = read_marks(fx.marks, "bootstrap")
    a, b = read_marks(fx.marks, "global/a"), read_marks(fx.marks, "global/b")
    env = read_marks(fx.marks, "envs/dev")
    assert boot[1] < a[0] and boot[1] < b[0], "bootstrap finishes before the global stacks start"
    assert a[1] < env[0] and b[1] < env[0], "envs/dev starts after both global stacks"
    assert a[0] < b[1] and b[0] < a[1], f"global/a {a} and global/b {b} ran at the same time"
    # The sandbox profile is passed to the env stack only, and applied from the saved plan.
    assert fx.state("envs/dev")["outputs"]["value"]["value"] == "sandbox"
    assert fx.state("global/a")["outputs"]["value"]["value"] == "v1"
    jsonschema.validate(json.loads((report.run_dir / "report.json").read_text()), SCHEMA)
    # Saved plans live in the run folder, outside the source tree; the tree gets no state, no plans.
    assert all(s.plan_file and report.run_dir in s.plan_file.parents for s in report.stacks)
    assert not list(fx.root.rglob("*.tfplan")) and not list(fx.root.rglob("terraform.tfstate"))
    assert not list(fx.root.rglob(".terraform"))  # sandbox runs keep Terraform data in the state dir


def test_down_destroys_in_reverse_order(fx_factory) -> None:  # type: ignore[no-untyped-def]
    fx: Fx = fx_factory(overrides={
        "global/a": StackSpec(destroy_sleep=1),
        "global/b": StackSpec(destroy_sleep=1),
        "envs/dev": StackSpec(destroy_sleep=1, reads=["global/a"]),
    })
    fx.run()
    # `down dev` alone touches only envs/dev.
    only_env = fx.runner("down", include_global=False)
    assert only_env.prepare().stacks == ["envs/dev"]
    report = fx.run("down", include_global=True)
    assert report.exit_code == 0, [(s.stack, s.reason) for s in report.stacks]
    assert [s.stack for s in report.stacks] == ["envs/dev", "global/a", "global/b"]
    assert set(results(report).values()) == {"destroyed"}
    env = read_marks(fx.marks, "envs/dev", "d")
    a, b = read_marks(fx.marks, "global/a", "d"), read_marks(fx.marks, "global/b", "d")
    assert env[1] < a[0] and env[1] < b[0], "the dependent is destroyed first"
    assert mark_count(fx.marks, "bootstrap", "d") == 0, "bootstrap is left alone without --include-bootstrap"
    assert fx.state("envs/dev")["resources"] == []


def test_failed_stack_skips_its_dependents_but_not_the_others(fx_factory) -> None:  # type: ignore[no-untyped-def]
    fx: Fx = fx_factory(overrides={"global/a": StackSpec(fail="Error: the widget exploded")})
    report = fx.run()
    assert report.exit_code == 1
    assert results(report) == {
        "bootstrap": "applied", "global/a": "failed", "global/b": "applied", "envs/dev": "skipped",
    }
    assert report.result_of("envs/dev").reason == "dependency global/a failed"
    failed = report.result_of("global/a")
    assert "the widget exploded" in (failed.error or "")
    assert not failed.retries, "an unknown error is not retried"
    assert mark_count(fx.marks, "global/b") == 1


def test_fail_fast_stops_everything_after_the_first_failure(fx_factory) -> None:  # type: ignore[no-untyped-def]
    fx: Fx = fx_factory(overrides={"bootstrap": StackSpec(fail="Error: nope")})
    report = fx.run(fail_fast=True)
    assert results(report)["bootstrap"] == "failed"
    assert {results(report)[s] for s in STACKS[1:]} == {"skipped"}


def test_transient_error_is_retried_then_succeeds(fx_factory) -> None:  # type: ignore[no-untyped-def]
    fx: Fx = fx_factory(overrides={"global/b": StackSpec(fail_once="RequestError: send request failed")})
    report = fx.run()
    assert report.exit_code == 0, [(s.stack, s.reason, s.error) for s in report.stacks]
    b = report.result_of("global/b")
    assert b.result == "applied"
    assert [(r.step, r.attempt, r.error) for r in b.retries] == [("apply", 1, "send-request-failed")]
    assert report.retried_stacks == ["global/b"]
    # The failed apply tainted the resource, so the retry re-planned (and re-gated) before applying again.
    assert terraform_commands(b.log_file).count("plan") == 2
    assert report.as_dict()["retried_stacks"] == ["global/b"]


def test_no_change_stacks_are_not_applied(fx: Fx) -> None:
    fx.run()
    (fx.root / "global/b/main.tf").write_text(
        (fx.root / "global/b/main.tf").read_text().replace('default = "v1"', 'default = "v2"')
    )
    report = fx.run()
    assert report.exit_code == 0
    assert results(report) == {
        "bootstrap": "up_to_date", "global/a": "up_to_date", "global/b": "applied", "envs/dev": "up_to_date",
    }
    for stack in ("bootstrap", "global/a", "envs/dev"):
        assert "apply" not in terraform_commands(report.result_of(stack).log_file)
        assert "init" not in terraform_commands(report.result_of(stack).log_file), "initialised once, then reused"
    assert report.result_of("global/b").summary.changes == 1  # type: ignore[union-attr]


def test_gate_blocks_high_finding_and_skip_policy_is_recorded(fx_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fx: Fx = fx_factory(overrides={"global/b": StackSpec(value="insecure")})
    report = fx.run(gate=insecure_gate)
    assert report.exit_code == 1
    assert results(report) == {
        "bootstrap": "applied", "global/a": "applied", "global/b": "blocked", "envs/dev": "skipped",
    }
    blocked = report.result_of("global/b")
    assert blocked.policy is not None and blocked.policy.status == "blocked"
    assert [f.policy for f in blocked.policy.blocking] == ["TEST-001"]
    assert mark_count(fx.marks, "global/b") == 0, "nothing of a blocked stack is applied"
    assert report.result_of("envs/dev").reason == "dependency global/b was blocked"
    # --fail-on critical lets a high finding through (it is still reported).
    lenient = fx.run(gate=insecure_gate, fail_on="critical", only=("global/b",))
    assert results(lenient) == {"global/b": "applied"}
    assert lenient.result_of("global/b").policy.short() == "1 (1 high)"  # type: ignore[union-attr]
    # The CLI: --skip-policy needs --reason; with it the stack passes and the override is in the report.
    fx.monkeypatch.setattr("popcornctl.orchestrate.runner.policy_gate", insecure_gate)
    code, _, err = fx.cli("up", "dev", "--sandbox", "--auto-approve", "--skip-policy")
    assert code == 2 and "--skip-policy needs --reason" in err
    out_file = tmp_path / "report.json"
    code, out, err = fx.cli("--output", "json", "up", "dev", "--sandbox", "--auto-approve", "--skip-policy",
                            "--reason", "INC-42 hotfix", "--report", str(out_file), "--retry-delay", "0.05")
    assert code == 0, out + err
    data = json.loads(out_file.read_text())
    assert json.loads(out)["stacks"] == data["stacks"], "--output json prints the same report on stdout"
    assert "envs/dev: apply" in err, "progress goes to stderr in JSON mode"
    jsonschema.validate(data, SCHEMA)
    assert data["policy_override"]["reason"] == "INC-42 hotfix"
    by_stack = {s["stack"]: s for s in data["stacks"]}
    assert by_stack["envs/dev"]["result"] == "applied"
    assert by_stack["envs/dev"]["policy"] == {
        "status": "skipped", "fail_on": "high", "counts": {}, "findings": [], "blocking": [],
        "reason": "INC-42 hotfix",
    }


def test_the_applied_plan_is_the_gated_one(fx: Fx) -> None:
    fx.run()
    env_tf = fx.root / "envs/dev/main.tf"
    env_tf.write_text(env_tf.read_text().replace('default = "v1"', 'default = "v2"'))
    (fx.root / "envs/dev/sandbox.tfvars").write_text('value = "gated"\n')

    def edit_after_gate(stack: str, plan_file: Path) -> None:
        if stack == "envs/dev":  # the HCL changes after the plan was gated and approved
            (fx.root / "envs/dev/sandbox.tfvars").write_text('value = "sneaked-in"\n')
            env_tf.write_text(env_tf.read_text() + '\nresource "terraform_data" "sneaky" {}\n')

    report = fx.run(before_apply=edit_after_gate)
    assert report.result_of("envs/dev").result == "applied"
    state = fx.state("envs/dev")
    assert state["outputs"]["value"]["value"] == "gated", "exactly the saved plan was applied"
    assert {r["name"] for r in state["resources"] if r["mode"] == "managed"} == {"work"}
    assert terraform_commands(report.result_of("envs/dev").log_file).count("plan") == 1, "never re-planned"


def test_a_saved_plan_made_stale_is_refused_not_replanned(fx: Fx) -> None:
    fx.run()
    (fx.root / "envs/dev/sandbox.tfvars").write_text('value = "second"\n')
    runner = fx.runner()

    def someone_else_applies(stack: str, plan_file: Path) -> None:
        if stack != "envs/dev":
            return
        engine, env = runner.engine, runner.rt.stack_env("envs-dev")
        other = plan_file.with_name("someone-else.tfplan")
        assert engine.plan(fx.root / "envs/dev", other, var_files=[fx.root / "envs/dev/sandbox.tfvars"],
                           env=env).ok
        assert engine.apply(fx.root / "envs/dev", other, env=env).ok

    runner.before_apply = someone_else_applies
    report = runner.run()
    env = report.result_of("envs/dev")
    assert env.result == "failed"
    assert "saved plan is stale" in env.reason and "nothing was applied" in env.reason
    assert terraform_commands(env.log_file).count("plan") == 1, "never re-planned behind the user's back"
    assert not env.retries


def test_prod_confirmation_rules(fx_factory) -> None:  # type: ignore[no-untyped-def]
    from popcornctl.orchestrate.confirm import TerminalConfirmer

    fx: Fx = fx_factory(prod=True, overrides={"envs/prod": StackSpec(replace_on_change=True, reads=["global/a"])})
    prompts: list[str] = []

    def answer(text: str):  # type: ignore[no-untyped-def]
        def read(prompt: str) -> str:
            prompts.append(prompt)
            return text
        return read

    from rich.console import Console

    quiet = Console(file=io.StringIO())
    # A plain "yes" is not enough in prod: the environment's name must be typed.
    report = fx.run(env="prod", confirmer=TerminalConfirmer(quiet, read=answer("yes")), auto_approve=False)
    assert results(report)["bootstrap"] == "declined"
    assert {results(report)[s] for s in ("global/a", "global/b", "envs/prod")} == {"skipped"}
    assert "Type prod" in prompts[0].replace("[bold]", "").replace("[/]", "")
    assert mark_count(fx.marks, "bootstrap") == 0
    # Typing "prod" applies.
    report = fx.run(env="prod", confirmer=TerminalConfirmer(quiet, read=answer("prod")), auto_approve=False)
    assert report.exit_code == 0, [(s.stack, s.reason) for s in report.stacks]
    # A plan that destroys anything in prod needs --allow-destroy, even with --auto-approve.
    prod_tf = fx.root / "envs/prod/main.tf"
    prod_tf.write_text(prod_tf.read_text().replace('default = "v1"', 'default = "v2"'))
    report = fx.run(env="prod", auto_approve=True)
    blocked = report.result_of("envs/prod")
    assert blocked.result == "blocked" and "--allow-destroy" in blocked.reason
    assert fx.state("envs/prod")["outputs"]["value"]["value"] == "v1"
    report = fx.run(env="prod", auto_approve=True, allow_destroy=True)
    assert report.result_of("envs/prod").result == "applied"
    assert fx.state("envs/prod")["outputs"]["value"]["value"] == "v2"
    # Command line: no terminal and no --auto-approve → exit 2, nothing applied; down prod needs --allow-destroy.
    prod_tf.write_text(prod_tf.read_text().replace('default = "v2"', 'default = "v3"'))
    code, _, err = fx.cli("up", "prod", "--sandbox")
    assert code == 2 and "no terminal to confirm on" in err
    code, _, err = fx.cli("down", "prod", "--sandbox", "--auto-approve")
    assert code == 2 and "--allow-destroy" in err
    code, _, err = fx.cli("down", "prod", "--sandbox", "--auto-approve", "--allow-destroy")
    assert code == 2 and "typed at a terminal" in err
    assert fx.state("envs/prod")["outputs"]["value"]["value"] == "v2"


def test_a_held_lock_gives_the_friendly_message(fx: Fx) -> None:
    import boto3

    info = {
        "ID": "6f1c-held", "Operation": "OperationTypeApply", "Info": "", "Who": "alice@laptop",
        "Version": "1.15.5", "Created": "2020-01-01T10:00:00Z", "Path": f"{BUCKET}/bootstrap/terraform.tfstate",
    }
    ddb = boto3.client("dynamodb", endpoint_url=fx.endpoint, region_name=REGION)
    ddb.put_item(TableName="fx-tf-locks", Item={
        "LockID": {"S": f"{BUCKET}/bootstrap/terraform.tfstate"}, "Info": {"S": json.dumps(info)},
    })
    report = fx.run()
    boot = report.result_of("bootstrap")
    assert boot.result == "failed"
    assert "locked by alice@laptop" in boot.reason
    assert "popcornctl unlock" in boot.reason and "6f1c-held" in boot.reason
    assert "Error acquiring the state lock" in (boot.error or "")  # Terraform's words kept as detail
    assert not boot.retries, "a lock is never retried"
    assert {results(report)[s] for s in STACKS[1:]} == {"skipped"}


def test_plan_reports_waiting_stacks_and_writes_a_combined_plan(fx: Fx, tmp_path: Path) -> None:
    out = tmp_path / "plans"
    report = fx.run("plan", out_dir=out)
    assert report.exit_code == 0, [(s.stack, s.reason, s.error) for s in report.stacks]
    assert results(report) == {
        "bootstrap": "planned", "global/a": "waiting", "global/b": "waiting", "envs/dev": "waiting",
    }
    assert report.result_of("global/a").reason.startswith("dependency bootstrap is not applied yet")
    fx.run()
    (fx.root / "envs/dev/sandbox.tfvars").write_text('value = "next"\n')
    report = fx.run("plan", out_dir=out)
    assert results(report) == {
        "bootstrap": "up_to_date", "global/a": "up_to_date", "global/b": "up_to_date", "envs/dev": "planned",
    }
    assert {p.name for p in out.iterdir()} == {
        "bootstrap.json", "global-a.json", "global-b.json", "envs-dev.json", "combined.json",
    }
    combined = json.loads((out / "combined.json").read_text())
    changed = {rc["address"]: rc["change"]["actions"] for rc in combined["resource_changes"]
               if rc["change"]["actions"] != ["no-op"]}
    assert changed == {"envs/dev::terraform_data.work": ["update"]}
    assert [s["stack"] for s in combined["stacks"]] == STACKS
    assert combined["variables"]["value"]["value"] == "next"
    try:
        from popcornctl.policy.planjson import split_inputs
    except ImportError:
        return
    inputs = split_inputs(combined, "combined.json")
    assert [i.stack for i in inputs] == STACKS
