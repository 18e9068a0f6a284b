"""Terminal output: Rich consoles that honour --no-color / NO_COLOR, and JSON printing."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from popcornctl.settings import Settings


def plain_output(settings: Settings | None = None) -> bool:
    """True when output must carry no styling at all: ``--no-color``, or ``NO_COLOR`` set in the environment."""
    return "NO_COLOR" in os.environ or (settings is not None and not settings.color)


def make_console(settings: Settings, *, stderr: bool = False) -> Console:
    """A Rich console for stdout (or stderr); with --no-color or NO_COLOR it writes no escape codes at all.

    Rich's own ``no_color`` drops colours but keeps bold, dim and underline; a colour system of None drops
    every style, which is what a user who turned colour off (or a log file) expects.
    """
    from rich.console import Console

    plain = plain_output(settings)
    return Console(
        stderr=stderr, no_color=plain, color_system=None if plain else "auto", highlight=False, soft_wrap=False
    )


def print_json(data: Any) -> None:
    """Machine-readable output on stdout: indented, stable key order as given."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


STATUS_STYLE = {
    "ok": "green",
    "pass": "green",
    "warn": "yellow",
    "fail": "red",
    "missing": "red",
    "skip": "dim",
    "info": "cyan",
}
