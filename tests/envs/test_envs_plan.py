"""envs/dev and envs/prod planned for real (provider 5.100 from the mirror, S3 backend and remote state on the
sandbox): the issue's dev and prod profiles item by item, the seed's names, the wiring between the modules and the
global stacks, and the monitoring matrix (logs, metrics, alarms, dashboard x ECS, RDS, Kafka, ALB, ElastiCache, VPC).

Plan JSONs: artifacts/plans/dev.json, artifacts/plans/prod.json.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from envsupport import (
    ACCOUNT,
    REGION,
    ROUTED,
    SERVICES,
    ZONE_NAME,
    alarms,
    by_type,
    config_address,
    data_after,
    global_outputs,
    missing_cells,
    monitoring_matrix,
    one,
    references,
    values,
    variable,
)

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

Plan = dict[str, Any]


def _subnet_azs(plan: Plan, tier: str) -> list[str]:
    return sorted(s["availability_zone"] for s in values(plan, "aws_subnet") if s["tags"]["Tier"] == tier)


def _strategy(items: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    return {i["capacity_provider"]: (i["base"], i["weight"]) for i in items}


def _retentions(plan: Plan) -> dict[str, int]:
    return {g["name"]: g["retention_in_days"] for g in values(plan, "aws_cloudwatch_log_group")}


# -- dev (목적: 개발/테스트; 비용 최적화) ---------------------------------------------------------------------------


def test_dev_network_subnets_in_two_azs_nat_and_workloads_in_one(dev_plan: Plan) -> None:
    for tier in ("public", "private-app", "private-data"):
        assert _subnet_azs(dev_plan, tier) == ["ap-northeast-2a", "ap-northeast-2c"], tier
    nats = values(dev_plan, "aws_nat_gateway")
    assert len(nats) == 1 and nats[0]["tags"]["Name"] == "goorm-popcorn-dev-nat-ap-northeast-2a"
    assert variable(dev_plan, "workload_az_count") == 1
    assert by_type(dev_plan, "aws_vpc_endpoint") == [], "dev has no VPC endpoints (cost)"
    # Compute and data use the workload subnets (the first AZ); the cache's only node sits there too.
    cache = one(dev_plan, "aws_elasticache_replication_group")
    assert cache["preferred_cache_cluster_azs"] == ["ap-northeast-2a"]
    assert one(dev_plan, "aws_db_instance")["availability_zone"] == "ap-northeast-2a"


def test_dev_fargate_is_spot_heavy(dev_plan: Plan) -> None:
    (cps,) = values(dev_plan, "aws_ecs_cluster_capacity_providers")
    strategy = _strategy(cps["default_capacity_provider_strategy"])
    assert strategy == {"FARGATE_SPOT": (0, 3), "FARGATE": (0, 1)}
    for svc in values(dev_plan, "aws_ecs_service"):
        assert _strategy(svc["capacity_provider_strategy"]) == strategy


def test_dev_data_is_small_single_az_and_unprotected(dev_plan: Plan) -> None:
    db = one(dev_plan, "aws_db_instance")
    assert db["instance_class"] == "db.t4g.micro"
    assert db["multi_az"] is False and db["deletion_protection"] is False
    cache = one(dev_plan, "aws_elasticache_replication_group")
    assert cache["node_type"] == "cache.t4g.micro"
    assert cache["num_cache_clusters"] == 1
    assert cache["automatic_failover_enabled"] is False and cache["multi_az_enabled"] is False
    brokers = values(dev_plan, "aws_instance")
    assert len(brokers) == 1 and brokers[0]["instance_type"] == "t3.small"
    assert len(values(dev_plan, "aws_ebs_volume")) == 1


def test_dev_edge_has_no_waf_no_access_logs_and_no_deletion_protection(dev_plan: Plan) -> None:
    lb = one(dev_plan, "aws_lb")
    assert lb["enable_deletion_protection"] is False
    assert not [a for a in lb.get("access_logs") or [] if a.get("enabled")]
    assert by_type(dev_plan, "aws_s3_bucket") == []
    assert by_type(dev_plan, "aws_wafv2_web_acl") == [] and by_type(dev_plan, "aws_wafv2_web_acl_association") == []
    assert by_type(dev_plan, "aws_cloudtrail") == [], "the account trail is prod's"


def test_dev_retention_is_seven_days(dev_plan: Plan) -> None:
    retentions = _retentions(dev_plan)
    assert retentions and set(retentions.values()) == {7}, retentions


# -- prod ------------------------------------------------------------------------------------------------------


def test_prod_network_three_azs_nat_per_az_and_endpoints(prod_plan: Plan) -> None:
    azs = ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]
    for tier in ("public", "private-app", "private-data"):
        assert _subnet_azs(prod_plan, tier) == azs, tier
    nats = sorted(n["tags"]["Name"] for n in values(prod_plan, "aws_nat_gateway"))
    assert nats == [f"goorm-popcorn-prod-nat-{az}" for az in azs]
    assert variable(prod_plan, "workload_az_count") is None, "every AZ hosts workloads"
    endpoints = {e["service_name"].rsplit(".", 1)[-1] if e["vpc_endpoint_type"] == "Gateway" else
                 e["service_name"].split(f"{REGION}.", 1)[1]: e for e in values(prod_plan, "aws_vpc_endpoint")}
    assert endpoints["s3"]["vpc_endpoint_type"] == "Gateway"
    assert {"ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm", "ssmmessages", "ec2messages"} <= set(endpoints)


def test_prod_fargate_on_demand_base_with_spot_overflow(prod_plan: Plan) -> None:
    (cps,) = values(prod_plan, "aws_ecs_cluster_capacity_providers")
    strategy = _strategy(cps["default_capacity_provider_strategy"])
    assert strategy == {"FARGATE": (2, 1), "FARGATE_SPOT": (0, 3)}
    for svc in values(prod_plan, "aws_ecs_service"):
        assert _strategy(svc["capacity_provider_strategy"]) == strategy
        assert svc["desired_count"] >= 2


def test_prod_database_multi_az_protected_and_backed_up(prod_plan: Plan) -> None:
    db = one(prod_plan, "aws_db_instance")
    assert db["multi_az"] is True
    assert db["deletion_protection"] is True
    assert db["backup_retention_period"] >= 7
    assert db["skip_final_snapshot"] is False
    assert db["performance_insights_enabled"] is True and db["monitoring_interval"] == 60


def test_prod_cache_has_two_nodes_with_failover_across_azs(prod_plan: Plan) -> None:
    cache = one(prod_plan, "aws_elasticache_replication_group")
    assert cache["num_cache_clusters"] >= 2
    assert cache["automatic_failover_enabled"] is True and cache["multi_az_enabled"] is True
    assert cache["preferred_cache_cluster_azs"] == ["ap-northeast-2a", "ap-northeast-2b"]
    assert str(cache["at_rest_encryption_enabled"]).lower() == "true" and cache["transit_encryption_enabled"] is True


def test_prod_three_kafka_brokers_across_the_azs(prod_plan: Plan) -> None:
    brokers = by_type(prod_plan, "aws_instance", "module.kafka")
    assert sorted(b["index"] for b in brokers) == ["1", "2", "3"]
    assert len(by_type(prod_plan, "aws_ebs_volume", "module.kafka")) == 3
    # Node i runs in workload subnet (i-1) % n; prod's workload subnets are one per AZ, three AZs. Subnet IDs are
    # unknown before apply, so the spread is read from the wiring: 3 brokers over the 3 workload app subnets.
    kafka_call = prod_plan["configuration"]["root_module"]["module_calls"]["kafka"]["expressions"]
    assert kafka_call["subnet_ids"]["references"][0] == "module.vpc.workload_private_app_subnet_ids"
    assert len(_subnet_azs(prod_plan, "private-app")) == 3 and variable(prod_plan, "workload_az_count") is None
    voters = {b["values"]["tags"]["KafkaNodeId"] for b in brokers}
    assert voters == {"1", "2", "3"}


def test_prod_edge_waf_access_logs_deletion_protection(prod_plan: Plan) -> None:
    lb = one(prod_plan, "aws_lb")
    assert lb["enable_deletion_protection"] is True
    assert [a["enabled"] for a in lb["access_logs"]] == [True]
    assert len(by_type(prod_plan, "aws_wafv2_web_acl")) == 1
    assert len(by_type(prod_plan, "aws_wafv2_web_acl_association")) == 1
    assert len(by_type(prod_plan, "aws_wafv2_web_acl_logging_configuration")) == 1


def test_prod_retention_is_thirty_days(prod_plan: Plan) -> None:
    retentions = _retentions(prod_plan)
    assert retentions and set(retentions.values()) == {30}, retentions


# -- Both environments ---------------------------------------------------------------------------------------


def test_names_follow_the_seed(env_plan: tuple[str, Plan]) -> None:
    env, plan = env_plan
    name = f"goorm-popcorn-{env}"
    assert one(plan, "aws_ecs_cluster")["name"] == f"{name}-cluster"
    assert sorted(s["name"] for s in values(plan, "aws_ecs_service")) == sorted(f"{name}-{s}" for s in SERVICES)
    assert one(plan, "aws_db_instance")["identifier"] == f"{name}-postgres"
    ecs_groups = [g["name"] for g in values(plan, "aws_cloudwatch_log_group", "module.ecs")]
    assert ecs_groups and all(g.startswith(f"/aws/ecs/{name}/") for g in ecs_groups)
    names = [a["alarm_name"] for a in alarms(plan)]
    assert names and all(n.startswith(f"{name}-") for n in names)


def test_services_routing_and_discovery(env_plan: tuple[str, Plan]) -> None:
    env, plan = env_plan
    services = {r["index"]: r["values"] for r in by_type(plan, "aws_ecs_service")}
    assert set(services) == set(SERVICES)
    for key, svc in services.items():
        assert bool(svc["load_balancer"]) == (key in ROUTED), key
        assert len(svc["service_registries"]) == 1, f"{key} registers in Cloud Map"
        assert svc["network_configuration"][0]["assign_public_ip"] is False
    rules = {r["index"]: r["values"] for r in by_type(plan, "aws_lb_listener_rule")}
    apex, api, pay = (ZONE_NAME, f"api.{ZONE_NAME}", f"pay.{ZONE_NAME}") if env == "prod" else (
        f"dev.{ZONE_NAME}", f"api-dev.{ZONE_NAME}", f"pay-dev.{ZONE_NAME}")
    hosts = {k: sorted(h for c in r["condition"] if c.get("host_header") for h in c["host_header"][0]["values"])
             for k, r in rules.items()}
    assert hosts == {"api-gateway": sorted([apex, api]), "payment-front": [pay]}
    namespace = one(plan, "aws_service_discovery_private_dns_namespace")["name"]
    assert namespace == f"{env}.popcorn.internal"
    assert sorted(s["name"] for s in values(plan, "aws_service_discovery_service")) == sorted(SERVICES)


def test_dns_records_alias_the_alb_in_the_global_zone(env_plan: tuple[str, Plan]) -> None:
    env, plan = env_plan
    zone_id = global_outputs()["global/route53-acm/terraform.tfstate"]["zone_id"][0]
    records = {r["index"]: r["values"] for r in by_type(plan, "aws_route53_record") if not r["module_address"]}
    assert set(records) == {"apex", "api", "payment_front"}
    for rec in records.values():
        assert rec["zone_id"] == zone_id and rec["type"] == "A"
        assert rec["alias"][0]["evaluate_target_health"] is True
    suffix = "" if env == "prod" else "-dev"
    assert records["api"]["name"] == f"api{suffix}.{ZONE_NAME}"
    assert records["apex"]["name"] == (ZONE_NAME if env == "prod" else f"dev.{ZONE_NAME}")


def test_images_come_from_the_global_ecr_with_a_pinned_tag(env_plan: tuple[str, Plan]) -> None:
    _, plan = env_plan
    images = plan["planned_values"]["outputs"]["ecs_images"]["value"]
    assert images == {s: f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/goorm-popcorn/{s}:0.1.0" for s in SERVICES}
    # The task definitions use them (payment-front's definition is fully known before apply).
    (front,) = [td for td in by_type(plan, "aws_ecs_task_definition") if td["index"] == "payment-front"]
    containers = json.loads(front["values"]["container_definitions"])
    assert containers[0]["image"] == images["payment-front"]


def test_certificate_from_global_route53_acm_on_the_https_listener(env_plan: tuple[str, Plan]) -> None:
    _, plan = env_plan
    cert = global_outputs()["global/route53-acm/terraform.tfstate"]["certificate_arn"][0]
    https = [lst for lst in values(plan, "aws_lb_listener") if lst["port"] == 443]
    assert [h["certificate_arn"] for h in https] == [cert]
    assert https[0]["ssl_policy"].startswith("ELBSecurityPolicy-TLS13")


def test_default_tags_on_every_resource(env_plan: tuple[str, Plan]) -> None:
    env, plan = env_plan
    tags = {"Project": "goorm-popcorn", "Environment": env, "ManagedBy": "terraform", "Owner": "devops"}
    vpc = one(plan, "aws_vpc")
    assert {k: vpc["tags_all"][k] for k in tags} == tags


def test_alarms_notify_the_environment_topic(env_plan: tuple[str, Plan]) -> None:
    env, plan = env_plan
    (topic,) = [t for t in by_type(plan, "aws_sns_topic") if t["name"] == "this"]
    assert topic["values"]["name"] == f"goorm-popcorn-{env}-alerts"
    subs = [s for s in by_type(plan, "aws_sns_topic_subscription") if s["name"] == "email"]
    assert [s["values"]["endpoint"] for s in subs] == variable(plan, "alert_email_addresses")
    assert all(a["actions_enabled"] for a in alarms(plan))


def test_elasticache_events_go_to_a_topic_it_can_publish_to(env_plan: tuple[str, Plan]) -> None:
    """ElastiCache cannot publish to a KMS-encrypted topic (it marks it inactive): its notifications go to the
    unencrypted service-events topic, subscribed by the same addresses, whose policy uses AWS:SourceOwner."""
    _, plan = env_plan
    caches = by_type(plan, "aws_elasticache_replication_group")
    assert caches, "both profiles run the cache"
    topics = {t["address"]: t for t in by_type(plan, "aws_sns_topic")}
    for cache in caches:
        targets = references(plan, cache["address"], "notification_topic_arn")
        (target,) = [t for t in topics.values() if config_address(t["address"]) in targets]
        assert not target["values"].get("kms_master_key_id"), f"{target['address']} is encrypted"
        assert not target["unknown"].get("kms_master_key_id"), f"{target['address']} may be encrypted"
        doc = data_after(plan, f"{target['module_address']}.data.aws_iam_policy_document.{target['name']}_topic[0]")
        publish = [s for s in doc["statement"] if "sns:Publish" in s["actions"]]
        assert any(c["variable"] == "AWS:SourceOwner" for s in publish for c in s["condition"]), doc
    subs = [s for s in by_type(plan, "aws_sns_topic_subscription") if s["name"] == "events_email"]
    assert sorted(s["values"]["endpoint"] for s in subs) == sorted(variable(plan, "alert_email_addresses"))


# -- The monitoring matrix -------------------------------------------------------------------------------------


def test_prod_monitoring_matrix_has_all_24_cells(prod_plan: Plan) -> None:
    matrix = monitoring_matrix(prod_plan, "goorm-popcorn-prod")
    assert missing_cells(matrix) == [], json.dumps(matrix, indent=1)


def test_dev_monitoring_matrix_lacks_only_alb_logs_by_design(dev_plan: Plan) -> None:
    """Dev's profile switches ALB access logs (and the WAF with its logs) off for cost; everything else is there."""
    matrix = monitoring_matrix(dev_plan, "goorm-popcorn-dev")
    assert missing_cells(matrix) == ["ALB/logs"], json.dumps(matrix, indent=1)


def test_alarm_counts_per_family(env_plan: tuple[str, Plan]) -> None:
    """ECS 4 per service, ALB 3 + 1 per routed service, RDS 6, ElastiCache 4 per node, Kafka 5 per broker + 1,
    VPC 2 per NAT gateway + 1."""
    env, plan = env_plan
    nodes, brokers, nats = (1, 1, 1) if env == "dev" else (2, 3, 3)
    families: dict[str, int] = {}
    for alarm in alarms(plan):
        families[alarm["tags"]["AlarmFamily"]] = families.get(alarm["tags"]["AlarmFamily"], 0) + 1
    assert families == {
        "ecs": 4 * len(SERVICES), "alb": 3 + len(ROUTED), "rds": 6, "elasticache": 4 * nodes,
        "kafka": 5 * brokers + 1, "vpc": 2 * nats + 1,
    }


def test_dashboard_is_planned_with_every_family(env_plan: tuple[str, Plan]) -> None:
    env, plan = env_plan
    (dashboard,) = values(plan, "aws_cloudwatch_dashboard")
    assert dashboard["dashboard_name"] == f"goorm-popcorn-{env}-overview"
    assert plan["planned_values"]["outputs"]["dashboard_name"]["value"] == dashboard["dashboard_name"]


# -- The policy gate -------------------------------------------------------------------------------------------


def test_plans_pass_the_policy_gate_without_any_finding(env_plan: tuple[str, Plan]) -> None:
    """`popcornctl policy-check` (our policies; Checkov has its own test) fails nothing, at any severity."""
    import subprocess
    import sys

    from envsupport import ARTIFACTS, env_dir

    env, _ = env_plan
    res = subprocess.run(
        [sys.executable, "-m", "popcornctl", "--no-color", "policy-check", str(ARTIFACTS / f"{env}.json"),
         "--no-checkov", "--fail-on", "low", "--root", str(env_dir(env)), "--output", "json"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    report = json.loads(res.stdout)
    assert report["environment"] == env
