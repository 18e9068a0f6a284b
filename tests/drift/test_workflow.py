"""The nightly drift workflow: every environment, a read-only role, the reports kept, one issue per environment
opened or updated on drift, closed when drift is gone, the job failed (issue untouched) on an incomplete scan.

The issue steps are run for real with a fake ``gh`` on PATH that records its calls, so the shell they hold is
exercised, not only parsed.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from popcornctl.config import load_config
from tfhelpers import REPO

WORKFLOW = REPO / ".github" / "workflows" / "drift.yml"


def _workflow() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(data, dict)
    return data


def _job() -> dict[str, Any]:
    jobs = _workflow()["jobs"]
    assert list(jobs) == ["drift"]
    job: dict[str, Any] = jobs["drift"]
    return job


def _step(name: str) -> dict[str, Any]:
    return next(s for s in _job()["steps"] if s.get("name") == name)


def test_it_runs_nightly_and_by_hand() -> None:
    data = _workflow()
    on = data.get("on", data.get(True))
    assert set(on) == {"schedule", "workflow_dispatch"}
    (cron,) = [entry["cron"] for entry in on["schedule"]]
    minute, hour, day, month, weekday = cron.split()
    assert (day, month, weekday) == ("*", "*", "*") and minute.isdigit() and hour.isdigit()


def test_every_environment_is_scanned_one_job_each() -> None:
    job = _job()
    assert job["strategy"]["matrix"]["env"] == sorted(load_config(REPO).environments)
    assert job["strategy"]["fail-fast"] is False
    assert job["concurrency"]["group"] == "drift-${{ matrix.env }}"


def test_the_role_is_read_only_and_nothing_else_may_write() -> None:
    assert _workflow()["permissions"] == {"contents": "read", "id-token": "write", "issues": "write"}
    role = _step("Assume the read-only drift role (OIDC)")
    assert role["uses"].startswith("aws-actions/configure-aws-credentials@")
    assert role["with"]["role-to-assume"] == "${{ vars.AWS_DRIFT_ROLE_ARN }}"
    text = WORKFLOW.read_text()
    assert "AWS_APPLY_ROLE_ARN" not in text
    runs = " ".join(str(s.get("run", "")) for s in _job()["steps"])
    assert not re.search(r"popcornctl .*\b(up|down|unlock)\b", runs)


def test_the_scan_writes_markdown_and_json_and_fails_only_when_incomplete() -> None:
    run = _step("popcornctl drift")["run"]
    assert 'popcornctl --no-color drift "$ENV_NAME" --output markdown --out drift.md --report drift.json' in run
    keep = _step("Keep the reports")
    assert keep["if"] == "always()" and keep["uses"].startswith("actions/upload-artifact@")
    assert set(keep["with"]["path"].split()) == {"drift.json", "drift.md"}


def _fake_gh(bin_dir: Path, log: Path, open_issues: str) -> None:
    """A ``gh`` that logs each call and answers ``issue list`` with ``open_issues`` (after its own --jq)."""
    script = bin_dir / "gh"
    script.write_text(
        "#!/usr/bin/env bash\n"
        f'echo "$*" >> {log}\n'
        'if [ "$1 $2" = "issue list" ]; then\n'
        f"  printf '%s' {open_issues!r} | jq -r \"${{@: -1}}\"\n"
        "fi\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def _run_step(name: str, tmp_path: Path, open_issues: str, report: str = "## Drift in dev\n") -> list[str]:
    if subprocess.run(["which", "jq"], check=False, capture_output=True).returncode != 0:
        pytest.skip("jq is not installed (the fake gh uses it for --jq, as gh does)")
    bin_dir, log = tmp_path / "bin", tmp_path / "gh.log"
    bin_dir.mkdir()
    _fake_gh(bin_dir, log, open_issues)
    (tmp_path / "drift.md").write_text(report)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "ENV_NAME": "dev", "TITLE": "Drift in dev",
           "RUN_URL": "https://example.invalid/run/1"}
    result = subprocess.run(["bash", "-eo", "pipefail", "-c", _step(name)["run"]], check=False, cwd=tmp_path,
                            env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return log.read_text().splitlines() if log.exists() else []


ISSUES = '[{"number": 7, "title": "Drift in dev"}, {"number": 9, "title": "Drift in prod"}]'


def test_drift_updates_the_open_issue_of_its_environment(tmp_path: Path) -> None:
    assert _step("Open or update the drift issue")["if"] == "steps.drift.outputs.exit_code == '1'"
    calls = _run_step("Open or update the drift issue", tmp_path, ISSUES)
    assert [c for c in calls if c.startswith("issue edit")] == ["issue edit 7 --body-file body.md"]
    assert not [c for c in calls if c.startswith("issue create")]
    body = (tmp_path / "body.md").read_text()
    assert body.startswith("## Drift in dev\n") and "https://example.invalid/run/1" in body


def test_drift_opens_an_issue_when_none_is_open(tmp_path: Path) -> None:
    calls = _run_step("Open or update the drift issue", tmp_path, '[{"number": 9, "title": "Drift in prod"}]')
    assert "issue create --title Drift in dev --label drift --body-file body.md" in calls


def test_a_long_report_is_cut_to_what_an_issue_holds(tmp_path: Path) -> None:
    _run_step("Open or update the drift issue", tmp_path, "[]", report="x" * 70000)
    body = (tmp_path / "body.md").read_text()
    assert len(body) < 65536 and "the full report is the drift-dev artifact" in body


def test_no_drift_closes_the_issue_of_its_environment_only(tmp_path: Path) -> None:
    assert _step("Close the drift issue")["if"] == "steps.drift.outputs.exit_code == '0'"
    calls = _run_step("Close the drift issue", tmp_path, ISSUES)
    assert [c for c in calls if c.startswith("issue close")] == [
        "issue close 7 --comment No drift in dev any more (https://example.invalid/run/1)."]


@pytest.mark.parametrize(("code", "fails"), [(0, False), (1, False), (2, True)])
def test_the_scan_step_fails_the_job_only_on_an_incomplete_scan(code: int, fails: bool, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "popcornctl"
    fake.write_text(f"#!/usr/bin/env bash\necho '## report' > drift.md\nexit {code}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    output, summary = tmp_path / "output", tmp_path / "summary"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "ENV_NAME": "dev",
           "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
    result = subprocess.run(["bash", "-eo", "pipefail", "-c", _step("popcornctl drift")["run"]], check=False,
                            cwd=tmp_path,
                            env=env, capture_output=True, text=True)
    assert (result.returncode != 0) == fails
    assert output.read_text() == f"exit_code={code}\n"
    assert summary.read_text() == "## report\n"
