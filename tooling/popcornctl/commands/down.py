"""``popcornctl down ENV``: destroy in reverse dependency order (by default only ``envs/ENV``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from popcornctl.commands.options import (
    EnvArgument,
    Exclude,
    FailFast,
    Only,
    Parallelism,
    ReportFile,
    Retries,
    RetryDelay,
    SandboxStarts,
    runtime,
)
from popcornctl.errors import PopcornError
from popcornctl.runtime import Runtime

app = typer.Typer()


@app.command(
    "down",
    help=(
        "Destroy an environment's stack (global/bootstrap only when asked), dependents first.\n\nA protected "
        "environment needs --allow-destroy and its name typed; deletion protection refuses. Exit 0: "
        "destroyed; 1: a stack failed, was refused or not approved; 2: usage error."
    ),
)
def down_command(
    ctx: typer.Context,
    env: EnvArgument,
    include_global: Annotated[
        bool, typer.Option("--include-global", help="Also destroy the global stacks ENV uses.")
    ] = False,
    include_bootstrap: Annotated[
        bool, typer.Option("--include-bootstrap", help="Also destroy bootstrap (the state bucket), last.")
    ] = False,
    only: Only = None,
    exclude: Exclude = None,
    parallelism: Parallelism = None,
    fail_fast: FailFast = False,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Do not ask (not for protected environments).")
    ] = False,
    allow_destroy: Annotated[
        bool, typer.Option("--allow-destroy", help="Required to destroy a protected environment.")
    ] = False,
    retries: Retries = 3,
    retry_delay: RetryDelay = 5.0,
    report: ReportFile = None,
    sandbox: SandboxStarts = False,
) -> int:
    return down(
        runtime(ctx, sandbox=sandbox), env=env, include_global=include_global, include_bootstrap=include_bootstrap,
        only=only or [], exclude=exclude or [], parallelism=parallelism, fail_fast=fail_fast,
        auto_approve=auto_approve, allow_destroy=allow_destroy, retries=retries, retry_delay=retry_delay,
        report_file=report,
    )


def down(
    rt: Runtime,
    *,
    env: str,
    include_global: bool,
    include_bootstrap: bool,
    only: list[str],
    exclude: list[str],
    parallelism: int | None,
    fail_fast: bool,
    auto_approve: bool,
    allow_destroy: bool,
    retries: int,
    retry_delay: float,
    report_file: Path | None,
) -> int:
    """Destroy ENV's stack (and, when asked, the global stacks and bootstrap); prod needs typing its name."""
    from popcornctl.orchestrate import RunOptions, execute, terminal_is_interactive

    environment = rt.config.environment(env)
    interactive = terminal_is_interactive()
    if environment.protected:
        if not allow_destroy:
            raise PopcornError(
                f"{env} is a protected environment: `down {env}` destroys it",
                "if you really mean it, add --allow-destroy (you will also be asked to type its name)",
            )
        if not interactive:
            raise PopcornError(
                f"destroying protected environment {env} needs its name typed at a terminal, and there is none",
                "run it in a terminal (--auto-approve does not apply to destroying a protected environment)",
            )
    elif not auto_approve and not interactive:
        raise PopcornError(
            "no terminal to confirm on and --auto-approve not given: nothing was destroyed",
            "rerun in a terminal, or with --auto-approve for automation",
        )
    confirmer = None
    if environment.protected or not auto_approve:
        from popcornctl.console import make_console
        from popcornctl.orchestrate.confirm import TerminalConfirmer

        confirmer = TerminalConfirmer(make_console(rt.settings))
    options = RunOptions(
        command="down",
        env=env,
        only=tuple(only),
        exclude=tuple(exclude),
        include_global=include_global,
        include_bootstrap=include_bootstrap,
        parallelism=parallelism,
        fail_fast=fail_fast,
        auto_approve=auto_approve,
        allow_destroy=allow_destroy,
        attempts=retries,
        retry_delay=retry_delay,
        report_file=report_file,
    )
    return execute(rt, options, confirmer=confirmer)
