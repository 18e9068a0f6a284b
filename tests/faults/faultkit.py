"""A small fault-injection kit for popcornctl: run it as a user does, then hurt it the way a bad day does.

Reusable by any command's tests:

- :func:`spawn` / :class:`Popcornctl` — popcornctl as a child process (pipes or a pseudo-terminal), in a process
  group of its own: :meth:`~Popcornctl.signal` (Ctrl-C, SIGTERM, SIGHUP to the process), :meth:`~Popcornctl.kill_tree`
  (SIGKILL to its whole group: a closed terminal, ``kill -9``, an OOM kill), :meth:`~Popcornctl.press` (keys on
  the terminal: ``CTRL_C``, ``CTRL_D``), :meth:`~Popcornctl.wait_for` (text in the output).
- :func:`descendants` / :func:`survivors` — every process a command started (workers run in sessions of their own,
  so they are not in its group), and which of them are still alive later.
- :class:`Emulator` — a sandbox emulator process of the test's own that can be stalled (SIGSTOP), resumed or
  killed; :func:`backend` creates the state bucket and lock table on it.
- Output destinations that are not plain files: :func:`fifo_reader` (a named pipe with a reader),
  :func:`char_device_like_dev_full` (a private device node that behaves like ``/dev/full``: never the real one),
  :func:`read_only_mount` (a read-only file system, in a private mount namespace).
- :func:`tiny_repo` — a repository with one slow stack on the S3 backend; :func:`edit_config` — a popcorn.toml
  with one change (typos, wrong types) for configuration faults.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import boto3

REPO = Path(__file__).resolve().parents[2]
REGION = "ap-northeast-2"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
CTRL_C = b"\x03"
CTRL_D = b"\x04"


# -- popcornctl as a user runs it --------------------------------------------------------------------------
@dataclass
class Popcornctl:
    """A running popcornctl (``python -m popcornctl ARGS``) leading its own process group."""

    proc: subprocess.Popen[bytes]
    master: int | None = None  # the pty's controlling side, when run on a terminal
    raw: bytearray = field(default_factory=bytearray)
    _reader: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _start_reading(self) -> None:
        def pump() -> None:
            fd = self.master if self.master is not None else self.proc.stdout.fileno()  # type: ignore[union-attr]
            while True:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # a pty reads EIO once the child is gone
                    return
                if not chunk:
                    return
                with self._lock:
                    self.raw.extend(chunk)

        self._reader = threading.Thread(target=pump, daemon=True)
        self._reader.start()

    @property
    def text(self) -> str:
        """Everything printed so far, escape codes removed."""
        with self._lock:
            data = bytes(self.raw)
        return ANSI.sub("", data.decode("utf-8", "replace")).replace("\r", "")

    def wait_for(self, pattern: str, timeout: float = 120.0) -> re.Match[str]:
        """Wait until ``pattern`` (a regex) appears in the output; fail with the output so far if it does not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.text)
            if match:
                return match
            if self.proc.poll() is not None:
                time.sleep(0.3)
                match = re.search(pattern, self.text)
                if match:
                    return match
                raise AssertionError(f"popcornctl exited {self.proc.returncode} before {pattern!r}:\n{self.text}")
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} within {timeout:.0f}s:\n{self.text}")

    def press(self, keys: bytes) -> None:
        """Type on the terminal (the tty driver turns CTRL_C into SIGINT for the foreground group)."""
        assert self.master is not None, "press() needs spawn(..., tty=True)"
        os.write(self.master, keys)

    def signal(self, sig: int) -> None:
        """Send ``sig`` to popcornctl itself (not its workers: they are in sessions of their own)."""
        os.kill(self.pid, sig)

    def kill_tree(self) -> None:
        """SIGKILL popcornctl's whole process group, as a closed terminal or ``kill -9 -PGID`` would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def wait(self, timeout: float = 120.0) -> int:
        """Its exit code; fail (after killing it) if it does not exit in time."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"popcornctl did not exit within {timeout:.0f}s:\n{self.text}") from None
        if self._reader is not None:
            self._reader.join(timeout=5)
        return code

    def stop(self) -> None:
        """End it and everything it started (teardown): graceful first, then SIGKILL by pid."""
        tree = descendants(self.pid)
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        reap(tree, grace=60)
        if self.master is not None:
            with contextlib.suppress(OSError):
                os.close(self.master)
            self.master = None


def spawn(args: list[str], *, tty: bool = False, env: dict[str, str] | None = None, cwd: Path | None = None) -> Popcornctl:
    """Start ``popcornctl ARGS`` in a new session (its own process group); on a pty when ``tty``."""
    environment = {**os.environ, "COLUMNS": "160", "LINES": "40", **(env or {})}
    environment.pop("NO_COLOR", None)
    argv = [sys.executable, "-m", "popcornctl", *args]
    if tty:
        environment["TERM"] = "xterm-256color"
        master, slave = os.openpty()

        def controlling_tty() -> None:  # the pty becomes the controlling terminal: Ctrl-C makes SIGINT
            import fcntl
            import termios

            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=environment, cwd=cwd,
                                start_new_session=True, preexec_fn=controlling_tty)  # noqa: PLW1509
        os.close(slave)
        runner = Popcornctl(proc, master=master)
    else:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=environment, cwd=cwd, start_new_session=True)
        runner = Popcornctl(proc)
    runner._start_reading()
    return runner


# -- processes ------------------------------------------------------------------------------------------
def _ppid(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("PPid:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def descendants(pid: int) -> dict[int, str]:
    """Every live descendant of ``pid`` (any session), pid -> command line."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = _ppid(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found: dict[int, str] = {}
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        if child in found:
            continue
        found[child] = cmdline(child)
        todo.extend(children.get(child, []))
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def survivors(tree: dict[int, str], *, within: float = 0.0) -> dict[int, str]:
    """Which processes of ``tree`` (same pid, same command) are still alive, waiting up to ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        alive = {pid: cmd for pid, cmd in tree.items() if _alive(pid) and cmdline(pid) == cmd}
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.2)


def terraform_in(tree: dict[int, str]) -> dict[int, str]:
    """The Terraform processes of a tree: popcornctl workers, terraform binaries, provider plugins."""
    return {pid: cmd for pid, cmd in tree.items() if "engine._worker" in cmd or "terraform" in cmd.split(" ")[0]}


def reap(tree: dict[int, str], *, grace: float = 30.0) -> None:
    """Teardown: whatever of ``tree`` is still alive after ``grace`` seconds is SIGKILLed, by pid."""
    for pid in survivors(tree, within=grace):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


# -- the emulator -----------------------------------------------------------------------------------------
class Emulator:
    """The test's own sandbox emulator process (``popcornctl sandbox`` in the test's state dir)."""

    def __init__(self, state_dir: Path) -> None:
        from popcornctl.sandbox import Sandbox

        self.sandbox = Sandbox(state_dir)
        self.info = self.sandbox.start()

    @property
    def endpoint(self) -> str:
        return self.info.endpoint

    def stall(self) -> None:
        """Freeze it: connections open, nothing answers (a hung endpoint)."""
        os.kill(self.info.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.info.pid, signal.SIGCONT)

    def kill(self) -> None:
        """Kill it: the endpoint is gone (connection refused)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.info.pid, signal.SIGCONT)
            os.kill(self.info.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(self.info.pid, 0)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.info.pid, signal.SIGCONT)
        self.sandbox.stop()


@dataclass(frozen=True)
class Backend:
    bucket: str
    table: str
    endpoint: str

    def client(self, service: str):  # type: ignore[no-untyped-def]
        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def locks(self) -> list[dict[str, str]]:
        """Every lock held: DynamoDB items (not digests) and S3 lockfiles, as Info dicts with a "where"."""
        found = []
        for item in self.client("dynamodb").scan(TableName=self.table, ConsistentRead=True).get("Items", []):
            if "Info" in item:
                found.append({**json.loads(item["Info"]["S"]), "where": "dynamodb"})
        s3 = self.client("s3")
        for obj in s3.list_objects_v2(Bucket=self.bucket).get("Contents", []):
            if obj["Key"].endswith(".tflock"):
                found.append({**json.loads(s3.get_object(Bucket=self.bucket, Key=obj["Key"])["Body"].read()),
                              "where": "s3"})
        return found


def backend(endpoint: str) -> Backend:
    """A state bucket and lock table with names of their own on the emulator at ``endpoint``."""
    suffix = uuid.uuid4().hex[:8]
    made = Backend(f"faults-state-{suffix}", f"faults-locks-{suffix}", endpoint)
    made.client("s3").create_bucket(Bucket=made.bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    made.client("dynamodb").create_table(
        TableName=made.table, KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )
    return made


# -- repositories -------------------------------------------------------------------------------------------
SLOW_STACK = """
terraform {{
  backend "s3" {{}}
}}

resource "terraform_data" "slow" {{
  input = "{value}"
  provisioner "local-exec" {{
    command = "touch '{marker}' && sleep {sleep}"
  }}
}}
"""


def tiny_repo(root: Path, made: Backend, *, sleep: int = 30, marker: Path | None = None, value: str = "v1") -> Path:
    """popcorn.toml + envs/dev: one ``terraform_data`` whose provisioner touches ``marker`` then sleeps."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "popcorn.toml").write_text(textwrap.dedent(f"""
        [project]
        name = "faults"
        region = "{REGION}"

        [backend]
        bucket = "{made.bucket}"
        lock_table = "{made.table}"
        use_lockfile = true
        encrypt = true
        bootstrap_stack = "bootstrap"

        [environments.dev]
        stack = "envs/dev"
        """))
    stack = root / "envs" / "dev"
    stack.mkdir(parents=True, exist_ok=True)
    mark = marker or root.parent / "apply-started"
    (stack / "main.tf").write_text(SLOW_STACK.format(value=value, marker=mark, sleep=sleep))
    return root


def edit_config(root: Path, old: str, new: str) -> Path:
    """popcorn.toml with ``old`` replaced by ``new`` (a typo'd key, a wrong type); fails if ``old`` is absent."""
    path = root / "popcorn.toml"
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1))
    return path


def wait_for_file(path: Path, proc: Popcornctl | None = None, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc is not None and proc.proc.poll() is not None:
            raise AssertionError(f"popcornctl exited {proc.proc.returncode} before {path} appeared:\n{proc.text}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear within {timeout:.0f}s" + (f":\n{proc.text}" if proc else ""))
        time.sleep(0.1)


# -- output destinations that are not plain files ------------------------------------------------------------
@contextlib.contextmanager
def fifo_reader(path: Path) -> Iterator[list[bytes]]:
    """A named pipe at ``path`` with a reader collecting what is written to it (joined on exit)."""
    os.mkfifo(path)
    received: list[bytes] = []

    def read() -> None:
        with path.open("rb") as pipe:  # blocks until a writer opens it
            received.append(pipe.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield received
    finally:
        if reader.is_alive():  # nobody wrote: open it once so the reader returns
            with contextlib.suppress(OSError):
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
                os.close(fd)
        reader.join(timeout=10)


def char_device_like_dev_full(path: Path) -> Path | None:
    """A private character device with /dev/full's numbers (writes fail with ENOSPC); None if mknod is not allowed.

    Tests never point popcornctl at the real /dev/full: a regression would replace it for the whole machine.
    """
    full = Path("/dev/full").stat()
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, full.st_rdev)
    except (PermissionError, OSError):
        return None
    return path


def read_only_mount(directory: Path, argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str] | None:
    """Run ``argv`` with a read-only file system mounted on ``directory`` (a private mount namespace).

    None when this machine does not allow it (no ``unshare``, or no permission for a mount namespace).
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    prefix = [unshare, "-m"] if os.geteuid() == 0 else [unshare, "-rm"]
    script = 'mount -t tmpfs -o ro tmpfs "$0" && exec "$@"'
    probe = subprocess.run([*prefix, "sh", "-c", script, str(directory), "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        return None
    return subprocess.run([*prefix, "sh", "-c", script, str(directory), *argv], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=False)
