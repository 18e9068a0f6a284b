"""The :class:`Planner`: init + plan + ``show -json`` for one stack, and every Terraform step's retries.

Used by ``up``/``plan``/``down`` (each stack of a run), by ``policy-check --env`` (the environment's stack) and,
through ``plan``, by ``drift``. A step is retried on the known transient errors of :mod:`.retry`; a state lock the
failed command provably left behind itself (the AWS SDK retried its conditional lock write) is released through
the locks room, audited, and the step re-run; any other failure ends the stack with :mod:`.failures`' message.
Init runs only when the stack's init fingerprint changed (:mod:`.fingerprint`), one at a time (Terraform's plugin
cache is not safe for concurrent writers).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from popcornctl.engine import TerraformFailed, TfResult
from popcornctl.errors import PopcornError
from popcornctl.orchestrate import fingerprint as fp
from popcornctl.orchestrate.control import RunControl
from popcornctl.orchestrate.failures import NEEDS_INIT, FailureContext, describe_failure
from popcornctl.orchestrate.lockinfo import is_lock_error, lock_message, own_orphaned_lock, release_own_orphan
from popcornctl.orchestrate.outcome import StackStop
from popcornctl.orchestrate.retry import RetryPolicy, TransientError, retry
from popcornctl.orchestrate.run_report import RetryRecord
from popcornctl.orchestrate.stack_run import StackRun
from popcornctl.orchestrate.workspace import Workspace

if TYPE_CHECKING:
    from popcornctl.engine import ProcessEngine
    from popcornctl.runtime import Runtime

# (stack, status, detail): a stack moved to a step; the run's view shows it.
Status = Callable[[str, str, str], None]


def _no_status(stack: str, status: str, detail: str) -> None:
    """Nobody watches (policy-check plans one stack, with its own line on stderr)."""


@dataclass(frozen=True)
class Plan:
    """One stack's saved plan and its ``show -json`` document (also written next to it)."""

    doc: dict[str, Any]
    plan_file: Path
    plan_json: Path


@dataclass
class Planner:
    """Terraform steps for one stack at a time: init, plan + show, and the retry loop around each."""

    rt: Runtime
    engine: ProcessEngine
    retry_policy: RetryPolicy
    command: str  # named in "run `popcornctl <command> <env>` again"
    env: str
    lock: bool = True  # False: plans take no state lock
    control: RunControl = field(default_factory=RunControl)
    status: Status = _no_status
    init_lock: threading.Lock = field(default_factory=threading.Lock)

    # -- steps ---------------------------------------------------------------------------------------
    def step(
        self, ws: Workspace, run: StackRun, step: str, call: Callable[[], TfResult], *, stoppable: bool = True
    ) -> TfResult:
        """Run a Terraform step, retrying known transient errors with backoff.

        A stopping run starts no new step (``stoppable``); a state migration, once its stack was applied, is
        finished instead (stopping there would leave bootstrap's state split between two places).
        """
        started = datetime.now(UTC)

        def attempt(_number: int) -> TfResult:
            nonlocal started
            if stoppable:
                self.control.check_stop(step)
            started = datetime.now(UTC)
            result = call()
            run.record(step, result)
            return result

        def recover(result: TfResult) -> bool:
            return step == "plan" and self.recover_own_lock(ws, run, step, result, started)

        return retry(attempt, self.retry_policy, on_retry=self.on_retry(ws, run, step), recover=recover)

    def on_retry(self, ws: Workspace, run: StackRun, step: str) -> Callable[[int, TransientError, float], None]:
        """Record a retry of ``step`` and show it."""

        def told(attempt: int, transient: TransientError, waited: float) -> None:
            run.retried(step, attempt, transient, waited)
            self.status(
                ws.stack.path,
                step,
                f"retry {attempt + 1}/{self.retry_policy.attempts} in {waited:.0f}s: {transient.name}",
            )

        return told

    def failure(self, ws: Workspace, step: str, result: TfResult) -> StackStop:
        """The stack-ending error for a failed Terraform step, in words a user can act on."""
        ctx = FailureContext(
            command=self.command,
            env=self.env,
            attempts=self.retry_policy.attempts,
            stop_reason=lambda: self.control.stop_reason,
            lock_line=self._lock_line,
        )
        return describe_failure(ctx, ws.stack.path, step, result)

    def _lock_line(self, output: str, stack: str) -> str | None:
        if not is_lock_error(output):
            return None
        err = lock_message(
            output,
            stack=stack,
            clients=self._clients_or_none(),
            backend=self.rt.config.backend,
            sandbox=self.rt.target.is_sandbox,
        )
        return None if err is None else err.line()

    def recover_own_lock(self, ws: Workspace, run: StackRun, step: str, result: TfResult, started: datetime) -> bool:
        """Release a lock the failed command provably left behind itself (see lockinfo); True to retry."""
        if not is_lock_error(result.output):
            return False
        clients = self._clients_or_none()
        if clients is None:
            return False
        orphan = own_orphaned_lock(
            result.output,
            stack=ws.stack.path,
            operation="plan" if step == "plan" else "apply",
            started=started,
            finished=datetime.now(UTC),
            clients=clients,
            backend=self.rt.config.backend,
        )
        if orphan is None:
            return False
        try:
            released = release_own_orphan(
                clients, orphan, state_dir=self.rt.settings.state_dir, target=self.rt.target.describe()
            )
        except PopcornError:
            return False
        if released:
            res = run.result
            res.retries.append(RetryRecord(step, len(res.retries) + 1, "own-orphaned-lock", 0.0))
            res.notes.append(
                f"{step}: Terraform's lock write was retried by the AWS SDK and collided with itself; its own "
                f"orphaned lock {orphan.lock_id} was released (recorded in the unlock audit) and the step re-run"
            )
        return released

    def _clients_or_none(self) -> Any:
        try:
            return self.rt.clients
        except PopcornError:
            return None

    # -- init and plan -------------------------------------------------------------------------------
    def init(self, ws: Workspace, run: StackRun, *, force: bool = False) -> None:
        """``terraform init`` when the stack's fingerprint changed (or ``force``)."""
        before = fp.fingerprint(ws.workdir, backend=ws.init_key)
        if not force and ws.data_dir.is_dir() and fp.is_current(ws.data_dir, before):
            return
        self.status(ws.stack.path, "init", "")
        # Terraform's plugin cache is not safe for concurrent writers: one init at a time.
        with self.init_lock:
            result = self.step(
                ws, run, "init", lambda: self.engine.init(ws.workdir, backend_config=ws.backend, env=ws.env)
            )
        if not result.ok:
            raise self.failure(ws, "init", result)
        fp.record(ws.data_dir, fp.fingerprint(ws.workdir, backend=ws.init_key))

    def plan(
        self, ws: Workspace, run: StackRun, plan_file: Path, plan_json: Path, *, destroy: bool = False, attempt: int = 1
    ) -> Plan:
        """Plan to ``plan_file`` and write its ``show -json`` to ``plan_json`` (re-initialising when Terraform
        asks for it); the result records both files."""
        self.status(ws.stack.path, "plan", f"attempt {attempt}" if attempt > 1 else "")

        def call() -> TfResult:
            if not self.lock:  # only then: engines written before `lock` existed keep working
                return self.engine.plan(
                    ws.workdir,
                    plan_file,
                    var_files=ws.var_files,
                    targets=ws.targets,
                    destroy=destroy,
                    env=ws.env,
                    lock=False,
                )
            return self.engine.plan(
                ws.workdir, plan_file, var_files=ws.var_files, targets=ws.targets, destroy=destroy, env=ws.env
            )

        result = self.step(ws, run, "plan", call)
        if not result.ok and NEEDS_INIT.search(result.output):
            self.init(ws, run, force=True)
            result = self.step(ws, run, "plan", call)
        if not result.ok:
            raise self.failure(ws, "plan", result)
        try:
            doc = self.engine.show_json(ws.workdir, plan_file, env=ws.env)
        except TerraformFailed as exc:
            run.record("show", exc.result)
            raise self.failure(ws, "show", exc.result) from None
        plan_json.write_text(json.dumps(doc, indent=1), encoding="utf-8")
        run.result.plan_file = plan_file
        run.result.plan_json = plan_json
        return Plan(doc, plan_file, plan_json)

    def plan_stack(self, ws: Workspace, run: StackRun, plan_file: Path, plan_json: Path) -> Plan:
        """Init (when needed), then plan one stack: what ``policy-check --env`` asks for."""
        self.init(ws, run)
        return self.plan(ws, run, plan_file, plan_json)


def plan_one_stack(
    rt: Runtime,
    env_name: str,
    stack_path: str,
    out_dir: Path,
    name: str,
    *,
    command: str,
    retry_policy: RetryPolicy | None = None,
) -> Plan:
    """Init + plan + ``show -json`` of one stack outside a run (``policy-check --env``), with the same workspace,
    retries and failure messages as ``plan``; the saved plan and its JSON are ``out_dir/<name>.tfplan|.json``.

    The stacks it depends on must already be applied (their remote state is read). Failures raise PopcornError.
    """
    from popcornctl.graph import Stack
    from popcornctl.orchestrate.run_report import StackResult
    from popcornctl.orchestrate.workspace import Workspaces

    environment = rt.config.environment(env_name)
    stack = Stack(path=stack_path, directory=rt.root / stack_path)
    ws = Workspaces(rt, environment, out_dir, {}).for_stack(stack)
    planner = Planner(rt, rt.engine, retry_policy or RetryPolicy(), command=command, env=env_name)
    run = StackRun(StackResult(stack_path))
    try:
        return planner.plan_stack(ws, run, out_dir / f"{name}.tfplan", out_dir / f"{name}.json")
    except StackStop as stop:
        raise PopcornError(f"{stack_path}: {stop.reason}", detail=stop.error) from None
