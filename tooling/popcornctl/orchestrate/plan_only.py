"""``plan``'s steps for one stack: plan only, wait for dependencies never applied, write plan JSON and combined.json.

Plans do not change state, so a stack plans against the current state of its dependencies; a dependency that was
never applied (or whose state lacks what the stack reads) makes it "waiting", not failed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from popcornctl.orchestrate.bootstrap_strategy import BootstrapStrategy
from popcornctl.orchestrate.combined import combine
from popcornctl.orchestrate.failures import REMOTE_STATE_MISSING
from popcornctl.orchestrate.options import RunOptions
from popcornctl.orchestrate.outcome import Outcome, StackStop
from popcornctl.orchestrate.planner import Planner
from popcornctl.orchestrate.run_report import RunReport
from popcornctl.orchestrate.select import Selection
from popcornctl.orchestrate.stack_run import StackRun
from popcornctl.orchestrate.steps import Steps
from popcornctl.orchestrate.summary import never_applied, summarize
from popcornctl.orchestrate.workspace import Workspaces

if TYPE_CHECKING:
    from popcornctl.graph import Stack
    from popcornctl.runtime import Runtime


@dataclass
class PlanOnly:
    """The ``plan`` command's way through a stack, and what it learns about the stacks planned so far."""

    rt: Runtime
    opts: RunOptions
    selection: Selection
    run_dir: Path
    workspaces: Workspaces
    planner: Planner
    steps: Steps
    bootstrap: BootstrapStrategy
    plans: dict[str, dict[str, Any]] = field(default_factory=dict)
    never_applied: set[str] = field(default_factory=set)
    pending_changes: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def plan(self, stack: Stack, run: StackRun) -> None:
        """Plan one stack (waiting when a dependency it reads is not applied yet)."""
        res = run.result
        deps = self.selection.prerequisites[stack.path]
        self._check_dependencies_applied(stack, deps)
        ws = None
        if stack.path == self.rt.config.bootstrap_stack:
            ws = self.bootstrap.plan_workspace(stack, run)
        ws = ws or self.workspaces.for_stack(stack)
        self.planner.init(ws, run)
        try:
            plan = self.steps.plan(ws, run, 1).doc
        except StackStop as stop:
            if not (stop.error and REMOTE_STATE_MISSING.search(stop.error)):
                raise
            pending = sorted(deps & self.pending_changes)
            if pending:
                raise StackStop(
                    Outcome.waiting, f"dependency {pending[0]} has unapplied changes this plan needs"
                ) from None
            raise StackStop(
                Outcome.waiting, "a dependency's state is missing or lacks an output (not applied yet)"
            ) from None
        summary = res.summary = summarize(plan)
        with self._lock:
            self.plans[stack.path] = plan
            if summary.has_changes:
                self.pending_changes.add(stack.path)
            if ws.local is not None or (never_applied(plan) and summary.has_changes):
                self.never_applied.add(stack.path)
        if self.opts.out_dir is not None:
            res.plan_json = self._write_plan_json(stack, plan, res.plan_json)
        res.result = Outcome.planned if summary.has_changes else Outcome.up_to_date
        res.reason = summary.headline() if summary.has_changes else "no changes"

    def _check_dependencies_applied(self, stack: Stack, deps: set[str]) -> None:
        missing = self.selection.missing_outside.get(stack.path)
        if missing:
            raise StackStop(Outcome.waiting, f"dependency {missing[0]} is not applied yet")
        not_applied = sorted(deps & self.never_applied)
        if not_applied:
            raise StackStop(
                Outcome.waiting, f"dependency {not_applied[0]} is not applied yet (plan it after `popcornctl up`)"
            )

    def _write_plan_json(self, stack: Stack, plan: dict[str, Any], in_run_dir: Path | None) -> Path:
        assert self.opts.out_dir is not None
        out = self.opts.out_dir / f"{stack.slug}.json"
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(plan, indent=1), encoding="utf-8")
        except OSError as exc:
            raise StackStop(
                Outcome.failed,
                f"planned, but cannot write {out}: {exc.strerror or exc} (the plan JSON is at {in_run_dir})",
            ) from None
        return out

    def write_combined(self, selection: Selection, runs: Mapping[str, StackRun]) -> tuple[Path, str | None]:
        """``combined.json`` in --out-dir (or the run folder when that fails, with why)."""
        assert self.opts.out_dir is not None
        stacks_meta = []
        for path in selection.stacks:
            r = runs[path].result
            stacks_meta.append(
                {
                    "stack": path,
                    "status": r.result.value,
                    "reason": r.reason,
                    "plan_json": (
                        r.plan_json.name if r.plan_json and r.result in (Outcome.planned, Outcome.up_to_date) else None
                    ),
                }
            )
        plans = {p: self.plans[p] for p in selection.stacks if p in self.plans}
        env = self.rt.config.environment(self.opts.env)
        doc = combine(plans, env=env.name, env_stack=env.stack, stacks=stacks_meta)
        out = self.opts.out_dir / "combined.json"
        text = json.dumps(doc, indent=1)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            fallback = self.run_dir / "combined.json"
            fallback.write_text(text, encoding="utf-8")
            return fallback, f"cannot write {out} ({exc.strerror or exc}); the combined plan is at {fallback}"
        return out, None

    def note_pending(self, report: RunReport) -> None:
        """Say which plans were made against a dependency with unapplied changes."""
        graph = self.rt.graph
        for result in report.stacks:
            pending = sorted(graph.closure([result.stack]) - {result.stack} & self.pending_changes)
            if pending and result.result in (Outcome.planned, Outcome.up_to_date):
                result.notes.append(
                    f"planned against the current state of {', '.join(pending)}, which has unapplied changes"
                )
