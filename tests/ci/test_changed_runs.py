"""``plan/up ENV --changed`` with real Terraform on the emulator: only the stacks a change touches run, plus the
never-applied stacks they need; checked in the run report. The fixture is the orchestrator's diamond
(tests/orchestrate/fixture_repo.py) with local modules, in a git repository."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "orchestrate"))

from fixture_repo import StackSpec, create_backend, diamond
from gitrepos import commit, git, write
from orch_support import Fx

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

MODULE = """
variable "value" {
  type = string
}

resource "terraform_data" "this" {
  input = "%s-${var.value}"
}
"""


def module_call(name: str) -> str:
    return f'\nmodule "{name}" {{\n  source = "../../modules/{name}"\n  value  = var.value\n}}\n'


@pytest.fixture
def changed_fx(tmp_path: Path, sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Fx, str]:
    """bootstrap -> global/a (calls modules/shared), global/b -> envs/dev (reads global/a; calls modules/app),
    envs/prod (reads global/a), committed on main with the backend created."""
    root, marks = tmp_path / "repo", tmp_path / "marks"
    diamond(root, marks, prod=True, overrides={
        "global/a": StackSpec(extra=module_call("shared")),
        "envs/dev": StackSpec(reads=["global/a"], extra=module_call("app")),
    })
    write(root, {
        "modules/shared/main.tf": MODULE % "shared",
        "modules/app/main.tf": MODULE % "app",
        "README.md": "# fixture\n",
        ".gitignore": ".terraform/\n.terraform.lock.hcl\n",
    })
    git(root, "init", "-q", "-b", "main")
    base = commit(root, "fixture")
    create_backend(sandbox.endpoint)
    return Fx(root=root, marks=marks, endpoint=sandbox.endpoint, monkeypatch=monkeypatch), base


def planned(fx: Fx, tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    report = tmp_path / f"report-{len(list(tmp_path.glob('report-*')))}.json"
    code, _out, err = fx.cli("--no-color", "plan", "dev", "--changed", *args, "--sandbox", "--report", str(report))
    return code, json.loads(report.read_text()), err


def results(report: dict[str, Any]) -> dict[str, str]:
    return {s["stack"]: s["result"] for s in report["stacks"]}


def test_plan_changed_plans_only_the_stacks_that_use_the_changed_module(
    changed_fx: tuple[Fx, str], tmp_path: Path
) -> None:
    fx, base = changed_fx
    applied = fx.run("up", "dev")
    assert applied.exit_code == 0, [(s.stack, s.reason, s.error) for s in applied.stacks]
    write(fx.root, {"modules/app/main.tf": MODULE % "app-v2"})  # uncommitted: the working tree counts
    code, report, err = planned(fx, tmp_path, "--base", base)
    assert code == 0, err
    assert results(report) == {"envs/dev": "planned"}, "only the stack that calls modules/app"
    assert report["options"]["only"] == ["envs/dev"]
    assert "runs envs/dev: affected by the change — modules/app/main.tf: module modules/app" in err
    assert "leaves out global/a: not affected by the change" in err

    commit(fx.root, "app v2")
    write(fx.root, {"modules/shared/main.tf": MODULE % "shared-v2"})
    code, report, err = planned(fx, tmp_path, "--base", base)
    assert code == 0, err
    # global/a calls modules/shared; envs/dev reads global/a's state. envs/prod is not part of dev's run.
    assert list(results(report)) == ["global/a", "envs/dev"]
    assert results(report)["global/a"] == "planned"


def test_plan_changed_adds_the_dependencies_that_were_never_applied(
    changed_fx: tuple[Fx, str], tmp_path: Path
) -> None:
    fx, base = changed_fx  # the state bucket exists, but no stack was applied
    write(fx.root, {"envs/dev/sandbox.tfvars": 'value = "edited"\n'})
    code, report, err = planned(fx, tmp_path, "--base", base)
    assert code == 0, err
    assert set(results(report)) == {"global/a", "global/b", "envs/dev"}, "bootstrap's bucket exists: applied"
    assert results(report)["global/a"] == "planned" and results(report)["envs/dev"] == "waiting"
    assert "runs global/b: envs/dev needs it and it was never applied" in err


def test_a_change_outside_every_stack_plans_nothing(changed_fx: tuple[Fx, str], tmp_path: Path) -> None:
    fx, base = changed_fx
    write(fx.root, {"README.md": "# fixture, documented\n"})
    code, report, err = planned(fx, tmp_path, "--base", base)
    assert code == 0
    assert report["stacks"] == [] and report["changed"] is True
    assert "nothing to plan: the change affects no stack of the dev run" in err


def test_changed_refuses_only_and_base_needs_changed(changed_fx: tuple[Fx, str]) -> None:
    fx, base = changed_fx
    code, _, err = fx.cli("plan", "dev", "--changed", "--only", "envs/dev", "--sandbox")
    assert code == 2 and "cannot be combined with --only" in err
    code, _, err = fx.cli("plan", "dev", "--base", base, "--sandbox")
    assert code == 2 and "--base is only used with --changed" in err
    code, _, err = fx.cli("up", "dev", "--changed", "--base", "nope", "--auto-approve", "--sandbox")
    assert code == 2 and "--base 'nope' is no commit" in err
