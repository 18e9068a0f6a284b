"""Defect 6 (and part of 10): Ctrl-C / Ctrl-D at the prompt, SIGTERM during a run, a second Ctrl-C.

popcornctl runs as a user runs it: a child process on a pseudo-terminal (the prompts) or with pipes (signals sent to
the process, as a supervisor or ``kill`` would), real Terraform, the S3 backend on the test's emulator process.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from faultkit import CTRL_C, CTRL_D, Backend, Popcornctl, descendants, survivors, tiny_repo, wait_for_file

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

PROMPT = r"Apply these changes to envs/dev\? \[y/N\]"


def _up(root: Path, report: Path, *extra: str) -> list[str]:
    return ["--repo", str(root), "up", "dev", "--sandbox", "--no-checkov", "--skip-policy", "--reason", "fault test",
            "--report", str(report), *extra]


def _stack(report: Path) -> dict[str, object]:
    data = json.loads(report.read_text())
    return next(s for s in data["stacks"] if s["stack"] == "envs/dev")


def test_ctrl_c_at_the_prompt_declines_and_exits_130(
    tmp_path: Path, store: Backend, launch: Callable[..., Popcornctl]
) -> None:
    root = tiny_repo(tmp_path / "repo", store, sleep=1)
    report = tmp_path / "report.json"
    up = launch(_up(root, report), tty=True)
    up.wait_for(PROMPT)
    up.press(CTRL_C)
    code = up.wait(timeout=60)  # before the fix: it waited for stdin forever
    assert code == 130, up.text
    assert "Ctrl-C at the prompt" in up.text and "Traceback" not in up.text
    assert _stack(report)["result"] == "declined"
    assert store.locks() == []
    assert not (tmp_path / "apply-started").exists(), "nothing was applied"


def test_ctrl_d_at_the_prompt_declines_and_exits_1(
    tmp_path: Path, store: Backend, launch: Callable[..., Popcornctl]
) -> None:
    root = tiny_repo(tmp_path / "repo", store, sleep=1)
    report = tmp_path / "report.json"
    up = launch(_up(root, report), tty=True)
    up.wait_for(PROMPT)
    up.press(CTRL_D)
    code = up.wait(timeout=60)
    assert code == 1, up.text  # "1: a stack ... was not approved"
    assert "internal error" not in up.text and "EOFError" not in up.text
    assert "no answer (end of input)" in up.text
    assert _stack(report)["result"] == "declined"
    assert not (tmp_path / "apply-started").exists()


def test_sigterm_during_an_apply_stops_terraform_gracefully_and_writes_the_report(
    tmp_path: Path, store: Backend, launch: Callable[..., Popcornctl]
) -> None:
    marker = tmp_path / "apply-started"
    root = tiny_repo(tmp_path / "repo", store, sleep=120, marker=marker)
    report = tmp_path / "report.json"
    up = launch(_up(root, report, "--auto-approve"))
    wait_for_file(marker, up)
    tree = descendants(up.pid)

    up.signal(signal.SIGTERM)

    code = up.wait(timeout=90)
    assert code == 128 + signal.SIGTERM, up.text
    assert "terminated (SIGTERM): stopping 1 running Terraform command(s) gracefully" in up.text
    assert not survivors(tree), "every process of the run ended with it"
    assert store.locks() == [], "Terraform released its lock"
    stack = _stack(report)
    assert stack["result"] == "failed" and str(stack["reason"]).startswith("interrupted:"), stack
    assert "report: " in up.text


def test_a_second_ctrl_c_is_answered_and_stops_terraform_once(
    tmp_path: Path, store: Backend, launch: Callable[..., Popcornctl]
) -> None:
    marker = tmp_path / "apply-started"
    root = tiny_repo(tmp_path / "repo", store, sleep=120, marker=marker)
    report = tmp_path / "report.json"
    up = launch(_up(root, report, "--auto-approve"))
    wait_for_file(marker, up)
    tree = descendants(up.pid)

    up.signal(signal.SIGINT)
    up.wait_for(r"interrupted \(Ctrl-C\): no stack starts a new step; 1 running Terraform command\(s\) finish first")
    assert survivors(tree), "the first Ctrl-C lets the running apply go on (it holds the lock)"
    up.signal(signal.SIGINT)
    up.wait_for(r"interrupted again \(Ctrl-C\): stopping 1 running Terraform command\(s\) gracefully")
    up.signal(signal.SIGINT)  # a third one only gets an answer: Terraform is never interrupted twice
    code = up.wait(timeout=90)
    assert code == 130, up.text
    assert not survivors(tree) and store.locks() == []
    assert _stack(report)["result"] == "failed"
