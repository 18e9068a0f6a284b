"""One stack's record while it runs: its :class:`StackResult`, the Terraform commands it ran, and its output block."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from popcornctl.engine import TfResult
from popcornctl.orchestrate.retry import TransientError
from popcornctl.orchestrate.run_report import RetryRecord, StackResult


@dataclass
class LogEntry:
    """One Terraform command of a stack, under the step that ran it."""

    step: str
    result: TfResult


@dataclass
class StackRun:
    """What one stack did so far in this run."""

    result: StackResult
    log: list[LogEntry] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    @property
    def stack(self) -> str:
        """The stack's path."""
        return self.result.stack

    def record(self, step: str, result: TfResult) -> None:
        """Keep a Terraform command's result (and say where a state Terraform could not save went)."""
        self.log.append(LogEntry(step, result))
        if result.rescued_state is not None:
            self.result.notes.append(
                f"{step}: Terraform could not save its state and wrote errored.tfstate; it was moved out of the tree "
                f"to {result.rescued_state} — once the backend is reachable: terraform -chdir="
                f"{self.result.stack} state push {result.rescued_state}"
            )

    def retried(self, step: str, attempt: int, transient: TransientError, waited: float) -> None:
        """Record a retry of ``step`` after failed ``attempt``."""
        self.result.retries.append(RetryRecord(step, attempt, transient.name, waited))

    def write_log(self, run_dir: Path, slug: str) -> None:
        """Every Terraform command's output in ``<run dir>/<slug>.log`` (nothing when none ran)."""
        if not self.log:
            return
        path = run_dir / f"{slug}.log"
        with path.open("w", encoding="utf-8") as handle:
            for entry in self.log:
                r = entry.result
                handle.write(
                    f"$ terraform {' '.join(r.argv)}   # {entry.step}, exit {r.returncode}, "
                    f"{r.seconds:.1f}s\n{r.output}\n\n"
                )
        self.result.log_file = path

    def block_lines(self, *, verbose: bool) -> list[tuple[str, str]]:
        """The stack's output block: (style, text) lines printed under its name when it finishes."""
        res = self.result
        lines: list[tuple[str, str]] = [(res.result.style, f"{res.result.label}: {res.reason}")]
        lines.extend(("cyan", f"note: {note}") for note in res.notes)
        lines.extend(
            ("yellow", f"retried {r.step} after attempt {r.attempt}: {r.error} (waited {r.waited_seconds:.0f}s)")
            for r in res.retries
        )
        if res.summary and res.summary.has_changes:
            lines.append(("", f"plan: {res.summary.headline()}"))
            lines.extend(res.summary.lines(limit=20))
        if res.policy and res.policy.findings:
            lines.extend(
                (
                    "red" if finding in res.policy.blocking else "yellow",
                    f"  policy {finding.policy} [{finding.severity}] {finding.address}: {finding.title}",
                )
                for finding in res.policy.findings[:10]
            )
        if verbose:
            for entry in self.log:
                lines.append(("dim", f"$ terraform {' '.join(entry.result.argv)}"))
                lines.extend(("", f"  {line}") for line in entry.result.output.splitlines())
        elif res.error and not res.ok:
            lines.extend(("", f"  {line}") for line in res.error.strip().splitlines()[-60:])
        if res.log_file:
            lines.append(("dim", f"full Terraform output: {res.log_file}"))
        return lines
