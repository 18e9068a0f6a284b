"""The runner behind ``up``, ``plan`` and ``down``: schedules stacks over the graph and runs each one's pipeline.

Per stack (``up``): auto-init when needed (:mod:`.fingerprint`) → ``plan -out`` to a saved plan in the run
folder (``<state dir>/runs/<run id>/``, never in the source tree) → ``show -json`` → policy gate (:mod:`.gate`)
→ change summary (:mod:`.summary`) → confirmation (:mod:`.confirm`) → ``apply`` of exactly that saved plan.
No changes → "up to date", nothing applied. ``down`` plans ``-destroy`` and checks deletion protection
instead of the policy gate; ``plan`` stops after the summary and writes plan JSON.

Scheduling: a stack starts as soon as everything it needs has finished well (not layer by layer), on a
thread pool of ``--parallelism`` workers; each stack's Terraform output is captured and printed as one
block when it finishes. A failed/blocked/declined stack marks its dependents "skipped: dependency X …"
and unrelated stacks go on; ``--fail-fast`` stops starting anything and stops running stacks before their
next apply. Known transient errors are retried (:mod:`.retry`); an apply that fails transiently is
re-planned, re-gated and re-confirmed — a saved plan is never applied twice and never replaced silently.
A state lock held by someone else ends the stack with the locks room's "locked by <who>, <age>" message;
the one exception is a lock the failed command provably left behind itself (the AWS SDK retried its
conditional lock write), which is released through the locks room, audited, and the step re-run.
Bootstrap's local-state phase and migration are in :mod:`.bootstrap`.

Interruptions (docs/RELIABILITY.md): while stacks run, popcornctl handles SIGINT, SIGTERM and SIGHUP itself.
A first Ctrl-C stops starting anything (no new Terraform step; stacks not started are "skipped") and lets the
running Terraform commands finish — they hold state locks; a second Ctrl-C asks each of them to stop gracefully
(one interrupt each: Terraform saves its state and releases its lock); more Ctrl-Cs only say what is still
running, because a second interrupt to Terraform would make it exit without saving. SIGTERM and SIGHUP (a
supervisor stopping the job, a closed terminal) do both steps at once. The report is written either way, and the
run exits 128 + the signal's number. Prompts are asked on the main thread, so a Ctrl-C at ``[y/N]`` is an
answer ("no"), not a hang; end of input (Ctrl-D) is a "no" as well.
Where the run's outputs go (``--report``, ``--out-dir``) is checked before anything runs; the report is always
written to the run folder first, so a destination that fails at the end never loses it.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import queue
import re
import secrets
import shutil
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from popcornctl.common.files import Destination, check_destination, check_folder, write_text
from popcornctl.engine import RUNNING, TerraformFailed, TfResult
from popcornctl.errors import PopcornError
from popcornctl.orchestrate import bootstrap as boot
from popcornctl.orchestrate import fingerprint as fp
from popcornctl.orchestrate.backend import S3StateProbe, StateProbe
from popcornctl.orchestrate.combined import combine
from popcornctl.orchestrate.confirm import ApprovalRequest, AutoApprove, Confirmer
from popcornctl.orchestrate.lockinfo import is_lock_error, lock_message, own_orphaned_lock, release_own_orphan
from popcornctl.orchestrate.outcome import Outcome, StackStop
from popcornctl.orchestrate.policy_gate import GateFunction, GateOutcome, GateStatus, gate_for, policy_gate
from popcornctl.orchestrate.retry import DEFAULT_ATTEMPTS, DEFAULT_DELAY, backoff, classify
from popcornctl.orchestrate.run_report import RetryRecord, RunReport, StackResult
from popcornctl.orchestrate.select import Selection, select
from popcornctl.orchestrate.summary import ChangeSummary, deletion_protected, never_applied, summarize
from popcornctl.orchestrate.view import NullView, RunView

if TYPE_CHECKING:
    from popcornctl.engine import ProcessEngine
    from popcornctl.graph import Stack
    from popcornctl.runtime import Runtime

KEEP_RUNS = 30

# Terraform telling us the working dir needs (re)initialising: init once more and retry.
_NEEDS_INIT = re.compile(
    r"(Backend initialization required|Module not installed|Inconsistent dependency lock file"
    r"|missing or corrupted provider plugins|Required plugins are not installed|please run \"terraform init\")",
    re.IGNORECASE,
)
_BACKEND_CHANGED = re.compile(r"Backend configuration changed", re.IGNORECASE)
_STALE = "Saved plan is stale"
_REMOTE_STATE_MISSING = re.compile(
    r"(Unable to find remote state|No stored state was found for the given workspace|"
    r"Unsupported attribute.{0,400}?terraform_remote_state|This object does not have an attribute named.{0,200}"
    r"?outputs)",
    re.IGNORECASE | re.DOTALL,
)
_ERROR_LINE = re.compile(r"^[│|\s]*Error: (.+)$", re.MULTILINE)


@dataclass
class RunOptions:
    """Everything a run was asked to do (the CLI flags, resolved)."""

    command: str  # up | plan | down
    env: str
    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    include_global: bool = False
    include_bootstrap: bool = False
    parallelism: int | None = None
    fail_fast: bool = False
    auto_approve: bool = False
    allow_destroy: bool = False
    skip_policy: bool = False
    skip_reason: str | None = None
    fail_on: str = "high"
    checkov: bool = True
    attempts: int = DEFAULT_ATTEMPTS
    retry_delay: float = DEFAULT_DELAY
    out_dir: Path | None = None
    report_file: Path | None = None
    lock: bool = True  # False: plans take no state lock (drift's read-only plans never block an apply)

    def as_dict(self) -> dict[str, Any]:
        """The report's ``options``."""
        return {
            "only": list(self.only),
            "exclude": list(self.exclude),
            "targets": list(self.targets),
            "include_global": self.include_global,
            "include_bootstrap": self.include_bootstrap,
            "parallelism": self.parallelism,
            "fail_fast": self.fail_fast,
            "auto_approve": self.auto_approve,
            "allow_destroy": self.allow_destroy,
            "skip_policy": self.skip_policy,
            "skip_policy_reason": self.skip_reason,
            "fail_on": self.fail_on,
            "checkov": self.checkov,
            "attempts": self.attempts,
            "retry_delay": self.retry_delay,
            "out_dir": str(self.out_dir) if self.out_dir else None,
        }


@dataclass
class Workspace:
    """Where and how Terraform runs for one stack in this run."""

    stack: Stack
    workdir: Path
    env: dict[str, str]
    data_dir: Path
    backend: dict[str, str] | None  # -backend-config values; None in bootstrap's local phase
    var_files: list[Path]
    targets: list[str]
    local: boot.LocalPhase | None = None  # set while bootstrap runs on local state

    @property
    def init_key(self) -> dict[str, str]:
        """What the init fingerprint records about the backend."""
        if self.local is not None:
            return {"local": str(self.local.state_file)}
        return dict(self.backend or {})


@dataclass
class _LogEntry:
    step: str
    result: TfResult


@dataclass
class _StackState:
    result: StackResult
    log: list[_LogEntry] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)


# Signals a run handles itself while stacks run (SIGHUP: the terminal went away).
HANDLED_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@dataclass
class _Ask:
    """A confirmation a stack thread needs; asked on the main thread (where Ctrl-C lands)."""

    request: ApprovalRequest
    done: threading.Event = field(default_factory=threading.Event)
    answer: bool = False
    withdrawn: bool = False  # never asked: the run was stopping
    interrupted: str | None = None  # the signal that answered "no" at the prompt
    error: Exception | None = None  # the confirmer failed: raised again in the stack's thread


# Called after approval, right before the saved plan is applied (a seam for tests and audit hooks).
BeforeApply = Callable[[str, Path], None]


def _first_error(output: str) -> str:
    match = _ERROR_LINE.search(output)
    if match:
        return match[1].strip()
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


class Runner:
    """One ``up``/``plan``/``down`` run over the stacks of an environment."""

    def __init__(
        self,
        rt: Runtime,
        options: RunOptions,
        *,
        view: RunView | None = None,
        confirmer: Confirmer | None = None,
        gate: GateFunction | None = None,
        probe: StateProbe | None = None,
        engine: ProcessEngine | None = None,
        before_apply: BeforeApply | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rt = rt
        self.opts = options
        self.view: RunView = view or NullView()
        self.confirmer: Confirmer = confirmer or AutoApprove()
        self.gate: GateFunction = gate or gate_for(rt.root, sandbox=rt.sandbox, base=policy_gate)
        self._probe = probe
        self._engine = engine
        self.before_apply = before_apply
        self.sleep = sleep
        self.config = rt.config
        self.env = self.config.environment(options.env)
        self._states: dict[str, _StackState] = {}
        self._lock = threading.Lock()
        self._confirm_lock = threading.Lock()
        self._init_lock = threading.Lock()
        self._stop = threading.Event()
        self._stop_reason = ""
        self._asks: queue.Queue[_Ask] = queue.Queue()
        self._closing = threading.Event()  # the scheduler is leaving: nobody will answer questions any more
        self._prompting = False
        self._signals: list[int] = []  # received, not yet acted on (appended by the signal handler)
        self._signal_count = 0
        self.interrupted_by: int | None = None  # the first signal that interrupted the run
        self.report_problem: str | None = None  # why --report could not be written (the run folder has it)
        self._report_dest: Destination | None = None
        self._plans: dict[str, dict[str, Any]] = {}
        self._never_applied: set[str] = set()
        self._pending_changes: set[str] = set()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.run_id = f"{stamp}-{options.command}-{options.env}-{secrets.token_hex(2)}"
        self.run_dir = rt.settings.state_dir / "runs" / self.run_id
        self.selection: Selection | None = None

    # -- collaborators ----------------------------------------------------------------------------
    @property
    def engine(self) -> ProcessEngine:
        """The Terraform engine (the runtime's unless injected)."""
        if self._engine is None:
            self._engine = self.rt.engine
        return self._engine

    @property
    def probe(self) -> StateProbe:
        """The backend probe (S3 on the run's target unless injected)."""
        if self._probe is None:
            self._probe = S3StateProbe(self.rt.clients, self.config.backend)
        return self._probe

    @property
    def protected(self) -> bool:
        """True when the run's environment is protected (prod)."""
        return self.env.protected

    # -- the run -----------------------------------------------------------------------------------
    def prepare(self) -> Selection:
        """Select the stacks and check what the run relies on outside itself (usage errors raise)."""
        opts = self.opts
        if opts.skip_policy and not (opts.skip_reason or "").strip():
            raise PopcornError("--skip-policy needs --reason", 'say why, e.g. --skip-policy --reason "hotfix INC-42"')
        if opts.attempts < 1:
            raise PopcornError(f"--retries {opts.attempts} is not a number of attempts", "use 1 or more")
        if opts.parallelism is not None and opts.parallelism < 1:
            raise PopcornError(f"--parallelism {opts.parallelism} is not allowed", "use 1 or more")
        # Where the run's outputs go is checked now: a bad path must not surface after stacks were applied.
        if opts.out_dir is not None:
            opts.out_dir = check_folder(opts.out_dir, flag="--out-dir")
        if opts.report_file is not None:
            self._report_dest = check_destination(opts.report_file, flag="--report", create_parents=True)
        selection = select(
            self.config,
            self.rt.graph,
            opts.command,
            opts.env,
            only=opts.only,
            exclude=opts.exclude,
            targets=opts.targets,
            include_global=opts.include_global,
            include_bootstrap=opts.include_bootstrap,
        )
        if self.rt.target.is_sandbox and self.env.sandbox_var_file:
            env_file = self.rt.graph.stacks[self.env.stack].directory / self.env.sandbox_var_file
            if self.env.stack in selection.stacks and not env_file.is_file():
                raise PopcornError(
                    f"the sandbox variable file {env_file.relative_to(self.rt.root)} does not exist",
                    f"create it (sandbox profile: enable_* toggles) or fix sandbox_var_file of "
                    f"[environments.{self.env.name}] in popcorn.toml",
                )
        selection.check_outside(self.probe, self.config.bootstrap_stack, self.config.backend.bucket)
        if opts.command == "plan":
            # Plans do not change state: a stack whose dependencies are all applied plans at once, in parallel
            # with them; only a dependency that was never applied is waited for (to report "waiting").
            applied: dict[str, bool] = {}
            for stack in selection.stacks:
                prereqs = selection.prerequisites[stack]
                for p in prereqs - applied.keys():
                    applied[p] = self.probe.state(p).applied
                if prereqs and all(applied[p] for p in prereqs):
                    selection.prerequisites[stack] = set()
        self.selection = selection
        return selection

    def run(self) -> RunReport:
        """Run every selected stack; return the report (also written to the run folder)."""
        selection = self.selection or self.prepare()
        started = time.monotonic()
        started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._prune_runs()
        if selection.targets:
            addrs = ", ".join(f"{s}::{a}" for s, v in selection.targets.items() for a in v)
            self.view.note(
                f"warning: targeted run ({addrs}): -target is for exceptions and leaves the rest of the stack "
                f"unreconciled — run a full `popcornctl {self.opts.command} {self.env.name}` afterwards",
                "yellow",
            )
        self.view.start(selection.stacks)
        try:
            self._schedule(selection)
        finally:
            self.view.stop()
        report = RunReport(
            command=self.opts.command,
            env=self.env.name,
            target=self.rt.target.describe(),
            sandbox=self.rt.target.is_sandbox,
            run_id=self.run_id,
            run_dir=self.run_dir,
            started_at=started_at,
            options=self.opts.as_dict(),
            stacks=[self._states[s].result for s in selection.stacks],
            duration=time.monotonic() - started,
            policy_override=(
                {"reason": str(self.opts.skip_reason), "by": _who()}
                if self.opts.skip_policy and self.opts.command == "up"
                else None
            ),
        )
        if self.opts.command == "plan":
            graph = self.rt.graph
            for result in report.stacks:
                pending = sorted(graph.closure([result.stack]) - {result.stack} & self._pending_changes)
                if pending and result.result in (Outcome.planned, Outcome.up_to_date):
                    result.notes.append(
                        f"planned against the current state of {', '.join(pending)}, which has unapplied changes"
                    )
            if self.opts.out_dir is not None:
                report.combined_plan = self._write_combined(selection)
        report.write(self.run_dir / "report.json")  # always: the run folder is the safe copy
        if self.opts.report_file is not None:
            dest = self._report_dest or check_destination(self.opts.report_file, flag="--report", create_parents=True)
            try:
                write_text(dest, report.to_json())
            except PopcornError as exc:
                self.report_problem = f"{exc.problem}; the report is at {self.run_dir / 'report.json'}"
        return report

    def _prune_runs(self) -> None:
        runs = sorted(p for p in self.run_dir.parent.iterdir() if p.is_dir())
        for old in runs[:-KEEP_RUNS]:
            shutil.rmtree(old, ignore_errors=True)

    def _halt(self, reason: str) -> None:
        with self._lock:
            if not self._stop.is_set():
                self._stop_reason = reason
                self._stop.set()

    # -- scheduling --------------------------------------------------------------------------------
    def _schedule(self, selection: Selection) -> None:
        with self._signals_handled():
            try:
                self._schedule_stacks(selection)
            finally:
                self._closing.set()
                self._withdraw_asks()

    @contextlib.contextmanager
    def _signals_handled(self) -> Iterator[None]:
        """Handle SIGINT/SIGTERM/SIGHUP as described in the module docstring (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous: dict[int, Any] = {}
        for sig in HANDLED_SIGNALS:
            with contextlib.suppress(OSError, ValueError):
                previous[sig] = signal.signal(sig, self._on_signal)
        try:
            yield
        finally:
            for sig, handler in previous.items():
                with contextlib.suppress(OSError, ValueError, TypeError):
                    signal.signal(sig, handler)

    def _on_signal(self, signum: int, _frame: object) -> None:
        self._signals.append(signum)  # acted on by the scheduler loop, outside the handler
        if self._prompting:
            raise KeyboardInterrupt  # out of input(): the answer is "no"

    def _schedule_stacks(self, selection: Selection) -> None:
        parallelism = self.opts.parallelism or selection.width()
        pending = list(selection.stacks)
        running: dict[Future[StackResult], str] = {}
        with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="popcorn-stack") as pool:
            while pending or running:
                self._act_on_signals()
                for stack in list(pending):
                    if self._stop.is_set():
                        pending.remove(stack)
                        self._finish_without_running(stack, Outcome.skipped, f"not started: {self._stop_reason}")
                        continue
                    prereqs = selection.prerequisites[stack]
                    active = set(running.values())
                    finished = [p for p in selection.stacks if p in prereqs and p in self._states and p not in active]
                    bad = [p for p in finished if not self._states[p].result.ok]
                    if bad:
                        pending.remove(stack)
                        self._finish_without_running(stack, Outcome.skipped, self._dependency_reason(bad[0]))
                        continue
                    waiting = [p for p in finished if self._states[p].result.result is Outcome.waiting]
                    if waiting and self.opts.command == "plan":
                        pending.remove(stack)
                        self._finish_without_running(
                            stack, Outcome.waiting, f"dependency {waiting[0]} is not applied yet"
                        )
                        continue
                    done = len(finished) == len(prereqs)
                    if done and len(running) < parallelism:
                        pending.remove(stack)
                        self._states[stack] = _StackState(StackResult(stack))
                        running[pool.submit(self._run_stack, stack)] = stack
                if not running:
                    if pending:  # cannot happen with an acyclic graph; never spin
                        for stack in pending:
                            self._finish_without_running(stack, Outcome.skipped, "dependencies could not run")
                        pending.clear()
                    break
                try:
                    completed, _ = wait(list(running), timeout=0.1, return_when=FIRST_COMPLETED)
                    self._serve_asks()
                except KeyboardInterrupt:  # a Ctrl-C that reached us another way than the handler
                    self._signals.append(signal.SIGINT)
                    continue
                for future in completed:
                    stack = running.pop(future)
                    result = future.result()
                    if not result.ok and self.opts.fail_fast:
                        self._halt(f"--fail-fast after {stack} {result.result}")
            self._act_on_signals()

    def _act_on_signals(self) -> None:
        while self._signals:
            self._interrupt(self._signals.pop(0))

    def _interrupt(self, signum: int) -> None:
        """One signal: stop starting work; on the second (or on SIGTERM/SIGHUP) stop Terraform gracefully."""
        name = signal.Signals(signum).name
        self._signal_count += 1
        if self.interrupted_by is None:
            self.interrupted_by = signum
        ctrl_c = "Ctrl-C" if signum == signal.SIGINT else name
        running = RUNNING.snapshot()
        listed = "; ".join(item.describe() for item in running)
        if self._signal_count == 1:
            self._halt(f"interrupted ({ctrl_c})")
            self._withdraw_asks()
        stop_terraform = signum != signal.SIGINT or self._signal_count >= 2
        if not stop_terraform:
            text = f"interrupted ({ctrl_c}): no stack starts a new step"
            if running:
                text += (
                    f"; {len(running)} running Terraform command(s) finish first (they hold state locks): {listed}"
                    " — press Ctrl-C again to stop them gracefully"
                )
            self._say(text)
            return
        asked = RUNNING.interrupt_all()
        if asked:
            self._say(
                f"{'terminated' if signum != signal.SIGINT else 'interrupted again'} ({ctrl_c}): stopping "
                f"{len(asked)} running Terraform command(s) gracefully — one interrupt each: Terraform finishes the "
                f"operation in flight, saves its state and releases its lock; waiting for: "
                + "; ".join(item.describe() for item in asked)
            )
        elif running:
            self._say(
                f"{ctrl_c} received: still waiting for Terraform to save its state and release its lock: {listed} "
                "(popcornctl never interrupts Terraform twice: a second interrupt makes it exit without saving)"
            )
        else:
            self._say(f"{ctrl_c} received: nothing is running any more; writing the report")

    def _say(self, text: str) -> None:
        with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone; the report still gets written
            self.view.note(text, "yellow")

    def _serve_asks(self) -> None:
        """Ask the questions stack threads are waiting on, one at a time, here on the main thread."""
        while True:
            try:
                ask = self._asks.get_nowait()
            except queue.Empty:
                return
            self._answer(ask)

    def _withdraw_asks(self) -> None:
        while True:
            try:
                ask = self._asks.get_nowait()
            except queue.Empty:
                return
            ask.withdrawn = True
            ask.done.set()

    def _answer(self, ask: _Ask) -> None:
        if self._stop.is_set() or self._closing.is_set():
            ask.withdrawn = True
            ask.done.set()
            return
        self._prompting = True
        try:
            with self.view.paused():
                ask.answer = self.confirmer.confirm(ask.request)
        except KeyboardInterrupt:
            ask.answer = False
            signum = self._signals[0] if self._signals else signal.SIGINT
            if not self._signals:
                self._signals.append(signum)
            ask.interrupted = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
            with contextlib.suppress(OSError):
                self.view.note(f"\n{ask.interrupted} at the prompt: {ask.request.stack} not approved", "yellow")
        except Exception as exc:  # the stack's own thread reports it, as when it asked itself
            ask.error = exc
        finally:
            self._prompting = False
            ask.done.set()
        self._act_on_signals()

    def _dependency_reason(self, dep: str) -> str:
        return f"dependency {dep} {self._states[dep].result.result.as_dependency}"

    def _finish_without_running(self, stack: str, result: Outcome, reason: str) -> None:
        self._states[stack] = _StackState(StackResult(stack, result=result, reason=reason))
        self.view.status(stack, result.word, reason)

    # -- one stack ---------------------------------------------------------------------------------
    def _run_stack(self, path: str) -> StackResult:
        state = self._states[path]
        res = state.result
        stack = self.rt.graph.stacks[path]
        try:
            if self.opts.command == "up":
                self._up(stack, state)
            elif self.opts.command == "down":
                self._down(stack, state)
            else:
                self._plan_only(stack, state)
        except StackStop as stop:
            res.result, res.reason, res.error = stop.outcome, stop.reason, stop.error
        except PopcornError as exc:
            res.result, res.reason, res.error = Outcome.failed, exc.line(), exc.detail
        except Exception as exc:  # a bug or an unexpected environment problem: one stack, not the run
            res.result, res.reason = Outcome.failed, f"internal error: {type(exc).__name__}: {exc}"
            if self.rt.settings.verbose:
                import traceback

                res.error = traceback.format_exc()
        res.duration = time.monotonic() - state.started
        self._write_log(stack, state)
        self.view.status(path, res.result.word, res.reason)
        self.view.block(path, self._block_lines(state))
        return res

    def _status(self, ws: Workspace | Stack, status: str, detail: str = "") -> None:
        path = ws.stack.path if isinstance(ws, Workspace) else ws.path
        self.view.status(path, status, detail)

    def _check_stop(self, step: str = "apply") -> None:
        if self._stop.is_set():
            raise StackStop(Outcome.skipped, f"stopped before {step}: {self._stop_reason}")

    # -- workspaces --------------------------------------------------------------------------------
    def _workspace(self, stack: Stack) -> Workspace:
        rt = self.rt
        data_dir = rt.data_dir(stack.slug) or stack.directory / ".terraform"
        var_files: list[Path] = []
        if rt.target.is_sandbox and self.env.sandbox_var_file:
            candidate = stack.directory / self.env.sandbox_var_file
            if candidate.is_file():
                var_files.append(candidate.resolve())
        targets = list((self.selection.targets if self.selection else {}).get(stack.path, []))
        return Workspace(
            stack=stack,
            workdir=stack.directory,
            env={**rt.stack_env(stack.slug), "POPCORN_RESCUE_DIR": str(self.run_dir / "rescued-state")},
            data_dir=data_dir,
            backend=self.config.backend.backend_config(stack.path),
            var_files=var_files,
            targets=targets,
        )

    def _phase(self) -> boot.LocalPhase:
        rt = self.rt
        base = (
            rt.sandbox_manager.data_dir / "bootstrap-local"
            if rt.target.is_sandbox
            else rt.settings.state_dir / "bootstrap-local"
        )
        return boot.LocalPhase(base / self.config.backend.bucket)

    def _local_workspace(self, stack: Stack, phase: boot.LocalPhase) -> Workspace:
        ws = self._workspace(stack)
        phase.base.mkdir(parents=True, exist_ok=True, mode=0o700)
        ws.workdir = boot.build_shadow(self.rt.root, stack.path, phase)
        ws.data_dir = phase.data_dir
        ws.env = {**ws.env, "TF_DATA_DIR": str(phase.data_dir)}
        ws.backend = None
        ws.local = phase
        return ws

    # -- Terraform steps ---------------------------------------------------------------------------
    def _log(self, state: _StackState, step: str, result: TfResult) -> None:
        state.log.append(_LogEntry(step, result))
        if result.rescued_state is not None:
            state.result.notes.append(
                f"{step}: Terraform could not save its state and wrote errored.tfstate; it was moved out of the tree "
                f"to {result.rescued_state} — once the backend is reachable: terraform -chdir="
                f"{state.result.stack} state push {result.rescued_state}"
            )

    def _tf(
        self, ws: Workspace, state: _StackState, step: str, call: Callable[[], TfResult], *, stoppable: bool = True
    ) -> TfResult:
        """Run a Terraform step, retrying known transient errors with backoff.

        A stopping run starts no new step (``stoppable``); a state migration, once its stack was applied, is
        finished instead (stopping there would leave bootstrap's state split between two places).
        """
        attempts = self.opts.attempts
        for attempt in range(1, attempts + 1):
            if stoppable:
                self._check_stop(step)
            started = datetime.now(UTC)
            result = call()
            self._log(state, step, result)
            if result.ok:
                return result
            if step == "plan" and attempt < attempts and self._recover_own_lock(ws, state, step, result, started):
                continue
            transient = classify(result.output)
            if transient is None or attempt == attempts:
                return result
            wait_s = backoff(attempt, self.opts.retry_delay)
            state.result.retries.append(RetryRecord(step, attempt, transient.name, wait_s))
            self._status(ws, step, f"retry {attempt + 1}/{attempts} in {wait_s:.0f}s: {transient.name}")
            self.sleep(wait_s)
        raise AssertionError("unreachable")

    def _failure(self, ws: Workspace, step: str, result: TfResult) -> StackStop:
        """The stack-ending error for a failed Terraform step, in words a user can act on."""
        output = result.output
        if result.interrupted:
            saved = (
                f"it could not save its state, which is at {result.rescued_state}"
                if result.rescued_state
                else "it saves what it applied and releases its lock"
            )
            return StackStop(
                Outcome.failed,
                f"interrupted: terraform {step} was stopped gracefully ({self._stop_reason or 'interrupted'}); "
                f"{saved} — run `popcornctl {self.opts.command} {self.env.name}` again to finish",
                output,
            )
        if is_lock_error(output):
            err = lock_message(
                output,
                stack=ws.stack.path,
                clients=self._clients_or_none(),
                backend=self.config.backend,
                sandbox=self.rt.target.is_sandbox,
            )
            if err is not None:
                return StackStop(Outcome.failed, err.line(), output)
        if _STALE in output:
            return StackStop(
                Outcome.failed,
                "the saved plan is stale: the state changed after it was planned and gated, so Terraform refused "
                "it and nothing was applied — run `popcornctl up` again to plan and review the new state",
                output,
            )
        if step == "init" and _BACKEND_CHANGED.search(output):
            return StackStop(
                Outcome.failed,
                f"the backend of {ws.stack.path} changed since it was initialised — decide explicitly: "
                f"`terraform -chdir={ws.stack.path} init -migrate-state` to move the state, or -reconfigure to "
                "abandon the old backend",
                output,
            )
        transient = classify(output)
        suffix = f" (transient: {transient.name}; gave up after {self.opts.attempts} attempts)" if transient else ""
        return StackStop(Outcome.failed, f"terraform {step} failed: {_first_error(output)}{suffix}", output)

    def _recover_own_lock(
        self, ws: Workspace, state: _StackState, step: str, result: TfResult, started: datetime
    ) -> bool:
        """Release a lock the failed command provably left behind itself (see lockinfo); True to retry."""
        if not is_lock_error(result.output):
            return False
        clients = self._clients_or_none()
        if clients is None:
            return False
        operation = "plan" if step == "plan" else "apply"
        orphan = own_orphaned_lock(
            result.output,
            stack=ws.stack.path,
            operation=operation,
            started=started,
            finished=datetime.now(UTC),
            clients=clients,
            backend=self.config.backend,
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
            state.result.retries.append(RetryRecord(step, len(state.result.retries) + 1, "own-orphaned-lock", 0.0))
            state.result.notes.append(
                f"{step}: Terraform's lock write was retried by the AWS SDK and collided with itself; its own "
                f"orphaned lock {orphan.lock_id} was released (recorded in the unlock audit) and the step re-run"
            )
        return released

    def _clients_or_none(self) -> Any:
        try:
            return self.rt.clients
        except PopcornError:
            return None

    def _init(self, ws: Workspace, state: _StackState, *, force: bool = False) -> None:
        before = fp.fingerprint(ws.workdir, backend=ws.init_key)
        if not force and ws.data_dir.is_dir() and fp.is_current(ws.data_dir, before):
            return
        self._status(ws, "init")
        # Terraform's plugin cache is not safe for concurrent writers: one init at a time.
        with self._init_lock:
            result = self._tf(
                ws, state, "init", lambda: self.engine.init(ws.workdir, backend_config=ws.backend, env=ws.env)
            )
        if not result.ok:
            raise self._failure(ws, "init", result)
        fp.record(ws.data_dir, fp.fingerprint(ws.workdir, backend=ws.init_key))

    def _plan(self, ws: Workspace, state: _StackState, attempt: int, *, destroy: bool = False) -> dict[str, Any]:
        self._status(ws, "plan", f"attempt {attempt}" if attempt > 1 else "")
        slug = ws.stack.slug
        plan_file = self.run_dir / (f"{slug}.tfplan" if attempt == 1 else f"{slug}.{attempt}.tfplan")

        def call() -> TfResult:
            if not self.opts.lock:  # only then: engines written before `lock` existed keep working
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

        result = self._tf(ws, state, "plan", call)
        if not result.ok and _NEEDS_INIT.search(result.output):
            self._init(ws, state, force=True)
            result = self._tf(ws, state, "plan", call)
        if not result.ok:
            raise self._failure(ws, "plan", result)
        try:
            plan = self.engine.show_json(ws.workdir, plan_file, env=ws.env)
        except TerraformFailed as exc:
            self._log(state, "show", exc.result)
            raise self._failure(ws, "show", exc.result) from None
        plan_json = self.run_dir / f"{slug}.json"
        plan_json.write_text(json.dumps(plan, indent=1), encoding="utf-8")
        state.result.plan_file = plan_file
        state.result.plan_json = plan_json
        return plan

    def _gate(self, ws: Workspace, state: _StackState, plan: Mapping[str, Any]) -> GateOutcome:
        if self.opts.skip_policy:
            return GateOutcome(status=GateStatus.skipped, reason=self.opts.skip_reason, fail_on=self.opts.fail_on)
        self._status(ws, "gate")
        return self.gate(
            plan, ws.stack.directory, self.env.name, self.opts.checkov, state.result.plan_json, self.opts.fail_on
        )

    def _confirm(self, ws: Workspace, state: _StackState, summary: ChangeSummary, action: str, attempt: int) -> bool:
        plan_file = state.result.plan_file
        assert plan_file is not None
        request = ApprovalRequest(
            stack=ws.stack.path,
            env=self.env.name,
            action=action,
            summary=summary,
            typed=self.env.name if self.protected and (action == "destroy" or not self.opts.auto_approve) else None,
            plan_file=plan_file,
            workdir=ws.workdir,
            attempt=attempt,
        )
        if isinstance(self.confirmer, AutoApprove):
            return True
        with self._confirm_lock:
            self._check_stop()
            self._status(ws, "waiting for approval")
            ask = _Ask(request)
            if threading.current_thread() is threading.main_thread():
                self._answer(ask)
            else:
                self._asks.put(ask)
                while not ask.done.wait(0.2):
                    if self._closing.is_set():
                        self._withdraw_asks()
            if ask.error is not None:
                raise ask.error
            if ask.withdrawn:
                raise StackStop(Outcome.skipped, f"not asked: {self._stop_reason or 'the run is ending'}")
            if ask.interrupted:
                raise StackStop(Outcome.declined, f"{action} not approved ({ask.interrupted} at the prompt)")
            return ask.answer

    def _converge(self, ws: Workspace, state: _StackState, *, destroy: bool) -> None:
        """Plan → (gate) → summary → confirm → apply the saved plan; re-plan only after a transient apply error."""
        res = state.result
        action = "destroy" if destroy else "apply"
        for attempt in range(1, self.opts.attempts + 1):
            plan = self._plan(ws, state, attempt, destroy=destroy)
            summary = summarize(plan)
            res.summary = summary
            if not summary.has_changes:
                raise StackStop(Outcome.up_to_date, "nothing to destroy" if destroy else "no changes")
            if destroy:
                res.policy = GateOutcome(
                    status=GateStatus.not_run, reason="destroy: the typed confirmation is the gate"
                )
                protected = deletion_protected(plan)
                if protected:
                    where = "; ".join(f"{a} ({attr} is on)" for a, attr, _ in protected[:5])
                    fixes = sorted({fix for _, _, fix in protected})
                    raise StackStop(
                        Outcome.blocked,
                        f"deletion protection is on: {where} — set {', '.join(fixes)} in {ws.stack.path} "
                        f"(the environment's variables), apply that with `popcornctl up {self.env.name}`, then run "
                        "down again",
                    )
            else:
                gate = self._gate(ws, state, plan)
                res.policy = gate
                if gate.stops:
                    if gate.status is GateStatus.unavailable:
                        raise StackStop(
                            Outcome.blocked,
                            f"policy gate could not run: {gate.reason} — fix it, or "
                            '--skip-policy --reason "..." (recorded)',
                        )
                    worst = ", ".join(f"{f.policy} {f.severity} {f.address}" for f in gate.blocking[:3])
                    raise StackStop(
                        Outcome.blocked,
                        f"policy gate: {len(gate.blocking)} finding(s) at or above {gate.fail_on} ({worst}) — fix "
                        'them, waive them in policies/waivers.toml, or --skip-policy --reason "..."',
                    )
            if summary.destroys and self.protected and not self.opts.allow_destroy:
                raise StackStop(
                    Outcome.blocked,
                    f"the plan destroys {summary.destroys} resource(s) in protected environment {self.env.name} "
                    f"({', '.join((summary.stateful_losses or summary.replacements or summary.deletions)[:3])}) — "
                    "review it and rerun with --allow-destroy",
                )
            if not self._confirm(ws, state, summary, action, attempt):
                raise StackStop(Outcome.declined, f"{action} not approved")
            self._check_stop()
            plan_file = res.plan_file
            assert plan_file is not None
            if self.before_apply is not None:
                self.before_apply(ws.stack.path, plan_file)
            self._status(ws, "destroy" if destroy else "apply", summary.counts())
            for _ in range(2):  # the same saved plan again only when its lock attempt was all that failed
                started = datetime.now(UTC)
                result = self.engine.apply(ws.workdir, plan_file, env=ws.env)
                self._log(state, "destroy" if destroy else "apply", result)
                if result.ok or not self._recover_own_lock(ws, state, action, result, started):
                    break
            if result.ok:
                res.result = Outcome.destroyed if destroy else Outcome.applied
                res.reason = summary.headline()
                if attempt > 1:
                    res.reason += f" (after {attempt - 1} retr{'y' if attempt == 2 else 'ies'})"
                return
            transient = classify(result.output)
            if transient is None or attempt == self.opts.attempts:
                raise self._failure(ws, action, result)
            wait_s = backoff(attempt, self.opts.retry_delay)
            res.retries.append(RetryRecord(action, attempt, transient.name, wait_s))
            self._status(ws, action, f"retry {attempt + 1}/{self.opts.attempts} in {wait_s:.0f}s: {transient.name}")
            self.sleep(wait_s)
        raise AssertionError("unreachable")

    # -- up ----------------------------------------------------------------------------------------
    def _up(self, stack: Stack, state: _StackState) -> None:
        ws = self._prepare_bootstrap(stack, state) if stack.path == self.config.bootstrap_stack else None
        ws = ws or self._workspace(stack)
        self._init(ws, state)
        try:
            self._converge(ws, state, destroy=False)
        except StackStop as stop:
            if stop.outcome is Outcome.up_to_date and ws.local is not None:
                state.result.result, state.result.reason = Outcome.up_to_date, stop.reason
                self._migrate(stack, ws.local, state)
                return
            raise
        if ws.local is not None:
            self._migrate(stack, ws.local, state)

    def _prepare_bootstrap(self, stack: Stack, state: _StackState) -> Workspace | None:
        """Local phase when the bucket does not exist (or local state is authoritative); resume a migration."""
        phase = self._phase()
        res = state.result
        if phase.authoritative or not self.probe.bucket_exists():
            why = (
                "its local state is authoritative since `down --include-bootstrap`"
                if phase.authoritative
                else f"the state bucket {self.config.backend.bucket!r} does not exist yet"
            )
            res.notes.append(f"bootstrap runs on local state ({why}); its state is migrated into the bucket after")
            return self._local_workspace(stack, phase)
        remote = self.probe.state(stack.path)
        if phase.has_state() and not remote.exists:
            res.notes.append("resuming an interrupted bootstrap: migrating its local state into the bucket first")
            self._migrate(stack, phase, state)
        elif phase.state_file.exists() and remote.exists:
            archived = phase.archive()
            phase.clean_workspace()
            res.notes.append(f"bootstrap already uses remote state; set aside a leftover local copy ({archived})")
        return None

    def _migrate(self, stack: Stack, phase: boot.LocalPhase, state: _StackState) -> None:
        """Move bootstrap's local state into the bucket it created (``init -migrate-state -force-copy``)."""
        local_ws = self._local_workspace(stack, phase)
        self._init(local_ws, state)  # the local phase's data dir must record the local backend
        if not self.probe.bucket_exists():
            raise StackStop(
                Outcome.failed,
                f"bootstrap is applied but the state bucket {self.config.backend.bucket!r} does not exist — "
                "[backend] bucket in popcorn.toml must name the bucket bootstrap creates",
            )
        self._status(stack, "migrate state")
        backend = self.config.backend.backend_config(stack.path)
        env = {k: v for k, v in self.rt.stack_env(stack.slug).items() if k != "TF_DATA_DIR"}
        result = self._tf(
            local_ws,
            state,
            "migrate state",
            lambda: boot.migrate_to_remote(self.engine, stack.directory, phase, backend, env),
            stoppable=False,
        )
        if not result.ok:
            raise self._failure(local_ws, "init -migrate-state", result)
        if not self.probe.state(stack.path).exists:
            raise StackStop(
                Outcome.failed,
                "the migration reported success but bootstrap's state is not in the bucket",
                result.output,
            )
        archived = phase.archive()
        phase.clean_workspace()
        phase.marker.unlink(missing_ok=True)
        key = self.config.backend.key_for(stack.path)
        state.result.notes.append(
            f"state migrated from local to s3://{self.config.backend.bucket}/{key} (local copy kept at {archived})"
        )

    # -- down --------------------------------------------------------------------------------------
    def _down(self, stack: Stack, state: _StackState) -> None:
        if stack.path != self.config.bootstrap_stack:
            ws = self._workspace(stack)
            self._init(ws, state)
            self._converge(ws, state, destroy=True)
            return
        phase = self._phase()
        made_local = False
        if not phase.authoritative:
            if not self.probe.bucket_exists():
                if not phase.has_state():
                    raise StackStop(Outcome.up_to_date, "nothing to destroy: the state bucket does not exist")
            else:
                ws = self._local_workspace(stack, phase)
                self._status(stack, "migrate state", "remote → local")
                phase.archive()
                env = {k: v for k, v in self.rt.stack_env(stack.slug).items() if k != "TF_DATA_DIR"}
                backend = self.config.backend.backend_config(stack.path)
                result = self._tf(
                    ws,
                    state,
                    "migrate state",
                    lambda: boot.migrate_to_local(self.engine, stack.directory, ws.workdir, phase, backend, env),
                )
                if not result.ok:
                    raise self._failure(ws, "init -migrate-state", result)
                fp.record(phase.data_dir, fp.fingerprint(ws.workdir, backend=ws.init_key))
                phase.marker.write_text("bootstrap state is local: written by popcornctl down\n", encoding="utf-8")
                made_local = True
        ws = self._local_workspace(stack, phase)
        self._init(ws, state)
        try:
            self._converge(ws, state, destroy=True)
        except StackStop as stop:
            if made_local and stop.outcome in (Outcome.blocked, Outcome.declined, Outcome.up_to_date, Outcome.skipped):
                # Nothing was destroyed: the bucket's state is still the truth; drop the local copy.
                phase.state_file.unlink(missing_ok=True)
                phase.marker.unlink(missing_ok=True)
                phase.clean_workspace()
            elif stop.outcome is Outcome.failed:
                state.result.notes.append(
                    f"bootstrap's state now lives locally at {phase.state_file}; the next `up` migrates it back"
                )
            raise
        if self.probe.bucket_exists():
            # The bucket outlived the destroy (not managed by bootstrap, or kept): the copy of bootstrap's
            # state in it must not keep claiming the destroyed resources. Push the (empty) local state back.
            backend = self.config.backend.backend_config(stack.path)
            env = {k: v for k, v in self.rt.stack_env(stack.slug).items() if k != "TF_DATA_DIR"}
            result = self._tf(
                ws,
                state,
                "migrate state",
                lambda: boot.migrate_to_remote(self.engine, stack.directory, phase, backend, env),
            )
            if not result.ok:
                raise self._failure(ws, "init -migrate-state", result)
        archived = phase.archive()
        phase.marker.unlink(missing_ok=True)
        phase.clean_workspace()
        state.result.notes.append(f"bootstrap destroyed; its last (empty) state is kept at {archived}")

    # -- plan --------------------------------------------------------------------------------------
    def _plan_only(self, stack: Stack, state: _StackState) -> None:
        res = state.result
        assert self.selection is not None
        missing = self.selection.missing_outside.get(stack.path)
        if missing:
            raise StackStop(Outcome.waiting, f"dependency {missing[0]} is not applied yet")
        deps = self.selection.prerequisites[stack.path]
        not_applied = sorted(deps & self._never_applied)
        if not_applied:
            raise StackStop(
                Outcome.waiting, f"dependency {not_applied[0]} is not applied yet (plan it after `popcornctl up`)"
            )
        ws: Workspace | None = None
        if stack.path == self.config.bootstrap_stack:
            phase = self._phase()
            if phase.authoritative or not self.probe.bucket_exists():
                ws = self._local_workspace(stack, phase)
                res.notes.append("planned on local state: the state bucket does not exist yet (`up` creates it)")
        ws = ws or self._workspace(stack)
        self._init(ws, state)
        try:
            plan = self._plan(ws, state, 1)
        except StackStop as stop:
            pending = sorted(deps & self._pending_changes)
            if pending and stop.error and _REMOTE_STATE_MISSING.search(stop.error):
                raise StackStop(
                    Outcome.waiting, f"dependency {pending[0]} has unapplied changes this plan needs"
                ) from None
            if stop.error and _REMOTE_STATE_MISSING.search(stop.error):
                raise StackStop(
                    Outcome.waiting, "a dependency's state is missing or lacks an output (not applied yet)"
                ) from None
            raise
        summary = summarize(plan)
        res.summary = summary
        with self._lock:
            self._plans[stack.path] = plan
            if summary.has_changes:
                self._pending_changes.add(stack.path)
            if ws.local is not None or (never_applied(plan) and summary.has_changes):
                self._never_applied.add(stack.path)
        if self.opts.out_dir is not None:
            out = self.opts.out_dir / f"{stack.slug}.json"
            try:
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(json.dumps(plan, indent=1), encoding="utf-8")
            except OSError as exc:
                raise StackStop(
                    Outcome.failed,
                    f"planned, but cannot write {out}: {exc.strerror or exc} (the plan JSON is at {res.plan_json})",
                ) from None
            res.plan_json = out
        res.result = Outcome.planned if summary.has_changes else Outcome.up_to_date
        res.reason = summary.headline() if summary.has_changes else "no changes"

    def _write_combined(self, selection: Selection) -> Path:
        assert self.opts.out_dir is not None
        stacks_meta = []
        for path in selection.stacks:
            r = self._states[path].result
            stacks_meta.append(
                {
                    "stack": path,
                    "status": r.result,
                    "reason": r.reason,
                    "plan_json": r.plan_json.name
                    if r.plan_json and r.result in (Outcome.planned, Outcome.up_to_date)
                    else None,
                }
            )
        plans = {p: self._plans[p] for p in selection.stacks if p in self._plans}
        doc = combine(plans, env=self.env.name, env_stack=self.env.stack, stacks=stacks_meta)
        out = self.opts.out_dir / "combined.json"
        text = json.dumps(doc, indent=1)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            fallback = self.run_dir / "combined.json"
            fallback.write_text(text, encoding="utf-8")
            self.report_problem = f"cannot write {out} ({exc.strerror or exc}); the combined plan is at {fallback}"
            return fallback
        return out

    # -- output ------------------------------------------------------------------------------------
    def _write_log(self, stack: Stack, state: _StackState) -> None:
        if not state.log:
            return
        path = self.run_dir / f"{stack.slug}.log"
        with path.open("w", encoding="utf-8") as handle:
            for entry in state.log:
                r = entry.result
                handle.write(
                    f"$ terraform {' '.join(r.argv)}   # {entry.step}, exit {r.returncode}, "
                    f"{r.seconds:.1f}s\n{r.output}\n\n"
                )
        state.result.log_file = path

    def _block_lines(self, state: _StackState) -> list[tuple[str, str]]:
        res = state.result
        lines: list[tuple[str, str]] = [(res.result.style, f"{res.result.label}: {res.reason}")]
        for note in res.notes:
            lines.append(("cyan", f"note: {note}"))
        for retry in res.retries:
            lines.append(
                (
                    "yellow",
                    f"retried {retry.step} after attempt {retry.attempt}: {retry.error} "
                    f"(waited {retry.waited_seconds:.0f}s)",
                )
            )
        if res.summary and res.summary.has_changes:
            lines.append(("", f"plan: {res.summary.headline()}"))
            lines.extend(res.summary.lines(limit=20))
        if res.policy and res.policy.findings:
            for finding in res.policy.findings[:10]:
                lines.append(
                    (
                        "red" if finding in res.policy.blocking else "yellow",
                        f"  policy {finding.policy} [{finding.severity}] {finding.address}: {finding.title}",
                    )
                )
        if self.rt.settings.verbose:
            for entry in state.log:
                lines.append(("dim", f"$ terraform {' '.join(entry.result.argv)}"))
                lines.extend(("", f"  {line}") for line in entry.result.output.splitlines())
        elif res.error and not res.ok:
            lines.extend(("", f"  {line}") for line in res.error.strip().splitlines()[-60:])
        if res.log_file:
            lines.append(("dim", f"full Terraform output: {res.log_file}"))
        return lines


def terminal_is_interactive() -> bool:
    """True when a person can answer prompts (stdin and stdout are terminals)."""
    return os.isatty(0) and os.isatty(1)
