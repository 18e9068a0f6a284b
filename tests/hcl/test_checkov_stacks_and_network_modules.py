"""Checkov (offline) over each shared stack and the network and edge modules: no failed check, and no stale skip.

Each folder is scanned on its own (`checkov -d <folder> --skip-path examples`): a module with its variable
defaults, a stack as deployed. Examples are left out (they are demo scaffolding, scanned by nobody's gate). The
scans run as parallel processes from one module-scoped fixture. That the skips are documented in
docs/SECURITY.md is checked in test_conventions.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tfhelpers import REPO

pytest.importorskip("checkov", reason="Checkov is not installed")

FOLDERS = (
    "bootstrap",
    "global/route53-acm",
    "global/ecr",
    "global/account",
    "modules/vpc",
    "modules/security-groups",
    "modules/iam",
    "modules/alb",
    "modules/cloudmap",
)
SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)")


def _checkov() -> list[str]:
    exe = Path(sys.executable).with_name("checkov")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "checkov.main"]


def _scan(folder: str) -> dict[str, Any]:
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CKV_SKIP_PACKAGE_UPDATE_CHECK="true", LOG_LEVEL="ERROR")
    proc = subprocess.run(
        [
            *_checkov(),
            "--skip-download",
            "-d",
            folder,
            "--skip-path",
            "examples",
            "--framework",
            "terraform",
            "-o",
            "json",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode in (0, 1), f"checkov crashed on {folder}:\n{proc.stderr[-3000:]}"
    data = json.loads(proc.stdout)
    reports = data if isinstance(data, list) else [data]
    merged: dict[str, Any] = {"failed": [], "skipped": [], "passed": 0, "parsing_errors": []}
    for report in reports:
        results = report.get("results", {})
        merged["failed"] += results.get("failed_checks", [])
        merged["skipped"] += results.get("skipped_checks", [])
        merged["passed"] += len(results.get("passed_checks", []))
        merged["parsing_errors"] += results.get("parsing_errors", [])
    return merged


@pytest.fixture(scope="module")
def scans() -> dict[str, dict[str, Any]]:
    workers = max(1, min(4, (os.cpu_count() or 2)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip(FOLDERS, pool.map(_scan, FOLDERS), strict=True))


@pytest.mark.parametrize("folder", FOLDERS)
def test_no_failed_check(scans: dict[str, dict[str, Any]], folder: str) -> None:
    scan = scans[folder]
    assert not scan["parsing_errors"], f"Checkov could not parse {scan['parsing_errors']}"
    assert scan["passed"] > 0 or folder == "modules/cloudmap", f"Checkov evaluated nothing in {folder}"
    failed = [
        f"{f['check_id']} {f['resource']} ({f['file_path']}:{f['file_line_range']}) {f['check_name']}"
        for f in scan["failed"]
    ]
    assert not failed, f"Checkov findings in {folder} without a reasoned skip:\n" + "\n".join(failed)


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_skip_suppresses_a_finding(scans: dict[str, dict[str, Any]], folder: str) -> None:
    """A skip comment Checkov never needed is stale: it documents a risk that is not there."""
    in_code = {m.group(1) for path in (REPO / folder).glob("*.tf") for m in SKIP.finditer(path.read_text())}
    used = {s["check_id"] for s in scans[folder]["skipped"]}
    assert in_code == used, (
        f"{folder}: skips without a finding: {sorted(in_code - used)}; unexpected: {sorted(used - in_code)}"
    )
