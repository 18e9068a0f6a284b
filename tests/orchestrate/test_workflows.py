"""Lint the GitHub workflows: valid YAML, every `popcornctl` command and option they run exists, paths exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github/workflows").glob("*.yml"))


def _load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), f"{path.name} is not a YAML mapping"
    return data


def _triggers(data: dict[Any, Any]) -> dict[str, Any]:
    on = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` key as true
    assert isinstance(on, dict)
    return on


def _steps(data: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in data["jobs"].values() for step in job.get("steps", [])]


def _popcornctl_calls(run: str) -> list[list[str]]:
    text = re.sub(r"\$\{\{[^}]*\}\}", "X", run.replace("\\\n", " "))
    calls = []
    for line in text.splitlines():
        if "popcornctl" not in line:
            continue
        words = shlex.split(line)
        start = words.index("popcornctl")
        calls.append(words[start + 1 :])
    return calls


def _click_commands() -> dict[str, Any]:
    import typer.main

    from popcornctl.cli import build_app

    group = typer.main.get_command(build_app())
    return dict(group.commands)  # type: ignore[attr-defined]


def _options(command: Any) -> set[str]:
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


def test_there_is_a_plan_and_an_apply_workflow() -> None:
    assert {p.name for p in WORKFLOWS} >= {"plan.yml", "apply.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid_and_runs_only_existing_commands(path: Path) -> None:
    from popcornctl.cli import COMMANDS, GLOBAL_OPTIONS

    data = _load(path)
    assert data.get("name") and data.get("jobs"), f"{path.name}: needs a name and jobs"
    triggers = _triggers(data)
    commands = _click_commands()
    known = {name for name, _ in COMMANDS}
    global_opts = {o.split()[0].rstrip(",") for o, _ in GLOBAL_OPTIONS} | {"--no-color", "-v"}
    seen = 0
    for step in _steps(data):
        assert "uses" in step or "run" in step, f"{path.name}: step {step.get('name')} does nothing"
        if "uses" in step:
            action = str(step["uses"])
            assert re.match(r"^[\w.-]+/[\w./-]+@v\d+", action), f"{path.name}: pin {action} to a major version"
        for words in _popcornctl_calls(str(step.get("run", ""))):
            call = list(words)
            while call and call[0].startswith("-"):
                assert call[0] in global_opts, f"{path.name}: unknown global option {call[0]}"
                call = call[1:]
            assert call and call[0] in known, f"{path.name}: `popcornctl {call[:1]}` is not in cli.COMMANDS"
            used = {w.split("=")[0] for w in call[1:] if w.startswith("--")}
            missing = used - _options(commands[call[0]])
            assert not missing, f"{path.name}: `popcornctl {call[0]}` has no option(s) {sorted(missing)}"
            seen += 1
    assert seen, f"{path.name} runs no popcornctl command"
    # Paths the triggers filter on exist in the repository (a typo would silently never trigger).
    for trigger in triggers.values():
        for pattern in (trigger or {}).get("paths", []) if isinstance(trigger, dict) else []:
            prefix = pattern.split("*")[0].rstrip("/")
            assert (REPO / prefix).exists(), f"{path.name}: paths filter {pattern!r} names nothing"


def test_plan_workflow_uploads_sarif_from_policy_check() -> None:
    data = _load(REPO / ".github/workflows/plan.yml")
    assert "pull_request" in _triggers(data)
    steps = _steps(data)
    runs = " ".join(str(s.get("run", "")) for s in steps)
    assert "popcornctl --no-color plan" in runs and "--out-dir" in runs
    assert "policy-check" in runs and "--format sarif" in runs and "combined.json" in runs
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]
    assert uploads and uploads[0]["with"]["sarif_file"].endswith("policy.sarif")
    assert data["permissions"]["security-events"] == "write" and data["permissions"]["id-token"] == "write"
    oidc = [s for s in steps if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")]
    assert oidc and "role-to-assume" in oidc[0]["with"] and "aws-access-key-id" not in oidc[0]["with"]


def test_apply_workflow_is_gated_by_an_environment_and_uses_oidc() -> None:
    data = _load(REPO / ".github/workflows/apply.yml")
    assert data["permissions"]["id-token"] == "write"
    prod = data["jobs"]["apply-prod"]
    assert prod["environment"] == "prod", "required reviewers are configured on the prod environment"
    assert prod["needs"] == "apply-dev"
    assert prod["concurrency"]["cancel-in-progress"] is False
    for job in data["jobs"].values():
        oidc = [s for s in job["steps"] if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")]
        assert oidc and "role-to-assume" in oidc[0]["with"]
        assert "aws-secret-access-key" not in oidc[0]["with"]
        runs = " ".join(str(s.get("run", "")) for s in job["steps"])
        assert "popcornctl --no-color up" in runs and "--auto-approve" in runs
