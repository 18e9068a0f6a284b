"""What the command modules share: option types written once, their choices, and the run's Runtime.

Each command module owns its signature and builds it from these ``Annotated`` aliases, so an option that
several commands take (``--only``, ``--sandbox``, ``--fail-on``...) has one spelling and one help text. Choices
are enums: Typer checks them, lists them in ``--help`` and completes them in the shell.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from popcornctl.errors import PopcornError
from popcornctl.settings import Settings
from popcornctl.target import refuse_emulator_endpoints

if TYPE_CHECKING:
    from popcornctl.runtime import Runtime

GLOBAL_PANEL = "Global options"
T = TypeVar("T")


class OutputFormat(StrEnum):
    """``--output`` of every command: text for people, json for programs."""

    text = "text"
    json = "json"


class ReportFormat(StrEnum):
    """``policy-check --output``: table (also spelled text) for people; json, sarif and junit for tools."""

    table = "table"
    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"


class FailOn(StrEnum):
    """The lowest policy severity that blocks (``--fail-on``)."""

    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"


# What a wrong value is not, for the one-line error: "--fail-on 'severe' is not a severity".
CHOICE_NOUNS = {"--output": "a format", "--format": "a format", "--fail-on": "a severity"}

# -- global options: the app's own callback takes them; every subcommand accepts them too (see cli.py) ----------
Repo = Annotated[
    Path | None,
    typer.Option("--repo", help="Repository root (default: walk up to popcorn.toml).", show_default=False,
                 rich_help_panel=GLOBAL_PANEL),
]
Output = Annotated[
    OutputFormat,
    typer.Option("--output", help="Output format.", rich_help_panel=GLOBAL_PANEL),
]
Terraform = Annotated[
    str | None,
    typer.Option("--terraform", envvar="POPCORN_TERRAFORM", show_envvar=True, show_default=False,
                 help="Use this terraform binary instead of the embedded engine.", rich_help_panel=GLOBAL_PANEL),
]
Verbose = Annotated[
    bool, typer.Option("-v", "--verbose", help="Show tracebacks and Terraform output in full.",
                       rich_help_panel=GLOBAL_PANEL)
]
NoColor = Annotated[
    bool,
    typer.Option("--no-color", help="Plain output, no escape codes (also: the NO_COLOR variable).",
                 rich_help_panel=GLOBAL_PANEL),
]


def _print_version(value: bool) -> None:
    if value:
        from popcornctl import __version__

        typer.echo(f"popcornctl {__version__}")
        raise typer.Exit()


Version = Annotated[
    bool,
    typer.Option("--version", is_eager=True, callback=_print_version, help="Print the version and exit.",
                 rich_help_panel=GLOBAL_PANEL),
]

# -- options several commands take ------------------------------------------------------------------------------
EnvArgument = Annotated[str, typer.Argument(help="Environment name from popcorn.toml, e.g. dev.", show_default=False)]
SandboxStarts = Annotated[
    bool, typer.Option("--sandbox", help="Use the local AWS emulator (started if it is not running).")
]
SandboxRunning = Annotated[
    bool,
    typer.Option("--sandbox", help="Use the local AWS emulator, which must be running: it is never started just to "
                 "look (start it with: popcornctl sandbox start)."),
]
Only = Annotated[
    list[str] | None,
    typer.Option("--only", help="Run only this stack (repeatable); dependencies must be applied.", show_default=False),
]
Exclude = Annotated[
    list[str] | None,
    typer.Option("--exclude", help="Leave this stack out (repeatable); checked, never silent.", show_default=False),
]
Targets = Annotated[
    list[str] | None,
    typer.Option("--target", help="Pass -target ADDRESS (or STACK::ADDRESS) through; for exceptions only "
                 "(repeatable).", show_default=False),
]
Parallelism = Annotated[
    int | None,
    typer.Option("--parallelism", help="Stacks at once (default: as many as can run).", show_default=False),
]
FailFast = Annotated[bool, typer.Option("--fail-fast", help="Stop everything after the first failed stack.")]
Retries = Annotated[int, typer.Option("--retries", help="Attempts for known transient errors.")]
RetryDelay = Annotated[
    float, typer.Option("--retry-delay", help="Seconds before the first retry (doubles after).")
]
ReportFile = Annotated[
    Path | None, typer.Option("--report", help="Also write the run report as JSON to this file.", show_default=False)
]
FailOnOption = Annotated[FailOn, typer.Option("--fail-on", help="Block at this severity or above.")]
Changed = Annotated[
    bool,
    typer.Option("--changed", help="Only the stacks the change touches (working tree vs --base), plus unapplied "
                 "dependencies."),
]
Base = Annotated[
    str | None,
    typer.Option("--base", help="With --changed: the ref to compare with (default: origin/main, else main).",
                 show_default=False),
]
Since = Annotated[
    str, typer.Option("--since", help="Look back this far for stopped tasks, events and metrics (90s, 15m, 1h, 2d).")
]


def runtime(
    ctx: typer.Context,
    *,
    sandbox: bool = False,
    start_sandbox: bool = True,
    repo: bool = True,
    aws: bool = True,
    terraform: bool = True,
) -> Runtime:
    """The invocation's Runtime, after the checks made before a command does anything (one line, exit 2).

    ``repo``: read and check popcorn.toml now. ``aws``: the command talks to AWS, so a leftover emulator endpoint is
    refused on a real run. ``terraform``: a ``--terraform`` that is not a program is refused (``doctor`` reports it
    instead). ``start_sandbox=False``: a sandbox that is not running is an error, not started.
    """
    from popcornctl.runtime import Runtime

    settings = ctx.find_object(Settings)
    if settings is None:  # pragma: no cover - the app's callback always sets it
        settings = Settings()
    rt = Runtime(settings=settings, sandbox=sandbox, start_sandbox=start_sandbox)
    if repo:
        _ = rt.config
    if terraform:
        settings.check_terraform()
    if aws and not sandbox:
        refuse_emulator_endpoints()
    return rt


def renamed(old: str, new: str, old_value: T | None, new_value: T | None) -> T | None:
    """The value of an option given under its old, hidden spelling (with a one-line warning), else the new one's."""
    if old_value is None:
        return new_value
    if new_value is not None and new_value != old_value:
        raise PopcornError(f"{old} and {new} say different things", f"use {new} alone ({old} is its old spelling)")
    sys.stderr.write(f"popcornctl: warning: {old} is deprecated: use {new}\n")
    return old_value
