"""``diagnose network`` against the emulator, seeded through the AWS API only (fixture ``aws``, targetworld).

The VPC as the vpc module lays it out (public and per-AZ app tables, the isolated data tier, NAT gateways, an S3
gateway endpoint, a flow log to CloudWatch Logs), the NAT alarms and metrics all go through boto3; deleting a NAT
gateway, re-pointing a route and filling a subnet with network interfaces are API calls too. moto runs Logs
Insights queries without parsing flow-log fields or running ``stats``, so the rejected flows come from a
GetQueryResults answered with ``stubcall.OneCall`` (StartQuery still reaches moto).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import jsonschema
import pytest
from diagworld import PREFIX, REGION, World
from stubcall import OneCall
from targetworld import Vpc, flow_rows, metric, nat_alarms, vpc

from popcornctl.diagnose import Window, diagnose_network
from popcornctl.diagnose.findings import REPORT_SCHEMA, DiagnosisReport, Finding, Status
from popcornctl.diagnose.network.fetch import CLIENTS
from popcornctl.errors import PopcornError


def run(world: World, net: Vpc) -> DiagnosisReport:
    report = diagnose_network(world.clients, window=Window.ending_now(timedelta(hours=1)), name=PREFIX,
                              ecs_subnets=net.app_subnets)
    jsonschema.validate(report.to_dict(), REPORT_SCHEMA)
    return report


def finding(report: DiagnosisReport, check: str, status: Status | None = None) -> Finding:
    found = [f for f in report.targets[0].findings if f.check == check and (status is None or f.status is status)]
    assert found, f"no {check} {status or ''} in {[(f.check, f.status.value, f.title) for f in report.targets[0].findings]}"
    return found[0]


def quiet(world: World, net: Vpc) -> None:
    nat_alarms(world, net.nats)
    for nat in net.nats:
        for name in ("ErrorPortAllocation", "PacketsDropCount"):
            metric(world, "AWS/NATGateway", name, {"NatGatewayId": nat}, [0.0] * 5)


def test_healthy_vpc_has_only_ok_findings(aws: World) -> None:
    net = vpc(aws, nat_per_az=True)
    quiet(aws, net)
    report = run(aws, net)
    problems = [(f.check, f.title) for f in report.targets[0].findings if f.status is not Status.OK]
    assert problems == []
    routes = finding(report, "network.routes")
    assert routes.title == "3 private route table(s) route correctly"
    assert any(line.endswith(f"0.0.0.0/0 -> {net.nats[1]} ({REGION}b)") for line in routes.evidence)
    assert any("(isolated data tier)" in line for line in routes.evidence)
    assert finding(report, "network.rejects").title == "no rejected flow in the last 1h00m"
    traffic = finding(report, "network.nat-traffic")
    assert any(f"from alarm {PREFIX}-vpc-nat-1-port-allocation-errors" in line for line in traffic.evidence)


def test_a_route_to_a_deleted_nat_gateway_fails(aws: World) -> None:
    net = vpc(aws, nat_per_az=True)
    aws.c("ec2").delete_nat_gateway(NatGatewayId=net.nats[1])
    routes = finding(run(aws, net), "network.routes", Status.FAIL)
    assert routes.title == f"{net.app_tables[1]} routes to {net.nats[1]}, which is gone"
    assert "CannotPullContainerError" in (routes.cause or "")


def test_routing_through_the_other_azs_nat_gateway_warns(aws: World) -> None:
    net = vpc(aws, nat_per_az=True)
    aws.c("ec2").replace_route(RouteTableId=net.app_tables[1], DestinationCidrBlock="0.0.0.0/0",
                               NatGatewayId=net.nats[0])
    routes = finding(run(aws, net), "network.routes", Status.WARN)
    assert routes.title == (f"{net.app_tables[1]} ({REGION}b) routes through {net.nats[0]} in {REGION}a though "
                            f"{net.nats[1]} is in its AZ")
    assert routes.cause == "Cross-AZ NAT traffic costs data transfer and stops when the other AZ fails."


def test_port_allocation_errors_now_fail(aws: World) -> None:
    net = vpc(aws)
    quiet(aws, net)
    metric(aws, "AWS/NATGateway", "ErrorPortAllocation", {"NatGatewayId": net.nats[0]}, [0.0, 0.0, 12.0])
    errors = finding(run(aws, net), "network.nat-traffic", Status.FAIL)
    assert errors.title.startswith(f"{net.nats[0]}: port-allocation errors peak 12 per 60s")
    assert "source ports" in (errors.cause or "")


def test_a_nearly_full_subnet_fails(aws: World) -> None:
    net = vpc(aws)
    ec2 = aws.c("ec2")
    small = ec2.create_subnet(VpcId=net.id, CidrBlock="10.20.40.0/28", AvailabilityZone=f"{REGION}a")["Subnet"]
    for _ in range(11):  # a /28 has 11 usable addresses
        ec2.create_network_interface(SubnetId=small["SubnetId"])
    subnets = finding(run(aws, net), "network.subnets", Status.FAIL)
    assert subnets.title == f"{small['SubnetId']} (10.20.40.0/28) has 0 of 11 addresses free"


def test_rejected_flows_between_our_own_tiers_warn(aws: World) -> None:
    """OneCall on GetQueryResults: moto's Logs Insights cannot run the stats query over flow-log fields."""
    net = vpc(aws)
    rows = flow_rows([("198.51.100.7", "10.20.1.10", "22", 40), ("10.20.1.10", "10.20.21.5", "6379", 12)])
    with OneCall(aws.clients.client("logs"), "GetQueryResults", lambda _: rows) as stub:
        report = run(aws, net)
    assert len(stub.calls) == 1
    rejects = finding(report, "network.rejects", Status.WARN)
    assert rejects.title == "1 rejected flow(s) inside the VPC, e.g. 10.20.1.10 -> 10.20.21.5:6379 rejected 12 time(s)"
    assert "198.51.100.7 -> 10.20.1.10:22 rejected 40 time(s)" in rejects.evidence


def test_unknown_vpc_is_a_usage_error(aws: World) -> None:
    vpc(aws)
    with pytest.raises(PopcornError) as err:
        diagnose_network(aws.clients, window=Window.ending_now(timedelta(hours=1)), vpc="vpc-0000")
    assert err.value.line().startswith("VPC 'vpc-0000' not found")
    assert f"({PREFIX})" in err.value.line()


def test_every_read_is_one_call_filtered_by_the_vpc(aws: World) -> None:
    net = vpc(aws, nat_per_az=True)
    quiet(aws, net)
    calls: Counter[str] = Counter()
    for service in CLIENTS:
        aws.clients.client(service).meta.events.register(
            "before-call.*.*", lambda model, **_: calls.update([f"{model.service_model.service_name}.{model.name}"]))
    run(aws, net)
    for name in ("DescribeVpcs", "DescribeSubnets", "DescribeRouteTables", "DescribeNatGateways",
                 "DescribeVpcEndpoints", "DescribeFlowLogs"):
        assert calls[f"ec2.{name}"] == 1, name
    assert calls["cloudwatch.GetMetricData"] == 1  # three series per NAT gateway in one call
    assert calls["cloudwatch.DescribeAlarms"] == 1
    assert calls["logs.StartQuery"] == 1 and calls["logs.GetQueryResults"] == 1
