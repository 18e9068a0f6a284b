"""The Outcome table: every result's meaning and style, read by the report, the view and the blocks alike."""

from __future__ import annotations

import io

from rich.console import Console

from popcornctl.orchestrate.outcome import Outcome
from popcornctl.orchestrate.policy_gate import GateOutcome, GateStatus
from popcornctl.orchestrate.run_report import SCHEMA, StackResult
from popcornctl.orchestrate.view import ConsoleView


def test_ok_results_are_the_ones_that_keep_the_run_green() -> None:
    ok = {o.value for o in Outcome if o.ok}
    assert ok == {"applied", "up_to_date", "planned", "destroyed", "waiting"}
    for outcome in Outcome:
        assert StackResult("s", result=outcome).ok is outcome.ok
        assert StackResult("s", result=outcome.value).result is outcome  # strings from older callers still work


def test_every_outcome_has_a_style_a_final_word_and_a_schema_entry() -> None:
    words = [o.word for o in Outcome]
    assert len(set(words)) == len(words), "each final word names one outcome"
    schema_results = SCHEMA["properties"]["stacks"]["items"]["properties"]["result"]["enum"]
    assert sorted(schema_results) == sorted(o.value for o in Outcome)
    for outcome in Outcome:
        assert outcome.style
        assert Outcome.from_word(outcome.word) is outcome
    assert Outcome.from_word("plan") is None  # a step, not an end
    assert Outcome.applied.word == "done" and Outcome.up_to_date.label == "up to date"
    assert Outcome.declined.as_dependency == "was not approved"


def test_the_live_view_styles_final_words_from_the_table() -> None:
    console = Console(file=io.StringIO(), force_terminal=False, width=120)
    view = ConsoleView(console, live=False)
    view.start(["a", "b"])
    view.status("a", Outcome.failed.word, "boom")
    view.status("b", "plan", "")
    rows = view._rows
    assert rows["a"].finished is not None  # a final word ends the row's clock
    assert rows["b"].finished is None


def test_gate_status_says_when_it_stops_and_what_the_table_shows() -> None:
    assert {s for s in GateStatus if s.stops} == {GateStatus.blocked, GateStatus.unavailable}
    assert GateOutcome(status="skipped", reason="hotfix").short() == "skipped: hotfix"
    assert GateOutcome(status=GateStatus.not_run).short() == "-"
    assert GateOutcome(status=GateStatus.unavailable).short() == "gate unavailable"
    assert GateOutcome(status=GateStatus.passed).short() == "0"
    assert GateOutcome(status="not-run").as_dict()["status"] == "not-run"
