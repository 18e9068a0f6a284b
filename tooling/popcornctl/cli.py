"""The console-script entry: runs the Typer app (:mod:`popcornctl.commands.app`) and turns errors into messages.

``main`` only wires. Its one shortcut is speed: ``popcornctl`` and ``popcornctl --help`` print the app's own help
as Typer rendered it the last time, kept in the user's cache directory under a key of everything that shapes it (the
command modules' files, the terminal, the colour settings); Typer is imported only to render it when the key
is new. A user's error is one line on stderr and exit code 2; ``-v`` adds the traceback.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from popcornctl.commands import COMMANDS
from popcornctl.errors import PopcornError

if TYPE_CHECKING:  # the cached-help path imports as little as it can: re and typer only when needed
    from typing import Any

    from typer import BadParameter

__all__ = ["COMMANDS", "main"]

# Environment variables that change how Typer/Rich render help (colour, width, terminal detection).
_HELP_ENVIRONMENT = (
    "COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TERM", "COLORTERM", "TTY_COMPATIBLE", "TTY_INTERACTIVE",
    "TYPER_USE_RICH", "_TYPER_FORCE_DISABLE_TERMINAL", "POPCORN_TERRAFORM",
)
_CHOICE_ERROR = r"(?P<value>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\") is not one of (?P<choices>.+?)\.?$"


def main(argv: list[str] | None = None) -> None:
    """Run popcornctl with ``argv`` (default: the process arguments) and exit with its code."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args in ([], ["--help"], ["-h"]) and not os.environ.get("_POPCORNCTL_COMPLETE"):
        raise SystemExit(_help())
    if args == ["--version"]:
        from popcornctl import __version__

        sys.stdout.write(f"popcornctl {__version__}\n")
        raise SystemExit(0)
    raise SystemExit(_run(args))


def _run(args: list[str]) -> int:
    """The Typer app on ``args``: its exit code, with every user error as one line."""
    import typer
    import typer.core
    from typer.core import TyperGroup

    from popcornctl.commands.app import build_command

    # Typer renders help with Rich; without colour it uses its plain formatter instead (no escape codes at all).
    _RICH_HELP.setdefault("default", typer.core.HAS_RICH)
    typer.core.HAS_RICH = _RICH_HELP["default"] and not _plain(args)
    verbose = "-v" in args or "--verbose" in args
    try:
        command: TyperGroup = build_command()
        result: Any = command.main(args=args, prog_name="popcornctl", standalone_mode=False)
    except PopcornError as exc:
        _report(exc, verbose)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        sys.stderr.write("popcornctl: aborted\n")
        return 130
    except typer.TyperException as exc:  # usage errors: click's message with the usage line, exit 2
        _usage_error(exc)
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("popcornctl: interrupted\n")
        return 130
    return result if isinstance(result, int) else 0


_RICH_HELP: dict[str, bool] = {}


def _usage_error(exc: Exception) -> None:
    """Print a usage error: a wrong choice as one line naming the choices, else click's message and usage line."""
    import typer

    choice = _choice_error(exc) if isinstance(exc, typer.BadParameter) else None
    if choice is not None:
        sys.stderr.write(f"popcornctl: error: {choice}\n")
        return
    show = getattr(exc, "show", None)
    if callable(show):
        show()
    else:
        sys.stderr.write(f"popcornctl: error: {exc}\n")


def _plain(args: list[str]) -> bool:
    return "--no-color" in args or "NO_COLOR" in os.environ


def _choice_error(exc: BadParameter) -> str | None:
    """``--fail-on 'severe' is not a severity — use one of: critical, high, medium, low`` for a wrong choice."""
    import re

    from popcornctl.commands.options import CHOICE_NOUNS

    match = re.search(_CHOICE_ERROR, exc.message)
    param = exc.param
    if match is None or param is None or not param.opts:
        return None
    option = param.opts[0]
    choices = re.findall(r"'([^']*)'", match["choices"])
    noun = CHOICE_NOUNS.get(option, "a valid choice")
    if len(choices) == 2:
        advice = f"use {option} {choices[0]} or {option} {choices[1]}"
    else:
        advice = "use one of: " + ", ".join(choices)
    return f"{option} {match['value']} is not {noun} — {advice}"


def _report(exc: PopcornError, verbose: bool) -> None:
    if verbose:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    sys.stderr.write(f"popcornctl: error: {exc.line()}\n")
    if exc.detail:
        sys.stderr.write(exc.detail.rstrip() + "\n")


# -- the top-level help, rendered by Typer once per shape ---------------------------------------------------------


class _Tee(io.TextIOBase):
    """stdout as it is (a terminal stays a terminal for Rich), with a copy of what is written."""

    def __init__(self, inner: Any) -> None:
        super().__init__()
        self.inner = inner
        self.copy: list[str] = []

    def write(self, text: str) -> int:
        """Write through and keep a copy (text only, as a real text stream: click probes with bytes)."""
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.copy.append(text)
        return int(self.inner.write(text))

    def flush(self) -> None:
        """Flush the real stream."""
        self.inner.flush()

    def isatty(self) -> bool:
        """Whether the real stream is a terminal."""
        return bool(self.inner.isatty())

    def fileno(self) -> int:
        """The real stream's descriptor."""
        return int(self.inner.fileno())

    @property
    def encoding(self) -> str:  # type: ignore[override]
        """The real stream's encoding."""
        return str(getattr(self.inner, "encoding", None) or "utf-8")

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        """The real stream's error handler."""
        return getattr(self.inner, "errors", None)


def _help_key() -> str:
    """Everything the top-level help text depends on, as text."""
    from popcornctl import __version__

    package = Path(__file__).resolve().parent
    parts = [__version__, sys.prefix, sys.version]
    for folder in (package, package / "commands"):
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name.endswith(".py"):
                    info = entry.stat()
                    parts.append(f"{entry.name} {info.st_mtime_ns} {info.st_size}")
    parts += [f"{name}={os.environ.get(name)}" for name in _HELP_ENVIRONMENT]
    terminal = sys.stdout.isatty()
    parts.append(f"terminal={terminal}")
    if terminal:
        try:
            parts.append(f"size={tuple(os.get_terminal_size(sys.stdout.fileno()))}")
        except OSError:
            parts.append("size=?")
    return "\n".join(parts)


def _help_file(key: str) -> Path:
    """The cache entry for ``key``, under the user's cache directory (``$XDG_CACHE_HOME`` or ``~/.cache``)."""
    import zlib

    explicit = os.environ.get("XDG_CACHE_HOME")
    cache = Path(explicit) if explicit else Path.home() / ".cache"
    return cache / "popcornctl" / "help" / f"{zlib.crc32(key.encode()):08x}.txt"


def _help() -> int:
    """Print the top-level help: from the cache when its key matches, else rendered by Typer (and cached)."""
    key = _help_key()
    path = _help_file(key)
    try:
        stored_key, _, text = path.read_text(encoding="utf-8").partition("\0")
    except (OSError, UnicodeDecodeError):
        stored_key, text = "", ""
    if stored_key == key and text:
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    tee = _Tee(sys.stdout)
    sys.stdout = tee
    try:
        code = _run(["--help"])
    finally:
        sys.stdout = tee.inner
    if code == 0:
        _store(path, key + "\0" + "".join(tee.copy))
    return code


def _store(path: Path, text: str) -> None:
    """Write the cache entry whole or not at all (a read-only cache directory just means no cache)."""
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".help.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except OSError:
        return
