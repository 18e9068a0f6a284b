"""Checkov, offline, merged into the report: our severities, folded duplicates, skip comments, empty output."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from policy_support import FIXTURES, TODAY, evaluate

from clirunner import run_cli
from popcornctl.policy import PlanInput, evaluate_inputs
from popcornctl.policy.checkov import parse_output, start_plan_scan
from popcornctl.policy.pipeline import Setup
from tfhelpers import REPO, Tf

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]


def test_checkov_findings_are_merged_with_our_severities(
    policy_plans: dict[str, Any], setup: Setup, write_plan: Callable[..., Path]
) -> None:
    path = write_plan(policy_plans["prod"], "prod.json")
    item = PlanInput(source="prod", plan=policy_plans["prod"], root=FIXTURES / "prod", plan_path=path)
    report = evaluate_inputs([item], setup, env=None, run_checkov=True, today=TODAY)
    info = report.checkov
    assert info.ran and info.version and info.version.startswith("3.")
    checkov = [r for r in report.results if r.source == "checkov"]
    assert checkov and info.merged == len(checkov)
    rated = {r.id: r.severity for r in checkov}
    assert rated.get("CKV_AWS_118") == "low"  # from policies/checkov.toml
    assert "unrated" in rated.values() or all(s != "unrated" for s in rated.values())
    assert all(r.severity in ("critical", "high", "medium", "low", "unrated") for r in checkov)
    # a Checkov failure our equivalent policy also found is folded into ours, not reported twice
    ours = next(r for r in report.results if r.id == "POP-RDS-002" and r.address == "aws_db_instance.fail_db")
    assert "CKV_AWS_17" in ours.also_reported_by
    assert not [r for r in checkov if r.id == "CKV_AWS_17"]
    # port 80 from the internet on the ALB: Checkov fails it, our plan-aware rule allows it -> superseded
    superseded = {(s["check_id"], s["address"]): s for s in info.superseded}
    assert superseded[("CKV_AWS_260", "aws_security_group.pass_alb")]["our_verdict"] == "pass"
    # Checkov's findings point at the HCL too
    located = [r for r in checkov if r.file]
    assert located and all(r.file.startswith("tests/policy/fixtures/prod/") for r in located)
    # the `#checkov:skip=CKV_AWS_136` comment on pass_repo is honoured; the same check fails on fail_repo
    kms = {r.address for r in checkov if r.id == "CKV_AWS_136"}
    assert "aws_ecr_repository.fail_repo" in kms and "aws_ecr_repository.pass_repo" not in kms


def test_checkov_with_no_resources_has_no_results_key(tf: Tf, tmp_path: Path) -> None:
    config = tmp_path / "empty"
    config.mkdir()
    (config / "main.tf").write_text('output "nothing" {\n  value = 1\n}\n')
    plan = tf.plan_json(config)
    path = tmp_path / "empty.json"
    path.write_text(json.dumps(plan))
    job = start_plan_scan(path, config)
    assert job.proc.wait(600) == 0
    raw_out, _ = job.proc.output()
    document = json.loads(raw_out)
    assert "results" not in document  # the shape Checkov uses when nothing ran
    outcome = parse_output(raw_out, str(path))
    assert outcome.findings == [] and outcome.version


def test_parse_output_shapes() -> None:
    assert parse_output("", "x").findings == []
    summary_only = '{"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 0, "checkov_version": "3.2.459"}'
    assert parse_output(summary_only, "x").version == "3.2.459"
    listed = json.dumps(
        [
            {
                "check_type": "terraform_plan",
                "results": {
                    "failed_checks": [
                        {
                            "check_id": "CKV_AWS_1",
                            "check_name": "n",
                            "resource_address": "aws_x.y",
                            "file_path": "/main.tf",
                            "file_line_range": [3, 9],
                        }
                    ]
                },
                "summary": {"checkov_version": "3.2.459"},
            },
            {"check_type": "secrets"},
        ]
    )
    outcome = parse_output(listed, "x")
    assert [(f.check_id, f.address, f.line) for f in outcome.findings] == [("CKV_AWS_1", "aws_x.y", 3)]


def test_static_directory_scan(capsys: pytest.CaptureFixture[str], setup: Setup) -> None:
    code, out, _ = run_cli(["--repo", str(REPO), "policy-check", str(FIXTURES / "prod"), "--output", "json"], capsys)
    report = json.loads(out)
    assert code == 1
    assert report["static"] is True and report["checkov"]["ran"] is True
    ours = {(f["id"], f["address"].split(":")[-1]) for f in report["findings"] if f["status"] == "fail"}
    assert ("POP-RDS-002", "aws_db_instance.fail_db") in ours
    assert ("POP-NET-001", "aws_security_group.fail_app") in ours
    assert not any(pid == "POP-RDS-002" and addr == "aws_db_instance.pass_db" for pid, addr in ours)
    not_run = {p["id"] for p in report["policies"] if p["status"] == "needs-plan"}
    assert {"POP-DESTROY-001", "POP-TAG-001", "POP-COST-002"} <= not_run
    assert any(f["source"] == "checkov" for f in report["findings"])


def test_dev_report_without_checkov_is_unaffected(policy_plans: dict[str, Any], setup: Setup) -> None:
    report = evaluate("dev", policy_plans, setup)
    assert not report.checkov.ran and report.checkov.reason == "--no-checkov"
