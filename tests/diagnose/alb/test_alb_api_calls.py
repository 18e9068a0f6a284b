"""The API budget of ``diagnose alb`` with 20 target groups, counted with botocore event hooks.

Seeding through the AWS API only: one load balancer, an HTTPS listener with one host rule per service, 20 target
groups with two targets each, and 20 ECS services (one shared task definition) registering into them.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from diagworld import CLUSTER, PREFIX, World
from targetworld import alb

from popcornctl.diagnose import Window, diagnose_alb
from popcornctl.diagnose.alb.fetch import CLIENTS

GROUPS = 20


def test_twenty_target_groups_cost_one_health_call_each_made_concurrently(aws: World) -> None:
    td = aws.task_definition("shared", container_memory=32)
    services = tuple(f"svc{i:02d}" for i in range(GROUPS))
    for svc in services:
        aws._tds[svc] = td  # one revision for all: DescribeTaskDefinition once
    lb = alb(aws, services=services)

    calls: Counter[str] = Counter()
    inflight, peak, lock = [0], [0], threading.Lock()

    def count(model: Any, **_: Any) -> None:
        calls[f"{model.service_model.service_name}.{model.name}"] += 1

    def enter(**_: Any) -> None:
        with lock:
            inflight[0] += 1
            peak[0] = max(peak[0], inflight[0])
        time.sleep(0.05)  # hold the call open so that overlapping calls are seen overlapping

    def leave(**_: Any) -> None:
        with lock:
            inflight[0] -= 1

    for service in CLIENTS:
        aws.clients.client(service).meta.events.register("before-call.*.*", count)
    elbv2 = aws.clients.client("elbv2")
    name = elbv2.meta.service_model.service_id.hyphenize()
    elbv2.meta.events.register(f"before-call.{name}.DescribeTargetHealth", enter)
    elbv2.meta.events.register(f"after-call.{name}.DescribeTargetHealth", leave)

    report = diagnose_alb(aws.clients, load_balancer=f"{PREFIX}-alb", window=Window.ending_now(timedelta(hours=1)),
                          cluster=CLUSTER)

    assert len(report.targets) == GROUPS + 1
    assert calls["elbv2.DescribeTargetHealth"] == GROUPS  # the API takes one group per call
    assert peak[0] > 1, "DescribeTargetHealth calls ran one after the other"
    assert calls["elbv2.DescribeLoadBalancers"] == 1
    assert calls["elbv2.DescribeTargetGroups"] == 1  # by load balancer, 400 a page
    assert calls["elbv2.DescribeListeners"] == 1
    assert calls["elbv2.DescribeRules"] == len(lb.listeners)
    assert calls["elbv2.DescribeListenerCertificates"] == 1  # HTTPS listeners only
    assert calls["acm.DescribeCertificate"] == 1  # one per distinct certificate
    assert calls["cloudwatch.GetMetricData"] == 1  # 4 + 3 x 20 series in one call
    assert calls["cloudwatch.DescribeAlarms"] == 1
    assert calls["ecs.DescribeServices"] == GROUPS // 10  # batches of 10
    assert calls["ecs.DescribeTaskDefinition"] == 1
    per_group = {name for name, n in calls.items() if n >= GROUPS}
    assert per_group == {"elbv2.DescribeTargetHealth"}, calls
