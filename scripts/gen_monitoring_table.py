#!/usr/bin/env python3
"""Regenerate the README's monitoring table (모니터링 현황) from the HCL.

For each service family of the seed's table (ECS Fargate, RDS PostgreSQL, EC2 Kafka, ALB, ElastiCache, VPC) it reads
the modules and the environments and decides, per column, whether the code collects it:

- 로그 수집 (logs): the log groups / log deliveries the modules create, and the environment switches they need;
- 메트릭 (metrics): the metric sources (Container Insights, Enhanced Monitoring, the CloudWatch agent, log metric
  filters, the AWS namespaces the alarms and widgets read);
- 알람 (alarms): the alarm kinds modules/monitoring defines for the family, when the environments enable them;
- 대시보드 (dashboard): the family's rows in the integrated dashboard.

A cell is ✅ when every piece of evidence is in the code and the prod profile has it on; when dev's profile switches a
piece off, the cell says so. The table is written between `<!-- BEGIN_MONITORING_TABLE -->` and
`<!-- END_MONITORING_TABLE -->` in README.md (the section is appended under "## Monitoring / 모니터링 현황" when the
markers are missing). `--check` writes nothing and exits 1 when the README is stale (tests/envs run it).

Usage: python scripts/gen_monitoring_table.py [--check] [--root DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

BEGIN = "<!-- BEGIN_MONITORING_TABLE -->"
END = "<!-- END_MONITORING_TABLE -->"
HEADING = "## Monitoring / 모니터링 현황"
ENVS = ("prod", "dev")
COLUMNS = ("logs", "metrics", "alarms", "dashboard")
HEADERS = ("서비스 (service)", "로그 수집 (logs)", "메트릭 (metrics)", "알람 (alarms)", "대시보드 (dashboard)")


@dataclass(frozen=True)
class Code:
    """Evidence: ``pattern`` (a regex) occurs in ``file``."""

    file: str
    pattern: str
    label: str


@dataclass(frozen=True)
class Switch:
    """Evidence: the environment variable ``name`` is true in the environment's profile (tfvars, else default)."""

    name: str
    label: str


Evidence = Code | Switch

# family -> column -> evidence. Labels are what the README cell shows.
RULES: dict[str, dict[str, list[Evidence]]] = {
    "ECS Fargate": {
        "logs": [Code("modules/ecs/main.tf", r'resource "aws_cloudwatch_log_group" "service"',
                      "`/aws/ecs/<name>/<service>`")],
        "metrics": [Code("modules/ecs/variables.tf", r'variable "container_insights"[\s\S]*?default\s*=\s*"enabled"',
                         "Container Insights"),
                    Code("modules/monitoring/main.tf", r'resource "aws_cloudwatch_log_metric_filter" "ecs_errors"',
                         "ERROR-line metric filters")],
        "alarms": [],
        "dashboard": [Code("modules/monitoring/dashboard.tf", r"\becs_rows\s*=", "cluster row"),
                      Code("modules/monitoring/dashboard.tf", r"\bservice_rows\s*=", "a row per service")],
    },
    "RDS PostgreSQL": {
        "logs": [Code("modules/rds/main.tf", r'resource "aws_cloudwatch_log_group" "this"',
                      "`/aws/rds/instance/<id>/postgresql`, `upgrade` exports")],
        "metrics": [Switch("enable_rds_enhanced_monitoring", "Enhanced Monitoring"),
                    Switch("enable_rds_performance_insights", "Performance Insights")],
        "alarms": [],
        "dashboard": [Code("modules/monitoring/dashboard.tf", r"\brds_rows\s*=", "RDS rows")],
    },
    "EC2 Kafka": {
        "logs": [Code("modules/ec2-kafka/main.tf", r'log_group_name\s*=\s*"/aws/ec2/\$\{var\.name\}/kafka"',
                      "`/aws/ec2/<name>/kafka` (CloudWatch agent)")],
        "metrics": [Code("modules/ec2-kafka/variables.tf",
                         r'variable "enable_cloudwatch_agent"[\s\S]*?default\s*=\s*true', "CloudWatch agent mem/disk"),
                    Switch("enable_kafka_detailed_monitoring", "1-minute EC2 metrics")],
        "alarms": [],
        "dashboard": [Code("modules/monitoring/dashboard.tf", r"\bkafka_rows\s*=", "broker row")],
    },
    "ALB": {
        "logs": [Code("modules/alb/main.tf", r'resource "aws_s3_bucket" "access_logs"', "access logs to S3"),
                 Switch("enable_alb_access_logs", "`enable_alb_access_logs`")],
        "metrics": [Code("modules/alb/main.tf", r'resource "aws_lb_target_group" "this"',
                         "`AWS/ApplicationELB` per ALB and target group")],
        "alarms": [],
        "dashboard": [Code("modules/monitoring/dashboard.tf", r"\balb_rows\s*=", "ALB row")],
    },
    "ElastiCache": {
        "logs": [Code("modules/elasticache/main.tf", r'resource "aws_cloudwatch_log_group" "this"',
                      "slow log, engine log"),
                 Switch("enable_elasticache", "`enable_elasticache`")],
        "metrics": [Code("modules/elasticache/outputs.tf", r'output "member_cluster_ids"',
                         "`AWS/ElastiCache` per node")],
        "alarms": [],
        "dashboard": [Code("modules/monitoring/dashboard.tf", r"\belasticache_rows\s*=", "node row")],
    },
    "VPC": {
        "logs": [Code("modules/vpc/main.tf", r'resource "aws_flow_log" "this"', "flow logs"),
                 Switch("enable_vpc_flow_logs", "`enable_vpc_flow_logs`")],
        "metrics": [Code("modules/monitoring/main.tf",
                         r'resource "aws_cloudwatch_log_metric_filter" "flow_log_rejects"', "REJECT metric filter"),
                    Code("modules/vpc/main.tf", r'resource "aws_nat_gateway" "this"', "`AWS/NATGateway`")],
        "alarms": [],
        "dashboard": [Code("modules/monitoring/dashboard.tf", r"\bvpc_rows\s*=", "NAT and REJECT row")],
    },
}

# family -> the monitoring module's family key (alarms) and the env's toggle for it.
ALARM_FAMILIES = {
    "ECS Fargate": "ecs", "RDS PostgreSQL": "rds", "EC2 Kafka": "kafka", "ALB": "alb", "ElastiCache": "elasticache",
    "VPC": "vpc",
}


def _read(root: Path, rel: str) -> str:
    path = root / rel
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _block(text: str, start: str) -> str:
    """The brace-balanced text after ``start`` (e.g. 'rds_alarm_specs = {')."""
    i = text.find(start)
    if i < 0:
        return ""
    depth, j = 0, i + len(start) - 1
    for j in range(i + len(start) - 1, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            break
    return text[i:j]


def alarm_kinds(root: Path) -> dict[str, list[str]]:
    """Monitoring family key -> alarm kinds (alarm name without the prefix and the per-instance parts)."""
    text = _read(root, "modules/monitoring/main.tf")
    kinds: dict[str, list[str]] = {}
    key_pattern = r'"((?:ecs|alb|rds|elasticache|kafka|vpc)-[^"]*)"\s*=>?\s*(?:merge\(local\.alarm_defaults|svc)'
    for key in re.findall(key_pattern, text):
        family, _, rest = re.sub(r"\$\{[^}]+\}-?", "", key).partition("-")
        specs = _block(text, f"{family}_alarm_specs = {{")
        names = [rest.strip("-")] if rest.strip("-") else re.findall(r"^\s{4}([a-z][a-z0-9-]*)\s*=\s*\{", specs, re.M)
        for name in names:
            if name and name not in kinds.setdefault(family, []):
                kinds[family].append(name)
    return kinds


def _tfvars_value(text: str, name: str) -> str | None:
    match = re.search(rf"^\s*{re.escape(name)}\s*=\s*([^\s#]+)", text, re.M)
    return match[1] if match else None


def switch_on(root: Path, env: str, name: str) -> bool:
    """Whether a boolean variable of the environment is true (terraform.tfvars, else the variable's default)."""
    value = _tfvars_value(_read(root, f"envs/{env}/terraform.tfvars"), name)
    if value is None:
        block = _block(_read(root, f"envs/{env}/variables.tf"), f'variable "{name}" {{')
        match = re.search(r"^\s*default\s*=\s*(\S+)", block, re.M)
        value = match[1] if match else None
    return value == "true"


def monitoring_enables(root: Path, env: str, family: str) -> bool:
    """Whether the environment's module "monitoring" turns the family's alarms on."""
    call = _block(_read(root, f"envs/{env}/main.tf"), 'module "monitoring" {')
    match = re.search(rf"^\s*enable_{family}_alarms\s*=\s*(\S+)", call, re.M)
    if match is None:
        return False
    value = match[1]
    return value == "true" or (value.startswith("var.") and switch_on(root, env, value[4:]))


def cell(root: Path, family: str, column: str) -> str:
    """The README cell: ✅/❌, what collects it, and dev's difference."""
    if column == "alarms":
        key = ALARM_FAMILIES[family]
        kinds = alarm_kinds(root).get(key, [])
        per_env = {env: bool(kinds) and monitoring_enables(root, env, key) for env in ENVS}
        label = ", ".join(kinds) or "none defined"
    else:
        evidence = RULES[family][column]
        missing = [e.label for e in evidence if isinstance(e, Code) and not re.search(e.pattern, _read(root, e.file))]
        switches = [e for e in evidence if isinstance(e, Switch)]
        per_env = {env: not missing and all(switch_on(root, env, s.name) for s in switches) for env in ENVS}
        label = ", ".join(e.label for e in evidence if isinstance(e, Code) or column == "metrics")
        if missing:
            label += f" (missing: {', '.join(missing)})"
    mark = "✅" if per_env["prod"] else "❌"
    note = "" if per_env["dev"] == per_env["prod"] else (" — dev: off (cost)" if per_env["prod"] else " — dev only")
    return f"{mark} {label}{note}"


def table(root: Path) -> str:
    """The generated section between the markers (markers included)."""
    lines = [
        BEGIN,
        "<!-- Generated by scripts/gen_monitoring_table.py from modules/ and envs/; do not edit by hand. -->",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "|".join("---" for _ in HEADERS) + "|",
    ]
    for family in RULES:
        lines.append("| " + " | ".join([family, *(cell(root, family, c) for c in COLUMNS)]) + " |")
    lines += [
        "",
        "✅: collected in prod; \"dev: off (cost)\" marks what dev's profile (`envs/dev/terraform.tfvars`) switches "
        "off. Alarms are named `goorm-popcorn-<env>-<kind>` and listed with thresholds in "
        "[docs/MONITORING.md](docs/MONITORING.md); switches in [docs/CLOUDWATCH_SETUP.md](docs/CLOUDWATCH_SETUP.md).",
        END,
    ]
    return "\n".join(lines)


def render(readme: str, section: str) -> str:
    """README text with the section replaced (or appended under the heading)."""
    if BEGIN in readme and END in readme:
        head, _, rest = readme.partition(BEGIN)
        _, _, tail = rest.partition(END)
        return head + section + tail
    return readme.rstrip("\n") + f"\n\n{HEADING}\n\n{section}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when README.md is stale; write nothing")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1], help="repository root")
    args = parser.parse_args(argv)
    readme_path = args.root / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    wanted = render(readme, table(args.root))
    if args.check:
        if wanted != readme:
            print("README.md monitoring table is stale: run python scripts/gen_monitoring_table.py", file=sys.stderr)
            return 1
        return 0
    if wanted != readme:
        readme_path.write_text(wanted, encoding="utf-8")
        print("README.md: monitoring table updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
