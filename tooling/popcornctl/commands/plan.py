"""``popcornctl plan ENV``: plan every stack ENV needs without applying; plan JSON per stack + combined."""

from __future__ import annotations

from pathlib import Path

from popcornctl.errors import PopcornError
from popcornctl.runtime import Runtime


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
