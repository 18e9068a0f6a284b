"""docs/DIAGNOSE.md stays true: its generated parts are current, its schema is the code's, its example validates,
every check and every rule is documented."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import jsonschema

from popcornctl.diagnose.findings import REPORT_SCHEMA
from popcornctl.diagnose.registry import all_checks
from popcornctl.diagnose.rules import ALL_RULES

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "DIAGNOSE.md"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_diagnose_doc", REPO / "scripts" / "gen_diagnose_doc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_diagnose_doc"] = module
    spec.loader.exec_module(module)
    return module


def _json_blocks() -> list[object]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)]


def test_generated_parts_are_current() -> None:
    assert _generator().main(["--check", "--root", str(REPO)]) == 0, "run: python scripts/gen_diagnose_doc.py"


def test_the_generator_rewrites_a_stale_document(tmp_path: Path) -> None:
    stale = DOC.read_text(encoding="utf-8").replace("`ecs.service.deployment`", "`ecs.old-name`")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "DIAGNOSE.md").write_text(stale, encoding="utf-8")
    generator = _generator()
    assert generator.main(["--check", "--root", str(tmp_path)]) == 1
    assert generator.main(["--root", str(tmp_path)]) == 0
    assert (tmp_path / "docs" / "DIAGNOSE.md").read_text(encoding="utf-8") == DOC.read_text(encoding="utf-8")


def test_every_check_is_listed_with_its_id_and_findings() -> None:
    text = DOC.read_text(encoding="utf-8")
    for spec in all_checks():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{spec.id}` |")), None)
        assert row is not None, spec.id
        assert all(f"`{finding}`" in row for finding in spec.findings), spec.id


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
