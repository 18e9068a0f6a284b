"""Checkov (offline) over envs/prod and envs/dev with their local modules followed.

prod: no failed check without a reasoned skip. dev: every finding prod does not have is one of dev's documented cost
trade-offs. Every skip in the environments' files (envs/_shared, which both link to) has its row in docs/SECURITY.md
(## envs/_shared).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from envsupport import ENVS, env_dir

from tfhelpers import REPO

SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")
BLOCK = re.compile(r'^(resource|data)\s+"([^"]+)"\s+"([^"]+)"')


def _checkov() -> list[str]:
    exe = Path(sys.executable).with_name("checkov")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "checkov.main"]


def _scan(env: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One offline Checkov run over envs/<env> and the local modules it calls (nothing is downloaded)."""
    cmd = os.environ.copy()
    cmd.update(BC_SKIP_MAPPING="TRUE", CKV_SKIP_PACKAGE_UPDATE_CHECK="true", LOG_LEVEL="ERROR")
    out = tmp_path_factory.mktemp("checkov") / f"{env}.json"
    with out.open("w") as fh:
        proc = subprocess.run(
            [*_checkov(), "--skip-download", "-d", f"envs/{env}", "--framework", "terraform",
             "--download-external-modules", "false", "-o", "json", "--quiet"],
            cwd=REPO, env=cmd, stdout=fh, stderr=subprocess.PIPE, text=True, timeout=900, check=False,
        )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    data = json.loads(out.read_text())
    (report,) = [r for r in (data if isinstance(data, list) else [data]) if r.get("check_type") == "terraform"]
    assert report["summary"]["resource_count"] > 100, "Checkov followed the local modules"
    return dict(report)


@pytest.fixture(scope="module")
def prod_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _scan("prod", tmp_path_factory)


@pytest.fixture(scope="module")
def dev_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _scan("dev", tmp_path_factory)


def _failed(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["check_id"], re.sub(r"\[[^\]]*\]", "", f["resource"])) for f in report["results"].get("failed_checks", [])}


def test_prod_with_its_modules_has_no_failed_check(prod_report: dict[str, Any]) -> None:
    failed = [
        f"{f['check_id']} {f['resource']} ({f['file_path']}:{f['file_line_range']}) {f['check_name']}"
        for f in prod_report["results"].get("failed_checks", [])
    ]
    assert not failed, "Checkov findings without a reasoned skip:\n" + "\n".join(failed)
    skipped = prod_report["results"].get("skipped_checks", [])
    assert all((s.get("check_result") or {}).get("suppress_comment") for s in skipped), "every skip has a reason"


def test_dev_findings_beyond_prod_are_its_documented_cost_trade_offs(
    prod_report: dict[str, Any], dev_report: dict[str, Any]
) -> None:
    extra = _failed(dev_report) - _failed(prod_report)
    accepted = _rows_in_doc("envs/dev: accepted findings (cost trade-offs)")
    assert accepted is not None, "docs/SECURITY.md has no '### envs/dev: accepted findings (cost trade-offs)' section"
    assert extra - accepted == set(), f"dev findings without a documented trade-off: {sorted(extra - accepted)}"
    # The converse is not asserted: whether Checkov renders a module argument from a tfvars value (e.g. the RDS
    # deletion protection) varies with the shape of the module call, so a documented row may go unreported.


def _skips_in_code(env: str) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for tf in sorted(env_dir(env).glob("*.tf")):
        current = ""
        for line in tf.read_text().splitlines():
            block = BLOCK.match(line)
            if block:
                current = f"{'data.' if block[1] == 'data' else ''}{block[2]}.{block[3]}"
            skip = SKIP.search(line)
            if skip:
                assert (skip[2] or "").strip(), f"{tf.name}: {skip[1]} on {current} has no reason"
                found.add((skip[1], current))
    return found


def _rows_in_doc(heading: str) -> set[tuple[str, str]] | None:
    """(check, resource) rows of the table under a heading of docs/SECURITY.md, up to its next (sub)heading."""
    text = (REPO / "docs/SECURITY.md").read_text()
    match = re.search(rf"^#+ {re.escape(heading)}\s*$(.*?)(?=^#+ |\Z)", text, re.M | re.S)
    if match is None:
        return None
    return set(re.findall(r"^\|\s*`([A-Z0-9_]+)`\s*\|\s*`([^`]+)`\s*\|", match[1], re.M))


@pytest.mark.parametrize("env", ENVS)
def test_every_skip_has_its_row_in_security_md(env: str) -> None:
    in_code, rows = _skips_in_code(env), _rows_in_doc("envs/_shared")
    assert rows is not None, "docs/SECURITY.md has no '## envs/_shared' section"
    assert in_code - rows == set(), f"skips without a row in docs/SECURITY.md: {sorted(in_code - rows)}"
    assert rows - in_code == set(), f"rows in docs/SECURITY.md without a skip in the code: {sorted(rows - in_code)}"
