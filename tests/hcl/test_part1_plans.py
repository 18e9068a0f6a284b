"""HCL part 1 against the local sandbox with the real AWS provider: each module example and each stack is planned
(data sources answered by the emulator) and the plan JSON is checked for the module's key promises.

Plans are shared per module through module-scoped fixtures (one `init` + `plan` each). Stacks are planned from a
copy of their folder with a local backend override, so their committed S3 backend is left alone. The
security-groups example is also applied, because which group a rule belongs to is only known after apply.
"""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tfhelpers import REPO, resources

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

WORLD = "0.0.0.0/0"
# The retention values CloudWatch Logs accepts.
CLOUDWATCH_RETENTION = frozenset(
    (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
)


# --------------------------------------------------------------------------------------------- helpers


def portable_copy(folder: Path, dest: Path, local_backend: bool = False) -> Path:
    """Copy a Terraform folder's files, making relative module sources absolute (and the backend local)."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in folder.iterdir():
        if path.is_file() and path.suffix in {".tf", ".tfvars", ".tpl", ".sh"}:
            text = path.read_text()
            if path.suffix == ".tf":
                text = re.sub(
                    r'(source\s*=\s*")(\.{1,2}/[^"]*)(")',
                    lambda m: m.group(1) + (folder / m.group(2)).resolve().as_posix() + m.group(3),
                    text,
                )
            (dest / path.name).write_text(text)
    if local_backend:
        (dest / "sandbox_local_backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    return dest


def plan(
    tf_session: Any,
    moto_server: Any,
    folder: Path,
    variables: Mapping[str, str] | None = None,
    var_files: tuple[Path, ...] = (),
) -> dict[str, Any]:
    """init + plan + show -json; a folder with a backend override (a stack copy) is initialised with its backend."""
    backend = any(folder.glob("*_override.tf"))
    return tf_session.plan_json(
        folder, sandbox=moto_server, variables=variables or {}, var_files=var_files, backend=backend
    )


def of_type(planned: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return resources(planned, rtype)


def one(planned: dict[str, Any], rtype: str) -> dict[str, Any]:
    found = of_type(planned, rtype)
    assert len(found) == 1, f"expected one {rtype}, planned {[r['address'] for r in found]}"
    return found[0]["values"]


def statements(policy_json: str) -> list[dict[str, Any]]:
    assert isinstance(policy_json, str) and policy_json, "policy not known at plan time"
    doc = json.loads(policy_json)
    return [doc["Statement"]] if isinstance(doc["Statement"], dict) else doc["Statement"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --------------------------------------------------------------------------------------------- vpc

VPC_EXAMPLE = REPO / "modules/vpc/examples/basic"


@pytest.fixture(scope="module")
def vpc_single(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    """Three AZs, one shared NAT gateway (the example's defaults)."""
    return plan(tf_session, moto_server, VPC_EXAMPLE, {"az_count": "3", "single_nat_gateway": "true"})


@pytest.fixture(scope="module")
def vpc_per_az(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    """Three AZs, one NAT gateway per AZ."""
    return plan(tf_session, moto_server, VPC_EXAMPLE, {"az_count": "3", "single_nat_gateway": "false"})


@pytest.fixture(scope="module")
def vpc_dev_shape(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    """Dev's shape: subnets in two AZs, NAT/compute/data in one; VPC endpoints on."""
    return plan(
        tf_session,
        moto_server,
        VPC_EXAMPLE,
        {
            "az_count": "2",
            "workload_az_count": "1",
            "single_nat_gateway": "false",
            "enable_vpc_endpoints": "true",
        },
    )


def test_vpc_single_nat_gateway(vpc_single: dict[str, Any]) -> None:
    assert len(of_type(vpc_single, "aws_nat_gateway")) == 1
    assert len(of_type(vpc_single, "aws_eip")) == 1
    # every private-app route table still gets a default route (to the one NAT gateway); data tier has none
    assert len(of_type(vpc_single, "aws_route_table")) == 1 + 3 + 3
    nat_routes = [r for r in of_type(vpc_single, "aws_route") if r["name"] == "private_app_nat"]
    assert len(nat_routes) == 3
    assert not [r for r in of_type(vpc_single, "aws_route") if r["name"] == "private_data_nat"]


def test_vpc_one_nat_gateway_per_az(vpc_per_az: dict[str, Any]) -> None:
    assert len(of_type(vpc_per_az, "aws_nat_gateway")) == 3
    assert len(of_type(vpc_per_az, "aws_eip")) == 3
    assert all(e["values"]["domain"] == "vpc" for e in of_type(vpc_per_az, "aws_eip"))


def test_vpc_subnet_tiers_span_the_azs_without_overlap(vpc_single: dict[str, Any]) -> None:
    vpc = one(vpc_single, "aws_vpc")
    network = ipaddress.ip_network(vpc["cidr_block"])
    assert vpc["enable_dns_support"] is True and vpc["enable_dns_hostnames"] is True
    subnets = of_type(vpc_single, "aws_subnet")
    tiers: dict[str, set[str]] = {}
    for s in subnets:
        tiers.setdefault(s["name"], set()).add(s["values"]["availability_zone"])
    assert set(tiers) == {"public", "private_app", "private_data"}
    assert all(len(azs) == 3 for azs in tiers.values()), tiers
    cidrs = [ipaddress.ip_network(s["values"]["cidr_block"]) for s in subnets]
    assert all(c.subnet_of(network) for c in cidrs)
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1 :])
    assert all(s["values"]["map_public_ip_on_launch"] is False for s in subnets)


def test_vpc_dev_shape_two_az_subnets_one_az_workloads(vpc_dev_shape: dict[str, Any]) -> None:
    assert len(of_type(vpc_dev_shape, "aws_nat_gateway")) == 1
    azs = {s["values"]["availability_zone"] for s in of_type(vpc_dev_shape, "aws_subnet")}
    assert len(azs) == 2, "ALB and RDS subnet groups need subnets in two AZs"
    assert len(of_type(vpc_dev_shape, "aws_subnet")) == 2 * 3


def test_vpc_endpoints(vpc_dev_shape: dict[str, Any]) -> None:
    endpoints = of_type(vpc_dev_shape, "aws_vpc_endpoint")
    by_type: dict[str, list[str]] = {}
    for e in endpoints:
        by_type.setdefault(e["values"]["vpc_endpoint_type"], []).append(e["values"]["service_name"])
    assert by_type["Gateway"] == ["com.amazonaws.ap-northeast-2.s3"]
    assert sorted(s.removeprefix("com.amazonaws.ap-northeast-2.") for s in by_type["Interface"]) == sorted(
        ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm", "ssmmessages", "ec2messages"]
    )
    assert all(
        e["values"]["private_dns_enabled"] is True for e in endpoints if e["values"]["vpc_endpoint_type"] == "Interface"
    )
    rule = one(vpc_dev_shape, "aws_vpc_security_group_ingress_rule")
    assert (rule["from_port"], rule["to_port"], rule["cidr_ipv4"]) == (443, 443, "10.42.0.0/16")


def test_vpc_default_security_group_is_stripped(vpc_single: dict[str, Any]) -> None:
    default_sg = one(vpc_single, "aws_default_security_group")
    assert not default_sg.get("ingress") and not default_sg.get("egress")


def test_vpc_flow_logs(vpc_single: dict[str, Any]) -> None:
    log_group = one(vpc_single, "aws_cloudwatch_log_group")
    assert log_group["retention_in_days"] in CLOUDWATCH_RETENTION
    flow_log = one(vpc_single, "aws_flow_log")
    assert flow_log["traffic_type"] == "ALL" and flow_log["log_destination_type"] == "cloud-watch-logs"
    trust = statements(one(vpc_single, "aws_iam_role")["assume_role_policy"])
    assert trust[0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert "aws:SourceAccount" in json.dumps(trust[0]["Condition"])


# --------------------------------------------------------------------------------------------- security groups

SG_EXAMPLE = REPO / "modules/security-groups/examples/basic"


@pytest.fixture(scope="module")
def sg_plan(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    return plan(tf_session, moto_server, SG_EXAMPLE)


def test_sg_rules_are_standalone_described_and_port_bounded(sg_plan: dict[str, Any]) -> None:
    groups = of_type(sg_plan, "aws_security_group")
    assert {g["index"] for g in groups} == {"alb", "ecs", "rds", "elasticache", "kafka", "vpce"}
    assert all(not g["values"].get("ingress") and not g["values"].get("egress") for g in groups), "inline rules"
    rules = of_type(sg_plan, "aws_vpc_security_group_ingress_rule") + of_type(
        sg_plan, "aws_vpc_security_group_egress_rule"
    )
    assert rules
    for r in rules:
        v = r["values"]
        assert v["description"], f"{r['address']} has no description"
        assert v["ip_protocol"] == "tcp" and v["from_port"] == v["to_port"], f"{r['address']} is not one TCP port"


def test_sg_only_the_alb_web_ports_are_open_to_the_world(sg_plan: dict[str, Any]) -> None:
    world = [
        r for r in of_type(sg_plan, "aws_vpc_security_group_ingress_rule") if r["values"].get("cidr_ipv4") == WORLD
    ]
    assert sorted(r["values"]["from_port"] for r in world) == [80, 443]
    assert all(str(r["index"]).startswith("alb-") for r in world)
    assert not [r for r in of_type(sg_plan, "aws_vpc_security_group_ingress_rule") if r["values"].get("cidr_ipv6")]


@pytest.fixture(scope="module")
def sg_applied(tf_session: Any, moto_server: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Apply the example in the sandbox (in a copy, so no state lands in the repo); return the live rules."""
    import boto3

    moto_server.reset()
    root = portable_copy(SG_EXAMPLE, tmp_path_factory.mktemp("sg-example"))
    tf_session.apply(root, sandbox=moto_server)
    ec2 = boto3.client("ec2", region_name="ap-northeast-2", endpoint_url=moto_server.endpoint)
    groups = {g["GroupName"]: g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    rules = ec2.describe_security_group_rules()["SecurityGroupRules"]
    return {"groups": groups, "rules": rules}


def test_sg_applied_world_ingress_only_on_alb(sg_applied: dict[str, Any]) -> None:
    groups, rules = sg_applied["groups"], sg_applied["rules"]
    alb = groups["popcorn-example-alb"]
    world = [r for r in rules if not r["IsEgress"] and r.get("CidrIpv4") == WORLD]
    assert world and {(r["GroupId"], r["FromPort"]) for r in world} == {(alb, 80), (alb, 443)}


def test_sg_applied_data_stores_reachable_from_ecs_only(sg_applied: dict[str, Any]) -> None:
    groups, rules = sg_applied["groups"], sg_applied["rules"]
    ecs = groups["popcorn-example-ecs"]
    for name, port in (("rds", 5432), ("elasticache", 6379)):
        ingress = [r for r in rules if not r["IsEgress"] and r["GroupId"] == groups[f"popcorn-example-{name}"]]
        assert [(r["FromPort"], r["ReferencedGroupInfo"]["GroupId"]) for r in ingress] == [(port, ecs)], name
        assert not [r for r in rules if r["IsEgress"] and r["GroupId"] == groups[f"popcorn-example-{name}"]]
    kafka_ingress = [r for r in rules if not r["IsEgress"] and r["GroupId"] == groups["popcorn-example-kafka"]]
    assert {r["ReferencedGroupInfo"]["GroupId"] for r in kafka_ingress} == {ecs, groups["popcorn-example-kafka"]}


def test_sg_applied_default_egress_removed(sg_applied: dict[str, Any]) -> None:
    """AWS adds allow-all egress to a new group; no group of the module keeps it."""
    groups, rules = sg_applied["groups"], sg_applied["rules"]
    ours = {gid for name, gid in groups.items() if name.startswith("popcorn-example-")}
    assert not [r for r in rules if r["IsEgress"] and r["GroupId"] in ours and r.get("IpProtocol") == "-1"]


# --------------------------------------------------------------------------------------------- iam

IAM_EXAMPLE = REPO / "modules/iam/examples/basic"
# Actions that have no resource-level permissions in IAM (so "*" is the only possible Resource).
NON_RESOURCE_ACTIONS = {
    "ecr:GetAuthorizationToken",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
}


@pytest.fixture(scope="module")
def iam_plan(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    return plan(tf_session, moto_server, IAM_EXAMPLE)


def test_iam_roles(iam_plan: dict[str, Any]) -> None:
    names = {r["values"]["name"] for r in of_type(iam_plan, "aws_iam_role")}
    assert names == {
        "popcorn-example-ecs-task-execution",
        "popcorn-example-api-gateway-task",
        "popcorn-example-user-task",
        "popcorn-example-order-task",
        "popcorn-example-kafka",
        "popcorn-example-rds-monitoring",
    }
    attached = {r["values"]["policy_arn"].split("/")[-1] for r in of_type(iam_plan, "aws_iam_role_policy_attachment")}
    assert attached == {
        "AmazonSSMManagedInstanceCore",
        "CloudWatchAgentServerPolicy",
        "AmazonRDSEnhancedMonitoringRole",
    }
    assert one(iam_plan, "aws_iam_instance_profile")["name"] == "popcorn-example-kafka"


def test_iam_no_wildcard_resource_except_unscopable_actions(iam_plan: dict[str, Any]) -> None:
    policies = of_type(iam_plan, "aws_iam_role_policy")
    assert len(policies) == 1 + 3
    for p in policies:
        for st in statements(p["values"]["policy"]):
            if "*" in as_list(st["Resource"]):
                assert set(as_list(st["Action"])) <= NON_RESOURCE_ACTIONS, f"{p['address']}: {st}"
            assert not any(a.endswith(":*") or a == "*" for a in as_list(st["Action"])), f"{p['address']}: {st}"


def test_iam_execution_role_reads_only_the_named_secret(iam_plan: dict[str, Any]) -> None:
    policy = next(p for p in of_type(iam_plan, "aws_iam_role_policy") if p["name"] == "task_execution")
    by_sid = {st["Sid"]: st for st in statements(policy["values"]["policy"])}
    assert as_list(by_sid["ReadNamedSecrets"]["Resource"]) == [
        "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:popcorn-example/db-AbCdEf"
    ]
    assert "/aws/ecs/popcorn-example" in json.dumps(by_sid["WriteServiceLogs"]["Resource"])


def test_iam_trust_policies_guard_against_confused_deputy(iam_plan: dict[str, Any]) -> None:
    for role in of_type(iam_plan, "aws_iam_role"):
        trust = statements(role["values"]["assume_role_policy"])
        principal = trust[0]["Principal"]["Service"]
        if principal in ("ecs-tasks.amazonaws.com", "monitoring.rds.amazonaws.com"):
            assert "aws:SourceAccount" in json.dumps(trust[0].get("Condition", {})), role["address"]


# --------------------------------------------------------------------------------------------- alb

ALB_EXAMPLE = REPO / "modules/alb/examples/basic"


@pytest.fixture(scope="module")
def alb_plan(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    return plan(tf_session, moto_server, ALB_EXAMPLE)


def _listener(planned: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r["values"] for r in of_type(planned, "aws_lb_listener") if r["name"] == name)


def test_alb_load_balancer(alb_plan: dict[str, Any]) -> None:
    lb = one(alb_plan, "aws_lb")
    assert lb["internal"] is False and lb["load_balancer_type"] == "application"
    assert lb["drop_invalid_header_fields"] is True
    assert lb["access_logs"][0]["enabled"] is True


def test_alb_http_redirects_to_https(alb_plan: dict[str, Any]) -> None:
    http = _listener(alb_plan, "http")
    assert (http["port"], http["protocol"]) == (80, "HTTP")
    action = http["default_action"][0]
    assert action["type"] == "redirect"
    assert {k: action["redirect"][0][k] for k in ("protocol", "port", "status_code")} == {
        "protocol": "HTTPS",
        "port": "443",
        "status_code": "HTTP_301",
    }


def test_alb_https_uses_tls13_policy(alb_plan: dict[str, Any]) -> None:
    https = _listener(alb_plan, "https")
    assert (https["port"], https["protocol"]) == (443, "HTTPS")
    assert https["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https["routing_http_response_strict_transport_security_header_value"].startswith("max-age=")
    assert https["default_action"][0]["type"] == "fixed-response"


def test_alb_target_groups_and_rules(alb_plan: dict[str, Any]) -> None:
    tgs = {r["index"]: r["values"] for r in of_type(alb_plan, "aws_lb_target_group")}
    assert set(tgs) == {"api-gateway", "payment-front"}
    assert all(tg["target_type"] == "ip" and tg["health_check"][0]["enabled"] for tg in tgs.values())
    assert tgs["api-gateway"]["health_check"][0]["path"] == "/actuator/health"
    rules = {r["index"]: r["values"] for r in of_type(alb_plan, "aws_lb_listener_rule")}
    assert {k: v["priority"] for k, v in rules.items()} == {"api-gateway": 100, "payment-front": 200}


def test_alb_access_log_bucket(alb_plan: dict[str, Any]) -> None:
    lifecycle = one(alb_plan, "aws_s3_bucket_lifecycle_configuration")["rule"][0]
    assert lifecycle["status"] == "Enabled" and lifecycle["expiration"][0]["days"] == 30
    assert lifecycle["filter"][0]["prefix"] == ""
    sse = one(alb_plan, "aws_s3_bucket_server_side_encryption_configuration")["rule"][0]
    assert sse["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "AES256"
    pab = one(alb_plan, "aws_s3_bucket_public_access_block")
    assert all(
        pab[k] for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    policy = statements(one(alb_plan, "aws_s3_bucket_policy")["policy"])
    principals = json.dumps([st["Principal"] for st in policy if st["Effect"] == "Allow"])
    assert "arn:aws:iam::600734575887:root" in principals, "the ap-northeast-2 ELB account must be allowed"
    assert "logdelivery.elasticloadbalancing.amazonaws.com" in principals
    assert any(st["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(st["Condition"]) for st in policy)


def test_alb_waf(alb_plan: dict[str, Any]) -> None:
    acl = one(alb_plan, "aws_wafv2_web_acl")
    assert acl["scope"] == "REGIONAL"
    groups = {
        r["statement"][0]["managed_rule_group_statement"][0]["name"]
        for r in acl["rule"]
        if r["statement"][0]["managed_rule_group_statement"]
    }
    assert {
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAnonymousIpList",
        "AWSManagedRulesCommonRuleSet",
    } <= groups
    assert any(r["statement"][0]["rate_based_statement"] for r in acl["rule"])
    assert len(of_type(alb_plan, "aws_wafv2_web_acl_association")) == 1
    logging = one(alb_plan, "aws_wafv2_web_acl_logging_configuration")
    assert "authorization" in json.dumps(logging["redacted_fields"])
    assert one(alb_plan, "aws_cloudwatch_log_group")["name"].startswith("aws-waf-logs-")


# --------------------------------------------------------------------------------------------- cloudmap

CLOUDMAP_EXAMPLE = REPO / "modules/cloudmap/examples/basic"


@pytest.fixture(scope="module")
def cloudmap_plan(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    return plan(tf_session, moto_server, CLOUDMAP_EXAMPLE)


def test_cloudmap_namespace_and_services(cloudmap_plan: dict[str, Any]) -> None:
    assert one(cloudmap_plan, "aws_service_discovery_private_dns_namespace")["name"] == "example.popcorn.internal"
    services = {r["index"]: r["values"] for r in of_type(cloudmap_plan, "aws_service_discovery_service")}
    assert set(services) == {"user", "order", "payment"}
    for svc in services.values():
        dns = svc["dns_config"][0]
        assert dns["routing_policy"] == "MULTIVALUE"
        assert [(r["type"], r["ttl"]) for r in dns["dns_records"]] == [("A", 10)]
        assert svc["health_check_custom_config"][0]["failure_threshold"] == 1


# --------------------------------------------------------------------------------------------- stacks


@pytest.fixture(scope="module")
def stack_copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("stacks")
    return {
        name: portable_copy(REPO / name, root / name.replace("/", "_"), local_backend=True)
        for name in ("bootstrap", "global/route53-acm", "global/ecr")
    }


@pytest.fixture(scope="module")
def bootstrap_plan(tf_session: Any, moto_server: Any, stack_copies: dict[str, Path]) -> dict[str, Any]:
    return plan(tf_session, moto_server, stack_copies["bootstrap"])


def test_bootstrap_state_bucket(bootstrap_plan: dict[str, Any]) -> None:
    assert one(bootstrap_plan, "aws_s3_bucket")["bucket"] == "goorm-popcorn-tfstate"
    assert one(bootstrap_plan, "aws_s3_bucket_versioning")["versioning_configuration"][0]["status"] == "Enabled"
    sse = one(bootstrap_plan, "aws_s3_bucket_server_side_encryption_configuration")["rule"][0]
    assert sse["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"
    assert sse["bucket_key_enabled"] is True
    pab = one(bootstrap_plan, "aws_s3_bucket_public_access_block")
    assert all(
        pab[k] for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    assert (
        one(bootstrap_plan, "aws_s3_bucket_ownership_controls")["rule"][0]["object_ownership"] == "BucketOwnerEnforced"
    )
    rule = one(bootstrap_plan, "aws_s3_bucket_lifecycle_configuration")["rule"][0]
    assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] == 90
    policy = statements(one(bootstrap_plan, "aws_s3_bucket_policy")["policy"])
    assert {st["Sid"] for st in policy if st["Effect"] == "Deny"} == {"DenyInsecureTransport", "DenyOutdatedTls"}


def test_bootstrap_lock_table(bootstrap_plan: dict[str, Any]) -> None:
    table = one(bootstrap_plan, "aws_dynamodb_table")
    assert table["name"] == "goorm-popcorn-tf-locks"
    assert table["hash_key"] == "LockID" and table["attribute"] == [{"name": "LockID", "type": "S"}]
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["point_in_time_recovery"][0]["enabled"] is True
    assert table["server_side_encryption"][0]["enabled"] is True
    assert table["deletion_protection_enabled"] is True


def test_bootstrap_kms_key(bootstrap_plan: dict[str, Any]) -> None:
    key = one(bootstrap_plan, "aws_kms_key")
    assert key["enable_key_rotation"] is True
    assert one(bootstrap_plan, "aws_kms_alias")["name"] == "alias/goorm-popcorn-tfstate"


def test_bootstrap_sandbox_profile(tf_session: Any, moto_server: Any, stack_copies: dict[str, Path]) -> None:
    """sandbox.tfvars only relaxes what the emulator or a throw-away teardown needs."""
    folder = stack_copies["bootstrap"]
    planned = plan(tf_session, moto_server, folder, var_files=(folder / "sandbox.tfvars",))
    assert not of_type(planned, "aws_s3_bucket_policy")
    assert one(planned, "aws_dynamodb_table")["deletion_protection_enabled"] is False
    assert one(planned, "aws_s3_bucket")["force_destroy"] is True
    assert one(planned, "aws_s3_bucket_server_side_encryption_configuration")  # encryption stays on


@pytest.fixture(scope="module")
def dns_plan(tf_session: Any, moto_server: Any, stack_copies: dict[str, Path]) -> dict[str, Any]:
    return plan(tf_session, moto_server, stack_copies["global/route53-acm"])


def test_route53_acm(dns_plan: dict[str, Any]) -> None:
    assert one(dns_plan, "aws_route53_zone")["name"] == "goormpopcorn.shop"
    cert = one(dns_plan, "aws_acm_certificate")
    assert cert["domain_name"] == "goormpopcorn.shop" and cert["validation_method"] == "DNS"
    assert set(cert["subject_alternative_names"]) == {"goormpopcorn.shop", "*.goormpopcorn.shop"}  # AWS adds the apex
    records = of_type(dns_plan, "aws_route53_record")
    validation = [r for r in records if r["name"] == "validation"]
    assert [r["index"] for r in validation] == ["goormpopcorn.shop"], "apex and wildcard share one validation record"
    assert len(of_type(dns_plan, "aws_acm_certificate_validation")) == 1
    caa = next(r["values"] for r in records if r["name"] == "caa")
    assert caa["type"] == "CAA" and '0 issue "amazon.com"' in caa["records"]


@pytest.fixture(scope="module")
def ecr_plan(tf_session: Any, moto_server: Any, stack_copies: dict[str, Path]) -> dict[str, Any]:
    return plan(tf_session, moto_server, stack_copies["global/ecr"])


def test_ecr_repositories(ecr_plan: dict[str, Any]) -> None:
    repos = {r["index"]: r["values"] for r in of_type(ecr_plan, "aws_ecr_repository")}
    assert set(repos) == {"api-gateway", "user", "store", "order", "payment", "payment-front", "checkin", "order-query"}
    for key, repo in repos.items():
        assert repo["name"] == f"goorm-popcorn/{key}"
        assert repo["image_tag_mutability"] == "IMMUTABLE"
        assert repo["image_scanning_configuration"] == [{"scan_on_push": True}]
        assert repo["encryption_configuration"][0]["encryption_type"] == "KMS"
    assert one(ecr_plan, "aws_kms_key")["enable_key_rotation"] is True


def test_ecr_lifecycle_policy(ecr_plan: dict[str, Any]) -> None:
    policies = of_type(ecr_plan, "aws_ecr_lifecycle_policy")
    assert len(policies) == 8
    rules = json.loads(policies[0]["values"]["policy"])["rules"]
    selections = {r["selection"]["tagStatus"]: r["selection"] for r in rules}
    assert selections["untagged"]["countType"] == "sinceImagePushed" and selections["untagged"]["countNumber"] == 7
    assert selections["tagged"]["countType"] == "imageCountMoreThan" and selections["tagged"]["countNumber"] == 30


def test_portable_copy_rewrites_relative_sources(tmp_path: Path) -> None:
    copy = portable_copy(REPO / "modules/alb/examples/basic", tmp_path / "alb")
    text = (copy / "main.tf").read_text()
    assert f'source = "{(REPO / "modules/alb").as_posix()}"' in text
    assert f'"{(REPO / "modules/vpc").as_posix()}"' in text
    shutil.rmtree(copy)
