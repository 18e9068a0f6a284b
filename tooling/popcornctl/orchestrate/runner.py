"""The runner behind ``up``, ``plan`` and ``down``: schedules stacks over the graph and runs each one's steps.

Per stack (``up``): init when needed → plan to a saved plan in the run folder (``<state dir>/runs/<run id>/``,
never in the source tree) → policy gate → confirmation → apply of exactly that saved plan (:mod:`.steps`, with the
Terraform steps of :mod:`.planner`). ``down`` plans ``-destroy`` and checks deletion protection instead of the
policy gate; ``plan`` stops after the plan and writes plan JSON. Bootstrap runs through its own strategy
(:mod:`.bootstrap_strategy`: local state, then migration into the bucket it creates).

Scheduling (:mod:`.schedule`): a stack starts as soon as everything it needs has finished well, on a thread pool
of ``--parallelism`` workers; each stack's Terraform output is captured and printed as one block when it
finishes. A failed/blocked/declined stack marks its dependents "skipped: dependency X …" and unrelated stacks go
on; ``--fail-fast`` stops starting anything and stops running stacks before their next apply. Known transient
errors are retried (:mod:`.retry`). A state lock held by someone else ends the stack with the locks room's
"locked by <who>, <age>" message. Interruptions are handled by :mod:`.control`; the report is written either
way, and the run exits 128 + the signal's number.

Where the run's outputs go (``--report``, ``--out-dir``) is checked before anything runs; the report is always
written to the run folder first, so a destination that fails at the end never loses it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from popcornctl.common.files import Destination, check_destination, check_folder, write_text
from popcornctl.common.identity import local_user
from popcornctl.errors import PopcornError
from popcornctl.orchestrate import bootstrap as boot
from popcornctl.orchestrate.backend import S3StateProbe, StateProbe
from popcornctl.orchestrate.bootstrap_strategy import BootstrapStrategy, local_phase
from popcornctl.orchestrate.confirm import Confirmer
from popcornctl.orchestrate.control import RunControl
from popcornctl.orchestrate.options import RunOptions
from popcornctl.orchestrate.outcome import Outcome, StackStop
from popcornctl.orchestrate.plan_only import PlanOnly
from popcornctl.orchestrate.planner import Planner
from popcornctl.orchestrate.policy_gate import GateFunction, gate_for, policy_gate
from popcornctl.orchestrate.run_report import RunReport, StackResult
from popcornctl.orchestrate.schedule import Scheduler
from popcornctl.orchestrate.select import Selection, select
from popcornctl.orchestrate.stack_run import StackRun
from popcornctl.orchestrate.steps import BeforeApply, Steps
from popcornctl.orchestrate.view import RunView
from popcornctl.orchestrate.workspace import Workspaces

if TYPE_CHECKING:
    from popcornctl.engine import ProcessEngine
    from popcornctl.graph import Stack
    from popcornctl.runtime import Runtime

__all__ = ["RunOptions", "Runner", "terminal_is_interactive"]

KEEP_RUNS = 30


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
        self.control = RunControl(view, confirmer)
        self.view: RunView = self.control.view
        self.gate: GateFunction = gate or gate_for(rt.root, sandbox=rt.sandbox, base=policy_gate)
        self._probe = probe
        self._engine = engine
        self.before_apply = before_apply
        self.sleep = sleep
        self.config = rt.config
        self.env = self.config.environment(options.env)
        self._runs: dict[str, StackRun] = {}
        self.report_problem: str | None = None  # why --report could not be written (the run folder has it)
        self._report_dest: Destination | None = None
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
    def interrupted_by(self) -> int | None:
        """The first signal that interrupted the run."""
        return self.control.interrupted_by

    def _phase(self) -> boot.LocalPhase:
        """Bootstrap's local phase for this run's target (tests look at it)."""
        return local_phase(self.rt)

    def _collaborators(self) -> tuple[Workspaces, Planner, Steps, BootstrapStrategy]:
        workspaces = Workspaces(self.rt, self.env, self.run_dir, self.selection.targets if self.selection else {})
        planner = Planner(
            self.rt,
            self.engine,
            self.opts.retry_policy(self.sleep),
            command=self.opts.command,
            env=self.env.name,
            lock=self.opts.lock,
            control=self.control,
            status=self.view.status,
        )
        steps = Steps(planner, self.opts, self.env, self.run_dir, self.gate, lambda: self.before_apply)
        return workspaces, planner, steps, BootstrapStrategy(self.rt, self.probe, workspaces, planner, steps)

    # -- the run -----------------------------------------------------------------------------------
    def prepare(self) -> Selection:
        """Select the stacks and check what the run relies on outside itself (usage errors raise)."""
        opts = self.opts
        self._check_options()
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
            self._plan_alongside_applied(selection)
        self.selection = selection
        return selection

    def _check_options(self) -> None:
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

    def _plan_alongside_applied(self, selection: Selection) -> None:
        """Plans do not change state: a stack whose dependencies are all applied plans at once, in parallel
        with them; only a dependency that was never applied is waited for (to report "waiting")."""
        applied: dict[str, bool] = {}
        for stack in selection.stacks:
            prereqs = selection.prerequisites[stack]
            for p in prereqs - applied.keys():
                applied[p] = self.probe.state(p).applied
            if prereqs and all(applied[p] for p in prereqs):
                selection.prerequisites[stack] = set()

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
            stacks=[self._runs[s].result for s in selection.stacks],
            duration=time.monotonic() - started,
            policy_override=(
                {"reason": str(self.opts.skip_reason), "by": local_user()}
                if self.opts.skip_policy and self.opts.command == "up"
                else None
            ),
        )
        if self.opts.command == "plan":
            self._plan_only.note_pending(report)
            if self.opts.out_dir is not None:
                report.combined_plan, self.report_problem = self._plan_only.write_combined(selection, self._runs)
        self._write_report(report)
        return report

    def _write_report(self, report: RunReport) -> None:
        report.write(self.run_dir / "report.json")  # always: the run folder is the safe copy
        if self.opts.report_file is not None:
            dest = self._report_dest or check_destination(self.opts.report_file, flag="--report", create_parents=True)
            try:
                write_text(dest, report.to_json())
            except PopcornError as exc:
                self.report_problem = f"{exc.problem}; the report is at {self.run_dir / 'report.json'}"

    def _prune_runs(self) -> None:
        runs = sorted(p for p in self.run_dir.parent.iterdir() if p.is_dir())
        for old in runs[:-KEEP_RUNS]:
            shutil.rmtree(old, ignore_errors=True)

    # -- scheduling (the scheduler's StackWork) ------------------------------------------------------
    def _schedule(self, selection: Selection) -> None:
        self._workspaces, self._planner, self._steps, self._bootstrap = self._collaborators()
        self._plan_only = PlanOnly(
            self.rt, self.opts, selection, self.run_dir, self._workspaces, self._planner, self._steps, self._bootstrap
        )
        scheduler = Scheduler(selection.stacks, selection.prerequisites, self.opts.parallelism or selection.width())
        with self.control.signals_handled():
            try:
                scheduler.run(self)
            finally:
                self.control.close()

    def verdict(self, stack: str, finished: list[str]) -> tuple[Outcome, str] | None:
        """Skipped when the run stops or a dependency did not end well; waiting (plan) behind a waiting one."""
        if self.control.stopping:
            return Outcome.skipped, f"not started: {self.control.stop_reason}"
        bad = [p for p in finished if not self._runs[p].result.ok]
        if bad:
            return Outcome.skipped, f"dependency {bad[0]} {self._runs[bad[0]].result.result.as_dependency}"
        waiting = [p for p in finished if self._runs[p].result.result is Outcome.waiting]
        if waiting and self.opts.command == "plan":
            return Outcome.waiting, f"dependency {waiting[0]} is not applied yet"
        return None

    def skip(self, stack: str, outcome: Outcome, reason: str) -> None:
        """A stack that ends without running."""
        self._runs[stack] = StackRun(StackResult(stack, result=outcome, reason=reason))
        self.view.status(stack, outcome.word, reason)

    def started(self, stack: str) -> None:
        """A stack is handed to a worker."""
        self._runs[stack] = StackRun(StackResult(stack))

    def finished(self, stack: str, ok: bool) -> None:
        """``--fail-fast``: the first stack that did not end well stops the run."""
        if not ok and self.opts.fail_fast:
            self.control.halt(f"--fail-fast after {stack} {self._runs[stack].result.result}")

    def tick(self) -> None:
        """Act on signals; ask the questions stack threads wait on."""
        self.control.act_on_signals()
        self.control.serve_asks()

    def interrupted(self) -> None:
        """A Ctrl-C that reached the main thread as an exception."""
        import signal

        self.control.received(signal.SIGINT)

    # -- one stack ---------------------------------------------------------------------------------
    def run_stack(self, path: str) -> bool:
        """Run one stack's steps (on a worker thread); True when it ended well."""
        run = self._runs[path]
        res = run.result
        stack = self.rt.graph.stacks[path]
        try:
            self._steps_of(stack, run)
        except StackStop as stop:
            res.result, res.reason, res.error = stop.outcome, stop.reason, stop.error
        except PopcornError as exc:
            res.result, res.reason, res.error = Outcome.failed, exc.line(), exc.detail
        except Exception as exc:  # a bug or an unexpected environment problem: one stack, not the run
            res.result, res.reason = Outcome.failed, f"internal error: {type(exc).__name__}: {exc}"
            if self.rt.settings.verbose:
                import traceback

                res.error = traceback.format_exc()
        res.duration = time.monotonic() - run.started
        run.write_log(self.run_dir, stack.slug)
        self.view.status(path, res.result.word, res.reason)
        self.view.block(path, run.block_lines(verbose=self.rt.settings.verbose))
        return res.ok

    def _steps_of(self, stack: Stack, run: StackRun) -> None:
        command = self.opts.command
        bootstrap = stack.path == self.config.bootstrap_stack
        if command == "plan":
            self._plan_only.plan(stack, run)
        elif bootstrap:
            (self._bootstrap.up if command == "up" else self._bootstrap.down)(stack, run)
        else:
            ws = self._workspaces.for_stack(stack)
            self._planner.init(ws, run)
            self._steps.converge(ws, run, destroy=command == "down")


def terminal_is_interactive() -> bool:
    """True when a person can answer prompts (stdin and stdout are terminals)."""
    return os.isatty(0) and os.isatty(1)
