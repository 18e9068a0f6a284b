"""``popcornctl drift ENV``: what changed in AWS behind Terraform's back, and what AWS holds that no stack manages."""

from __future__ import annotations

import os
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from popcornctl.commands.options import (
    EnvArgument,
    Exclude,
    Only,
    Parallelism,
    ReportFile,
    Retries,
    RetryDelay,
    SandboxRunning,
    renamed,
    runtime,
)
from popcornctl.errors import PopcornError
from popcornctl.runtime import Runtime

app = typer.Typer()


class DriftFormat(StrEnum):
    """``drift --output``: text for people, json for programs, markdown for an issue body or a chat message."""

    text = "text"
    json = "json"
    markdown = "markdown"


@app.command(
    "drift",
    help=(
        "Find drift: what changed or was deleted in AWS outside Terraform, configuration not applied yet (apart), "
        "and the platform's resources no stack manages.\n\nPlans every stack of ENV (bootstrap and global too) in "
        "parallel, read-only: no apply, no state written, no state lock taken. Ignore rules: [[drift.ignore]] in "
        "popcorn.toml. Exit 0: no drift and nothing unmanaged; 1: drift or unmanaged resources found; 2: error or "
        "an incomplete scan."
    ),
)
def drift_command(
    ctx: typer.Context,
    env: EnvArgument,
    output: Annotated[
        DriftFormat | None,
        typer.Option("--output", help="Report format (default: text, or json with the global --output json).",
                     show_default=False),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the report to this file instead of stdout.", show_default=False)
    ] = None,
    report: ReportFile = None,
    only: Only = None,
    exclude: Exclude = None,
    parallelism: Parallelism = None,
    retries: Retries = 3,
    retry_delay: RetryDelay = 5.0,
    no_unmanaged: Annotated[
        bool, typer.Option("--no-unmanaged", help="Skip the unmanaged-resource inventory (plans only).")
    ] = False,
    no_cloudtrail: Annotated[
        bool, typer.Option("--no-cloudtrail", help="Do not ask CloudTrail who made each change.")
    ] = False,
    sandbox: SandboxRunning = False,
    format_: Annotated[DriftFormat | None, typer.Option("--format", hidden=True)] = None,
) -> int:
    chosen = renamed("--format", "--output", format_, output)
    # Drift only looks: a sandbox that is not running has nothing to compare, so it is never started for it.
    rt = runtime(ctx, sandbox=sandbox, start_sandbox=False)
    fmt = chosen.value if chosen is not None else ("json" if rt.settings.output == "json" else "text")
    return drift(
        rt, env=env, fmt=fmt, out=out, report_file=report, only=only or [], exclude=exclude or [],
        parallelism=parallelism, retries=retries, retry_delay=retry_delay, unmanaged=not no_unmanaged,
        cloudtrail=not no_cloudtrail,
    )


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (a temporary file renamed into place)."""
    path = path.expanduser()
    if path.is_dir():
        raise PopcornError(f"{path} is a folder", "name a file to write the report to")
    if not path.parent.is_dir():
        raise PopcornError(f"cannot write {path}: {path.parent} does not exist", "create the folder first")
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    Path(temporary).replace(path)


def drift(
    rt: Runtime,
    *,
    env: str,
    fmt: str,
    out: Path | None,
    report_file: Path | None,
    only: list[str],
    exclude: list[str],
    parallelism: int | None,
    retries: int,
    retry_delay: float,
    unmanaged: bool,
    cloudtrail: bool,
) -> int:
    """Scan ENV, print (or write) the report in ``fmt``; the exit code (0 clean, 1 found, 2 incomplete)."""
    import json

    from popcornctl.console import make_console
    from popcornctl.drift import DriftOptions, render_markdown, render_text, scan

    for target in (out, report_file):
        if target is not None and target.expanduser().is_dir():
            raise PopcornError(f"cannot write the report to {target}: it is a folder", "name a file")
        if target is not None and not target.expanduser().parent.is_dir():
            raise PopcornError(f"cannot write the report to {target}: {target.parent} does not exist",
                               "create the folder, or name a file in an existing one")
    options = DriftOptions(env=env, only=tuple(only), exclude=tuple(exclude), parallelism=parallelism,
                           attempts=retries, retry_delay=retry_delay, unmanaged=unmanaged, cloudtrail=cloudtrail)
    err = make_console(rt.settings, stderr=True)

    def header(stacks: list[str]) -> None:
        err.print(f"popcornctl drift {env}: {rt.target.describe()} — stacks: {', '.join(stacks)} (read-only: plans "
                  "without a state lock, nothing applied)", highlight=False, soft_wrap=True)

    result = scan(rt, options, on_start=header)
    if report_file is not None:
        _write(report_file, json.dumps(result.as_dict(), indent=2) + "\n")
    if fmt == "text" and out is None:
        render_text(make_console(rt.settings), result, verbose=rt.settings.verbose)
    else:
        if fmt == "json":
            text = json.dumps(result.as_dict(), indent=2) + "\n"
        elif fmt == "markdown":
            text = render_markdown(result)
        else:
            import io

            from rich.console import Console

            buffer = io.StringIO()
            render_text(Console(file=buffer, color_system=None, width=160), result, verbose=rt.settings.verbose)
            text = buffer.getvalue()
        if out is not None:
            _write(out, text)
        else:
            print(text, end="")
    if out is not None or report_file is not None:
        written = ", ".join(str(p) for p in (out, report_file) if p is not None)
        err.print(f"drift {env}: written to {written} (exit {result.exit_code})", highlight=False)
    return result.exit_code
