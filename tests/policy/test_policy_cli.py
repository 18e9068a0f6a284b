"""`popcornctl policy-check`: inputs, bad inputs (exit 2, one line), exit codes, formats, output files."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from policy_support import FIXTURES

import clirunner
from popcornctl.policy.schema import REPORT_SCHEMA
from tfhelpers import REPO

run_cli = functools.partial(clirunner.run_cli, prefix=["--repo", str(REPO), "--no-color"])


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("popcornctl: error: ")
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]


# -- bad inputs: no Terraform needed ---------------------------------------------------------------------

BAD_INPUTS: list[tuple[str, bytes, str]] = [
    ("empty", b"", "is empty"),
    ("blank", b"  \n\n", "is empty"),
    ("truncated", b'{"format_version": "1.2", "resource_changes": [{"address": "aws_s3_bucket.a", ', "truncated"),
    ("not-json", b'resource "aws_s3_bucket" "a" {}\n', "not valid JSON"),
    ("list", b"[1, 2]", "a JSON list, not a Terraform plan"),
    ("other-json", b'{"name": "package.json"}', "no format_version"),
    (
        "tfstate",
        b'{"version": 4, "terraform_version": "1.15.5", "serial": 3, "lineage": "x", "resources": []}',
        "state file",
    ),
    (
        "state-show",
        b'{"format_version": "1.0", "terraform_version": "1.15.5", "values": {"root_module": {}}}',
        "state JSON",
    ),
    (
        "old-format",
        b'{"format_version": "0.1", "terraform_version": "0.12.31", "resource_changes": []}',
        "format_version '0.1'",
    ),
    ("binary-plan", b"PK\x03\x04tfplan-binary", "binary plan file"),
    ("damaged", b'{"format_version": "1.2", "resource_changes": [{"address": "x"}]}', "resource_changes[0]"),
]


@pytest.mark.parametrize(("name", "content", "needle"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_plan_input_is_one_line_exit_2(
    name: str, content: bytes, needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / f"{name}.json"
    path.write_bytes(content)
    code, out, err = run_cli(["policy-check", str(path), "--no-checkov"], capsys)
    assert_one_line_error(code, err, str(path), needle)
    assert out == ""


def test_missing_file_and_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["policy-check", str(tmp_path / "nope.json")], capsys)
    assert_one_line_error(code, err, "does not exist")
    code, _, err = run_cli(["policy-check"], capsys)
    assert_one_line_error(code, err, "nothing to check")
    good = tmp_path / "plan.json"
    good.write_text(json.dumps({"format_version": "1.2", "resource_changes": []}))
    code, _, err = run_cli(["policy-check", str(good), "--output", "xml"], capsys)
    assert_one_line_error(code, err, "--output 'xml'")
    code, _, err = run_cli(["policy-check", str(good), "--fail-on", "urgent"], capsys)
    assert_one_line_error(code, err, "--fail-on 'urgent'")
    code, _, err = run_cli(["policy-check", str(good), "--waivers", str(tmp_path / "none.toml")], capsys)
    assert_one_line_error(code, err, "does not exist")
    code, _, err = run_cli(["policy-check", str(good), str(tmp_path)], capsys)
    assert_one_line_error(code, err, "directory cannot be checked together")


def test_combined_plan_is_split_per_stack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack_plan = {
        "format_version": "1.2",
        "variables": {"environment": {"value": "prod"}},
        "resource_changes": [
            {
                "address": "aws_sns_topic.alerts",
                "mode": "managed",
                "type": "aws_sns_topic",
                "name": "alerts",
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": {"name": "alerts", "kms_master_key_id": None},
                    "after_unknown": {"arn": True},
                },
            }
        ],
    }
    combined = tmp_path / "combined.json"
    combined.write_text(
        json.dumps(
            {
                "stacks": [
                    {"stack": "envs/prod", "plan": stack_plan},
                    {"stack": "global/ecr", "plan": {**stack_plan, "resource_changes": []}},
                ]
            }
        )
    )
    code, out, _ = run_cli(
        ["policy-check", str(combined), "--no-checkov", "--output", "json", "--fail-on", "medium"], capsys
    )
    report = json.loads(out)
    assert code == 1
    assert [i["stack"] for i in report["inputs"]] == ["envs/prod", "global/ecr"]
    finding = next(f for f in report["findings"] if f["id"] == "POP-SNS-001")
    assert finding["stack"] == "envs/prod" and finding["address"] == "aws_sns_topic.alerts"
    nothing = tmp_path / "nothing-planned.json"
    nothing.write_text(json.dumps({"popcorn": {"combined_plan": 1}, "stacks": []}))
    code, out, _ = run_cli(["policy-check", str(nothing), "--no-checkov", "--output", "json"], capsys)
    assert code == 0
    assert any("no stack plans in it: nothing was evaluated" in w for w in json.loads(out)["warnings"])
    bad = tmp_path / "bad-combined.json"
    bad.write_text(json.dumps({"stacks": [{"stack": "envs/dev"}]}))
    code, _, err = run_cli(["policy-check", str(bad)], capsys)
    assert_one_line_error(code, err, "combined plan entry 0 has no 'plan'")


# -- real plans --------------------------------------------------------------------------------------------


@pytest.mark.terraform
@pytest.mark.sandbox
def test_exit_codes_and_json_report(
    policy_plans: dict[str, Any], write_plan: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    prod = write_plan(policy_plans["prod"], "prod.json")
    code, out, err = run_cli(
        ["policy-check", str(prod), "--root", str(FIXTURES / "prod"), "--no-checkov", "--output", "json"], capsys
    )
    assert code == 1, err
    report = json.loads(out)
    jsonschema.validate(report, REPORT_SCHEMA)
    assert report["passed"] is False and report["exit_code"] == 1 and report["schema_version"] == 1
    assert report["summary"]["fail"]["critical"] >= 3
    assert {f["id"] for f in report["findings"] if f["blocking"]} >= {"POP-RDS-002", "POP-NET-001", "POP-ECS-004"}
    # dev has no critical failures: it passes at --fail-on critical, fails at medium
    dev = write_plan(policy_plans["dev"], "dev.json")
    code, _, _ = run_cli(
        [
            "policy-check",
            str(dev),
            "--root",
            str(FIXTURES / "dev"),
            "--no-checkov",
            "--fail-on",
            "critical",
            "--output",
            "json",
        ],
        capsys,
    )
    assert code == 0
    code, _, _ = run_cli(["policy-check", str(dev), "--no-checkov", "--fail-on", "medium", "--output", "json"], capsys)
    assert code == 1


@pytest.mark.terraform
@pytest.mark.sandbox
def test_table_output_and_output_file(
    policy_plans: dict[str, Any], write_plan: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prod = write_plan(policy_plans["prod"], "prod.json")
    code, out, _ = run_cli(["policy-check", str(prod), "--root", str(FIXTURES / "prod"), "--no-checkov"], capsys)
    assert code == 1
    assert "CRITICAL (" in out and "HIGH (" in out and "LOW (" in out
    assert out.index("CRITICAL (") < out.index("HIGH (") < out.index("MEDIUM (") < out.index("LOW (")
    assert "fix: Set publicly_accessible = false" in out
    assert "tests/policy/fixtures/prod/main.tf:" in out
    assert "MEDIUM (12, below --fail-on high)" in out
    assert out.strip().splitlines()[-1].startswith("FAIL: ")
    target = tmp_path / "report.sarif"
    code, out, err = run_cli(
        ["policy-check", str(prod), "--no-checkov", "--output", "sarif", "--out", str(target)], capsys
    )
    assert code == 1 and out == ""
    assert f"sarif report written to {target}" in err
    assert json.loads(target.read_text())["version"] == "2.1.0"
    assert not list(tmp_path.glob(".report.sarif.*"))  # no temporary left behind


@pytest.mark.terraform
@pytest.mark.sandbox
def test_root_is_detected_when_the_plan_sits_beside_its_configuration(
    policy_plans: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "stack"
    work.mkdir()
    (work / "main.tf").write_text((FIXTURES / "prod" / "main.tf").read_text())
    (work / "plan.json").write_text(json.dumps(policy_plans["prod"]))
    code, out, _ = run_cli(["policy-check", str(work / "plan.json"), "--no-checkov", "--output", "json"], capsys)
    assert code == 1
    finding = next(f for f in json.loads(out)["findings"] if f["id"] == "POP-RDS-002")
    assert finding["file"] and finding["file"].endswith("stack/main.tf") and finding["line"] > 1
