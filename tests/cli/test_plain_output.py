"""``--no-color`` and ``NO_COLOR``: no escape codes at all on a terminal (not even bold), in output and in help."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

ESC = b"\x1b["
FOLDER = Path(__file__).resolve().parents[1] / "policy" / "fixtures" / "prod"


def on_terminal(args: list[str], env: dict[str, str]) -> bytes:
    """popcornctl ARGS with a pseudo-terminal as stdout and stderr: everything it wrote."""
    leader, follower = pty.openpty()
    code = "import sys\nfrom popcornctl.cli import main\nmain(sys.argv[1:])"
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdin=subprocess.DEVNULL, stdout=follower,
                            stderr=follower, env={**os.environ, "COLUMNS": "120", **env}, close_fds=True)
    os.close(follower)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], 120)
            if not ready:
                break
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        proc.wait(timeout=120)
        os.close(leader)
    return b"".join(chunks)


@pytest.fixture
def plain_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    return {**env, "TERM": "xterm-256color"}


def test_a_terminal_gets_styles_by_default(repo: Path, plain_env: dict[str, str]) -> None:
    """The control case: the same output carries escape codes when colour is on."""
    out = on_terminal(["--repo", str(repo), "policy-check", str(FOLDER), "--no-checkov"], plain_env)
    assert b"CRITICAL (" in out and ESC in out


@pytest.mark.parametrize("how", ["NO_COLOR", "--no-color"])
def test_plain_output_has_no_escape_codes(how: str, repo: Path, plain_env: dict[str, str]) -> None:
    env = {**plain_env, "NO_COLOR": "1"} if how == "NO_COLOR" else plain_env
    flag = ["--no-color"] if how == "--no-color" else []
    out = on_terminal([*flag, "--repo", str(repo), "policy-check", str(FOLDER), "--no-checkov"], env)
    assert b"CRITICAL (" in out and ESC not in out


@pytest.mark.parametrize("args", [["--help"], ["up", "--help"], ["diagnose"]], ids=" ".join)
def test_plain_help_has_no_escape_codes(args: list[str], plain_env: dict[str, str]) -> None:
    out = on_terminal(args, {**plain_env, "NO_COLOR": "1"})
    assert b"Usage: popcornctl" in out and ESC not in out
