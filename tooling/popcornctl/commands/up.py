"""``popcornctl up ENV``: apply the stacks ENV needs in dependency order, gated and confirmed."""

from __future__ import annotations

from pathlib import Path

from popcornctl.errors import PopcornError
from popcornctl.runtime import Runtime

FAIL_ON = ("critical", "high", "medium", "low")


def check_fail_on(value: str) -> str:
    """``--fail-on`` must name a severity."""
    if value not in FAIL_ON:
        raise PopcornError(f"--fail-on {value!r} is not a severity", f"use one of: {', '.join(FAIL_ON)}")
    return value


def up(
    rt: Runtime,
    *,
    env: str,
    only: list[str],
    exclude: list[str],
    targets: list[str],
    parallelism: int | None,
    fail_fast: bool,
    auto_approve: bool,
    allow_destroy: bool,
    skip_policy: bool,
    reason: str | None,
    fail_on: str,
    checkov: bool,
    retries: int,
    retry_delay: float,
    report_file: Path | None,
    changed: bool = False,
    base: str | None = None,
) -> int:
    """Bring ENV to the committed state; exit 0 all ok, 1 a stack failed or was blocked, 2 usage error.

    ``changed``: only the stacks the working tree changes against ``base`` (and the never-applied stacks
    they need); see :func:`popcornctl.commands.affected.changed_scope`.
    """
    from popcornctl.orchestrate import RunOptions, execute, terminal_is_interactive

    rt.config.environment(env)  # an unknown ENV is named before anything else is checked
    check_fail_on(fail_on)
    if reason and not skip_policy:
        raise PopcornError("--reason is only used with --skip-policy", "add --skip-policy, or drop --reason")
    if base is not None and not changed:
        raise PopcornError("--base is only used with --changed", "add --changed, or drop --base")
    confirmer = None
    if not auto_approve:
        if not terminal_is_interactive():
            raise PopcornError(
                "no terminal to confirm on and --auto-approve not given: nothing was applied",
                f"rerun in a terminal, or with --auto-approve for automation; `popcornctl plan {env}` shows the "
                "changes without applying",
            )
        from popcornctl.console import make_console
        from popcornctl.orchestrate.confirm import TerminalConfirmer

        confirmer = TerminalConfirmer(make_console(rt.settings))
    if changed:
        from popcornctl.commands.affected import changed_scope, nothing_changed

        only = changed_scope(rt, command="up", env=env, base=base, only=only)
        if not only:
            return nothing_changed(rt, command="up", env=env, report_file=report_file)
    options = RunOptions(
        command="up",
        env=env,
        only=tuple(only),
        exclude=tuple(exclude),
        targets=tuple(targets),
        parallelism=parallelism,
        fail_fast=fail_fast,
        auto_approve=auto_approve,
        allow_destroy=allow_destroy,
        skip_policy=skip_policy,
        skip_reason=reason,
        fail_on=fail_on,
        checkov=checkov,
        attempts=retries,
        retry_delay=retry_delay,
        report_file=report_file,
    )
    return execute(rt, options, confirmer=confirmer)
