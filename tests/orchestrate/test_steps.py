"""A stack's steps (plan → gate → confirm → apply) with a scripted engine: retries, re-plans, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixture_repo import diamond
from orch_support import FakeEngine, Scripted, fake_runner, plan_doc

from popcornctl.orchestrate.policy_gate import GateOutcome


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return diamond(tmp_path / "repo", tmp_path / "marks", prod=True)


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
    engine = FakeEngine(
        root, outputs={("envs/dev", "apply"): [(1, "Error: request to update this alarm is in progress")]}
    )
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
    engine = FakeEngine(
        root,
        outputs={
            ("global/a", "apply"): [(1, "Error: Saved plan is stale\n\nThe given plan file can no longer be applied")],
        },
    )
    report = fake_runner(root, engine=engine).run()
    a = report.result_of("global/a")
    assert a.result == "failed" and "stale" in a.reason and not a.retries
    assert engine.commands("global/a").count("plan") == 1


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


def test_down_refuses_while_deletion_protection_is_on(root: Path) -> None:
    protected = plan_doc(
        ("module.rds.aws_db_instance.this", "aws_db_instance", ["delete"]), before={"deletion_protection": True}
    )
    engine = FakeEngine(root, plans={"envs/dev": [protected]})
    report = fake_runner(root, "down", "dev", engine=engine).run()
    dev = report.result_of("envs/dev")
    assert dev.result == "blocked"
    assert "module.rds.aws_db_instance.this (deletion_protection is on)" in dev.reason
    assert "set deletion_protection = false" in dev.reason and "popcornctl up dev" in dev.reason
    assert "apply" not in engine.commands("envs/dev")
    assert ("envs/dev", "plan") in [(s, c) for s, c, _, _ in engine.calls]
    assert any("-destroy" in args for s, c, args, _ in engine.calls if s == "envs/dev" and c == "plan")
