"""The ``diagnose network`` checks on typed facts: blackhole routes, failed NAT gateways and endpoints, isolated
tiers, flow-log states and the rejects alarm, subnet boundaries. Emulator scenarios: test_network_fetch.py."""

from __future__ import annotations

from dataclasses import replace

import pytest
from targetfacts import REGION, alarm, found, network_facts, network_run, subnets, tables
from targetfacts import statuses as all_statuses

from popcornctl.diagnose.findings import Status
from popcornctl.diagnose.network.facts import (
    REJECTS,
    Endpoint,
    Flow,
    FlowLog,
    NatGateway,
    Rejects,
    Route,
    RouteTable,
)

FLOW_LOG = FlowLog("fl-1", "ACTIVE", "cloud-watch-logs", "/aws/vpc/x/flow-logs")


def test_healthy_facts_give_only_ok_but_a_vpc_without_flow_logs_warns() -> None:
    checks = all_statuses(network_run(flow_logs=(FLOW_LOG,), rejects=Rejects("/aws/vpc/x/flow-logs", "Complete")))
    assert set(checks.values()) == {Status.OK}
    assert found(network_run(), "network.rejects").title == "the VPC vpc-1 has no flow log"


def test_a_blackhole_route_fails() -> None:
    hole = RouteTable("rtb-app-a", "app-a", "private-app", subnets=("subnet-private-app-a",),
                      routes=(Route("0.0.0.0/0", "nat-gone", "blackhole"),))
    routes = found(network_run(tables=(*tables()[:2], hole, *tables()[3:])), "network.routes")
    assert (routes.status, routes.title) == (Status.FAIL, "rtb-app-a: 0.0.0.0/0 -> nat-gone is a blackhole")


@pytest.mark.parametrize(("state", "status"), [("failed", Status.FAIL), ("deleting", Status.FAIL),
                                               ("pending", Status.WARN), ("available", Status.OK)])
def test_nat_gateway_states(state: str, status: Status) -> None:
    nats = (replace(network_facts().nats[0], state=state, failure="Gateway.NotAttached: no IGW"),
            network_facts().nats[1])
    assert found(network_run(nats=nats), "network.nat").status is status


def test_ecs_subnets_without_a_default_route_need_the_endpoints() -> None:
    bare = tuple(replace(t, routes=t.routes[:1]) if t.tier == "private-app" else t for t in tables())
    missing = found(network_run(tables=bare), "network.routes")
    assert missing.status is Status.FAIL and "no ecr.api, ecr.dkr, s3, logs endpoint" in missing.title
    endpoints = (*tuple(Endpoint(f"vpce-{n}", f"com.amazonaws.{REGION}.{n}", "Interface", "available", True) for n in ("ecr.api", "ecr.dkr", "logs")), Endpoint("vpce-s3", f"com.amazonaws.{REGION}.s3", "Gateway", "available"))
    assert found(network_run(tables=bare, endpoints=endpoints), "network.routes").status is Status.WARN
    assert found(network_run(tables=bare, endpoints=endpoints, ecs_subnets=()), "network.routes").status is (
        Status.WARN)


def test_endpoint_states() -> None:
    failed = (Endpoint("vpce-1", f"com.amazonaws.{REGION}.ecr.dkr", "Interface", "Failed", True),)
    assert found(network_run(endpoints=failed), "network.endpoints").title == "ecr.dkr endpoint vpce-1 is Failed"
    no_dns = (Endpoint("vpce-1", f"com.amazonaws.{REGION}.logs", "Interface", "available", False),)
    warn = found(network_run(endpoints=no_dns), "network.endpoints")
    assert warn.status is Status.WARN and "private DNS off" in warn.title


def test_the_rejects_alarm_and_flow_log_states() -> None:
    rejects = Rejects("/aws/vpc/x/flow-logs", "Complete", (Flow("203.0.113.9", "10.20.0.5", "443", 900),))
    line = alarm("rejects", "Popcorn/x", f"x-{REJECTS}", 1000, {}, statistic="Sum", period=300, state="ALARM")
    in_alarm = found(network_run(flow_logs=(FLOW_LOG,), rejects=rejects, alarms=(line,),
                                 metrics={REJECTS: (200.0, 300.0)}), "network.rejects")
    assert in_alarm.status is Status.FAIL and "A scan" in (in_alarm.cause or "")
    broken = replace(FLOW_LOG, delivery_error="Access error")
    assert found(network_run(flow_logs=(broken,), rejects=rejects), "network.rejects").status is Status.WARN
    timeout = found(network_run(flow_logs=(FLOW_LOG,), rejects=Rejects("g", "Timeout")), "network.rejects")
    assert timeout.title == "could not list the rejected flows: the query ended Timeout"


@pytest.mark.parametrize(("free", "status"), [(200, Status.OK), (51, Status.OK), (50, Status.WARN),
                                              (13, Status.WARN), (12, Status.FAIL), (0, Status.FAIL)])
def test_subnet_free_address_boundaries(free: int, status: Status) -> None:
    """A /24 has 251 usable addresses: under 20% (50.2) warns, under 5% (12.55) fails."""
    cut = (replace(subnets()[0], available=free), *subnets()[1:])
    assert found(network_run(subnets=cut), "network.subnets").status is status


def test_packet_drops_over_the_threshold_earlier_warn() -> None:
    facts = network_facts(nats=(NatGateway("nat-a", "available", "s", f"{REGION}a"),))
    metrics = {"drops@nat-a": (150.0, 700.0, 10.0), "port-errors@nat-a": (0.0, 0.0, 0.0)}
    drops = found(network_run(nats=facts.nats, metrics=metrics), "network.nat-traffic")
    assert drops.status is Status.WARN  # 700 a minute was over 100 per 5 minutes (20 a minute); 10 now is not
