"""The helpers every room shares (popcornctl.common): one duration parser/formatter, one way to stop a process
group, one AWS error-code reader — and the callers that switched to them."""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from faultkit import descendants, survivors

from popcornctl.common.awserrors import error_code, error_message
from popcornctl.common.durations import format_duration, parse_duration
from popcornctl.common.process import start_group
from popcornctl.errors import PopcornError

SPAWNS_A_GRANDCHILD = [sys.executable, "-c",
                       "import subprocess, time; subprocess.Popen(['sleep', '300']); time.sleep(300)"]


@pytest.mark.parametrize(("seconds", "text"), [(45, "45s"), (725, "12m 5s"), (11529, "3h 12m"), (187200, "2d 4h")])
def test_one_format_for_every_duration(seconds: int, text: str) -> None:
    from popcornctl.locks import format_age

    assert format_duration(timedelta(seconds=seconds)) == text
    assert format_age(timedelta(seconds=seconds)) == text, "the locks room uses the shared formatter"


@pytest.mark.parametrize("text", ["1000000000d", "99999999999999999999s", "9" * 400 + "w"])
def test_absurd_durations_are_usage_errors_not_overflows(text: str) -> None:
    with pytest.raises(PopcornError, match="is longer than"):
        parse_duration(text, flag="--older-than")


def test_duration_rules() -> None:
    assert parse_duration("1h 30m") == timedelta(minutes=90)
    assert parse_duration("0") == timedelta(0)
    with pytest.raises(PopcornError, match="is empty"):
        parse_duration("0m", flag="--since", allow_zero=False)
    with pytest.raises(PopcornError, match="not a duration"):
        parse_duration("15 minutes")


def test_killing_a_group_leaves_nothing_behind() -> None:
    proc = start_group(SPAWNS_A_GRANDCHILD)
    deadline = time.monotonic() + 20
    while len(descendants(proc.pid)) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    grandchildren = descendants(proc.pid)
    assert grandchildren, "the child started its own child"
    proc.kill()
    assert not survivors(grandchildren, within=5)


def test_checkov_is_stopped_as_a_group(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A cancelled Checkov (the run failed first) takes the workers it started with it."""
    from popcornctl.policy import checkov

    monkeypatch.setattr(checkov, "checkov_command", lambda: SPAWNS_A_GRANDCHILD)
    job = checkov.CheckovJob([], "plan.json", cwd=tmp_path)
    pid = job.proc.pid
    deadline = time.monotonic() + 20
    while not descendants(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = descendants(pid)
    assert workers
    job.cancel()
    assert not survivors(workers, within=5), "Checkov's own children were stopped with it"


def test_one_aws_error_code_reader() -> None:
    from botocore.exceptions import ClientError

    from popcornctl.locks import aws_failures
    from popcornctl.orchestrate import backend

    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetObject")
    assert error_code(denied) == "AccessDenied" and error_message(denied) == "no"
    assert error_code(ValueError("x")) == "" and error_message(ValueError("x")) == "x"
    assert aws_failures.error_code is error_code and backend.error_code is error_code
