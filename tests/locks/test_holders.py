"""Which live processes on this machine may hold a lock: real processes named ``terraform`` in real folders.

The process table is shared with everything else on the machine (other checkouts, local copies of a stack,
``validate`` runs): only a process that may work on the lock's state counts, and in doubt it does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from popcornctl.locks.audit import local_user
from popcornctl.locks.holders import live_holders
from popcornctl.locks.model import HeldLock, build_lock, now_utc

BUCKET = "popcorn-tfstate-dev"
KEY = "envs/dev/terraform.tfstate"


def _lock() -> HeldLock:
    info = json.dumps({"ID": "5d0c4f7e", "Who": local_user(), "Operation": "OperationTypeApply",
                       "Created": (now_utc() + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")})
    return build_lock(stack="envs/dev", where="s3", container=BUCKET, key=KEY + ".tflock", raw=info, now=now_utc())


def _initialised(stack: Path, backend: dict[str, object] | None) -> Path:
    stack.mkdir(parents=True)
    if backend is not None:
        (stack / ".terraform").mkdir()
        (stack / ".terraform" / "terraform.tfstate").write_text(json.dumps({"version": 3, "backend": backend}))
    return stack


@pytest.fixture
def running() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.kill()
        process.wait()


def _terraform(tmp_path: Path, running: list[subprocess.Popen[bytes]], cwd: Path, *args: str) -> int:
    """A process the process table shows as ``terraform ARGS`` in ``cwd`` (a Python that waits, by that name)."""
    program = tmp_path / "bin" / "terraform"
    if not program.exists():
        program.parent.mkdir()
        program.symlink_to(Path(sys.executable).resolve())
    ready = tmp_path / f"ready-{len(running)}"
    wait = f"import pathlib, time; pathlib.Path({str(ready)!r}).touch(); time.sleep(60)"
    process = subprocess.Popen([str(program), "-c", wait, *args], cwd=cwd)
    running.append(process)
    deadline = time.monotonic() + 30
    while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ready.exists(), "the stand-in terraform did not start"
    return process.pid


def _holder_pids(lock: HeldLock, stack_dirs: Sequence[Path] = ()) -> set[int]:
    return {h.pid for h in live_holders(lock, stack_dirs=stack_dirs)}


S3 = {"type": "s3", "config": {"bucket": BUCKET, "key": KEY, "region": "ap-northeast-2"}}


def test_a_terraform_on_the_locks_state_holds_it_wherever_it_runs(
    tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    other_checkout = _initialised(tmp_path / "elsewhere" / "infra" / "envs" / "dev", S3)
    pid = _terraform(tmp_path, running, other_checkout, "apply")
    assert pid in _holder_pids(_lock())


def test_a_terraform_on_another_bucket_does_not(tmp_path: Path, running: list[subprocess.Popen[bytes]]) -> None:
    other = _initialised(tmp_path / "b" / "envs" / "dev", {"type": "s3", "config": {"bucket": "other", "key": KEY}})
    pid = _terraform(tmp_path, running, other, "apply")
    assert pid not in _holder_pids(_lock())


def test_a_local_copy_of_the_stack_does_not(tmp_path: Path, running: list[subprocess.Popen[bytes]]) -> None:
    """A copy initialised with the local backend (tests, experiments) works on a state file of its own."""
    copy = _initialised(tmp_path / "copy" / "envs" / "dev", {"type": "local", "config": {"path": None}})
    pid = _terraform(tmp_path, running, copy, "plan")
    assert pid not in _holder_pids(_lock())


def test_a_run_without_a_backend_does_not(tmp_path: Path, running: list[subprocess.Popen[bytes]]) -> None:
    stack = _initialised(tmp_path / "validate" / "envs" / "dev", None)
    pid = _terraform(tmp_path, running, stack, "init", "-backend=false")
    assert pid not in _holder_pids(_lock())


def test_an_unreadable_backend_in_the_stacks_folder_counts(
    tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    """A first ``init`` may be migrating state into the bucket before it records its backend: in doubt, alive."""
    stack = _initialised(tmp_path / "repo" / "envs" / "dev", None)
    pid = _terraform(tmp_path, running, stack, "init", "-migrate-state")
    assert pid in _holder_pids(_lock(), stack_dirs=[stack])


def test_a_process_started_after_the_lock_was_taken_does_not(
    tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    lock = build_lock(stack="envs/dev", where="s3", container=BUCKET, key=KEY + ".tflock", now=now_utc(),
                      raw=json.dumps({"ID": "1", "Who": local_user(), "Created": "2020-01-01T00:00:00Z"}))
    stack = _initialised(tmp_path / "repo" / "envs" / "dev", S3)
    pid = _terraform(tmp_path, running, stack, "apply")
    assert pid not in _holder_pids(lock, stack_dirs=[stack])


@pytest.mark.parametrize(("bucket", "holds"), [(BUCKET, True), ("other-bucket", False)])
def test_a_first_init_is_judged_by_the_backend_its_arguments_configure(
    bucket: str, holds: bool, tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    """popcornctl's ``init`` names bucket and key: what it may be migrating into is known before it is recorded."""
    stack = _initialised(tmp_path / "elsewhere" / "envs" / "dev", None)
    pid = _terraform(tmp_path, running, stack, "init", f"-backend-config=bucket={bucket}",
                     f"-backend-config=key={KEY}", "-migrate-state")
    assert (pid in _holder_pids(_lock())) is holds


@pytest.mark.parametrize(("argv", "holds"), [
    (["init", f"-backend-config=bucket={BUCKET}", f"-backend-config=key={KEY}"], True),
    (["init", "-backend-config=bucket=other-bucket", f"-backend-config=key={KEY}"], False),
    (["init", "-backend=false"], False),
])
def test_a_recorded_worker_is_judged_by_its_recorded_arguments(
    argv: list[str], holds: bool, tmp_path: Path, running: list[subprocess.Popen[bytes]]
) -> None:
    from popcornctl.common.process import boot_id, start_ticks

    state_dir = tmp_path / "state"
    (state_dir / "workers").mkdir(parents=True)
    stack = _initialised(tmp_path / "repo" / "envs" / "dev", None)
    pid = _terraform(tmp_path, running, tmp_path, "(a worker)")  # its record, not its table entry, is judged
    (state_dir / "workers" / f"{pid}.json").write_text(json.dumps({
        "pid": pid, "start_ticks": start_ticks(pid), "boot_id": boot_id(), "cwd": str(stack),
        "data_dir": str(stack / ".terraform"), "command": "init", "argv": argv,
    }))
    found = {h.pid: h.source for h in live_holders(_lock(), stack_dirs=[stack], state_dirs=[state_dir])}
    assert (found.get(pid) == "popcornctl worker") is holds
