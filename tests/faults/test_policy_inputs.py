"""The policy-check parts of defect 10: the same plan twice, and a plan in which nothing can be evaluated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from popcornctl.cli import main

REPO = Path(__file__).resolve().parents[2]


def _change(rtype: str, after: object, after_unknown: object) -> dict[str, object]:
    return {"address": f"{rtype}.x", "mode": "managed", "type": rtype, "name": "x",
            "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": after_unknown}}


def _report(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object], str]:
    with pytest.raises(SystemExit) as exc:
        main(["--repo", str(REPO), "policy-check", *args, "--no-checkov", "--output", "json"])
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), json.loads(out) if out.strip() else {}, err


@pytest.fixture
def public_db_plan(tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    after = {"identifier": "db", "publicly_accessible": True, "storage_encrypted": False, "engine": "postgres"}
    path.write_text(json.dumps({"format_version": "1.2", "variables": {"environment": {"value": "prod"}},
                                "resource_changes": [_change("aws_db_instance", after, {})]}))
    return path


def test_the_same_plan_given_twice_is_evaluated_once(
    public_db_plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code_once, once, _ = _report([str(public_db_plan)], capsys)
    copy = tmp_path / "copy.json"
    copy.write_bytes(public_db_plan.read_bytes())
    code_twice, twice, _ = _report([str(public_db_plan), str(public_db_plan), str(copy)], capsys)
    assert once["findings"], "the fixture has findings to double"
    assert code_twice == code_once
    assert len(twice["findings"]) == len(once["findings"])
    assert twice["summary"] == once["summary"]
    assert sum("evaluated once" in w for w in twice["warnings"]) == 2


def test_a_plan_without_planned_values_says_nothing_was_evaluated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``after: null, after_unknown: true`` on every change: no policy can run; that is no PASS."""
    plan = tmp_path / "plan.json"
    types = ("aws_db_instance", "aws_s3_bucket", "aws_security_group", "aws_iam_role", "aws_ecs_service")
    plan.write_text(json.dumps({"format_version": "1.2", "variables": {"environment": {"value": "prod"}},
                                "resource_changes": [_change(t, None, True) for t in types]}))
    code, report, _ = _report([str(plan)], capsys)
    assert code == 0  # unknowns do not block at the default threshold ...
    assert report["summary"]["unknown"] == len(types) and report["summary"]["checks_evaluated"] == 0
    assert any(w.startswith("nothing could be evaluated") for w in report["warnings"])
    code, report, _ = _report([str(plan), "--fail-on", "unknown"], capsys)
    assert code == 1 and report["passed"] is False  # ... and block with --fail-on unknown
    with pytest.raises(SystemExit) as exc:
        main(["--repo", str(REPO), "policy-check", str(plan), "--no-checkov"])
    text = capsys.readouterr().out
    assert exc.value.code == 0
    assert "NOTHING EVALUATED" in text and "PASS:" not in text
