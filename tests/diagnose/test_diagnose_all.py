"""``diagnose all``: every target of an environment in one run, on the emulator, seeded through the AWS API only.

The environment is the other scenario tests' worlds together (targetworld): the VPC, the ECS service, the database,
the load balancer, the Kafka brokers. The cache is left out (or switched off by the outputs), so that part's
"could not diagnose" finding is seen. moto's healthy-only target health and missing ElastiCache reads do not matter
here: no test needs an unhealthy target or a cache node.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from io import StringIO
from typing import Any

import jsonschema
from diagworld import CLUSTER, PREFIX, World
from targetworld import alb, kafka, vpc

from popcornctl.diagnose import DiagnosisReport, Names, RunLabels, Window, diagnose_all
from popcornctl.diagnose.environment import UNAVAILABLE
from popcornctl.diagnose.findings import REPORT_SCHEMA, Status
from popcornctl.diagnose.names import Resolved

WINDOW = timedelta(hours=1)


def names(**overrides: Any) -> Resolved:
    base = Resolved(environment="dev", prefix=PREFIX, cluster=CLUSTER, instance=f"{PREFIX}-postgres",
                    load_balancer=f"{PREFIX}-alb", cache=f"{PREFIX}-valkey", vpc_name=PREFIX,
                    sources={"cluster": "convention", "instance": "convention", "load_balancer": "convention",
                             "cache": "convention", "kafka": "convention", "vpc": "convention"})
    for key, value in overrides.items():
        setattr(base, key, value)
    return base


def environment(world: World) -> None:
    vpc(world)
    world.db()
    alb(world)
    kafka(world)


def run(world: World, resolved: Resolved) -> DiagnosisReport:
    report = diagnose_all(world.clients, resolved=resolved, window=Window.ending_now(WINDOW),
                          run=RunLabels(names=Names(source=resolved.source, notes=[]), environment="dev"))
    jsonschema.validate(report.to_dict(), REPORT_SCHEMA)
    return report


def test_every_part_is_diagnosed_worst_first_and_a_missing_one_is_a_finding(aws: World) -> None:
    environment(aws)
    report = run(aws, names())
    kinds = {t.kind for t in report.targets}
    assert kinds >= {"ecs-cluster", "ecs-service", "rds-instance", "alb-load-balancer", "alb-target-group",
                     "cache-replication-group", "kafka-cluster", "kafka-broker", "network-vpc"}
    ranks = [t.status.rank for t in report.targets]
    assert ranks == sorted(ranks, reverse=True)  # FAIL, then WARN, then OK
    missing = next(t for t in report.targets if t.kind == "cache-replication-group")
    (finding,) = missing.findings
    assert (finding.check, finding.status) == (UNAVAILABLE, Status.WARN)  # named by the convention only
    assert finding.title == f"could not diagnose cache: replication group '{PREFIX}-valkey' not found (AWS account ? " \
                            "in ap-northeast-2)"
    assert finding.remediation == "pass --replication-group ID or check --env; groups here: none"
    assert report.command == "all" and report.exit_code == 1
    assert report.to_dict()["summary"]["targets"] == len(report.targets)


def test_a_part_the_outputs_name_but_that_is_missing_fails(aws: World) -> None:
    environment(aws)
    report = run(aws, names(sources={**names().sources, "cache": "outputs"}))
    missing = next(t for t in report.targets if t.kind == "cache-replication-group")
    assert missing.findings[0].status is Status.FAIL
    assert report.targets[0].status is Status.FAIL


def test_a_part_the_outputs_switch_off_is_skipped(aws: World) -> None:
    environment(aws)
    report = run(aws, names(skipped={"cache": "elasticache_cluster_id is null"}))
    assert "cache-replication-group" not in {t.kind for t in report.targets}


def test_the_parts_are_read_concurrently(aws: World) -> None:
    environment(aws)
    inflight, peak, lock = [0], [0], threading.Lock()

    def enter(**_: Any) -> None:
        with lock:
            inflight[0] += 1
            peak[0] = max(peak[0], inflight[0])
        time.sleep(0.05)  # hold each part's first read open, so overlapping parts are seen overlapping

    def leave(**_: Any) -> None:
        with lock:
            inflight[0] -= 1

    firsts = {"ecs": "DescribeClusters", "rds": "DescribeDBInstances", "elbv2": "DescribeLoadBalancers",
              "ec2": "DescribeVpcs"}
    for service, operation in firsts.items():
        client = aws.clients.client(service)
        name = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"before-call.{name}.{operation}", enter)
        client.meta.events.register(f"after-call.{name}.{operation}", leave)
    run(aws, names())
    assert peak[0] > 1, "the parts were read one after the other"


def test_the_text_report_starts_with_one_summary_line_per_target(aws: World) -> None:
    from rich.console import Console

    from popcornctl.diagnose.render import KIND_LABEL, render

    environment(aws)
    report = run(aws, names())
    out = StringIO()
    render(report, Console(file=out, width=200, color_system=None))
    text = out.getvalue()
    header, _, _ = text.partition("╭")
    lines = [line for line in header.splitlines() if line.strip()]
    assert lines[0].startswith("popcornctl diagnose all — ")
    assert lines[1].split() == ["target", "health", "FAIL", "WARN", "first", "problem"]
    assert len(lines) == 2 + len(report.targets)
    for line, target in zip(lines[2:], report.targets, strict=True):  # the summary follows the worst-first order
        assert line.startswith(f"{KIND_LABEL[target.kind]} {target.name} ")
        assert target.health.value in line
    assert text.rstrip().endswith(f"exit {report.exit_code}")


def test_one_part_failing_unexpectedly_does_not_sink_the_others(aws: World, monkeypatch: Any) -> None:
    from popcornctl.diagnose.network.fetch import NetworkFetch

    environment(aws)

    def broken(self: NetworkFetch) -> None:
        raise KeyError("CidrBlock")

    monkeypatch.setattr(NetworkFetch, "__call__", broken)
    report = run(aws, names())
    vpc_report = next(t for t in report.targets if t.kind == "network-vpc")
    assert vpc_report.findings[0].title == "could not diagnose network: KeyError: 'CidrBlock'"
    assert vpc_report.findings[0].remediation == "run popcornctl -v diagnose network and report the output"
    assert {"ecs-cluster", "alb-load-balancer", "kafka-cluster"} <= {t.kind for t in report.targets}
