"""What every command checks before it does anything: one line, exit 2, and the command's work never starts."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from clirunner import run_cli

# Each command that talks to AWS on a real run: its arguments, and the function that does its work.
AWS_COMMANDS: dict[str, tuple[list[str], str, str]] = {
    "diagnose ecs": (["diagnose", "ecs", "--env", "dev"], "popcornctl.commands.diagnose", "ecs"),
    "diagnose rds": (["diagnose", "rds", "--env", "dev"], "popcornctl.commands.diagnose", "rds"),
    "diagnose alb": (["diagnose", "alb", "--env", "dev"], "popcornctl.commands.diagnose", "alb"),
    "diagnose cache": (["diagnose", "cache", "--env", "dev"], "popcornctl.commands.diagnose", "cache"),
    "diagnose kafka": (["diagnose", "kafka", "--env", "dev"], "popcornctl.commands.diagnose", "kafka"),
    "diagnose network": (["diagnose", "network", "--env", "dev"], "popcornctl.commands.diagnose", "network"),
    "diagnose all": (["diagnose", "all", "--env", "dev"], "popcornctl.commands.diagnose", "everything"),
    "unlock": (["unlock", "--env", "dev"], "popcornctl.commands.unlock", "unlock"),
    "doctor": (["doctor", "--env", "dev"], "popcornctl.commands.doctor", "doctor"),
    "plan": (["plan", "dev"], "popcornctl.commands.plan", "plan"),
    "up": (["up", "dev", "--auto-approve"], "popcornctl.commands.up", "up"),
    "down": (["down", "dev", "--auto-approve"], "popcornctl.commands.down", "down"),
    "policy-check": (["policy-check", "--env", "dev"], "popcornctl.commands.policy_check", "policy_check"),
    "drift": (["drift", "dev"], "popcornctl.commands.drift", "drift"),
}
LOCAL_COMMANDS = {"sandbox", "affected", "ci"}  # the emulator's lifecycle, git and the stack graph: no AWS


class NeverRuns:
    """Stands in for a command's work; the test fails if it is reached."""

    def __init__(self) -> None:
        self.called = False

    def __call__(self, *args: Any, **kwargs: Any) -> int:
        self.called = True
        return 0


def _stub(monkeypatch: pytest.MonkeyPatch, module: str, name: str) -> NeverRuns:
    stub = NeverRuns()
    monkeypatch.setattr(importlib.import_module(module), name, stub)
    return stub


def _one_line(code: int, err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_every_command_is_classified() -> None:
    from popcornctl.commands import COMMANDS

    top = {argv[0] for argv, _, _ in AWS_COMMANDS.values()}
    assert top | LOCAL_COMMANDS == {name for name, _ in COMMANDS}


# -- a leftover emulator endpoint is refused once, up front, by every command of a real run ---------------------

@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"])
@pytest.mark.parametrize("command", sorted(AWS_COMMANDS))
def test_a_leftover_emulator_endpoint_is_refused_up_front(
    command: str, variable: str, repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, module, function = AWS_COMMANDS[command]
    work = _stub(monkeypatch, module, function)
    monkeypatch.setenv(variable, "http://127.0.0.1:4566")
    code, _, err = run_cli(["--repo", str(repo), *argv], capsys)
    assert _one_line(code, err) == (
        f"popcornctl: error: {variable} points at a local emulator but this run targets real AWS — "
        f"add --sandbox to use the sandbox, or unset {variable}"
    )
    assert not work.called


def test_commands_that_do_not_reach_aws_ignore_the_endpoint(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    assert run_cli(["sandbox", "status"], capsys)[0] == 1  # "not running", not refused
    folder = repo / "tests" / "policy" / "fixtures" / "prod"
    code, out, _ = run_cli(["--repo", str(repo), "--output", "json", "policy-check", str(folder), "--no-checkov"], capsys)
    assert code == 1 and '"schema_version": 1' in out  # a static scan reads files only


# -- --terraform is checked before anything runs (doctor reports it instead: tests/cli/test_cli.py) --------------

@pytest.mark.parametrize("position", ["before the command", "after the command", "POPCORN_TERRAFORM"])
@pytest.mark.parametrize(
    ("binary", "problem"),
    [("/etc/passwd", "is not executable"), ("/nonexistent/terraform", "does not exist"), ("/", "is a folder")],
)
def test_a_bad_terraform_is_refused_up_front(
    binary: str, problem: str, position: str, repo: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    work = _stub(monkeypatch, "popcornctl.orchestrate", "execute")
    argv = ["--repo", str(repo), "plan", "dev"]
    if position == "before the command":
        argv[2:2] = ["--terraform", binary]
    elif position == "after the command":
        argv += ["--terraform", binary]
    else:
        monkeypatch.setenv("POPCORN_TERRAFORM", binary)
    code, _, err = run_cli(argv, capsys)
    line = _one_line(code, err)
    assert line.startswith(f"popcornctl: error: --terraform {binary} {problem}") and "embedded engine" in line
    assert not work.called


def test_a_terraform_program_on_path_is_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from popcornctl.settings import terraform_binary

    program = tmp_path / "terraform"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert terraform_binary("terraform") == str(program)
    assert terraform_binary(str(program)) == str(program)
