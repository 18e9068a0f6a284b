"""The up/plan/down command lines: listed, and bad usage refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixture_repo import diamond

from clirunner import run_cli


def test_cli_lists_the_commands_and_refuses_bad_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from popcornctl import cli

    names = [n for n, _ in cli.COMMANDS]
    assert {"up", "plan", "down"} <= set(names)
    root = diamond(tmp_path / "repo", tmp_path / "marks")

    def run(*args: str) -> int:
        return run_cli(args, prefix=["--repo", str(root)])[0]

    assert run("up", "qa", "--auto-approve") == 2
    assert "unknown environment 'qa'" in capsys.readouterr().err
    assert run("up", "qa") == 2  # the unknown ENV is the error, not the missing terminal
    assert "unknown environment 'qa'" in capsys.readouterr().err
    assert run("up", "dev", "--auto-approve", "--fail-on", "severe") == 2
    assert "--fail-on 'severe' is not a severity" in capsys.readouterr().err
    assert run("up", "dev", "--auto-approve", "--reason", "x") == 2
    assert "--reason is only used with --skip-policy" in capsys.readouterr().err
    assert run("up", "dev") == 2  # pytest's stdin is not a terminal
    assert "no terminal to confirm on" in capsys.readouterr().err
    assert run("down", "dev") == 2
    assert "nothing was destroyed" in capsys.readouterr().err
    for command in ("up", "plan", "down"):
        assert run(command, "--help") == 0
    out = capsys.readouterr().out
    assert "--parallelism" in out and "--out-dir" in out and "--include-bootstrap" in out
