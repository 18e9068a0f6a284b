"""One emulator per state directory, always findable and stoppable (the sandbox's interprocess lock).

The emulator holds ``<state dir>/sandbox.lock`` for its lifetime; ``sandbox.json`` is only a copy of its record.
Real emulator processes, started the way users start them (``popcornctl sandbox start``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clirunner import run_cli
from popcornctl.sandbox import LOCK_HELD_EXIT, Sandbox, healthy, lock_is_held

pytestmark = pytest.mark.sandbox

SERVER = "popcornctl.sandbox.server"


def _state_dir() -> Path:
    return Path(os.environ["POPCORN_STATE_DIR"])


def emulators(state_dir: Path) -> list[int]:
    """Live emulator processes started for ``state_dir`` (found by their environment, not by any record)."""
    needle = f"POPCORN_STATE_DIR={state_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if SERVER.encode() not in (entry / "cmdline").read_bytes():
                continue
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            if (entry / "stat").read_text().rpartition(")")[2].split()[0] == "Z":
                continue
        except OSError:
            continue
        found.append(int(entry.name))
    return sorted(found)


@pytest.fixture
def state_dir() -> Iterator[Path]:
    """The test's state dir; whatever emulator is left for it at the end is stopped, then killed by pid."""
    path = _state_dir()
    yield path
    with contextlib.suppress(Exception):
        Sandbox(path).stop()
    for pid in emulators(path):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _start_cli(state_dir: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "POPCORN_STATE_DIR": str(state_dir)}
    return subprocess.Popen(
        [sys.executable, "-m", "popcornctl", "--output", "json", "sandbox", "start"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_three_concurrent_starts_give_exactly_one_emulator(state_dir: Path) -> None:
    starts = [_start_cli(state_dir) for _ in range(3)]
    results = [(p.wait(timeout=180), *p.communicate()) for p in starts]
    assert [code for code, _, _ in results] == [0, 0, 0], results
    pids = {json.loads(out)["pid"] for _, out, _ in results}
    time.sleep(1.0)  # a losing emulator would still be importing moto: give it time to show up
    assert emulators(state_dir) == sorted(pids), "every start reports the one emulator, and no other runs"
    assert len(pids) == 1
    state, info = Sandbox(state_dir).status()
    assert state == "running" and info is not None and info.pid in pids


@pytest.mark.parametrize("damage", ["corrupted", "missing", "both-records-lost"])
def test_a_lost_pid_file_never_hides_or_orphans_the_running_emulator(
    state_dir: Path, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    box = Sandbox(state_dir)
    info = box.start()
    if damage == "corrupted":
        box.state_file.write_text("{not json", encoding="utf-8")
    else:
        box.state_file.unlink()
    if damage == "both-records-lost":
        # The lock file's own copy of the record is gone too: only the kernel's lock table names the holder.
        box.lock_file.write_text("", encoding="utf-8")

    state, found = box.status()
    assert state == "running" and found is not None
    assert (found.pid, found.port) == (info.pid, info.port)
    code, out, _ = run_cli(["sandbox", "status"], capsys)
    assert code == 0 and f"pid {info.pid}" in out

    again = box.start()
    assert (again.pid, again.port) == (info.pid, info.port)
    assert emulators(state_dir) == [info.pid], "start found the running emulator instead of orphaning it"
    assert box.recorded() is not None and box.recorded().pid == info.pid  # type: ignore[union-attr]

    box.state_file.write_text("garbage", encoding="utf-8")
    code, out, _ = run_cli(["sandbox", "stop"], capsys)
    assert code == 0 and "sandbox stopped" in out
    assert emulators(state_dir) == []
    assert not lock_is_held(box.lock_file)
    assert not healthy(info.endpoint, timeout=0.5)


def test_the_lock_proves_liveness_and_stop_returns_after_its_release(state_dir: Path) -> None:
    box = Sandbox(state_dir)
    info = box.start()
    assert lock_is_held(box.lock_file), "the running emulator holds the state dir's lock"
    # A frozen emulator cannot act on SIGTERM: stop must escalate and still wait until the lock is free.
    os.kill(info.pid, signal.SIGSTOP)
    assert box.stop(timeout=1.0) is True
    assert not lock_is_held(box.lock_file)
    assert emulators(state_dir) == []
    assert box.status() == ("stopped", None)


def test_a_second_emulator_on_the_same_state_dir_refuses_to_serve(state_dir: Path) -> None:
    box = Sandbox(state_dir)
    info = box.start()
    second = subprocess.run(
        [sys.executable, "-m", SERVER, "--port", "0", "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert second.returncode == LOCK_HELD_EXIT, second.stderr
    assert "another emulator holds" in second.stderr
    assert emulators(state_dir) == [info.pid]
    assert box.status() == ("running", info)


def test_status_of_a_lock_holder_that_does_not_answer_says_so(
    state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    box = Sandbox(state_dir)
    info = box.start()
    os.kill(info.pid, signal.SIGSTOP)
    try:
        assert box.status() == ("unresponsive", info)
        code, out, _ = run_cli(["sandbox", "status"], capsys)
        assert code == 1 and f"pid {info.pid}" in out and "popcornctl sandbox stop" in out
    finally:
        os.kill(info.pid, signal.SIGCONT)
    assert box.stop() is True
    assert emulators(state_dir) == []
