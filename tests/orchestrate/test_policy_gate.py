"""The policy gate adapter: blocks, fails closed, reads the policy report, sandbox waivers."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixture_repo import diamond
from orch_support import FakeEngine, fake_runner, plan_doc

from popcornctl.errors import PopcornError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return diamond(tmp_path / "repo", tmp_path / "marks", prod=True)


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
    report = fake_runner(
        root, engine=FakeEngine(root), gate=gate_mod.policy_gate, skip_policy=True, skip_reason="INC-7"
    ).run()
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
        findings: ClassVar[list[Result]] = [
            Result("POP-RDS-002", "critical", "aws_db_instance.db", "RDS never public"),
            Result("POP-TAG-001", "low", "aws_s3_bucket.b", "tags"),
            Result("POP-S3-001", "high", "aws_s3_bucket.b", "encryption", status="waived"),
        ]

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
