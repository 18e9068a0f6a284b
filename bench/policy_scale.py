#!/usr/bin/env python3
"""Policy-check at scale: a synthetic plan with 5,000 resource changes.

Prints timings against their goals (informational: nothing fails):
- our policy evaluator's time on the plan (goal: <= 1 s), with the JSON parse shown separately;
- Checkov's time on the same file, and the ratio (goal: ours >= 5x faster);
- the full `policy-check` time (our evaluator and Checkov run concurrently, then merge, waivers, file:line)
  against Checkov alone (goal: <= 1.15x).

    python bench/policy_scale.py [--resources 5000] [--no-checkov] [--keep PATH]

The plan mimics ``terraform show -json`` output of a stack with a module instantiated per shard
(``module.shard["sNN"]``), 20 resource types with passing and failing settings, unknown values, and a
configuration block with references (flow logs -> VPCs, public access blocks -> buckets).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tooling"))

# (type, name, after, after_unknown, expressions)
Template = tuple[str, str, dict[str, Any], dict[str, Any], dict[str, Any]]

CONTAINERS = json.dumps(
    [
        {
            "name": "app",
            "image": "nginx:1.27",
            "essential": True,
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {"awslogs-group": "/aws/ecs/app", "awslogs-region": "ap-northeast-2"},
            },
        }
    ]
)
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/*"},
            {"Effect": "Allow", "Action": "xray:PutTraceSegments", "Resource": "*"},
        ],
    }
)
TAGS = {"Project": "popcorn", "Environment": "prod", "ManagedBy": "terraform", "Owner": "platform"}


def _ref(*refs: str) -> dict[str, Any]:
    return {"references": list(refs)}


TEMPLATES: list[Template] = [
    ("aws_vpc", "net", {"cidr_block": "10.0.0.0/16"}, {"id": True, "arn": True}, {}),
    ("aws_flow_log", "net", {"traffic_type": "ALL"}, {"vpc_id": True, "id": True}, {"vpc_id": _ref("aws_vpc.net.id")}),
    (
        "aws_security_group",
        "alb",
        {
            "name": "alb",
            "ingress": [
                {
                    "cidr_blocks": ["0.0.0.0/0"],
                    "ipv6_cidr_blocks": [],
                    "from_port": 443,
                    "to_port": 443,
                    "protocol": "tcp",
                }
            ],
        },
        {"id": True, "vpc_id": True},
        {"ingress": {"constant_value": []}},
    ),
    (
        "aws_security_group",
        "app",
        {
            "name": "app",
            "ingress": [
                {
                    "cidr_blocks": ["0.0.0.0/0"],
                    "ipv6_cidr_blocks": [],
                    "from_port": 22,
                    "to_port": 22,
                    "protocol": "tcp",
                }
            ],
        },
        {"id": True},
        {"ingress": {"constant_value": []}},
    ),
    (
        "aws_vpc_security_group_ingress_rule",
        "db",
        {"cidr_ipv4": "10.0.0.0/16", "cidr_ipv6": None, "from_port": 5432, "to_port": 5432, "ip_protocol": "tcp"},
        {"security_group_id": True},
        {"security_group_id": _ref("aws_security_group.app.id")},
    ),
    (
        "aws_lb",
        "edge",
        {
            "load_balancer_type": "application",
            "drop_invalid_header_fields": True,
            "enable_deletion_protection": True,
            "access_logs": [{"enabled": True, "bucket": "logs"}],
        },
        {"security_groups": True},
        {"security_groups": _ref("aws_security_group.alb.id")},
    ),
    ("aws_lb_listener", "https", {"protocol": "HTTPS", "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}, {}, {}),
    (
        "aws_db_instance",
        "db",
        {
            "storage_encrypted": True,
            "publicly_accessible": False,
            "multi_az": False,
            "deletion_protection": True,
            "backup_retention_period": 7,
            "instance_class": "db.t4g.medium",
        },
        {"kms_key_id": True},
        {},
    ),
    (
        "aws_elasticache_replication_group",
        "cache",
        {
            "at_rest_encryption_enabled": True,
            "transit_encryption_enabled": True,
            "automatic_failover_enabled": True,
            "num_cache_clusters": 2,
        },
        {},
        {},
    ),
    ("aws_s3_bucket", "data", {"bucket": "data"}, {"id": True, "arn": True}, {}),
    (
        "aws_s3_bucket_public_access_block",
        "data",
        {
            "block_public_acls": True,
            "block_public_policy": True,
            "ignore_public_acls": True,
            "restrict_public_buckets": True,
        },
        {"bucket": True},
        {"bucket": _ref("aws_s3_bucket.data.id")},
    ),
    ("aws_ebs_volume", "data", {"encrypted": True, "availability_zone": "ap-northeast-2a"}, {"id": True}, {}),
    ("aws_cloudwatch_log_group", "app", {"retention_in_days": 30, "kms_key_id": None}, {}, {}),
    ("aws_sns_topic", "alerts", {"kms_master_key_id": "alias/aws/sns"}, {}, {}),
    (
        "aws_ecr_repository",
        "app",
        {"image_tag_mutability": "MUTABLE", "image_scanning_configuration": [{"scan_on_push": True}]},
        {},
        {},
    ),
    ("aws_ecs_task_definition", "app", {"container_definitions": CONTAINERS}, {"arn": True}, {}),
    (
        "aws_ecs_service",
        "app",
        {
            "network_configuration": [{"assign_public_ip": False}],
            "deployment_circuit_breaker": [{"enable": True, "rollback": True}],
        },
        {},
        {},
    ),
    ("aws_iam_policy", "app", {"policy": POLICY}, {"arn": True}, {}),
    (
        "aws_launch_template",
        "kafka",
        {"metadata_options": [{"http_tokens": "required"}], "block_device_mappings": []},
        {},
        {},
    ),
    ("aws_kms_key", "data", {"enable_key_rotation": True, "customer_master_key_spec": "SYMMETRIC_DEFAULT"}, {}, {}),
]


def synthetic_plan(count: int) -> dict[str, Any]:
    """A plan-shaped document with ``count`` resource changes (module instances of 20 resources each)."""
    per_shard = len(TEMPLATES)
    shards = max(1, -(-count // per_shard))
    changes: list[dict[str, Any]] = []
    child_modules: list[dict[str, Any]] = []
    for shard in range(shards):
        module = f'module.shard["s{shard:04d}"]'
        planned: list[dict[str, Any]] = []
        for rtype, name, after, unknown, _expr in TEMPLATES:
            if len(changes) >= count:
                break
            values = {**after, "tags": None, "tags_all": TAGS}
            address = f"{module}.{rtype}.{name}"
            changes.append(
                {
                    "address": address,
                    "module_address": module,
                    "mode": "managed",
                    "type": rtype,
                    "name": name,
                    "provider_name": "registry.terraform.io/hashicorp/aws",
                    "change": {
                        "actions": ["create"],
                        "before": None,
                        "after": values,
                        "after_unknown": unknown,
                        "before_sensitive": False,
                        "after_sensitive": {},
                    },
                }
            )
            planned.append(
                {
                    "address": address,
                    "mode": "managed",
                    "type": rtype,
                    "name": name,
                    "provider_name": "registry.terraform.io/hashicorp/aws",
                    "schema_version": 0,
                    "values": values,
                    "sensitive_values": {},
                }
            )
        child_modules.append({"address": module, "resources": planned})
    resources = [
        {
            "address": f"{rtype}.{name}",
            "mode": "managed",
            "type": rtype,
            "name": name,
            "provider_config_key": "aws",
            "expressions": expr,
            "schema_version": 0,
        }
        for rtype, name, _a, _u, expr in TEMPLATES
    ]
    return {
        "format_version": "1.2",
        "terraform_version": "1.15.5",
        "variables": {"environment": {"value": "prod"}},
        "planned_values": {"root_module": {"child_modules": child_modules}},
        "resource_changes": changes,
        "configuration": {
            "root_module": {
                "module_calls": {
                    "shard": {
                        "source": "./modules/shard",
                        "for_each_expression": {"references": ["local.shards"]},
                        "module": {"resources": resources},
                    }
                }
            }
        },
    }


def _time(fn: Any, repeat: int) -> tuple[float, Any]:
    samples = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--no-checkov", action="store_true", help="Only time our evaluator.")
    parser.add_argument("--keep", type=Path, help="Also write the synthetic plan here.")
    parser.add_argument("--repeat", type=int, default=3, help="Runs of our evaluator (median shown).")
    parser.add_argument("--rounds", type=int, default=2, help="Interleaved Checkov-alone/full rounds (median).")
    args = parser.parse_args(argv)
    os.environ.update(BC_SKIP_MAPPING="TRUE", CKV_SKIP_PACKAGE_UPDATE_CHECK="true")

    from popcornctl.policy import evaluate_inputs, prepare
    from popcornctl.policy.checkov import start_plan_scan
    from popcornctl.policy.planjson import read_plan_file

    plan = synthetic_plan(args.resources)
    with tempfile.TemporaryDirectory(prefix="policy-bench-") as tmp:
        path = Path(tmp) / "plan.json"
        path.write_text(json.dumps(plan), encoding="utf-8")
        if args.keep:
            args.keep.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        root = Path(tmp) / "stack"  # no .tf files: file:line lookups find nothing, as for a plan from elsewhere
        root.mkdir()
        setup = prepare(REPO)

        def ours() -> Any:
            items = read_plan_file(path)
            for item in items:
                item.root = root
            return evaluate_inputs(items, setup, env=None, run_checkov=False)

        parse_s, _ = _time(lambda: read_plan_file(path), args.repeat)
        ours_s, report = _time(ours, args.repeat)
        print(f"synthetic plan: {len(plan['resource_changes'])} resource changes, {path.stat().st_size / 1e6:.1f} MB")
        print(
            f"our evaluator: {ours_s:.3f} s (of which reading + checking the JSON {parse_s:.3f} s); "
            f"{len(report.checks)} checks, {len(report.results)} findings, "
            f"{sum(1 for p in report.policies if p.status == 'ran')} policies ran  [goal <= 1 s]"
        )
        if args.no_checkov:
            return 0

        # Checkov alone and the full run, interleaved, so machine load hits both alike; medians are shown.
        checkov_times: list[float] = []
        full_times: list[float] = []
        outcome: Any = None
        full: Any = None
        for _ in range(max(1, args.rounds)):
            started = time.perf_counter()
            outcome = start_plan_scan(path, root).wait()
            checkov_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            items = read_plan_file(path)
            for item in items:
                item.root = root
            full = evaluate_inputs(items, setup, env=None, run_checkov=True)
            full_times.append(time.perf_counter() - started)
        checkov_s = statistics.median(checkov_times)
        full_s = statistics.median(full_times)
        print(
            f"Checkov alone: {checkov_s:.2f} s ({len(outcome.findings)} failed checks, version {outcome.version}); "
            f"runs {', '.join(f'{t:.1f}' for t in checkov_times)}"
        )
        print(f"ratio Checkov / ours: {checkov_s / ours_s:.1f}x  [goal >= 5x]")
        print(
            f"full policy-check (ours + Checkov concurrently, merged): {full_s:.2f} s, "
            f"{len(full.results)} findings ({full.checkov.merged} from Checkov, "
            f"{len(full.checkov.superseded)} folded into ours); runs {', '.join(f'{t:.1f}' for t in full_times)}"
        )
        print(f"ratio full / Checkov alone: {full_s / checkov_s:.3f}x  [goal <= 1.15x]")
        print(
            f"load average during the run: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
            f"on {os.cpu_count()} CPUs (other work on the machine skews every figure)"
        )
        cli = subprocess.run(  # the same through the CLI, as CI runs it
            [
                sys.executable,
                "-m",
                "popcornctl",
                "--repo",
                str(REPO),
                "policy-check",
                str(path),
                "--root",
                str(root),
                "--output",
                "json",
                "--out",
                str(Path(tmp) / "report.json"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        print(f"CLI exit code {cli.returncode}: {cli.stderr.strip().splitlines()[-1] if cli.stderr.strip() else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
