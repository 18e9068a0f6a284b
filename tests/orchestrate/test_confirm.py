"""Asking before an apply or a destroy."""

from __future__ import annotations

import io
from pathlib import Path

from orch_support import plan_doc


def test_terminal_confirmer_rules() -> None:
    from rich.console import Console

    from popcornctl.orchestrate.confirm import ApprovalRequest, TerminalConfirmer
    from popcornctl.orchestrate.summary import summarize

    summary = summarize(plan_doc(("aws_s3_bucket.logs", "aws_s3_bucket", ["delete"])))
    out = io.StringIO()

    def ask(typed: str | None, answer: str) -> bool:
        request = ApprovalRequest("envs/prod", "prod", "apply", summary, typed, Path("/x.tfplan"), Path("/w"))
        return TerminalConfirmer(Console(file=out, width=120), read=lambda _: answer).confirm(request)

    assert ask("prod", "prod") is True
    assert ask("prod", "yes") is False
    assert ask("prod", "PROD") is False
    assert ask(None, "y") is True
    assert ask(None, "") is False
    assert "DELETE of a stateful resource" in out.getvalue()
    assert "0 to add, 0 to change, 1 to destroy" in out.getvalue()
