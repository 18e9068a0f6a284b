"""``popcornctl up`` on a real pseudo-terminal: the Rich live view, the prompts, and the answers typed into them.

The other orchestrator tests drive the runner with a scripted confirmer or a forced-terminal console; here the
command runs as a user runs it — a child process whose stdin, stdout and stderr are a pty — against the user's
sandbox (a real emulator process started in the test's state dir), on the diamond fixture with real Terraform.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fixture_repo import create_backend, diamond

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

REPO = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PROMPT = re.compile(r"Apply these changes to (\S+)\? \[y/N\] |Type (\S+) to apply (\S+): ")


def _fixture(tmp_path: Path, **kwargs: Any) -> Path:
    from popcornctl.sandbox import Sandbox

    info = Sandbox(Path(os.environ["POPCORN_STATE_DIR"])).start()  # stopped by the isolated_home teardown
    root = diamond(tmp_path / "repo", tmp_path / "marks", **kwargs)
    (root / "policies").symlink_to(REPO / "policies")
    create_backend(info.endpoint)
    return root


def _run_on_pty(args: list[str], answer: dict[str, str], timeout: float = 300.0) -> tuple[int, str, list[str]]:
    """Run popcornctl on a pty; answer each prompt from ``answer`` (stack -> text). (exit code, output, asked)."""
    master, slave = os.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "popcornctl", *args], stdin=slave, stdout=slave, stderr=slave, env=env,
        start_new_session=True,
    )
    os.close(slave)
    raw, asked, answered = b"", [], 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                raw += chunk
                prompts = PROMPT.findall(ANSI.sub("", raw.decode(errors="replace")))
                while answered < len(prompts):
                    plain, _name, typed_stack = prompts[answered]
                    stack = plain or typed_stack
                    asked.append(stack)
                    os.write(master, (answer[stack] + "\r").encode())
                    answered += 1
            elif proc.poll() is not None:
                break
        else:
            proc.kill()
            pytest.fail(f"popcornctl did not finish in {timeout:.0f}s:\n{ANSI.sub('', raw.decode(errors='replace'))}")
    finally:
        os.close(master)
    return proc.wait(timeout=30), raw.decode(errors="replace"), asked


def test_up_asks_on_the_terminal_and_a_no_skips_the_dependents(tmp_path: Path) -> None:
    root = _fixture(tmp_path)
    report = tmp_path / "report.json"
    code, raw, asked = _run_on_pty(
        ["--repo", str(root), "up", "dev", "--sandbox", "--no-checkov", "--report", str(report)],
        answer={"bootstrap": "y", "global/a": "yes", "global/b": "n", "envs/dev": "y"},
    )
    text = ANSI.sub("", raw)
    assert code == 1, text
    assert "\x1b[?25l" in raw, "the live view took the terminal (cursor hidden while it redraws)"
    assert re.search(r"global/b\s+queued", text), "the live view lists queued stacks"
    assert sorted(asked) == ["bootstrap", "global/a", "global/b"], "envs/dev is never asked: its dependency said no"
    assert asked[0] == "bootstrap"
    assert "Plan: 1 to add, 0 to change, 0 to destroy" in text
    results = {s["stack"]: (s["result"], s["reason"]) for s in json.loads(report.read_text())["stacks"]}
    assert results["bootstrap"][0] == results["global/a"][0] == "applied"
    assert results["global/b"][0] == "declined"
    assert results["envs/dev"] == ("skipped", "dependency global/b was not approved")
    assert "not all stacks ok" in text


def test_a_protected_environment_needs_its_name_typed(tmp_path: Path) -> None:
    root = _fixture(tmp_path, prod=True)
    report = tmp_path / "report.json"
    code, raw, asked = _run_on_pty(
        ["--repo", str(root), "up", "prod", "--sandbox", "--no-checkov", "--report", str(report)],
        answer={"bootstrap": "prod", "global/a": "prod", "global/b": "prod", "envs/prod": "y"},
    )
    text = ANSI.sub("", raw)
    assert code == 1, text
    assert "prod is a protected environment." in text
    assert asked[-1] == "envs/prod"
    results = {s["stack"]: s["result"] for s in json.loads(report.read_text())["stacks"]}
    assert results["envs/prod"] == "declined", "a plain y is not the environment's name"
    assert {results[s] for s in ("bootstrap", "global/a", "global/b")} == {"applied"}
