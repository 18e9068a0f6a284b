"""The sandbox room: a local AWS emulator (moto server) on 127.0.0.1, started on demand.

One emulator per state directory: it holds ``<state dir>/sandbox.lock`` for its lifetime (see :class:`Sandbox`),
and its pid and port are recorded in that lock file and in ``<state dir>/sandbox.json``. Terraform working data
for sandbox runs lives in ``<state dir>/sandbox-data/`` (never in the source tree), wiped by ``reset`` and ``stop``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from popcornctl.errors import PopcornError
from popcornctl.target import Target

_STATE_FILE = "sandbox.json"
_LOCK_FILE = "sandbox.lock"
_START_LOCK_FILE = "sandbox.start.lock"
# The server's exit code when another emulator already holds the state directory's lock.
LOCK_HELD_EXIT = 3
_DATA_DIR = "sandbox-data"
_SERVER_MODULE = "popcornctl.sandbox.server"


@dataclass(frozen=True)
class SandboxInfo:
    """A running (or recorded) sandbox."""

    pid: int
    port: int
    started: float

    @property
    def endpoint(self) -> str:
        """The emulator's URL."""
        return f"http://127.0.0.1:{self.port}"

    def target(self, region: str) -> Target:
        """The run target for this sandbox."""
        return Target(region=region, endpoint=self.endpoint)


def healthy(endpoint: str, timeout: float = 2.0) -> bool:
    """True when the emulator at ``endpoint`` answers its management API."""
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def reset_emulator(endpoint: str) -> None:
    """Empty every service of the emulator at ``endpoint``."""
    req = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10):
            pass
    except (urllib.error.URLError, OSError) as exc:
        raise PopcornError(
            f"cannot reset the sandbox at {endpoint} ({exc})", "check it with: popcornctl sandbox status"
        ) from None


def _pid_is_sandbox(pid: int) -> bool:
    """True when ``pid`` is alive and is our server (a recycled pid is never signalled)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():
        return _SERVER_MODULE in cmdline.read_bytes().decode(errors="replace")
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def lock_is_held(path: Path) -> bool:
    """True when a process holds the emulator lock ``path`` (the lock proves the holder is alive)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the probe's own shared lock, if it got one
    return False


def hold_lock(path: Path, *, patience: float = 1.0) -> int | None:
    """Take ``path``'s exclusive lock for this process's lifetime; the open descriptor, or None if held.

    ``patience`` rides out a concurrent :func:`lock_is_held` probe, which holds a shared lock for an instant.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + patience
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(0.05)


def write_lock_record(fd: int, info: SandboxInfo) -> None:
    """Record the holder's pid and port in the lock file itself (found even if ``sandbox.json`` is lost)."""
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(asdict(info)).encode(), 0)
    os.fsync(fd)


def _parse_info(text: str) -> SandboxInfo | None:
    try:
        raw = json.loads(text)
        return SandboxInfo(pid=int(raw["pid"]), port=int(raw["port"]), started=float(raw["started"]))
    except (ValueError, KeyError, TypeError):
        return None


def _lock_holder_from_kernel(path: Path) -> SandboxInfo | None:
    """The lock's holder as the kernel knows it (``/proc/locks``), its port read from its command line."""
    try:
        inode = path.stat().st_ino
        table = Path("/proc/locks").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in table.splitlines():
        fields = line.split()
        if len(fields) < 6 or fields[1] != "FLOCK" or fields[0] == "->":
            continue
        try:
            pid, lock_inode = int(fields[4]), int(fields[5].rsplit(":", 1)[1])
        except (ValueError, IndexError):
            continue
        if lock_inode != inode or not _pid_is_sandbox(pid):
            continue
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
            port = int(argv[argv.index("--port") + 1])
            started = Path(f"/proc/{pid}").stat().st_mtime
        except (OSError, ValueError, IndexError):
            continue
        return SandboxInfo(pid=pid, port=port, started=started)
    return None


class Sandbox:
    """Lifecycle of the user's sandbox: one emulator per state directory.

    The emulator process holds an exclusive ``flock`` on ``<state dir>/sandbox.lock`` for its whole life and
    writes its pid and port into that file, so the lock itself proves that an emulator runs, and the kernel
    releases it when the emulator dies however it dies. ``sandbox.json`` is a convenience copy of the record:
    when it is lost or corrupted, the running emulator is still found (through the lock file's record, or the
    kernel's lock table and the holder's command line), reported and stoppable, and ``start`` never launches
    a second one. ``start`` and ``stop`` are serialised by a second lock (``sandbox.start.lock``), so concurrent
    starts give one emulator; the emulator refuses to serve if it cannot take the lock.
    """

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.state_file = state_dir / _STATE_FILE
        self.lock_file = state_dir / _LOCK_FILE
        self.start_lock_file = state_dir / _START_LOCK_FILE
        self.data_dir = state_dir / _DATA_DIR
        self.log_file = state_dir / "sandbox.log"

    def recorded(self) -> SandboxInfo | None:
        """What the pid file says, without checking it (None when there is none or it is unreadable)."""
        try:
            return _parse_info(self.state_file.read_text(encoding="utf-8"))
        except OSError:
            return None

    def lock_holder(self) -> SandboxInfo | None:
        """The emulator holding the lock, or None when no process holds it (or the holder cannot be named)."""
        if not lock_is_held(self.lock_file):
            return None
        candidates = [self.recorded()]
        with contextlib.suppress(OSError):
            candidates.append(_parse_info(self.lock_file.read_text(encoding="utf-8")))
        candidates.append(_lock_holder_from_kernel(self.lock_file))
        live = [c for c in candidates if c is not None and _pid_is_sandbox(c.pid)]
        return next((c for c in live if healthy(c.endpoint, timeout=1.0)), live[0] if live else None)

    def status(self) -> tuple[str, SandboxInfo | None]:
        """``running``; ``unresponsive`` (an emulator holds the lock but does not answer); ``stale`` (a pid
        file but no emulator); or ``stopped``."""
        if lock_is_held(self.lock_file):
            holder = self.lock_holder()
            if holder is not None and healthy(holder.endpoint):
                return "running", holder
            return "unresponsive", holder
        info = self.recorded()
        if info is None:
            return ("stale", None) if self.state_file.exists() else ("stopped", None)
        # A record without the lock: an emulator served in-process (tests) or by an older popcornctl.
        if _pid_is_sandbox(info.pid) and healthy(info.endpoint):
            return "running", info
        return "stale", info

    @contextlib.contextmanager
    def _serialised(self, timeout: float) -> Iterator[None]:
        """Hold ``sandbox.start.lock``: one start or stop at a time per state directory."""
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.start_lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise PopcornError(
                            f"another popcornctl has been starting or stopping the sandbox for {timeout:.0f}s",
                            f"wait for it, or see {self.log_file}",
                        ) from None
                    time.sleep(0.1)
            yield
        finally:
            os.close(fd)

    def _record(self, info: SandboxInfo) -> None:
        tmp = self.state_file.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(asdict(info)), encoding="utf-8")
        tmp.replace(self.state_file)

    def start(self, port: int | None = None, timeout: float = 60.0) -> SandboxInfo:
        """Start the emulator (or return the running one); a stale pid file is cleaned up first."""
        with self._serialised(timeout + 30):
            state, info = self.status()
            if state == "unresponsive":
                info = self._wait_healthy(info, timeout)
                state = "running"
            if state == "running" and info is not None:
                if self.recorded() != info:
                    self._record(info)  # a lost or corrupted pid file is rewritten from the lock's holder
                return info
            if state == "stale":
                self._forget()
            return self._launch(port or _free_port(), timeout)

    def _wait_healthy(self, info: SandboxInfo | None, timeout: float) -> SandboxInfo:
        """The lock's holder once it answers; an error naming it if it does not within ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and lock_is_held(self.lock_file):
            info = self.lock_holder() or info
            if info is not None and healthy(info.endpoint, timeout=1.0):
                return info
            time.sleep(0.2)
        who = f"pid {info.pid}" if info is not None else "a process"
        raise PopcornError(
            f"an emulator ({who}) holds {self.lock_file} but does not answer",
            "stop it with: popcornctl sandbox stop",
        )

    def _launch(self, port: int, timeout: float) -> SandboxInfo:
        with self.log_file.open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", _SERVER_MODULE, "--port", str(port), "--state-dir", str(self.state_dir)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        info = SandboxInfo(pid=proc.pid, port=port, started=time.time())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = proc.poll()
            if code == LOCK_HELD_EXIT:
                # Another emulator took the lock after all (started outside popcornctl's start): that one is it.
                return self._wait_healthy(self.lock_holder(), max(deadline - time.monotonic(), 1.0))
            if code is not None:
                raise PopcornError(
                    f"the sandbox server exited at start (code {code})",
                    f"see {self.log_file}; is port {port} free?",
                )
            if healthy(info.endpoint, timeout=1.0):
                self._record(info)
                return info
            time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise PopcornError(f"the sandbox did not answer within {timeout:.0f}s", f"see {self.log_file}")

    def require(self) -> SandboxInfo:
        """The running sandbox, or a one-line error saying how to start it."""
        state, info = self.status()
        if state == "running" and info is not None:
            return info
        if state == "unresponsive":
            who = f"pid {info.pid}" if info is not None else "its process"
            raise PopcornError(f"the sandbox ({who}) does not answer", "stop it with: popcornctl sandbox stop")
        raise PopcornError(
            "the sandbox is not running" if state == "stopped" else "the sandbox is down (stale pid file)",
            "start it with: popcornctl sandbox start",
        )

    def stop(self, timeout: float = 15.0) -> bool:
        """Stop the emulator, wait until its lock is released, and wipe sandbox working data.

        Returns False if nothing was running.
        """
        with self._serialised(timeout + 30):
            state, info = self.status()
            held = lock_is_held(self.lock_file)
            if held and info is None:
                raise PopcornError(
                    f"a process holds {self.lock_file} but cannot be identified as the emulator",
                    f"find it with: fuser {self.lock_file}",
                )
            if info is not None and info.pid != os.getpid() and _pid_is_sandbox(info.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(info.pid, signal.SIGTERM)
                if not self._released(info.pid, timeout):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(info.pid, signal.SIGKILL)
                    if not self._released(info.pid, 10.0):
                        raise PopcornError(
                            f"the emulator (pid {info.pid}) did not release {self.lock_file} after SIGKILL",
                            f"see {self.log_file}",
                        )
            self._forget()
            return state in ("running", "unresponsive")

    def _released(self, pid: int, timeout: float) -> bool:
        """Wait until ``pid`` is gone and the emulator lock is free; True if that happened in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _pid_is_sandbox(pid) and not lock_is_held(self.lock_file):
                return True
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)  # our own child (tests start servers in-process): reap it
            time.sleep(0.1)
        return False

    def reset(self) -> SandboxInfo:
        """Empty the running emulator and wipe sandbox working data (Terraform data dirs, plans)."""
        info = self.require()
        reset_emulator(info.endpoint)
        shutil.rmtree(self.data_dir, ignore_errors=True)
        return info

    def _forget(self) -> None:
        self.state_file.unlink(missing_ok=True)
        shutil.rmtree(self.data_dir, ignore_errors=True)
