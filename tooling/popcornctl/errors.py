"""The one exception type for user-facing errors.

Anything the user can fix (bad input, missing prerequisite, unreachable emulator) is raised as
:class:`PopcornError`; the CLI edge turns it into one line on stderr and exit code 2.
"""

from __future__ import annotations


class PopcornError(Exception):
    """A problem the user can fix: printed as one line (problem + fix), exit code 2."""

    exit_code = 2

    def __init__(self, problem: str, fix: str | None = None, *, detail: str | None = None) -> None:
        self.problem = problem
        self.fix = fix
        self.detail = detail  # verbatim tool output shown under the summary (e.g. Terraform's error)
        super().__init__(self.line())

    def line(self) -> str:
        """The one-line message: the problem, then what to do about it."""
        return f"{self.problem} — {self.fix}" if self.fix else self.problem
