"""A failed Terraform step in words a user can act on, and the output patterns the steps react to."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from popcornctl.engine import TfResult
from popcornctl.orchestrate.outcome import Outcome, StackStop
from popcornctl.orchestrate.retry import classify

# Terraform telling us the working dir needs (re)initialising: init once more and retry.
NEEDS_INIT = re.compile(
    r"(Backend initialization required|Module not installed|Inconsistent dependency lock file"
    r"|missing or corrupted provider plugins|Required plugins are not installed|please run \"terraform init\")",
    re.IGNORECASE,
)
BACKEND_CHANGED = re.compile(r"Backend configuration changed", re.IGNORECASE)
STALE_PLAN = "Saved plan is stale"
# A dependency's remote state that is not there (yet): the stack waits for it when only planning.
REMOTE_STATE_MISSING = re.compile(
    r"(Unable to find remote state|No stored state was found for the given workspace|"
    r"Unsupported attribute.{0,400}?terraform_remote_state|This object does not have an attribute named.{0,200}"
    r"?outputs)",
    re.IGNORECASE | re.DOTALL,
)
_ERROR_LINE = re.compile(r"^[│|\s]*Error: (.+)$", re.MULTILINE)


def first_error(output: str) -> str:
    """Terraform's first ``Error:`` line (or the last line of output)."""
    match = _ERROR_LINE.search(output)
    if match:
        return match[1].strip()
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


@dataclass(frozen=True)
class FailureContext:
    """What a failure message names: the command to run again and how many attempts were made."""

    command: str
    env: str
    attempts: int
    stop_reason: Callable[[], str]
    # The locks room's "locked by <who>, <age>" line for a lock error (None when it cannot say)
    lock_line: Callable[[str, str], str | None]


def describe_failure(ctx: FailureContext, stack: str, step: str, result: TfResult) -> StackStop:
    """The stack-ending error for a failed Terraform ``step`` of ``stack``."""
    output = result.output
    if result.interrupted:
        saved = (
            f"it could not save its state, which is at {result.rescued_state}"
            if result.rescued_state
            else "it saves what it applied and releases its lock"
        )
        return StackStop(
            Outcome.failed,
            f"interrupted: terraform {step} was stopped gracefully ({ctx.stop_reason() or 'interrupted'}); "
            f"{saved} — run `popcornctl {ctx.command} {ctx.env}` again to finish",
            output,
        )
    locked = ctx.lock_line(output, stack)
    if locked is not None:
        return StackStop(Outcome.failed, locked, output)
    if STALE_PLAN in output:
        return StackStop(
            Outcome.failed,
            "the saved plan is stale: the state changed after it was planned and gated, so Terraform refused "
            "it and nothing was applied — run `popcornctl up` again to plan and review the new state",
            output,
        )
    if step == "init" and BACKEND_CHANGED.search(output):
        return StackStop(
            Outcome.failed,
            f"the backend of {stack} changed since it was initialised — decide explicitly: "
            f"`terraform -chdir={stack} init -migrate-state` to move the state, or -reconfigure to "
            "abandon the old backend",
            output,
        )
    transient = classify(output)
    suffix = f" (transient: {transient.name}; gave up after {ctx.attempts} attempts)" if transient else ""
    return StackStop(Outcome.failed, f"terraform {step} failed: {first_error(output)}{suffix}", output)
