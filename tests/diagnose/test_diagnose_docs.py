"""docs/DIAGNOSE.md stays true: its schema is the code's, its example validates, every rule is documented."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema

from popcornctl.diagnose.findings import REPORT_SCHEMA
from popcornctl.diagnose.rules import ALL_RULES

DOC = Path(__file__).resolve().parents[2] / "docs" / "DIAGNOSE.md"


def _json_blocks() -> list[object]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)]


def test_documented_schema_is_the_code_schema() -> None:
    assert REPORT_SCHEMA in _json_blocks()


def test_documented_example_validates() -> None:
    examples = [b for b in _json_blocks() if isinstance(b, dict) and b.get("schema") == "popcornctl.diagnose/v1"]
    assert examples
    for example in examples:
        jsonschema.validate(example, REPORT_SCHEMA)


def test_every_rule_is_documented_with_its_aws_wording_and_fix() -> None:
    text = DOC.read_text(encoding="utf-8")
    for rule in ALL_RULES:
        assert f"#### `{rule.id}` — {rule.status.value} — {rule.title}" in text, rule.id
        for example in rule.examples:
            for line in example.message.split("\n"):
                assert line in text, (rule.id, line)
        assert rule.remediation in text, rule.id
