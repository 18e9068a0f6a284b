"""modules/vpc: its example planned against the sandbox with the real provider (NAT per AZ or shared, subnet
tiers, endpoints, flow logs)."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest
from hclsupport import CLOUDWATCH_RETENTION, of_type, one, plan, statements

from tfhelpers import REPO

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]


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
