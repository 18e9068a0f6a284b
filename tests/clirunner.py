"""The one way tests run popcornctl in-process: ``run_cli(args) -> (exit code, stdout, stderr)``.

``popcornctl.cli.main`` always ends in ``SystemExit``; this turns it into the exit code. With pytest's ``capsys``
the output is read from it (as ``capsys.readouterr()`` returns it: anything printed earlier in the test
included). Without, the call's own output is returned and still written through to the test's stdout/stderr.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import TextIO

import pytest


class _Tee(io.StringIO):
    """A copy of what is written, passed on to the stream it replaces."""

    def __init__(self, through: TextIO) -> None:
        super().__init__()
        self.through = through

    def write(self, text: str) -> int:
        self.through.write(text)
        return super().write(text)


def _exit_code(argv: list[str]) -> int:
    from popcornctl.cli import main

    try:
        main(argv)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return int(exc.code or 0)
        return 1
    raise AssertionError("popcornctl.cli.main returned instead of exiting")


def run_cli(
    args: Sequence[str | Path],
    capsys: pytest.CaptureFixture[str] | None = None,
    *,
    prefix: Sequence[str | Path] = (),
) -> tuple[int, str, str]:
    """Run ``popcornctl PREFIX... ARGS...`` in this process: (exit code, stdout, stderr)."""
    argv = [str(arg) for arg in (*prefix, *args)]
    if capsys is not None:
        code = _exit_code(argv)
        out, err = capsys.readouterr()
        return code, out, err
    out, err = _Tee(sys.stdout), _Tee(sys.stderr)
    with redirect_stdout(out), redirect_stderr(err):
        code = _exit_code(argv)
    return code, out.getvalue(), err.getvalue()
