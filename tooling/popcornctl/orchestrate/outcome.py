"""How a stack's run ended: :class:`Outcome`, the one table of what each result means and how it is shown.

Every place that prints or judges a result (the live view, a stack's output block, the summary table, the
report's ``ok`` and exit code, the reason a dependent is skipped) reads it from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """The result of one stack in a run (its value is the report's ``result``)."""

    applied = "applied"
    up_to_date = "up_to_date"
    planned = "planned"
    destroyed = "destroyed"
    waiting = "waiting"
    failed = "failed"
    blocked = "blocked"
    declined = "declined"
    skipped = "skipped"

    @property
    def ok(self) -> bool:
        """True when the run stays successful with this result."""
        return _MEANING[self].ok

    @property
    def style(self) -> str:
        """The Rich style every display uses for it."""
        return _MEANING[self].style

    @property
    def word(self) -> str:
        """The live view's final status word."""
        return _MEANING[self].word

    @property
    def as_dependency(self) -> str:
        """How a skipped dependent names it: ``dependency X <as_dependency>``."""
        return _MEANING[self].as_dependency

    @property
    def label(self) -> str:
        """The result as the summary table and a stack's block print it (``up to date``)."""
        return self.value.replace("_", " ")

    @classmethod
    def from_word(cls, word: str) -> Outcome | None:
        """The outcome the live view's ``word`` ends a stack with, or None for a step still running."""
        return _BY_WORD.get(word)


@dataclass(frozen=True)
class _Meaning:
    ok: bool
    style: str
    word: str
    as_dependency: str


# THE table: what each result means and how it is shown.
_MEANING: dict[Outcome, _Meaning] = {
    Outcome.applied: _Meaning(True, "green", "done", "applied"),
    Outcome.up_to_date: _Meaning(True, "green", "up to date", "is up to date"),
    Outcome.planned: _Meaning(True, "cyan", "planned", "was planned"),
    Outcome.destroyed: _Meaning(True, "green", "destroyed", "was destroyed"),
    Outcome.waiting: _Meaning(True, "yellow", "waiting", "is waiting"),
    Outcome.failed: _Meaning(False, "bold red", "failed", "failed"),
    Outcome.blocked: _Meaning(False, "bold red", "blocked", "was blocked"),
    Outcome.declined: _Meaning(False, "yellow", "declined", "was not approved"),
    Outcome.skipped: _Meaning(False, "dim", "skipped", "was skipped"),
}
_BY_WORD = {meaning.word: outcome for outcome, meaning in _MEANING.items()}


class StackStop(Exception):
    """Ends a stack's steps with a final outcome (raised by any step; the runner records it)."""

    def __init__(self, outcome: Outcome, reason: str, error: str | None = None) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason
        self.error = error
