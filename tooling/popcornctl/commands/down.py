"""``popcornctl down ENV``: destroy in reverse dependency order (by default only ``envs/ENV``)."""

from __future__ import annotations

from pathlib import Path

from popcornctl.errors import PopcornError
from popcornctl.runtime import Runtime


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
