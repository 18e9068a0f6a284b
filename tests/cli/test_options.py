"""Options: global ones in any position, --version anywhere, choices as enums, one name for format vs. file,
the --sandbox rule of read-only commands, and shell completion."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clirunner import run_cli
from popcornctl import __version__
from popcornctl.runtime import Runtime


class Seen:
    """Stands in for a command's function: records the Runtime and arguments it was called with."""

    def __init__(self) -> None:
        self.calls: list[tuple[Runtime, dict[str, Any]]] = []

    def __call__(self, rt: Runtime, **kwargs: Any) -> int:
        self.calls.append((rt, kwargs))
        return 0


@pytest.fixture
def seen_ecs(monkeypatch: pytest.MonkeyPatch) -> Seen:
    import popcornctl.commands.diagnose as diagnose

    seen = Seen()
    monkeypatch.setattr(diagnose, "ecs", seen)
    return seen


def test_global_options_after_the_subcommand(seen_ecs: Seen, repo: Path, tmp_path: Path) -> None:
    """`popcornctl diagnose ecs --env dev --output json` works, as `aws ... --output json` does."""
    terraform = tmp_path / "terraform"
    terraform.write_text("#!/bin/sh\n")
    terraform.chmod(0o755)
    code, _, err = run_cli([
        "diagnose", "ecs", "--env", "dev", "--sandbox", "--output", "json", "--repo", str(repo),
        "--terraform", str(terraform), "-v", "--no-color",
    ])
    assert code == 0, err
    (rt, kwargs), = seen_ecs.calls
    assert kwargs["env"] == "dev" and rt.sandbox
    settings = rt.settings
    assert settings.output == "json" and settings.repo == repo and settings.verbose and not settings.color
    assert settings.terraform == str(terraform.resolve())


def test_a_global_option_after_the_subcommand_overrides_the_one_before(seen_ecs: Seen, repo: Path) -> None:
    code, _, _ = run_cli(["--repo", str(repo), "--output", "text", "diagnose", "--output", "json", "ecs"])
    assert code == 0 and seen_ecs.calls[0][0].settings.output == "json"


def test_every_command_accepts_the_global_options() -> None:
    from popcornctl.commands import COMMANDS
    from popcornctl.commands.app import build_command

    app = build_command()
    for name, _ in COMMANDS:
        stack = [app.commands[name]]
        while stack:
            command = stack.pop()
            stack += getattr(command, "commands", {}).values()
            opts = {opt for param in command.params for opt in param.opts}
            assert {"--repo", "--output", "--terraform", "-v", "--no-color", "--version"} <= opts, command.name


@pytest.mark.parametrize(
    "argv",
    [["--version"], ["--no-color", "--version"], ["--repo", ".", "--version"], ["up", "--version"],
     ["diagnose", "--version"], ["diagnose", "ecs", "--version"], ["sandbox", "status", "--version"],
     ["policy-check", "--version"]],
    ids=" ".join,
)
def test_version_in_every_position(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(argv, capsys) == (0, f"popcornctl {__version__}\n", "")


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["up", "dev", "--fail-on", "severe"],
         "--fail-on 'severe' is not a severity — use one of: critical, high, medium, low"),
        (["doctor", "--output", "yaml"], "--output 'yaml' is not a format — use --output text or --output json"),
        (["policy-check", "plan.json", "--output", "xml"],
         "--output 'xml' is not a format — use one of: table, text, json, sarif, junit"),
        (["policy-check", "plan.json", "--fail-on", "info"],
         "--fail-on 'info' is not a severity — use one of: critical, high, medium, low, unknown"),
    ],
)
def test_choices_are_checked_by_the_app(argv: list[str], line: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(argv, capsys)
    assert (code, err) == (2, f"popcornctl: error: {line}\n")


def test_choices_are_listed_in_the_help(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    _, out, _ = run_cli(["policy-check", "--help"], capsys)
    assert "table|text|json|sarif|junit" in out and "critical|high|medium|low" in out


# -- policy-check: --output is the format, --out the file (the old spellings still work, with a warning) ---------

PLAN_DIR = Path(__file__).resolve().parents[1] / "policy" / "fixtures" / "prod"


def test_policy_check_output_is_the_format_and_out_the_file(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.sarif"
    code, out, err = run_cli(
        ["--repo", str(repo), "policy-check", str(PLAN_DIR), "--no-checkov", "--output", "sarif", "--out", str(target)],
        capsys,
    )
    assert code == 1 and out == "" and f"sarif report written to {target}" in err and "deprecated" not in err
    assert json.loads(target.read_text())["version"] == "2.1.0"
    code, out, _ = run_cli(["--repo", str(repo), "policy-check", str(PLAN_DIR), "--no-checkov", "--output", "json"],
                           capsys)
    assert json.loads(out)["schema_version"] == 1
    code, out, _ = run_cli(["--repo", str(repo), "--output", "json", "policy-check", str(PLAN_DIR), "--no-checkov"],
                           capsys)
    assert json.loads(out)["schema_version"] == 1  # the global --output json still means a JSON report


def test_policy_check_old_spellings_still_work_with_a_warning(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.json"
    code, out, err = run_cli(
        ["--repo", str(repo), "policy-check", str(PLAN_DIR), "--no-checkov", "--format", "json", "-o", str(target)],
        capsys,
    )
    assert code == 1 and out == ""
    assert "popcornctl: warning: --format is deprecated: use --output\n" in err
    assert "popcornctl: warning: --output-file/-o is deprecated: use --out\n" in err
    assert json.loads(target.read_text())["schema_version"] == 1
    code, _, err = run_cli(
        ["--repo", str(repo), "policy-check", str(PLAN_DIR), "--format", "json", "--output", "sarif"], capsys
    )
    assert code == 2 and "--format and --output say different things" in err


def test_old_spellings_are_hidden_from_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(["policy-check", "--help"], capsys)
    assert "--out " in out and "--format" not in out and "--output-file" not in out
    assert "--install-completion" not in out  # completion belongs to popcornctl itself


# -- --sandbox: commands that only look never start the emulator, and their help says so ---------------------------

@pytest.mark.parametrize("argv", [["diagnose", t] for t in ("ecs", "rds", "alb", "cache", "kafka", "network", "all")]
                         + [["unlock"]], ids=" ".join)
def test_read_only_commands_say_the_sandbox_must_be_running(argv: list[str], capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    _, out, _ = run_cli([*argv, "--help"], capsys)
    line = next(line for line in out.splitlines() if "--sandbox" in line)
    assert "must be running" in line and "started" not in line.replace("never started", "")


def test_diagnose_docs_say_the_same(repo: Path) -> None:
    text = (repo / "docs" / "DIAGNOSE.md").read_text(encoding="utf-8")
    assert "must already be running" in text


@pytest.mark.parametrize("argv", [["diagnose", "ecs", "--env", "dev"], ["unlock", "--env", "dev"]], ids=" ".join)
def test_read_only_commands_refuse_a_stopped_sandbox(argv: list[str], repo: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["--repo", str(repo), *argv, "--sandbox"], capsys)
    assert (code, err) == (2, "popcornctl: error: the sandbox is not running — start it with: popcornctl sandbox start\n")
    assert not (Path(os.environ["POPCORN_STATE_DIR"]) / "sandbox.json").exists()


# -- shell completion: Typer's own -----------------------------------------------------------------------------------

def _complete(words: str) -> list[str]:
    env = {**os.environ, "_POPCORNCTL_COMPLETE": "complete_bash", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
    code = "from popcornctl.cli import main\nmain()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return done.stdout.split()


def test_shell_completion(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["--show-completion", "bash"], capsys)
    assert code == 0 and "_POPCORNCTL_COMPLETE" in out and "complete " in out
    assert _complete("popcornctl dia") == ["diagnose"]
    assert _complete("popcornctl diagnose ") == ["ecs", "rds", "alb", "cache", "kafka", "network", "all"]
    assert _complete("popcornctl up dev --fail-on ") == ["critical", "high", "medium", "low"]
    assert "--output" in _complete("popcornctl diagnose ecs --out")
