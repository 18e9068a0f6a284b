"""Terminal output: Rich consoles that honour --no-color / NO_COLOR, and JSON printing."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from popcornctl.settings import Settings


def make_console(settings: Settings, *, stderr: bool = False) -> Console:
    """A Rich console for stdout (or stderr); colour off with --no-color or NO_COLOR."""
    from rich.console import Console

    no_color = not settings.color or "NO_COLOR" in os.environ
    return Console(stderr=stderr, no_color=no_color, highlight=False, soft_wrap=False)


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
