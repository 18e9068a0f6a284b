"""modules/monitoring: the integrated monitoring module (the seed's 통합 모니터링 모듈), planned against the sandbox,
plus one sandbox apply proving the emulator accepts every alarm, filter, topic and the dashboard."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest

from tfhelpers import REPO, resources

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

EXAMPLE = REPO / "modules/monitoring/examples/basic"
NAME = "popcorn-mon-ex"
FAMILIES = {"ecs", "alb", "rds", "elasticache", "kafka", "vpc"}


@pytest.fixture(scope="module")
def plan(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    return tf_session.plan_json(EXAMPLE, sandbox=moto_server)


def _alarms(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["values"]["alarm_name"]: a for a in resources(plan, "aws_cloudwatch_metric_alarm")}


def test_alarms_for_each_of_the_six_families(plan: dict[str, Any]) -> None:
    alarms = _alarms(plan)
    assert all(name.startswith(f"{NAME}-") for name in alarms)
    by_family: dict[str, set[str]] = {}
    for name, alarm in alarms.items():
        by_family.setdefault(alarm["values"]["tags"]["AlarmFamily"], set()).add(name)
    assert set(by_family) == FAMILIES
    output = plan["planned_values"]["outputs"]["alarm_names_by_service"]["value"]
    assert {f: set(v) for f, v in output.items()} == by_family

    def metrics(family: str) -> set[str]:
        return {
            alarms[n]["values"].get("metric_name") or "metric-math"
            for n in by_family[family]
        }

    assert metrics("ecs") == {"CPUUtilization", "MemoryUtilization", "metric-math", "api-gateway-error-logs", "user-service-error-logs"}
    assert metrics("alb") == {"HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "UnHealthyHostCount", "TargetResponseTime"}
    assert metrics("rds") == {"CPUUtilization", "FreeStorageSpace", "FreeableMemory", "DatabaseConnections", "ReadLatency", "WriteLatency"}
    assert metrics("elasticache") == {"EngineCPUUtilization", "DatabaseMemoryUsagePercentage", "Evictions", "CurrConnections"}
    assert metrics("kafka") == {"StatusCheckFailed", "StatusCheckFailed_System", "CPUUtilization", "mem_used_percent", "disk_used_percent", "kafka-error-logs"}
    assert metrics("vpc") == {"ErrorPortAllocation", "PacketsDropCount", "vpc-flow-log-rejects"}
    # Per-resource fan-out: 2 ECS services, 2 cache nodes, 3 brokers, 1 NAT gateway.
    assert len(by_family["ecs"]) == 2 * 4 and len(by_family["elasticache"]) == 2 * 4
    assert len(by_family["kafka"]) == 3 * 5 + 1 and len(by_family["vpc"]) == 2 + 1


def test_alarm_details(plan: dict[str, Any]) -> None:
    alarms = _alarms(plan)
    p99 = alarms[f"{NAME}-alb-p99-latency"]["values"]
    assert p99["extended_statistic"] == "p99" and p99.get("statistic") is None and p99["threshold"] == 1.5
    assert alarms[f"{NAME}-ecs-api-gateway-cpu"]["values"]["threshold"] == 75, "typed thresholds override defaults"
    assert alarms[f"{NAME}-ecs-api-gateway-cpu"]["values"]["dimensions"] == {
        "ClusterName": f"{NAME}-cluster", "ServiceName": f"{NAME}-api-gateway"
    }
    storage = alarms[f"{NAME}-rds-free-storage"]["values"]
    assert storage["comparison_operator"] == "LessThanThreshold" and storage["threshold"] == 2 * 1024**3
    disk = alarms[f"{NAME}-kafka-1-data-disk"]["values"]
    assert disk["namespace"] == "CWAgent" and disk["dimensions"]["path"] == "/var/lib/kafka"
    recover = alarms[f"{NAME}-kafka-1-system-status"]
    assert recover["unknown"].get("alarm_actions") and "recovers the instance" in recover["values"]["alarm_description"]
    running = alarms[f"{NAME}-ecs-user-service-running-tasks"]["values"]
    queries = {q["id"]: q for q in running["metric_query"]}
    assert queries["missing_tasks"]["expression"] == "desired - running"
    assert queries["running"]["metric"][0]["namespace"] == "ECS/ContainerInsights"
    assert all(a["values"]["actions_enabled"] is True for a in alarms.values())


def test_sns_topic_is_encrypted_and_subscribed(plan: dict[str, Any]) -> None:
    (topic,) = resources(plan, "aws_sns_topic")
    assert topic["values"]["name"] == f"{NAME}-alerts"
    assert topic["unknown"].get("kms_master_key_id"), "customer managed key CloudWatch may use"
    (sub,) = resources(plan, "aws_sns_topic_subscription")
    assert (sub["values"]["protocol"], sub["values"]["endpoint"]) == ("email", "devops@example.com")
    keys = [k for k in resources(plan, "aws_kms_key") if k["module_address"] == "module.monitoring"]
    assert (len(keys) == 1 and "cloudwatch.amazonaws.com" in json.dumps(keys[0]["values"].get("policy", ""))) or keys


def test_log_metric_filters_for_errors_and_rejects(plan: dict[str, Any]) -> None:
    filters = {f["values"]["name"]: f["values"] for f in resources(plan, "aws_cloudwatch_log_metric_filter")}
    assert set(filters) == {
        f"{NAME}-api-gateway-error-logs",
        f"{NAME}-user-service-error-logs",
        f"{NAME}-kafka-error-logs",
        f"{NAME}-vpc-flow-log-rejects",
    }
    api = filters[f"{NAME}-api-gateway-error-logs"]
    assert api["log_group_name"] == f"/aws/ecs/{NAME}/api-gateway" and "ERROR" in api["pattern"]
    assert filters[f"{NAME}-vpc-flow-log-rejects"]["pattern"] == "REJECT"


def test_one_integrated_dashboard_with_every_family_and_per_service_widgets(plan: dict[str, Any]) -> None:
    (dash,) = resources(plan, "aws_cloudwatch_dashboard")
    assert dash["values"]["dashboard_name"] == f"{NAME}-overview"
    widgets = json.loads(dash["values"]["dashboard_body"])["widgets"]
    text = json.dumps(widgets)
    for namespace in ("AWS/ECS", "ECS/ContainerInsights", "AWS/ApplicationELB", "AWS/RDS", "AWS/ElastiCache",
                      "AWS/EC2", "CWAgent", "AWS/NATGateway"):
        assert namespace in text, namespace
    titles = [w["properties"].get("title", "") for w in widgets]
    for service in ("api-gateway", "user-service"):
        assert any(t.startswith(f"{service}:") for t in titles), f"per-service widgets for {service}"
    assert any(w["type"] == "log" for w in widgets) and any(w["type"] == "alarm" for w in widgets)
    for w in widgets:  # inside the 24-column grid, no overlap between rows
        assert w["x"] >= 0 and w["x"] + w["width"] <= 24 and w["height"] > 0
    for w in widgets:  # PutDashboard: every metric widget's `metrics` is a list of rows, each row a list
        metrics = w["properties"].get("metrics")
        if metrics is not None:
            assert metrics and all(isinstance(row, list) for row in metrics), w["properties"].get("title")


@pytest.mark.slow
def test_sandbox_apply_is_idempotent(tf_session: Any, sandbox: Any, tmp_path: Path) -> None:
    # A copy of the example (module source made absolute) keeps the local state out of the repository.
    work = tmp_path / "example"
    shutil.copytree(EXAMPLE, work, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    main = work / "main.tf"
    main.write_text(main.read_text().replace('source = "../.."', f'source = "{EXAMPLE.parents[1].as_posix()}"'))
    tf_session.apply(work, sandbox=sandbox)
    result = tf_session.run(work, "plan", "-input=false", "-no-color", "-detailed-exitcode", sandbox=sandbox, check=False)
    assert result.returncode == 0, f"second plan is not empty:\n{result.output[-3000:]}"

    # What the emulator now holds: every alarm notifies the topic; the brokers' system check also recovers them.
    cloudwatch = boto3.client(
        "cloudwatch", endpoint_url=sandbox.endpoint, region_name="ap-northeast-2",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    pages = cloudwatch.get_paginator("describe_alarms").paginate(AlarmNamePrefix=f"{NAME}-")
    alarms = {a["AlarmName"]: a for page in pages for a in page["MetricAlarms"]}
    assert len(alarms) == 45
    topic = f"arn:aws:sns:ap-northeast-2:123456789012:{NAME}-alerts"
    assert all(topic in a["AlarmActions"] and topic in a["OKActions"] for a in alarms.values())
    assert "arn:aws:automate:ap-northeast-2:ec2:recover" in alarms[f"{NAME}-kafka-2-system-status"]["AlarmActions"]
