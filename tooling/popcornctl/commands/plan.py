"""``popcornctl plan ENV``: plan every stack ENV needs without applying; plan JSON per stack + combined."""

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
    "plan",
    help=(
        "Plan an environment's stacks without applying: plan JSON per stack plus one combined plan.\n\nStacks "
        "whose dependencies are not applied yet are reported as waiting. Exit 0: planned; 1: a stack failed "
        "to plan; 2: usage error."
    ),
)
def plan_command(
    ctx: typer.Context,
    env: EnvArgument,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out-dir", help="Write <stack>.json per stack and combined.json here.", show_default=False),
    ] = None,
    only: Only = None,
    exclude: Exclude = None,
    target: Targets = None,
    parallelism: Parallelism = None,
    fail_fast: FailFast = False,
    retries: Retries = 3,
    retry_delay: RetryDelay = 5.0,
    report: ReportFile = None,
    changed: Changed = False,
    base: Base = None,
    sandbox: SandboxStarts = False,
) -> int:
    return plan(
        runtime(ctx, sandbox=sandbox), env=env, only=only or [], exclude=exclude or [], targets=target or [],
        parallelism=parallelism, fail_fast=fail_fast, out_dir=out_dir, retries=retries, retry_delay=retry_delay,
        report_file=report, changed=changed, base=base,
    )


def plan(
    rt: Runtime,
    *,
    env: str,
    only: list[str],
    exclude: list[str],
    targets: list[str],
    parallelism: int | None,
    fail_fast: bool,
    out_dir: Path | None,
    retries: int,
    retry_delay: float,
    report_file: Path | None,
    changed: bool = False,
    base: str | None = None,
) -> int:
    """Plan ENV's stacks; stacks whose dependencies are not applied yet are reported "waiting", not failed.

    ``changed``: only the stacks the working tree changes against ``base`` (and the never-applied stacks
    they need); see :func:`popcornctl.commands.affected.changed_scope`.
    """
    from popcornctl.orchestrate import RunOptions, execute

    if base is not None and not changed:
        raise PopcornError("--base is only used with --changed", "add --changed, or drop --base")
    if changed:
        from popcornctl.commands.affected import changed_scope, nothing_changed

        only = changed_scope(rt, command="plan", env=env, base=base, only=only)
        if not only:
            return nothing_changed(rt, command="plan", env=env, report_file=report_file)

    options = RunOptions(
        command="plan",
        env=env,
        only=tuple(only),
        exclude=tuple(exclude),
        targets=tuple(targets),
        parallelism=parallelism,
        fail_fast=fail_fast,
        attempts=retries,
        retry_delay=retry_delay,
        out_dir=out_dir.resolve() if out_dir else None,
        report_file=report_file,
    )
    return execute(rt, options)
