"""``popcornctl up ENV``: apply the stacks ENV needs in dependency order, gated and confirmed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from popcornctl.commands.options import (
    Base,
    Changed,
    EnvArgument,
    Exclude,
    FailFast,
    FailOn,
    FailOnOption,
    Only,
    Parallelism,
    ReportFile,
    Retries,
    RetryDelay,
    SandboxStarts,
    Targets,
    runtime,
)
from popcornctl.errors import PopcornError
from popcornctl.runtime import Runtime

app = typer.Typer()


@app.command(
    "up",
    help=(
        "Apply an environment's stacks in dependency order: gated, confirmed, parallel, resumable.\n\nExit 0: "
        "every stack applied or up to date; 1: a stack failed, was blocked or not approved; 2: usage error "
        "(nothing applied)."
    ),
)
def up_command(
    ctx: typer.Context,
    env: EnvArgument,
    only: Only = None,
    exclude: Exclude = None,
    target: Targets = None,
    parallelism: Parallelism = None,
    fail_fast: FailFast = False,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Do not ask (automation; needed without a terminal).")
    ] = False,
    allow_destroy: Annotated[
        bool, typer.Option("--allow-destroy", help="Allow plans that destroy resources in a protected env.")
    ] = False,
    skip_policy: Annotated[
        bool, typer.Option("--skip-policy", help="Do not gate on policy findings (needs --reason; recorded).")
    ] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why the policy gate is skipped.", show_default=False)
    ] = None,
    fail_on: FailOnOption = FailOn.high,
    checkov: Annotated[bool, typer.Option("--checkov/--no-checkov", help="Include Checkov in the policy gate.")] = True,
    retries: Retries = 3,
    retry_delay: RetryDelay = 5.0,
    report: ReportFile = None,
    changed: Changed = False,
    base: Base = None,
    sandbox: SandboxStarts = False,
) -> int:
    rt = runtime(ctx, sandbox=sandbox)
    rt.config.environment(env)  # an unknown ENV is named before anything else is checked
    if not skip_policy:
        check_policy_files(rt)
    return up(
        rt, env=env, only=only or [], exclude=exclude or [], targets=target or [], parallelism=parallelism,
        fail_fast=fail_fast, auto_approve=auto_approve, allow_destroy=allow_destroy, skip_policy=skip_policy,
        reason=reason, fail_on=fail_on.value, checkov=checkov, retries=retries, retry_delay=retry_delay,
        report_file=report, changed=changed, base=base,
    )


def check_policy_files(rt: Runtime) -> None:
    """Read the gate's waivers and Checkov table now, so a typo in them stops the run before any plan."""
    from popcornctl.policy.checkov import load_ratings
    from popcornctl.policy.waivers import load_waivers

    policies = rt.root / "policies"
    load_ratings(policies / "checkov.toml")
    load_waivers(policies / "waivers.toml")
    if rt.sandbox:
        load_waivers(policies / "sandbox-waivers.toml")


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
