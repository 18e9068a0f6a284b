"""The run report's schema, summary table and live view."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fixture_repo import diamond
from orch_support import NOOP, FakeEngine, Scripted, fake_runner


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return diamond(tmp_path / "repo", tmp_path / "marks", prod=True)


def test_report_schema_and_live_view(root: Path) -> None:
    import jsonschema
    from rich.console import Console

    from popcornctl.orchestrate.run_report import SCHEMA, render_table
    from popcornctl.orchestrate.view import ConsoleView

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=140)
    engine = FakeEngine(
        root,
        outputs={("global/a", "apply"): [(1, "Error: boom\n  with terraform_data.work")]},
        plans={"global/b": [NOOP]},
    )
    report = fake_runner(root, engine=engine, view=ConsoleView(console, live=True), confirmer=Scripted()).run()
    jsonschema.validate(report.as_dict(), SCHEMA)
    render_table(console, report)
    text = out.getvalue()
    for expected in ("global/a", "boom", "dependency global/a failed", "up to date", "+1 ~0 -0"):
        assert expected in text
    plain = io.StringIO()
    fake_runner(root, engine=FakeEngine(root), view=ConsoleView(Console(file=plain, width=140), live=False)).run()
    assert "envs/dev: apply" in plain.getvalue() and "envs/dev: done" in plain.getvalue()
