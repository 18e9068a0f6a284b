"""One ``popcornctl drift ENV`` scan: the stacks' plans and the unmanaged inventory side by side, then the report.

- Plans come from the orchestrate room through :func:`plan_stacks`, the one place this room asks it for anything:
  the environment's stacks as ``plan`` selects them (bootstrap and global included, ``--only``/``--exclude``),
  in parallel along the stack graph, each a normal plan with refresh and ``-lock=false``. A plan never writes
  state; without a lock it also never waits for, nor blocks, an apply running at the same time, and a read-only
  role (no ``s3:PutObject`` for the lockfile, no DynamoDB writes) can run it. The price: a scan that overlaps an
  apply may see that apply half done, which the next scan corrects.
- The inventory (:mod:`popcornctl.drift.inventory`) needs only the stored states and AWS, so it runs on its own
  thread while Terraform plans: the scan takes about as long as the slowest stack's plan.
- Then each plan is analysed (:mod:`.analysis`), ``[[drift.ignore]]`` rules are applied (:mod:`.ignore`) and,
  when asked, CloudTrail names who changed what (:mod:`.cloudtrail`).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from popcornctl.drift.analysis import analyse, count_resources
from popcornctl.drift.ignore import apply_rules
from popcornctl.drift.model import DriftReport, Inventory, StackDrift
from popcornctl.errors import PopcornError

if TYPE_CHECKING:
    from popcornctl.runtime import Runtime


@dataclass(frozen=True)
class DriftOptions:
    """What a scan was asked to do (the CLI flags, resolved)."""

    env: str
    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    parallelism: int | None = None
    attempts: int = 3
    retry_delay: float = 5.0
    unmanaged: bool = True
    cloudtrail: bool = True

    def as_dict(self) -> dict[str, Any]:
        """The report's ``options``."""
        return {"only": list(self.only), "exclude": list(self.exclude), "parallelism": self.parallelism,
                "attempts": self.attempts, "unmanaged": self.unmanaged, "cloudtrail": self.cloudtrail,
                "state_lock": False}


@dataclass
class PlannedStack:
    """One stack's plan, as the orchestrate room reported it."""

    stack: str
    result: str  # planned | up_to_date | waiting | failed | skipped | ...
    reason: str
    plan: dict[str, Any] | None = None
    plan_json: Path | None = None
    log_file: Path | None = None
    error: str | None = None
    duration: float = 0.0


@dataclass
class PlanRun:
    """Selected stacks (usage errors already raised) and the call that plans them."""

    stacks: list[str]
    run: Callable[[], list[PlannedStack]]
    run_dir: Path | None = None


class ProgressLines:
    """The orchestrate room's view for a scan: a line on stderr when a stack starts planning and when it ends.

    The plans' own change summaries are not shown: the drift report says what they mean.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self._lock = threading.Lock()

    def _line(self, text: str) -> None:
        with self._lock:
            self.stream.write(f"{time.monotonic() - self.started:7.1f}s  {text}\n")
            self.stream.flush()

    def start(self, stacks: list[str]) -> None:
        """Nothing to show yet."""

    def status(self, stack: str, status: str, detail: str = "") -> None:
        """A stack's step (init, plan) or its end."""
        word = {"planned": "planned", "up to date": "planned", "done": "planned"}.get(status, status)
        self._line(f"{stack}: {word}" + (f" — {detail}" if detail and word not in ("planned", "plan") else ""))

    def block(self, stack: str, lines: list[tuple[str, str]]) -> None:
        """Not shown (see the class docstring)."""

    def note(self, text: str, style: str = "") -> None:
        """A run-level message."""
        self._line(text)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Nothing is ever asked."""
        yield

    def stop(self) -> None:
        """Nothing to tear down."""


def plan_stacks(rt: Runtime, options: DriftOptions, view: Any) -> PlanRun:
    """Select ENV's stacks and return the call that plans them: the one use of :mod:`popcornctl.orchestrate`."""
    from popcornctl.orchestrate import Runner, RunOptions

    runner = Runner(
        rt,
        RunOptions(command="plan", env=options.env, only=options.only, exclude=options.exclude,
                   parallelism=options.parallelism, attempts=options.attempts, retry_delay=options.retry_delay,
                   lock=False),
        view=view,
    )
    selection = runner.prepare()

    def run() -> list[PlannedStack]:
        report = runner.run()
        out = []
        for result in report.stacks:
            plan = None
            if result.result in ("planned", "up_to_date") and result.plan_json is not None:
                plan = json.loads(result.plan_json.read_text(encoding="utf-8"))
            out.append(PlannedStack(
                stack=result.stack, result=result.result, reason=result.reason, plan=plan,
                plan_json=result.plan_json, log_file=result.log_file, error=result.error, duration=result.duration,
            ))
        return out

    return PlanRun(stacks=list(selection.stacks), run=run, run_dir=runner.run_dir)


def describe(drift: StackDrift) -> str:
    """One line: what a checked stack holds (``2 changed, 1 pending``, or ``no drift``)."""
    counted = [f.kind for f in drift.findings if f.counted]
    parts = [f"{counted.count(k)} {k}" for k in ("changed", "deleted", "pending") if k in counted]
    informational = sum(1 for f in drift.findings if f.informational)
    if informational:
        parts.append(f"{informational} informational")
    return ", ".join(parts) if parts else "no drift"


def _stack_drift(planned: PlannedStack) -> StackDrift:
    drift = StackDrift(stack=planned.stack, reason=planned.reason, duration=planned.duration,
                       plan_json=str(planned.plan_json) if planned.plan_json else None,
                       log_file=str(planned.log_file) if planned.log_file else None)
    if planned.plan is not None:
        drift.resources = count_resources(planned.plan)
        if drift.resources == 0:
            drift.status = "not_applied"
            drift.reason = "never applied: nothing in AWS to compare (popcornctl up creates it)"
            return drift
        drift.status, drift.findings = "checked", analyse(planned.plan, planned.stack)
        drift.reason = describe(drift)
        return drift
    if planned.result == "waiting":
        drift.status = "not_applied"
    elif planned.result == "failed":
        drift.status, drift.error = "failed", planned.error
    else:
        drift.status = "skipped"
    return drift


def _take_inventory(rt: Runtime, stacks: list[str], env: str) -> Inventory:
    from popcornctl.aws import Clients
    from popcornctl.drift.inventory import take_inventory
    from popcornctl.drift.state import read_states

    clients = Clients(rt.target)  # its own boto3 session: the plans' backend probe uses the runtime's
    try:
        states = read_states(clients, rt.config.backend, list(rt.graph.stacks))
        return take_inventory(clients, states, stacks, project=rt.config.name, env=env)
    except PopcornError as exc:
        return Inventory(status="failed", reason=exc.line())


def scan(
    rt: Runtime, options: DriftOptions, *, view: Any = None, on_start: Callable[[list[str]], None] | None = None
) -> DriftReport:
    """Run one drift scan of ``options.env`` (see the module docstring). Usage errors raise before anything runs;
    ``on_start`` is called with the selected stacks once they are known (the run's header)."""
    started = time.monotonic()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    planner = plan_stacks(rt, options, view or ProgressLines())
    if on_start is not None:
        on_start(planner.stacks)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="popcorn-drift-inventory") as pool:
        inventory = pool.submit(_take_inventory, rt, planner.stacks, options.env) if options.unmanaged else None
        planned = planner.run()
        report = DriftReport(
            env=options.env, target=rt.target.describe(), sandbox=rt.target.is_sandbox, started_at=started_at,
            stacks=[_stack_drift(p) for p in planned],
            inventory=inventory.result() if inventory else Inventory(status="skipped", reason="--no-unmanaged"),
            run_dir=str(planner.run_dir) if planner.run_dir else None, options=options.as_dict(),
        )
    apply_rules(report, rt.config.drift.ignore)
    if options.cloudtrail:
        from popcornctl.drift.cloudtrail import attribute

        report.cloudtrail = attribute(rt.clients, report.managed())
    else:
        report.cloudtrail = {"status": "skipped", "reason": "--no-cloudtrail"}
    report.duration = time.monotonic() - started
    return report
