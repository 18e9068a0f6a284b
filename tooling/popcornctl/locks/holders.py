"""Is a lock's holder still running on this machine? The check ``unlock`` makes before releasing anything.

A Terraform lock names its holder as ``user@host`` (``Who``). When the host is this machine, the holder may be
a Terraform process that is still running — releasing its lock is exactly the race locks exist to prevent,
whatever the lock's age. Two sources, both tied to the stack the lock protects:

- popcornctl's own workers record themselves while they run (``<state dir>/workers/<pid>.json``: pid, start
  time, boot, working directory, command; see :mod:`popcornctl.engine.protocol`);
- the process table (Linux ``/proc``): any ``terraform`` program or popcornctl worker working on that state,
  which also finds a plain ``terraform apply`` someone runs by hand.

"Working on that state" is read from the process's initialised backend (``$TF_DATA_DIR`` or
``<cwd>/.terraform``, file ``terraform.tfstate``: bucket and key) and from the ``-backend-config=bucket=…`` and
``key=…`` arguments of an ``init`` (popcornctl passes them; a first ``init`` may be migrating state into the
bucket before it records its backend). So another checkout of the repository counts and an unrelated stack
elsewhere does not, nor does a process initialised with another backend (a local copy of a stack) or run with
``-backend=false``. Where neither can be read, a working directory (or ``-chdir``) that is the stack's folder, or
ends with the stack's path, counts.

A process is identified by pid *and* start time (and boot), so a recycled pid is never mistaken for the holder;
a process that started after the lock was taken cannot hold it. A process whose working directory cannot be read
(another user's) but whose user is the lock's user counts as a holder: in doubt, alive. When the lock's host is
another machine nothing here can tell, and the age rule (``--older-than``) is what protects it.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from popcornctl.common.process import boot_id, same_process, start_ticks
from popcornctl.engine.protocol import WORKERS_DIR
from popcornctl.locks.model import HeldLock

_WORKER_MODULE = "popcornctl.engine._worker"
# A process that started this long after the lock was created cannot have taken it (clock granularity).
_SLACK = timedelta(seconds=2)


@dataclass(frozen=True)
class LiveHolder:
    """A live process on this machine that may hold a lock."""

    pid: int
    command: str
    cwd: str | None
    source: str  # "popcornctl worker" | "process table"
    started: datetime | None = None

    def describe(self) -> str:
        """``pid 1234 (terraform apply in /repo/envs/dev, running 3m)``."""
        from popcornctl.common.durations import format_duration

        where = f" in {self.cwd}" if self.cwd else ""
        age = f", running {format_duration(datetime.now(UTC) - self.started)}" if self.started else ""
        return f"pid {self.pid} ({self.command}{where}{age})"


def hostnames() -> set[str]:
    """Names this machine goes by in a lock's ``Who``: Terraform's ``os.Hostname()``, and its short form."""
    name = socket.gethostname()
    return {name, name.split(".")[0]}


def held_here(lock: HeldLock) -> bool:
    """True when the lock says it was taken on this machine (``user@<this host>``)."""
    who = lock.who or ""
    if "@" not in who:
        return False
    host = who.rsplit("@", 1)[1]
    return host in hostnames() or host.split(".")[0] in hostnames()


def _lock_user(lock: HeldLock) -> str | None:
    who = lock.who or ""
    return who.rsplit("@", 1)[0] if "@" in who else None


def _boot_time() -> datetime | None:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/stat").read_text(encoding="utf-8").splitlines():
            if line.startswith("btime "):
                return datetime.fromtimestamp(int(line.split()[1]), UTC)
    return None


def _started(pid: int, boot: datetime | None) -> datetime | None:
    ticks = start_ticks(pid)
    if ticks is None or boot is None:
        return None
    return boot + timedelta(seconds=ticks / os.sysconf("SC_CLK_TCK"))


def state_of(lock: HeldLock) -> tuple[str, str]:
    """(bucket, state key) the lock protects."""
    if lock.where == "dynamodb":
        bucket, _, key = lock.key.partition("/")
        return bucket, key
    return lock.container, lock.key.removesuffix(".tflock")


def _backend(data_dir: str | None) -> list[tuple[str, str]] | None:
    """The S3 state (bucket, key) Terraform initialised in ``data_dir``: none for another backend type; None
    when it cannot be read."""
    if not data_dir:
        return None
    try:
        data = json.loads((Path(data_dir) / "terraform.tfstate").read_text(encoding="utf-8"))
        backend = data["backend"]
        if backend.get("type") not in (None, "s3"):
            return []
        config = backend["config"]
        return [(str(config["bucket"]), str(config["key"]))]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _configured(argv: Sequence[str]) -> tuple[str, str] | None:
    """(bucket, key) an ``init`` names with ``-backend-config=bucket=…`` and ``-backend-config=key=…``."""
    values = dict(
        arg.removeprefix("-backend-config=").split("=", 1)
        for arg in argv
        if arg.startswith("-backend-config=") and "=" in arg.removeprefix("-backend-config=")
    )
    return (values["bucket"], values["key"]) if "bucket" in values and "key" in values else None


def _states_of(argv: Sequence[str], data_dir: str | None) -> list[tuple[str, str]] | None:
    """The S3 states (bucket, key) a Terraform process may lock, or None when that cannot be told.

    Its initialised backend and, for an ``init``, the backend its arguments configure (a ``-reconfigure`` or a
    migration touches both); nothing for ``-backend=false`` or another backend type.
    """
    if "-backend=false" in argv:
        return []
    recorded = _backend(data_dir)
    configured = _configured(argv)
    if configured is None:
        return recorded
    return list({*(recorded or []), configured})


def _data_dir(pid: int, cwd: str | None) -> str | None:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        environ = []
    for item in environ:
        if item.startswith(b"TF_DATA_DIR="):
            value = item.split(b"=", 1)[1].decode("utf-8", "replace")
            return value if Path(value).is_absolute() or not cwd else str(Path(cwd) / value)
    return str(Path(cwd) / ".terraform") if cwd else None


def _matches(cwd: str | None, stack: str, stack_dirs: Sequence[Path], *,
             states: Sequence[tuple[str, str]] | None = None, state: tuple[str, str] | None = None) -> bool:
    if states is not None and state is not None:
        return state in states
    if not cwd:
        return False
    path = Path(cwd)
    with contextlib.suppress(OSError):
        path = path.resolve()
    if any(path == d for d in stack_dirs):
        return True
    return path.as_posix().rstrip("/").endswith("/" + stack.strip("/"))


def _chdir(argv: Sequence[str]) -> str | None:
    for arg in argv:
        if arg.startswith("-chdir="):
            return arg.split("=", 1)[1]
    return None


def _from_records(
    state_dirs: Iterable[Path],
) -> list[tuple[int, str, str | None, list[tuple[str, str]] | None, str | None]]:
    """(pid, command, cwd, states it may lock, boot id) of live recorded workers; stale records are removed."""
    found = []
    for state_dir in state_dirs:
        folder = state_dir / WORKERS_DIR
        if not folder.is_dir():
            continue
        for record in folder.glob("*.json"):
            try:
                data = json.loads(record.read_text(encoding="utf-8"))
                pid = int(data["pid"])
            except (OSError, ValueError, KeyError, TypeError):
                continue
            ticks = data.get("start_ticks") if isinstance(data.get("start_ticks"), int) else None
            boot = data.get("boot_id") if isinstance(data.get("boot_id"), str) else None
            if not same_process(pid, ticks, boot):
                with contextlib.suppress(OSError):
                    record.unlink()  # the worker died without cleaning up (SIGKILL): its record is stale
                continue
            argv = [str(a) for a in data.get("argv") or [] if isinstance(a, str)]
            states = _states_of(argv, data.get("data_dir"))
            found.append((pid, f"terraform {data.get('command', '?')}", data.get("cwd"), states, boot))
    return found


def _terraform_like(argv: Sequence[str], exe: str | None) -> str | None:
    """What to call the process when it runs Terraform (a terraform program or popcornctl's worker), else None."""
    names = [Path(a).name for a in argv[:1]] + ([Path(exe).name] if exe else [])
    if any(n.startswith("terraform-provider-") for n in names):
        return None  # a provider plugin: its terraform is the holder
    if _WORKER_MODULE in argv:
        rest = argv[argv.index(_WORKER_MODULE) + 1 :]
        rest = rest[2:] if rest[:1] == ["--exec"] else rest
        return f"terraform {next((a for a in rest if not a.startswith('-')), '?')} (popcornctl worker)"
    if any(n == "terraform" or n.startswith("terraform_") or n.startswith("terraform-") for n in names):
        return f"terraform {next((a for a in argv[1:] if not a.startswith('-')), '?')}"
    return None


_Row = tuple[int, int, str, str | None, bool, list[tuple[str, str]] | None]


def _from_process_table(uid: int | None) -> list[_Row]:
    """(pid, parent pid, command, cwd or None, cwd readable, states it may lock) of Terraform-like processes
    (Linux only)."""
    proc = Path("/proc")
    found: list[_Row] = []
    if not proc.is_dir():
        return found
    me = os.getpid()
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        pid = int(entry.name)
        try:
            argv = [a.decode("utf-8", "replace") for a in (entry / "cmdline").read_bytes().split(b"\0") if a]
            status = (entry / "status").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        exe: str | None = None
        with contextlib.suppress(OSError):
            exe = str((entry / "exe").readlink())
        command = _terraform_like(argv, exe)
        if command is None:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("State", "").strip().startswith("Z"):
            continue
        try:
            owner = int(fields.get("Uid", "").split()[0])
            ppid = int(fields.get("PPid", "0").strip())
        except (ValueError, IndexError):
            continue
        if uid is not None and owner != uid:
            continue
        cwd: str | None = _chdir(argv)
        readable = True
        if cwd is None:
            try:
                cwd = str((entry / "cwd").readlink())
            except FileNotFoundError:
                continue  # it exited while the table was read
            except OSError:
                readable = False  # another user's process: in doubt, alive
        found.append((pid, ppid, command, cwd, readable, _states_of(argv, _data_dir(pid, cwd))))
    return found


def live_holders(
    lock: HeldLock,
    *,
    stack_dirs: Sequence[Path] = (),
    state_dirs: Sequence[Path] = (),
) -> list[LiveHolder]:
    """Live processes on this machine that may hold ``lock`` (empty when its host is another machine)."""
    if not held_here(lock):
        return []
    dirs = [d.resolve() for d in stack_dirs]
    boot = _boot_time()
    user = _lock_user(lock)
    uid: int | None = None
    if user:
        with contextlib.suppress(KeyError):
            uid = pwd.getpwnam(user).pw_uid
    holders: dict[int, LiveHolder] = {}

    def possible(pid: int) -> bool:
        started = _started(pid, boot)
        return lock.created is None or started is None or started <= lock.created + _SLACK

    state = state_of(lock)
    current_boot = boot_id()
    for pid, command, cwd, states, rec_boot in _from_records(state_dirs):
        ours = _matches(cwd, lock.stack, dirs, states=states, state=state)
        if (rec_boot is None or rec_boot == current_boot) and ours and possible(pid):
            holders[pid] = LiveHolder(pid, command, cwd, "popcornctl worker", _started(pid, boot))
    table = _from_process_table(uid)
    candidates = {
        pid for pid, _, _, cwd, readable, states in table
        if (not readable) or _matches(cwd, lock.stack, dirs, states=states, state=state)
    }
    for pid, ppid, command, cwd, readable, _ in table:
        if pid not in candidates or ppid in candidates or pid in holders or not possible(pid):
            continue  # a terraform under a listed worker is the same run
        shown = cwd if readable else "(working directory unreadable: counted as a holder)"
        holders[pid] = LiveHolder(pid, command, shown, "process table", _started(pid, boot))
    return sorted(holders.values(), key=lambda h: h.pid)
