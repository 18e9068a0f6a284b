"""One stack's way to a converged state, as explicit steps: plan → gate → confirm → apply.

``up`` plans to a saved plan in the run folder, gates it with the policies (:mod:`.policy_gate`), summarises it
(:mod:`.summary`), asks (:mod:`.confirm`) and applies exactly that saved plan. ``down`` plans ``-destroy`` and
checks deletion protection instead of the policy gate. No changes → "up to date", nothing applied. An apply
that fails transiently is re-planned, re-gated and re-confirmed (:func:`.retry.retry`) — a saved plan is never
applied twice and never replaced silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from popcornctl.orchestrate.confirm import ApprovalRequest
from popcornctl.orchestrate.outcome import Outcome, StackStop
from popcornctl.orchestrate.planner import Plan, Planner
from popcornctl.orchestrate.policy_gate import GateFunction, GateOutcome, GateStatus
from popcornctl.orchestrate.retry import retry
from popcornctl.orchestrate.stack_run import StackRun
from popcornctl.orchestrate.summary import ChangeSummary, deletion_protected, summarize
from popcornctl.orchestrate.workspace import Workspace

if TYPE_CHECKING:
    from popcornctl.config import Environment
    from popcornctl.engine import TfResult
    from popcornctl.orchestrate.options import RunOptions

# Called after approval, right before the saved plan is applied (a seam for tests and audit hooks).
BeforeApply = Callable[[str, Path], None]


@dataclass
class Steps:
    """The steps of ``up`` and ``down`` for one stack at a time."""

    planner: Planner
    opts: RunOptions
    env: Environment
    run_dir: Path
    gate_function: GateFunction
    before_apply: Callable[[], BeforeApply | None]  # read at apply time: a test may set it on the runner late

    def plan(self, ws: Workspace, run: StackRun, attempt: int, *, destroy: bool = False) -> Plan:
        """Plan to the run folder (``<slug>.tfplan``; ``<slug>.<n>.tfplan`` for a re-plan)."""
        slug = ws.stack.slug
        plan_file = self.run_dir / (f"{slug}.tfplan" if attempt == 1 else f"{slug}.{attempt}.tfplan")
        return self.planner.plan(ws, run, plan_file, self.run_dir / f"{slug}.json", destroy=destroy, attempt=attempt)

    def gate(self, ws: Workspace, run: StackRun, plan: Mapping[str, Any]) -> GateOutcome:
        """The policy gate on ``plan`` (or its recorded skip); StackStop when it blocks."""
        opts = self.opts
        if opts.skip_policy:
            return GateOutcome(status=GateStatus.skipped, reason=opts.skip_reason, fail_on=opts.fail_on)
        self.planner.status(ws.stack.path, "gate", "")
        gate = self.gate_function(
            plan, ws.stack.directory, self.env.name, opts.checkov, run.result.plan_json, opts.fail_on
        )
        run.result.policy = gate
        if gate.status is GateStatus.unavailable:
            raise StackStop(
                Outcome.blocked,
                f'policy gate could not run: {gate.reason} — fix it, or --skip-policy --reason "..." (recorded)',
            )
        if gate.stops:
            worst = ", ".join(f"{f.policy} {f.severity} {f.address}" for f in gate.blocking[:3])
            raise StackStop(
                Outcome.blocked,
                f"policy gate: {len(gate.blocking)} finding(s) at or above {gate.fail_on} ({worst}) — fix "
                'them, waive them in policies/waivers.toml, or --skip-policy --reason "..."',
            )
        return gate

    def protect(self, ws: Workspace, run: StackRun, plan: Mapping[str, Any]) -> GateOutcome:
        """``down``'s gate: deletion protection must be off for everything the plan destroys."""
        outcome = run.result.policy = GateOutcome(
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
        return outcome

    def confirm(self, ws: Workspace, run: StackRun, summary: ChangeSummary, action: str, attempt: int) -> None:
        """Ask for approval (protected environments: destroys need --allow-destroy, and the name typed)."""
        opts = self.opts
        if summary.destroys and self.env.protected and not opts.allow_destroy:
            raise StackStop(
                Outcome.blocked,
                f"the plan destroys {summary.destroys} resource(s) in protected environment {self.env.name} "
                f"({', '.join((summary.stateful_losses or summary.replacements or summary.deletions)[:3])}) — "
                "review it and rerun with --allow-destroy",
            )
        plan_file = run.result.plan_file
        assert plan_file is not None
        request = ApprovalRequest(
            stack=ws.stack.path,
            env=self.env.name,
            action=action,
            summary=summary,
            typed=self.env.name if self.env.protected and (action == "destroy" or not opts.auto_approve) else None,
            plan_file=plan_file,
            workdir=ws.workdir,
            attempt=attempt,
        )
        if not self.planner.control.ask(request):
            raise StackStop(Outcome.declined, f"{action} not approved")

    def apply(self, ws: Workspace, run: StackRun, action: str, summary: ChangeSummary) -> TfResult:
        """Apply the approved saved plan (once more only when its lock attempt was all that failed)."""
        self.planner.control.check_stop()
        plan_file = run.result.plan_file
        assert plan_file is not None
        hook = self.before_apply()
        if hook is not None:
            hook(ws.stack.path, plan_file)
        self.planner.status(ws.stack.path, action, summary.counts())
        engine = self.planner.engine
        started = datetime.now(UTC)
        result = engine.apply(ws.workdir, plan_file, env=ws.env)
        run.record(action, result)
        if not result.ok and self.planner.recover_own_lock(ws, run, action, result, started):
            result = engine.apply(ws.workdir, plan_file, env=ws.env)
            run.record(action, result)
        return result

    def converge(self, ws: Workspace, run: StackRun, *, destroy: bool) -> None:
        """Plan → gate → confirm → apply; re-plan only after a transient apply error."""
        action = "destroy" if destroy else "apply"
        res = run.result
        tried = 0

        def attempt(number: int) -> TfResult:
            nonlocal tried
            tried = number
            plan = self.plan(ws, run, number, destroy=destroy)
            summary = res.summary = summarize(plan.doc)
            if not summary.has_changes:
                raise StackStop(Outcome.up_to_date, "nothing to destroy" if destroy else "no changes")
            res.policy = self.protect(ws, run, plan.doc) if destroy else self.gate(ws, run, plan.doc)
            self.confirm(ws, run, summary, action, number)
            return self.apply(ws, run, action, summary)

        result = retry(attempt, self.planner.retry_policy, on_retry=self.planner.on_retry(ws, run, action))
        if not result.ok:
            raise self.planner.failure(ws, action, result)
        assert res.summary is not None
        res.result = Outcome.destroyed if destroy else Outcome.applied
        res.reason = res.summary.headline()
        if tried > 1:
            res.reason += f" (after {tried - 1} retr{'y' if tried == 2 else 'ies'})"
