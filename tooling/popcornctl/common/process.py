"""Child processes in a process group of their own: the one way popcornctl starts, signals and stops helpers.

Every helper program (a Terraform worker, Checkov) is started by :func:`start_group` as the leader of a new
session, so that:

- a Ctrl-C on the terminal reaches popcornctl only, which decides what each child gets (Terraform must get
  exactly one SIGINT: a second one makes it exit without saving state);
- stopping a child stops everything it started (provider plugins, ``local-exec`` commands, Checkov's own
  workers): signals go to the whole group, never only to the leader.

Output is read by two threads into memory (no pipe ever fills up), and the child's stdin can stay open as a
control channel (``control=True``): the child sees end-of-file on it when popcornctl exits for any reason,
SIGKILL and OOM kills included, because the kernel closes a dead process's descriptors.

Identity helpers (:func:`start_ticks`, :func:`same_process`) tell a live process from a recycled pid.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

# After the leader exits, how long to wait for grandchildren that still hold its stdout/stderr open.
_DRAIN_SECONDS = 5.0


class GroupProcess:
    """A running child that leads its own process group (see :func:`start_group`)."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | str | None = None,
        env: Mapping[str, str] | None = None,
        control: bool = False,
    ) -> None:
        self.argv = list(argv)
        self.popen = subprocess.Popen(
            self.argv,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.PIPE if control else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.pid = self.popen.pid
        self.started = time.monotonic()
        self._out: list[bytes] = []
        self._err: list[bytes] = []
        self._control_lock = threading.Lock()
        self._readers = [
            threading.Thread(target=_drain, args=(self.popen.stdout, self._out), daemon=True,
                             name=f"popcorn-out-{self.pid}"),
            threading.Thread(target=_drain, args=(self.popen.stderr, self._err), daemon=True,
                             name=f"popcorn-err-{self.pid}"),
        ]
        for reader in self._readers:
            reader.start()

    @property
    def returncode(self) -> int | None:
        """The exit code once the leader has exited (negative: killed by that signal), else None."""
        return self.popen.poll()

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the leader to exit; its exit code, or None when ``timeout`` passed first."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def output(self) -> tuple[str, str]:
        """Everything the child wrote to stdout and stderr (call after it exited)."""
        deadline = time.monotonic() + _DRAIN_SECONDS
        for reader in self._readers:
            reader.join(timeout=max(0.0, deadline - time.monotonic()))
        return (b"".join(self._out).decode("utf-8", "replace"), b"".join(self._err).decode("utf-8", "replace"))

    def send(self, data: bytes) -> bool:
        """Write ``data`` to the child's control channel (stdin); False when it is closed or absent."""
        with self._control_lock:
            stdin = self.popen.stdin
            if stdin is None or stdin.closed:
                return False
            try:
                stdin.write(data)
                stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                return False
            return True

    def close_control(self) -> None:
        """Close the control channel (the child reads end-of-file)."""
        with self._control_lock:
            stdin = self.popen.stdin
            if stdin is not None and not stdin.closed:
                with contextlib.suppress(OSError):
                    stdin.close()

    def send_signal(self, sig: int) -> bool:
        """Send ``sig`` to the whole group; False when nothing of it is left."""
        return signal_group(self.pid, sig)

    def kill(self) -> int:
        """SIGKILL the whole group and reap the leader; its exit code."""
        self.send_signal(signal.SIGKILL)
        code = self.popen.wait()
        self.close_control()
        return code

    def stop(self, grace: float, first: int = signal.SIGTERM) -> int:
        """Ask with ``first`` (to the group), wait ``grace`` seconds, then SIGKILL the group; the exit code."""
        if self.returncode is None:
            self.send_signal(first)
            code = self.wait(grace)
            if code is not None:
                self.send_signal(signal.SIGKILL)  # whatever the leader left behind in its group
                self.close_control()
                return code
        return self.kill()


def _drain(stream: IO[bytes] | None, sink: list[bytes]) -> None:
    if stream is None:
        return
    with contextlib.suppress(OSError, ValueError):
        for chunk in iter(lambda: stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536), b""):
            sink.append(chunk)
    with contextlib.suppress(OSError):
        stream.close()


def start_group(
    argv: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    control: bool = False,
) -> GroupProcess:
    """Start ``argv`` as the leader of a new session and process group, its output captured.

    ``control=True`` keeps a pipe on the child's stdin (see :meth:`GroupProcess.send`); otherwise stdin is
    ``/dev/null``. Raises ``FileNotFoundError``/``PermissionError`` like :class:`subprocess.Popen`.
    """
    return GroupProcess(argv, cwd=cwd, env=env, control=control)


def signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to process group ``pgid``; False when the group no longer exists."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


def group_members(pgid: int) -> list[int]:
    """Pids of the live processes in process group ``pgid`` (Linux ``/proc``; empty elsewhere)."""
    members: list[int] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return members
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None and len(fields) > 5 and fields[2] != "Z" and fields[4] == str(pgid):
            members.append(int(entry.name))
    return members


def settle_group(pgid: int, *, wait_for: Callable[[str], bool], patience: float, grace: float = 2.0) -> None:
    """End what is left of a process group whose leader is gone (Linux ``/proc``; elsewhere only the signals).

    Members whose command line satisfies ``wait_for`` (a Terraform saving its state) are given up to ``patience``
    seconds to finish on their own; then the rest of the group gets SIGTERM and, ``grace`` seconds later, SIGKILL.
    """
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if not any(wait_for(command_line(pid)) for pid in group_members(pgid)):
            break
        time.sleep(0.2)
    if signal_group(pgid, signal.SIGTERM):
        end = time.monotonic() + grace
        while group_members(pgid) and time.monotonic() < end:
            time.sleep(0.1)
        signal_group(pgid, signal.SIGKILL)


def command_line(pid: int) -> str:
    """``/proc/PID/cmdline`` as one string ("" when unknown)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


# -- process identity -----------------------------------------------------------------------------------
def _stat_fields(pid: int) -> list[str] | None:
    """``/proc/PID/stat`` split into fields (the command name, which may hold spaces, as one field)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    head, _, tail = raw.rpartition(")")
    pid_part, _, comm = head.partition(" (")
    return [pid_part, comm, *tail.split()]


def start_ticks(pid: int) -> int | None:
    """When ``pid`` started, in clock ticks since boot (Linux); None when unknown or gone.

    Together with the pid this names one process for good: a recycled pid has another start time.
    """
    fields = _stat_fields(pid)
    if fields is None or len(fields) < 22:
        return None
    try:
        return int(fields[21])
    except ValueError:
        return None


def boot_id() -> str | None:
    """This boot's identity (Linux); start ticks only compare within one boot."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def alive(pid: int) -> bool:
    """True when a process with this pid exists (and is not a zombie)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists; it is someone else's
    fields = _stat_fields(pid)
    return not (fields is not None and len(fields) > 2 and fields[2] == "Z")


def same_process(pid: int, ticks: int | None, boot: str | None) -> bool:
    """True when ``pid`` is alive and is the process that had start time ``ticks`` in boot ``boot``.

    Where start times are unknown (not Linux), a live pid counts as the same process: in doubt, alive.
    """
    if not alive(pid):
        return False
    if ticks is None or boot is None:
        return True
    current_boot = boot_id()
    if current_boot is not None and current_boot != boot:
        return False
    now = start_ticks(pid)
    return now is None or now == ticks


def parent_death_signal(sig: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` that asks the kernel to send ``sig`` to the child when its parent dies (Linux ``prctl``).

    The C function is looked up here, in the parent, so the child only makes one system call between fork and
    exec. None where the platform has no such call.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1
    number = int(sig)

    def preexec() -> None:
        prctl(pr_set_pdeathsig, number, 0, 0, 0)

    return preexec
