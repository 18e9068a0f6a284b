"""Asking before an apply or a destroy.

The rules (the runner decides *when* to ask; a :class:`Confirmer` decides *how*):

- ``--auto-approve`` → never ask (automation).
- Otherwise every stack with changes is shown (summary, stateful deletions highlighted) and needs a ``y``.
- A protected environment (``protected = true`` in popcorn.toml, i.e. prod) needs the environment's name
  typed instead of ``y``; a plan that destroys anything there also needs ``--allow-destroy`` (checked by
  the runner before asking).
- No terminal and no ``--auto-approve`` → refused before anything runs (exit 2), see ``commands/up.py``.

Prompts are serialised by the runner (one at a time, the live view paused, on the main thread), so parallel
stacks never interleave questions. End of input at a prompt (Ctrl-D, a closed stdin) answers "no" — for that
prompt and every later one, without reading again; a Ctrl-C at a prompt is handled by the runner (it answers "no"
and stops the run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from popcornctl.orchestrate.summary import ChangeSummary

if TYPE_CHECKING:
    from rich.console import Console


@dataclass(frozen=True)
class ApprovalRequest:
    """One question: may this saved plan be applied?"""

    stack: str
    env: str
    action: str  # "apply" | "destroy"
    summary: ChangeSummary
    typed: str | None  # text the user must type (protected env); None → a y/N question
    plan_file: Path
    workdir: Path
    attempt: int = 1


class Confirmer(Protocol):
    """Decides whether a request is approved. Called with the live view paused, one at a time."""

    def confirm(self, request: ApprovalRequest) -> bool:
        """True to apply the saved plan."""
        ...


class AutoApprove:
    """``--auto-approve``: every request is approved."""

    def confirm(self, request: ApprovalRequest) -> bool:
        """Always True."""
        return True


class TerminalConfirmer:
    """Interactive prompt on the terminal."""

    def __init__(self, console: Console, read: Callable[[str], str] | None = None) -> None:
        self.console = console
        self.read = read or console.input
        self.input_closed = False  # end of input was read: every later question is a "no" too

    def _ask(self, prompt: str) -> str | None:
        """The answer, or None at end of input."""
        if self.input_closed:
            return None
        try:
            return self.read(prompt)
        except EOFError:
            self.input_closed = True
            self.console.print()  # finish the prompt's line
            return None

    def confirm(self, request: ApprovalRequest) -> bool:
        """Show the change summary and ask (typed environment name for protected environments)."""
        from rich.rule import Rule

        summary = request.summary
        verb = "destroy" if request.action == "destroy" else "apply"
        retry = f" (attempt {request.attempt}, re-planned after a transient error)" if request.attempt > 1 else ""
        self.console.print(Rule(f"{request.stack}: {verb}{retry}", align="left"))
        self.console.print(f"Plan: {summary.headline()}")
        for style, line in summary.lines():
            self.console.print(f"[{style}]{line}[/]", highlight=False)
        if summary.stateful_losses:
            self.console.print(
                f"[bold red]{len(summary.stateful_losses)} stateful resource(s) will be destroyed or replaced: "
                "their data is lost.[/]"
            )
        self.console.print(f"[dim]saved plan: {request.plan_file}[/]")
        if request.typed:
            answer = self._ask(
                f"[bold]{request.env} is a protected environment.[/] Type [bold]{request.typed}[/] to {verb} "
                f"{request.stack}: "
            )
        else:
            # "\\[" is a literal "[" in Rich markup: an unescaped "[y/N]" is read as a style tag and vanishes.
            answer = self._ask(f"{verb.capitalize()} these changes to {request.stack}? \\[y/N] ")
        if answer is None:
            self.console.print(f"[yellow]no answer (end of input): {verb} of {request.stack} not approved[/]")
            return False
        if request.typed:
            return answer.strip() == request.typed
        return answer.strip().lower() in ("y", "yes")
