"""What the user sees while a run goes: a Rich live table on a terminal, plain timestamped lines otherwise.

Each stack's Terraform output is captured by the runner and printed as one block under the stack's name
when the stack finishes (:meth:`RunView.block`), so parallel stacks never interleave their output.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from popcornctl.orchestrate.outcome import Outcome

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live


class RunView(Protocol):
    """The runner's display."""

    def start(self, stacks: list[str]) -> None:
        """Show every stack as queued."""
        ...

    def status(self, stack: str, status: str, detail: str = "") -> None:
        """A stack moved to ``status``: a step (init, plan, apply…) or an :class:`Outcome`'s final ``word``."""
        ...

    def block(self, stack: str, lines: list[tuple[str, str]]) -> None:
        """Print a finished stack's grouped output: (style, text) lines."""
        ...

    def note(self, text: str, style: str = "") -> None:
        """A run-level message (warnings, the target line)."""
        ...

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Stop live rendering while the user is asked something."""
        yield

    def stop(self) -> None:
        """The run is over."""
        ...


@dataclass
class _Row:
    status: str = "queued"
    detail: str = ""
    started: float | None = None
    finished: float | None = None


class ConsoleView:
    """Live table on a terminal (``live=True``), plain lines otherwise."""

    def __init__(self, console: Console, *, live: bool) -> None:
        self.console = console
        self.live_enabled = live
        self._rows: dict[str, _Row] = {}
        self._lock = threading.RLock()  # the rows
        self._print_lock = threading.Lock()  # one stack's block at a time
        self._live: Live | None = None
        self._t0 = time.monotonic()

    # -- the live table ------------------------------------------------------------------------------
    def __rich__(self) -> RenderableType:
        from rich.table import Table

        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("stack", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("elapsed", justify="right", no_wrap=True)
        table.add_column("")
        now = time.monotonic()
        with self._lock:
            rows = list(self._rows.items())
        for stack, row in rows:
            elapsed = ""
            if row.started is not None:
                elapsed = f"{(row.finished or now) - row.started:.1f}s"
            final = Outcome.from_word(row.status)
            style = final.style if final else ("cyan" if row.status != "queued" else "dim")
            spinner = "" if final or row.status == "queued" else "… "
            table.add_row(stack, f"[{style}]{spinner}{row.status}[/]", elapsed, row.detail)
        return table

    def start(self, stacks: list[str]) -> None:
        """Register the stacks; start the live display on a terminal."""
        with self._lock:
            self._rows = {s: _Row() for s in stacks}
        if self.live_enabled:
            from rich.live import Live

            self._live = Live(self, console=self.console, refresh_per_second=4, transient=True)
            self._live.start()
        else:
            self.note(f"stacks: {', '.join(stacks)}")

    def status(self, stack: str, status: str, detail: str = "") -> None:
        """Update a stack's row (and print a line when not live)."""
        with self._lock:
            row = self._rows.setdefault(stack, _Row())
            if row.started is None and status != "queued":
                row.started = time.monotonic()
            if Outcome.from_word(status):
                row.finished = time.monotonic()
            changed = (row.status, row.detail) != (status, detail)
            row.status, row.detail = status, detail
        if not self.live_enabled and changed:
            stamp = f"{time.monotonic() - self._t0:6.1f}s"
            extra = f"  {detail}" if detail else ""
            self.console.print(f"[dim]{stamp}[/]  {stack}: {status}{extra}", highlight=False, soft_wrap=True)

    def block(self, stack: str, lines: list[tuple[str, str]]) -> None:
        """Print a stack's grouped output in one go (above the live table)."""
        from rich.markup import escape
        from rich.rule import Rule

        # Its own lock, never the rows' one: printing takes the live display's lock, and the live display's refresh
        # takes the rows' lock while it holds its own (rows lock -> live lock here would deadlock against it).
        with self._print_lock:
            self.console.print(Rule(f"[bold]{escape(stack)}[/]", align="left"))
            for style, text in lines:
                self.console.print(
                    f"[{style}]{escape(text)}[/]" if style else escape(text), highlight=False, soft_wrap=True
                )

    def note(self, text: str, style: str = "") -> None:
        """A run-level line."""
        from rich.markup import escape

        self.console.print(f"[{style}]{escape(text)}[/]" if style else escape(text), highlight=False, soft_wrap=True)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Stop the live table while a prompt is on screen; resume afterwards."""
        live = self._live
        if live is None:
            yield
            return
        live.stop()
        try:
            yield
        finally:
            live.start()

    def stop(self) -> None:
        """Stop the live display (it is transient: the summary table follows)."""
        if self._live is not None:
            self._live.stop()
            self._live = None


class NullView:
    """No output at all (library use, benchmarks)."""

    def start(self, stacks: list[str]) -> None:
        """Nothing."""

    def status(self, stack: str, status: str, detail: str = "") -> None:
        """Nothing."""

    def block(self, stack: str, lines: list[tuple[str, str]]) -> None:
        """Nothing."""

    def note(self, text: str, style: str = "") -> None:
        """Nothing."""

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Nothing to pause."""
        yield

    def stop(self) -> None:
        """Nothing."""
