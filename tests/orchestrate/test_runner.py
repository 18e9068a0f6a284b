"""The runner's selection checks, targets and plan mode (scripted engine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixture_repo import diamond
from orch_support import NOOP, FakeEngine, FakeProbe, fake_runner, plan_doc

from popcornctl.errors import PopcornError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return diamond(tmp_path / "repo", tmp_path / "marks", prod=True)


def results(report: object) -> dict[str, str]:
    return {s.stack: s.result for s in report.stacks}  # type: ignore[attr-defined]


def test_down_checks_dependents_outside_the_run(root: Path) -> None:
    probe = FakeProbe(applied={"bootstrap", "global/a", "global/b", "envs/dev", "envs/prod"})
    with pytest.raises(PopcornError, match="envs/prod still read"):
        fake_runner(root, "down", "dev", engine=FakeEngine(root), probe=probe, include_global=True).prepare()
    probe.applied.discard("envs/prod")
    selection = fake_runner(root, "down", "dev", engine=FakeEngine(root), probe=probe, include_global=True).prepare()
    assert selection.stacks == ["envs/dev", "global/a", "global/b"]


def test_only_and_exclude_check_dependencies(root: Path) -> None:
    probe = FakeProbe(applied={"bootstrap", "global/b"})
    with pytest.raises(PopcornError, match="envs/dev depends on global/a, which is not part of this run"):
        fake_runner(root, engine=FakeEngine(root), probe=probe, only=("envs/dev",)).prepare()
    with pytest.raises(PopcornError, match="--only 'envs/nope' is not a stack of the dev run"):
        fake_runner(root, engine=FakeEngine(root), probe=probe, only=("envs/nope",)).prepare()
    probe.applied.add("global/a")
    assert fake_runner(root, engine=FakeEngine(root), probe=probe, only=("envs/dev",)).prepare().stacks == ["envs/dev"]
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
    engine = FakeEngine(
        root,
        plans={"global/a": [never], "global/b": [NOOP], "bootstrap": [NOOP]},
        outputs={("envs/dev", "plan"): [(1, missing)]},
    )
    probe = FakeProbe(applied={"bootstrap", "global/b"})
    report = fake_runner(root, "plan", engine=engine, probe=probe, out_dir=tmp_path / "out").run()
    assert results(report) == {
        "bootstrap": "up_to_date",
        "global/a": "planned",
        "global/b": "up_to_date",
        "envs/dev": "waiting",
    }
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
