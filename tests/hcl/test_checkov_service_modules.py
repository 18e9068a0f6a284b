"""Checkov (offline) over the service modules (ecs, rds, elasticache, ec2-kafka, xray, monitoring) and their examples: no failed check, and every skip carries a reason
in the code and a row in docs/SECURITY.md under the module's heading."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tfhelpers import REPO

pytestmark = pytest.mark.terraform

MODULES = ("ecs", "rds", "elasticache", "ec2-kafka", "xray", "monitoring")
SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def _checkov() -> list[str]:
    exe = Path(sys.executable).with_name("checkov")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "checkov.main"]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """One Checkov run over modules/ (cheaper than one per module); results are filtered to the service modules below."""
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CKV_SKIP_PACKAGE_UPDATE_CHECK="true", LOG_LEVEL="ERROR")
    out = tmp_path_factory.mktemp("checkov") / "report.json"
    with out.open("w") as fh:
        proc = subprocess.run(
            [*_checkov(), "--skip-download", "-d", "modules", "--framework", "terraform", "-o", "json", "--quiet"],
            cwd=REPO, env=env, stdout=fh, stderr=subprocess.PIPE, text=True, timeout=900, check=False,
        )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    data = json.loads(out.read_text())
    return data if isinstance(data, list) else [data]


def _module_of(file_path: str) -> str:
    return file_path.lstrip("/").split("/", 1)[0]


def test_no_failed_check_in_the_service_modules(reports: list[dict[str, Any]]) -> None:
    assert any(r.get("check_type") == "terraform" for r in reports)
    failed = [
        f"{f['check_id']} {f['resource']} ({f['file_path']}:{f['file_line_range']}) {f['check_name']}"
        for r in reports
        for f in r.get("results", {}).get("failed_checks", [])
        if _module_of(f["file_path"]) in MODULES
    ]
    assert not failed, "Checkov findings without a reasoned skip:\n" + "\n".join(failed)


BLOCK = re.compile(r'^(resource|data)\s+"([^"]+)"\s+"([^"]+)"')


def _skips(module: str) -> list[tuple[str, str, str, str]]:
    """(check id, block address as written in the HCL, reason, file) for every skip comment of the module."""
    found = []
    for tf in sorted((REPO / "modules" / module).rglob("*.tf")):
        block = ""
        for line in tf.read_text().splitlines():
            b = BLOCK.match(line)
            if b:
                block = ("data." if b.group(1) == "data" else "") + f"{b.group(2)}.{b.group(3)}"
            m = SKIP.search(line)
            if m:
                found.append((m.group(1), block, (m.group(2) or "").strip(), str(tf.relative_to(REPO))))
    return found


def _security_rows(module: str) -> set[tuple[str, str]] | None:
    """(check, resource) rows of the module's table in docs/SECURITY.md; None when it has no heading."""
    text = (REPO / "docs/SECURITY.md").read_text()
    match = re.search(rf"^## modules/{re.escape(module)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    if match is None:
        return None
    rows = set()
    for line in match.group(1).splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 3 and cells[0].startswith("CKV"):
            rows.add((cells[0], cells[1]))
    return rows


@pytest.mark.parametrize("module", MODULES)
def test_every_skip_is_reasoned_and_documented(module: str) -> None:
    skips = _skips(module)
    for check_id, block, reason, where in skips:
        assert block, f"{where}: checkov:skip={check_id} is outside a resource or data block"
        assert len(reason) >= 20, f"{where}: checkov:skip={check_id} needs a real reason"
    rows = _security_rows(module)
    assert rows is not None, f"docs/SECURITY.md has no '## modules/{module}' section"
    in_code = {(c, b) for c, b, _, _ in skips}
    assert in_code - rows == set(), f"skips without a row in docs/SECURITY.md: {sorted(in_code - rows)}"
    assert rows - in_code == set(), f"rows in docs/SECURITY.md without a skip in the code: {sorted(rows - in_code)}"
