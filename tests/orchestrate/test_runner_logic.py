"""The runner's decisions with a scripted engine (fast, no Terraform): retries, gate, confirmation, skips."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fixture_repo import diamond
from orch_support import CREATE, NOOP, FakeEngine, FakeProbe, Scripted, fake_runner, plan_doc

from popcornctl.errors import PopcornError
from popcornctl.orchestrate import bootstrap as boot
from popcornctl.orchestrate.policy_gate import GateOutcome


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return diamond(tmp_path / "repo", tmp_path / "marks", prod=True)


def results(report: object) -> dict[str, str]:
    return {s.stack: s.result for s in report.stacks}  # type: ignore[attr-defined]


def test_transient_plan_error_is_retried_and_reported(root: Path) -> None:
    engine = FakeEngine(root, outputs={("global/a", "plan"): [(1, "Error: net/http: TLS handshake timeout")]})
    report = fake_runner(root, engine=engine).run()
    assert report.exit_code == 0
    a = report.result_of("global/a")
    assert [(r.step, r.attempt, r.error) for r in a.retries] == [("plan", 1, "tls-handshake-timeout")]
    assert engine.commands("global/a") == ["init", "plan", "plan", "apply"]
    assert report.retried_stacks == ["global/a"]


def test_retries_give_up_after_the_attempts(root: Path) -> None:
    throttled = (1, "Error: ThrottlingException: Rate exceeded")
    engine = FakeEngine(root, outputs={("global/b", "plan"): [throttled] * 5})
    report = fake_runner(root, engine=engine, attempts=2).run()
    b = report.result_of("global/b")
    assert b.result == "failed" and "gave up after 2 attempts" in b.reason
    assert engine.commands("global/b").count("plan") == 2


def test_transient_apply_error_replans_regates_and_reconfirms(root: Path) -> None:
    engine = FakeEngine(root, outputs={("envs/dev", "apply"): [(1, "Error: request to update this alarm is in progress")]})
    confirmer = Scripted()
    gates: list[str] = []

    def gate(plan, root_, env, checkov, plan_path, fail_on):  # type: ignore[no-untyped-def]
        gates.append(str(plan_path))
        return GateOutcome(status="passed")

    report = fake_runner(root, engine=engine, confirmer=confirmer, gate=gate).run()
    dev = report.result_of("envs/dev")
    assert dev.result == "applied" and "after 1 retry" in dev.reason
    assert engine.commands("envs/dev") == ["init", "plan", "apply", "plan", "apply"]
    assert [r.attempt for r in confirmer.requests if r.stack == "envs/dev"] == [1, 2]
    assert len([g for g in gates if "envs-dev" in g]) == 2


def test_lock_and_stale_errors_are_never_retried(root: Path) -> None:
    engine = FakeEngine(root, outputs={
        ("global/a", "apply"): [(1, "Error: Saved plan is stale\n\nThe given plan file can no longer be applied")],
    })
    report = fake_runner(root, engine=engine).run()
    a = report.result_of("global/a")
    assert a.result == "failed" and "stale" in a.reason and not a.retries
    assert engine.commands("global/a").count("plan") == 1


def test_declined_stack_skips_dependents_and_fail_fast(root: Path) -> None:
    engine = FakeEngine(root)
    report = fake_runner(root, engine=engine, confirmer=Scripted(answers=[True, False, True])).run()
    declined = [s for s, r in results(report).items() if r == "declined"]
    assert len(declined) == 1 and declined[0].startswith("global/")
    assert results(report)["envs/dev"] == "skipped"
    assert report.result_of("envs/dev").reason == f"dependency {declined[0]} was not approved"
    assert report.exit_code == 1
    engine = FakeEngine(root, outputs={("bootstrap", "apply"): [(1, "Error: boom")]})
    report = fake_runner(root, engine=engine, fail_fast=True, parallelism=1).run()
    assert results(report) == {"bootstrap": "failed", "global/a": "skipped", "global/b": "skipped",
                               "envs/dev": "skipped"}


def test_unrelated_stacks_finish_when_one_fails(root: Path) -> None:
    engine = FakeEngine(root, outputs={("global/b", "apply"): [(1, "Error: boom")]})
    report = fake_runner(root, engine=engine, parallelism=1).run()
    assert results(report) == {"bootstrap": "applied", "global/a": "applied", "global/b": "failed",
                               "envs/dev": "skipped"}


def test_prod_needs_the_typed_name_and_allow_destroy(root: Path) -> None:
    replace = plan_doc(("module.rds.aws_db_instance.this", "aws_db_instance", ["delete", "create"]))
    engine = FakeEngine(root, plans={"envs/prod": [replace]})
    confirmer = Scripted()
    report = fake_runner(root, "up", "prod", engine=engine, confirmer=confirmer).run()
    assert {r.typed for r in confirmer.requests} == {"prod"}, "every prod prompt asks for the typed name"
    prod = report.result_of("envs/prod")
    assert prod.result == "blocked" and "--allow-destroy" in prod.reason
    assert "module.rds.aws_db_instance.this" in prod.reason
    assert "apply" not in engine.commands("envs/prod")
    assert prod.summary is not None and prod.summary.stateful_losses == ["module.rds.aws_db_instance.this"]
    engine = FakeEngine(root, plans={"envs/prod": [replace]})
    confirmer = Scripted()
    report = fake_runner(root, "up", "prod", engine=engine, confirmer=confirmer, allow_destroy=True).run()
    assert report.result_of("envs/prod").result == "applied"
    # --auto-approve in prod: no prompt, still no destroy without --allow-destroy.
    engine = FakeEngine(root, plans={"envs/prod": [replace]})
    report = fake_runner(root, "up", "prod", engine=engine).run()
    assert report.result_of("envs/prod").result == "blocked"
    # dev is not protected: a replacement is confirmed with a plain yes.
    engine = FakeEngine(root, plans={"envs/dev": [replace]})
    confirmer = Scripted()
    report = fake_runner(root, "up", "dev", engine=engine, confirmer=confirmer).run()
    assert report.result_of("envs/dev").result == "applied"
    assert {r.typed for r in confirmer.requests} == {None}


def test_terminal_confirmer_rules() -> None:
    from rich.console import Console

    from popcornctl.orchestrate.confirm import ApprovalRequest, TerminalConfirmer
    from popcornctl.orchestrate.summary import summarize

    summary = summarize(plan_doc(("aws_s3_bucket.logs", "aws_s3_bucket", ["delete"])))
    out = io.StringIO()

    def ask(typed: str | None, answer: str) -> bool:
        request = ApprovalRequest("envs/prod", "prod", "apply", summary, typed, Path("/x.tfplan"), Path("/w"))
        return TerminalConfirmer(Console(file=out, width=120), read=lambda _: answer).confirm(request)

    assert ask("prod", "prod") is True
    assert ask("prod", "yes") is False
    assert ask("prod", "PROD") is False
    assert ask(None, "y") is True
    assert ask(None, "") is False
    assert "DELETE of a stateful resource" in out.getvalue()
    assert "0 to add, 0 to change, 1 to destroy" in out.getvalue()


def test_gate_blocks_and_unavailable_gate_fails_closed(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from popcornctl.orchestrate import policy_gate as gate_mod

    monkeypatch.setattr(gate_mod, "_load_evaluate", lambda: None)
    engine = FakeEngine(root)
    report = fake_runner(root, engine=engine, gate=gate_mod.policy_gate).run()
    boot_result = report.result_of("bootstrap")
    assert boot_result.result == "blocked" and "policy gate could not run" in boot_result.reason
    assert boot_result.policy is not None and boot_result.policy.status == "unavailable"
    assert "apply" not in engine.commands("bootstrap")
    # --skip-policy needs a reason, and records it.
    with pytest.raises(PopcornError, match="--skip-policy needs --reason"):
        fake_runner(root, engine=FakeEngine(root), skip_policy=True).run()
    report = fake_runner(root, engine=FakeEngine(root), gate=gate_mod.policy_gate, skip_policy=True,
                         skip_reason="INC-7").run()
    assert report.exit_code == 0
    assert report.as_dict()["policy_override"]["reason"] == "INC-7"
    assert {s.policy.reason for s in report.stacks if s.policy} == {"INC-7"}


def test_gate_adapter_reads_the_policy_report(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import dataclass
    from typing import ClassVar

    from popcornctl.orchestrate import policy_gate as gate_mod

    @dataclass
    class Result:
        id: str
        severity: str
        address: str
        title: str
        status: str = "fail"

        @property
        def waived(self) -> bool:
            return self.status == "waived"

    class Report:
        findings: ClassVar[list[Result]] = [Result("POP-RDS-002", "critical", "aws_db_instance.db", "RDS never public"),
                    Result("POP-TAG-001", "low", "aws_s3_bucket.b", "tags"),
                    Result("POP-S3-001", "high", "aws_s3_bucket.b", "encryption", status="waived")]

        def blocking(self, fail_on: str) -> list[Result]:
            return [self.findings[0]]

    seen: dict[str, object] = {}

    def evaluate(plan, *, root, env, run_checkov, plan_path):  # type: ignore[no-untyped-def]
        seen.update(root=root, env=env, run_checkov=run_checkov, plan_path=plan_path)
        return Report()

    monkeypatch.setattr(gate_mod, "_load_evaluate", lambda: evaluate)
    outcome = gate_mod.policy_gate({}, Path("/repo"), "dev", False, Path("/p.json"), "high")
    assert seen == {"root": Path("/repo"), "env": "dev", "run_checkov": False, "plan_path": Path("/p.json")}
    assert outcome.status == "blocked"
    assert [f.policy for f in outcome.blocking] == ["POP-RDS-002"]
    assert outcome.counts() == {"critical": 1, "low": 1}
    assert outcome.short() == "2 (1 critical, 1 low)"


def test_down_refuses_while_deletion_protection_is_on(root: Path) -> None:
    protected = plan_doc(("module.rds.aws_db_instance.this", "aws_db_instance", ["delete"]),
                         before={"deletion_protection": True})
    engine = FakeEngine(root, plans={"envs/dev": [protected]})
    report = fake_runner(root, "down", "dev", engine=engine).run()
    dev = report.result_of("envs/dev")
    assert dev.result == "blocked"
    assert "module.rds.aws_db_instance.this (deletion_protection is on)" in dev.reason
    assert "set deletion_protection = false" in dev.reason and "popcornctl up dev" in dev.reason
    assert "apply" not in engine.commands("envs/dev")
    assert ("envs/dev", "plan") in [(s, c) for s, c, _, _ in engine.calls]
    assert any("-destroy" in args for s, c, args, _ in engine.calls if s == "envs/dev" and c == "plan")


def test_down_checks_dependents_outside_the_run(root: Path) -> None:
    probe = FakeProbe(applied={"bootstrap", "global/a", "global/b", "envs/dev", "envs/prod"})
    with pytest.raises(PopcornError, match="envs/prod still read"):
        fake_runner(root, "down", "dev", engine=FakeEngine(root), probe=probe, include_global=True).prepare()
    probe.applied.discard("envs/prod")
    selection = fake_runner(root, "down", "dev", engine=FakeEngine(root), probe=probe,
                            include_global=True).prepare()
    assert selection.stacks == ["envs/dev", "global/a", "global/b"]


def test_only_and_exclude_check_dependencies(root: Path) -> None:
    probe = FakeProbe(applied={"bootstrap", "global/b"})
    with pytest.raises(PopcornError, match="envs/dev depends on global/a, which is not part of this run"):
        fake_runner(root, engine=FakeEngine(root), probe=probe, only=("envs/dev",)).prepare()
    with pytest.raises(PopcornError, match="--only 'envs/nope' is not a stack of the dev run"):
        fake_runner(root, engine=FakeEngine(root), probe=probe, only=("envs/nope",)).prepare()
    probe.applied.add("global/a")
    assert fake_runner(root, engine=FakeEngine(root), probe=probe, only=("envs/dev",)).prepare().stacks == [
        "envs/dev"
    ]
    sel = fake_runner(root, engine=FakeEngine(root), probe=probe, exclude=("global/b",)).prepare()
    assert sel.stacks == ["bootstrap", "global/a", "envs/dev"]
    # plan reports a missing dependency per stack instead of refusing the run.
    probe.applied.discard("global/a")
    report = fake_runner(root, "plan", engine=FakeEngine(root), probe=probe, only=("envs/dev",)).run()
    assert results(report) == {"envs/dev": "waiting"} and report.exit_code == 0


def test_target_is_passed_to_its_stack_only_with_a_warning(root: Path) -> None:
    engine = FakeEngine(root)
    notes: list[str] = []

    class View:
        def start(self, stacks: list[str]) -> None: ...
        def status(self, stack: str, status: str, detail: str = "") -> None: ...
        def block(self, stack: str, lines: list[tuple[str, str]]) -> None: ...
        def note(self, text: str, style: str = "") -> None:
            notes.append(text)

        def paused(self):  # type: ignore[no-untyped-def]
            import contextlib

            return contextlib.nullcontext()

        def stop(self) -> None: ...

    report = fake_runner(root, engine=engine, targets=("module.monitoring",), view=View()).run()
    assert [s.stack for s in report.stacks] == ["envs/dev"]
    plans = [args for s, c, args, _ in engine.calls if c == "plan"]
    assert len(plans) == 1 and plans[0][-1] == "-target=module.monitoring"
    assert plans[0][0].endswith("envs/dev/sandbox.tfvars"), "the sandbox profile goes to the env stack"
    assert any("-target is for exceptions" in n for n in notes)


def test_plan_mode_waits_on_unapplied_dependencies(root: Path, tmp_path: Path) -> None:
    never = plan_doc(("terraform_data.work", "terraform_data", ["create"]), prior=False)
    missing = "Error: Unable to find remote state\n\n  with data.terraform_remote_state.global_a"
    engine = FakeEngine(root, plans={"global/a": [never], "global/b": [NOOP], "bootstrap": [NOOP]},
                        outputs={("envs/dev", "plan"): [(1, missing)]})
    probe = FakeProbe(applied={"bootstrap", "global/b"})
    report = fake_runner(root, "plan", engine=engine, probe=probe, out_dir=tmp_path / "out").run()
    assert results(report) == {"bootstrap": "up_to_date", "global/a": "planned", "global/b": "up_to_date",
                               "envs/dev": "waiting"}
    assert "dependency global/a is not applied yet" in report.result_of("envs/dev").reason
    # Applied dependencies are not waited for: plans change nothing, so they all run at once.
    engine = FakeEngine(root, outputs={("envs/dev", "plan"): [(1, missing)]})
    report = fake_runner(root, "plan", engine=engine).run()
    assert report.result_of("envs/dev").result == "waiting"
    assert "not applied yet" in report.result_of("envs/dev").reason
    selection = fake_runner(root, "plan", engine=FakeEngine(root)).prepare()
    assert all(not p for p in selection.prerequisites.values())
    assert report.exit_code == 0
    combined = json.loads((tmp_path / "out/combined.json").read_text())
    assert [s["stack"] for s in combined["stacks"]] == ["bootstrap", "global/a", "global/b"]
    assert {s["stack"]: s["status"] for s in combined["popcorn"]["stacks"]}["envs/dev"] == "waiting"
    assert "global/a::terraform_data.work" in {rc["address"] for rc in combined["resource_changes"]}


def test_bootstrap_first_run_uses_a_shadow_and_migrates(root: Path) -> None:
    probe = FakeProbe(bucket=False, applied=set())
    engine = FakeEngine(root)
    runner = fake_runner(root, engine=engine, probe=probe, only=("bootstrap",))
    phase = runner._phase()

    def created(stack: str) -> None:  # the local apply creates the bucket and writes local state
        assert stack == "shadow:bootstrap"
        phase.state_file.write_text(json.dumps({"resources": [{"mode": "managed"}]}))
        probe.bucket = True

    def migrated(_: object) -> None:
        probe.applied.add("bootstrap")

    engine.on_apply = created
    real_init = engine.init

    def init(workdir: Path, **kwargs: object):  # type: ignore[no-untyped-def]
        result = real_init(workdir, **kwargs)  # type: ignore[arg-type]
        if kwargs.get("migrate_state"):
            migrated(None)
        return result

    engine.init = init  # type: ignore[method-assign]
    report = runner.run()
    assert report.exit_code == 0, [(s.stack, s.reason) for s in report.stacks]
    shadow_calls = [c for s, c, _, _ in engine.calls if s == "shadow:bootstrap"]
    assert shadow_calls == ["init", "plan", "apply"]
    migrate = [(s, args, env) for s, c, args, env in engine.calls if c == "init" and "-migrate-state" in args]
    assert len(migrate) == 1
    stack, args, env = migrate[0]
    assert stack == "bootstrap", "the migration runs in the real folder"
    assert env["TF_DATA_DIR"] == str(phase.data_dir), "... with the local phase's data dir"
    assert "-backend-config=key=bootstrap/terraform.tfstate" in args
    assert not phase.state_file.exists() and list(phase.base.glob("terraform.tfstate.migrated-*"))
    assert not (root / "bootstrap" / boot.OVERRIDE_FILE).exists()
    assert any("state migrated from local to s3://" in n for n in report.result_of("bootstrap").notes)
    # Second run: the bucket and the remote state exist → no shadow, no migration.
    engine2 = FakeEngine(root, plans={"bootstrap": [NOOP]})
    report = fake_runner(root, engine=engine2, probe=probe, only=("bootstrap",)).run()
    assert results(report) == {"bootstrap": "up_to_date"}
    assert {s for s, _, _, _ in engine2.calls} == {"bootstrap"}
    assert not [a for _, c, a, _ in engine2.calls if "-migrate-state" in a]


def test_interrupted_bootstrap_resumes_with_the_migration(root: Path) -> None:
    probe = FakeProbe(bucket=True, applied=set())
    engine = FakeEngine(root, plans={"bootstrap": [NOOP]})
    runner = fake_runner(root, engine=engine, probe=probe, only=("bootstrap",))
    phase = runner._phase()
    phase.base.mkdir(parents=True)
    phase.state_file.write_text(json.dumps({"resources": [{"mode": "managed"}]}))
    real_init = engine.init

    def init(workdir: Path, **kwargs: object):  # type: ignore[no-untyped-def]
        if kwargs.get("migrate_state"):
            probe.applied.add("bootstrap")
        return real_init(workdir, **kwargs)  # type: ignore[arg-type]

    engine.init = init  # type: ignore[method-assign]
    report = runner.run()
    assert report.exit_code == 0
    notes = report.result_of("bootstrap").notes
    assert any("resuming an interrupted bootstrap" in n for n in notes)
    assert [c for s, c, a, _ in engine.calls if "-migrate-state" in a] == ["init"]
    assert engine.commands("bootstrap")[-2:] == ["init", "plan"], "then the remote state is used directly"


def test_report_schema_and_live_view(root: Path) -> None:
    import jsonschema
    from rich.console import Console

    from popcornctl.orchestrate.run_report import SCHEMA, render_table
    from popcornctl.orchestrate.view import ConsoleView

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=140)
    engine = FakeEngine(root, outputs={("global/a", "apply"): [(1, "Error: boom\n  with terraform_data.work")]},
                        plans={"global/b": [NOOP]})
    report = fake_runner(root, engine=engine, view=ConsoleView(console, live=True), confirmer=Scripted()).run()
    jsonschema.validate(report.as_dict(), SCHEMA)
    render_table(console, report)
    text = out.getvalue()
    for expected in ("global/a", "boom", "dependency global/a failed", "up to date", "+1 ~0 -0"):
        assert expected in text
    plain = io.StringIO()
    fake_runner(root, engine=FakeEngine(root), view=ConsoleView(Console(file=plain, width=140), live=False)).run()
    assert "envs/dev: apply" in plain.getvalue() and "envs/dev: done" in plain.getvalue()


def test_create_plan_is_counted() -> None:
    from popcornctl.orchestrate.summary import summarize

    assert summarize(CREATE).counts() == "+1 ~0 -0"


def test_the_real_policy_gate_blocks_a_public_database(tmp_path: Path) -> None:
    from popcornctl.orchestrate.policy_gate import policy_gate

    root = diamond(tmp_path / "repo", tmp_path / "marks")
    plan = plan_doc(("aws_db_instance.db", "aws_db_instance", ["create"]))
    plan["resource_changes"][0]["change"]["after"] = {"publicly_accessible": True}
    closed = policy_gate(plan, root / "envs/dev", "dev", False, None, "high")
    assert closed.status == "unavailable" and "policies" in (closed.reason or ""), "no policies folder: fail closed"
    (root / "policies").symlink_to(Path(__file__).resolve().parents[2] / "policies")
    outcome = policy_gate(plan, root / "envs/dev", "dev", False, None, "high")
    assert outcome.status == "blocked"
    assert "POP-RDS-002" in {f.policy for f in outcome.blocking}
    assert outcome.counts().get("critical", 0) >= 1


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
        info = {"ID": "own-lock-1", "Operation": "OperationTypePlan", "Info": "", "Who": who, "Version": "1.15.5",
                "Created": now.isoformat().replace("+00:00", "Z"), "Path": key}
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


def test_sandbox_runs_add_the_sandbox_waivers_and_real_runs_never(tmp_path: Path) -> None:
    import functools

    from popcornctl.orchestrate.policy_gate import SANDBOX_WAIVERS, gate_for, policy_gate

    assert gate_for(tmp_path, sandbox=True) is policy_gate  # no sandbox waivers file: nothing added
    (tmp_path / SANDBOX_WAIVERS).parent.mkdir(parents=True)
    (tmp_path / SANDBOX_WAIVERS).write_text("")
    assert gate_for(tmp_path, sandbox=False) is policy_gate
    sandbox_gate = gate_for(tmp_path, sandbox=True)
    assert isinstance(sandbox_gate, functools.partial)
    assert sandbox_gate.keywords == {"extra_waivers": (tmp_path / SANDBOX_WAIVERS,)}
