"""modules/security-groups: its example planned, and applied (which group a rule belongs to is known only after
apply): standalone described rules, only the ALB open to the world, data stores reachable from ECS only."""

from __future__ import annotations

from typing import Any

import pytest
from hclsupport import WORLD, of_type, plan, portable_copy

from tfhelpers import REPO

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]


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
