"""``diagnose cache`` against the sandbox's emulator, seeded through the AWS API only (targetworld).

The subnet and security groups, the replication group (TLS, AUTH token), the ECS service configured with the
composition's SPRING_DATA_REDIS_* settings, the monitoring module's alarms and the metrics all go through boto3;
so do the events: a failover is TestFailover, a snapshot CreateSnapshot. Every call reaches the emulator, whose
ElastiCache extensions (popcornctl.sandbox.extensions.elasticache) list the group's member nodes and serve
DescribeEvents as AWS does. The assertions hold for any number of nodes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jsonschema
import pytest
from diagworld import CLUSTER, World
from targetworld import Cache, cache, cache_alarms, cache_metrics, cache_service

from popcornctl.diagnose import Window, diagnose_cache
from popcornctl.diagnose.findings import REPORT_SCHEMA, DiagnosisReport, Finding, Status
from popcornctl.errors import PopcornError

pytestmark = pytest.mark.sandbox


@pytest.fixture
def aws(sandbox_world: World) -> World:
    """The sandbox's emulator over HTTP, its extensions installed (the group's nodes, DescribeEvents, TestFailover)."""
    return sandbox_world


def run(world: World, group: Cache) -> DiagnosisReport:
    report = diagnose_cache(world.clients, group=group.id, window=Window.ending_now(timedelta(hours=1)),
                            cluster=CLUSTER)
    jsonschema.validate(report.to_dict(), REPORT_SCHEMA)
    return report


def finding(report: DiagnosisReport, check: str, status: Status | None = None) -> Finding:
    found = [f for f in report.targets[0].findings if f.check == check and (status is None or f.status is status)]
    assert found, f"no {check} {status or ''} in {[(f.check, f.status.value, f.title) for f in report.targets[0].findings]}"
    return found[0]


def seeded(world: World, **service: Any) -> Cache:
    group = cache(world)
    cache_service(world, group, **service)
    cache_alarms(world, group)
    cache_metrics(world, group)
    return group


def test_healthy_cache_has_only_ok_findings(aws: World) -> None:
    group = seeded(aws)
    report = run(aws, group)
    problems = [(f.check, f.title) for f in report.targets[0].findings if f.status is not Status.OK]
    assert problems == []
    assert report.exit_code == 0
    clients = finding(report, "cache.clients")
    assert clients.title == "1 client(s) match the group's endpoint, TLS and AUTH"
    assert (f"goorm-popcorn-dev-api/api: {group.primary}:6379, TLS on, password from "
            "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:goorm-popcorn-dev-valkey/auth-token-AbCdEf"
            in clients.evidence)
    memory = finding(report, "cache.memory")
    assert memory.title == "memory used up to 35%"
    assert memory.evidence[0] == (f"{group.members[0]}: memory used peak 35%, latest 35% (threshold 80%, from "
                                  "alarm goorm-popcorn-dev-elasticache-1-memory (OK))")
    assert len(memory.evidence) == len(group.members)  # one line per node
    assert finding(report, "cache.reachability").title == "the services' security group reaches 6379"


def test_a_service_without_tls_against_required_tls_fails(aws: World) -> None:
    group = seeded(aws, ssl="false")
    clients = finding(run(aws, group), "cache.clients", Status.FAIL)
    assert clients.title == "goorm-popcorn-dev-api/api connects without TLS, which the group requires"
    assert "connection reset" in (clients.cause or "")


def test_a_service_without_the_auth_password_fails(aws: World) -> None:
    group = seeded(aws, password=False)
    clients = finding(run(aws, group), "cache.clients", Status.FAIL)
    assert clients.title == "goorm-popcorn-dev-api/api sends no password, and the group requires AUTH"
    assert "NOAUTH Authentication required" in (clients.cause or "")


def test_security_group_without_the_ecs_rule_fails(aws: World) -> None:
    group = cache(aws, allow_ecs=False)
    cache_service(aws, group)
    cache_metrics(aws, group)
    net = aws.network()
    reach = finding(run(aws, group), "cache.reachability", Status.FAIL)
    assert reach.title == (f"the services cannot reach the cache: the security group(s) {group.sg} do not allow 6379 "
                           f"from {net.ecs_sg} or from 10.20.1.0/24, 10.20.2.0/24")


def test_memory_near_its_alarm_and_a_failover_warn(aws: World) -> None:
    group = cache(aws)
    cache_service(aws, group)
    cache_alarms(aws, group)
    cache_metrics(aws, group, memory=75.0)
    node = group.members[0]
    elasticache = aws.c("elasticache")
    elasticache.test_failover(ReplicationGroupId=group.id, NodeGroupId="0001")  # node -> {group.id}-002
    elasticache.create_snapshot(ReplicationGroupId=group.id, SnapshotName="manual-x")  # a routine event
    report = run(aws, group)
    memory = finding(report, "cache.memory", Status.WARN)
    assert memory.title == f"{node}: memory used reached 75% (threshold 80)"
    assert "approaches maxmemory" in (memory.cause or "")
    failover = finding(report, "cache.events", Status.WARN)
    assert (failover.title, failover.rule) == ("the primary failed over to a replica (1 notable event(s))",
                                               "cache.failover")
    assert finding(report, "cache.failover", Status.WARN).title.endswith("1 failover(s) in the last 1h00m")


def test_evictions_over_the_alarm_now_fail(aws: World) -> None:
    group = cache(aws)
    cache_service(aws, group)
    cache_alarms(aws, group)
    cache_metrics(aws, group, evictions=400.0)
    evictions = finding(run(aws, group), "cache.evictions", Status.FAIL)
    assert evictions.title == f"{group.members[0]}: evictions reached 400 (threshold 100)"


def test_unknown_group_is_a_usage_error(aws: World) -> None:
    cache(aws)
    with pytest.raises(PopcornError) as err:
        diagnose_cache(aws.clients, group="nope", window=Window.ending_now(timedelta(hours=1)))
    assert err.value.line().startswith("replication group 'nope' not found")
    assert err.value.line().endswith("groups here: goorm-popcorn-dev-valkey")


def test_one_read_per_kind_whatever_the_nodes(aws: World) -> None:
    """The budget: one call each for the group, its nodes, events, alarms and metrics."""
    from collections import Counter

    from popcornctl.diagnose.cache.fetch import CLIENTS

    group = seeded(aws)
    calls: Counter[str] = Counter()
    for service in CLIENTS:
        aws.clients.client(service).meta.events.register(
            "before-call.*.*", lambda model, **_: calls.update([f"{model.service_model.service_name}.{model.name}"]))
    diagnose_cache(aws.clients, group=group.id, window=Window.ending_now(timedelta(hours=1)), cluster=CLUSTER)
    assert calls["elasticache.DescribeEvents"] == 1
    assert calls["elasticache.DescribeCacheClusters"] == 1  # one listing for every node of the group
    assert calls["elasticache.DescribeReplicationGroups"] == 1
    assert calls["cloudwatch.GetMetricData"] == 1
    assert calls["cloudwatch.DescribeAlarms"] == 1
    assert calls["ec2.DescribeSecurityGroups"] == 1  # the nodes' and the services' groups together
