"""The monitoring documentation is generated or checked from the code: the README's 모니터링 현황 table is current
(scripts/gen_monitoring_table.py --check) with every cell ✅, docs/MONITORING.md lists exactly the alarms the prod plan
creates with the monitoring module's default thresholds, and docs/SANDBOX_PROFILE.md covers the sandbox profile."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from envsupport import SANDBOX_EXCLUDED_TYPES, SANDBOX_EXTENDED_TYPES, SERVICES, alarms

from tfhelpers import REPO

sys.path.insert(0, str(REPO / "scripts"))
import gen_monitoring_table as gen

# Alarm kinds whose CloudWatch threshold is the module field's default times a unit factor.
UNIT = {"rds-free-storage": 1024**3, "rds-freeable-memory": 1024**2, "rds-read-latency": 0.001,
        "rds-write-latency": 0.001}


def test_readme_monitoring_table_is_current_and_complete() -> None:
    assert gen.main(["--check", "--root", str(REPO)]) == 0, "run: python scripts/gen_monitoring_table.py"
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index(gen.BEGIN):readme.index(gen.END)]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| 서비스")]
    assert [r.split("|")[1].strip() for r in rows] == list(gen.RULES)
    cells = [c.strip() for r in rows for c in r.strip("|").split("|")[1:]]
    assert len(cells) == 24 and all(c.startswith("✅") for c in cells), cells
    assert gen.HEADING in readme and readme.index(gen.HEADING) < readme.index(gen.BEGIN)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for part in ("modules", "envs"):
        shutil.copytree(REPO / part, tmp_path / part, ignore=shutil.ignore_patterns(".terraform*", "examples"))
    shutil.copy(REPO / "README.md", tmp_path / "README.md")
    return tmp_path


def test_generator_notices_missing_collection_and_stale_readme(tree: Path) -> None:
    flow = tree / "modules/vpc/main.tf"
    flow.write_text(flow.read_text().replace('resource "aws_flow_log" "this"', 'resource "aws_flow_log" "gone"'))
    tfvars = tree / "envs/prod/terraform.tfvars"
    tfvars.write_text(tfvars.read_text().replace("enable_rds_performance_insights", "x") +
                      "\nenable_kafka_detailed_monitoring = false\n")
    assert gen.cell(tree, "VPC", "logs").startswith("❌")
    assert gen.cell(tree, "EC2 Kafka", "metrics").startswith("❌")
    assert gen.cell(tree, "ALB", "logs").endswith("dev: off (cost)")
    assert gen.main(["--check", "--root", str(tree)]) == 1
    assert gen.main(["--root", str(tree)]) == 0 and gen.main(["--check", "--root", str(tree)]) == 0


def test_generator_appends_the_section_once(tree: Path) -> None:
    readme = tree / "README.md"
    text = readme.read_text()
    readme.write_text(text[:text.index(gen.HEADING)].rstrip() + "\n")
    assert gen.main(["--root", str(tree)]) == 0
    assert readme.read_text().count(gen.BEGIN) == 1 and gen.main(["--check", "--root", str(tree)]) == 0


# -- docs/MONITORING.md against the code ----------------------------------------------------------------------


def _defaults() -> dict[str, float]:
    text = (REPO / "modules/monitoring/variables.tf").read_text()
    block = text[text.index('variable "thresholds"'):]
    return {k: float(v) for k, v in re.findall(r"^\s*(\w+)\s*=\s*optional\(number,\s*([0-9.]+)\)", block, re.M)}


def _doc_rows() -> dict[str, str]:
    text = (REPO / "docs/MONITORING.md").read_text()
    section = text[text.index("## 알람 목록"):text.index("## 대시보드")]
    return {m[1]: m[0] for m in re.finditer(r"^\| `([a-z0-9<>-]+)` \|.*$", section, re.M)}


def _kind(alarm_name: str, name: str) -> str:
    kind = alarm_name.removeprefix(f"{name}-")
    for svc in sorted(SERVICES, key=len, reverse=True):
        kind = re.sub(rf"^(ecs|alb)-{re.escape(svc)}-", r"\1-<service>-", kind)
    return re.sub(r"^(elasticache|kafka|vpc-nat)-\d+-", r"\1-<n>-", kind)


@pytest.mark.terraform
@pytest.mark.sandbox
def test_monitoring_md_lists_every_alarm_with_its_threshold(prod_plan: dict[str, Any]) -> None:
    rows, defaults = _doc_rows(), _defaults()
    planned: dict[str, float] = {}
    for alarm in alarms(prod_plan):
        planned[_kind(alarm["alarm_name"], "goorm-popcorn-prod")] = float(alarm["threshold"])
    assert set(rows) == set(planned), f"missing: {sorted(set(planned) - set(rows))}; stale: {sorted(set(rows) - set(planned))}"
    for kind, threshold in planned.items():
        condition = rows[kind].split("|")[3]
        fields = re.findall(r"`([a-z0-9_]+)` = ([0-9.]+)", condition)
        if fields:
            ((field, documented),) = fields
            assert defaults[field] == float(documented), f"{kind}: {field} defaults to {defaults[field]}"
            assert threshold == pytest.approx(defaults[field] * UNIT.get(kind, 1)), f"{kind}: plan says {threshold}"
        else:
            assert re.search(rf"[>≥] {threshold:g}\b", condition), f"{kind}: threshold {threshold:g} not in {condition}"


def test_sandbox_profile_doc_lists_every_extension() -> None:
    doc = (REPO / "docs/SANDBOX_PROFILE.md").read_text()
    # What the emulator's extensions create in the sandbox, said where the doc lists them, and no longer left out.
    extended = doc[doc.index("## What the emulator's extensions add"):]
    extended = extended[: extended.index("\n## ", 1)]
    from popcornctl.sandbox.extensions import registered

    for ext in registered():
        assert f"`{ext.id}`" in extended, f"docs/SANDBOX_PROFILE.md does not list the extension {ext.id}"
    assert not SANDBOX_EXTENDED_TYPES & SANDBOX_EXCLUDED_TYPES
