"""The API budget of ``diagnose ecs`` on a cluster with 50 services, counted with botocore event hooks.

Seeding through the AWS API only: 50 services through create_service; 3 tasks per service through run_task
(one running, two stopped through StopTask: a Spot interruption and an out-of-memory kill, which the rules
classify from the stop reason since moto sets no stopCode or exit code).
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta
from typing import Any

from diagworld import CLUSTER, World

from popcornctl.diagnose import Window, diagnose_ecs
from popcornctl.diagnose.ecs.fetch import CLIENTS

SERVICES = 50


def test_fifty_services_cost_batched_calls_only(aws: World) -> None:
    aws.cluster()
    td = aws.task_definition("shared", container_memory=32)
    for i in range(SERVICES):
        svc = f"svc{i:02d}"
        aws._tds[svc] = td  # one revision for all: DescribeTaskDefinition once
        aws.service(svc, desired=1, running=1)
        aws.task(svc)
        aws.task(svc, stopped=True, reason="Your Spot Task was interrupted.")
        aws.task(svc, stopped=True, reason="OutOfMemoryError: Container killed due to memory usage")

    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[f"{model.service_model.service_name}.{model.name}"] += 1

    # the fetch step takes its clients from this factory, so hooking them here sees every call it makes
    for service in CLIENTS:
        aws.clients.client(service).meta.events.register("before-call.*.*", count)

    report = diagnose_ecs(aws.clients, cluster=CLUSTER, services=None, window=Window.ending_now(timedelta(hours=1)))

    tasks = SERVICES * 3
    assert len(report.targets) == SERVICES + 1
    assert calls["ecs.DescribeServices"] <= 5
    assert calls["ecs.DescribeServices"] == math.ceil(SERVICES / 10)
    assert calls["ecs.DescribeTasks"] == math.ceil(tasks / 100)  # batches, never one call per task
    assert calls["ecs.ListTasks"] == 2  # cluster-wide STOPPED and RUNNING listings, not per service
    assert calls["ecs.ListServices"] == 1
    assert calls["ecs.DescribeClusters"] == 1
    assert calls["ecs.DescribeTaskDefinition"] == 1
    assert calls["cloudwatch.DescribeAlarms"] == 1
    # shared look-ups are memoised across the 50 concurrent services: one set of IAM reads per role (the services
    # share one execution role; moto drops enableExecuteCommand, so the task role is never asked about)
    assert calls["iam.GetRole"] == 1
    assert calls["iam.ListRolePolicies"] == 1
    # the policy simulator is tried once; the emulator lacks it, so the run stays on the offline fallback
    assert calls["iam.SimulatePrincipalPolicy"] == 1
    # a log tail per service for the out-of-memory task is the only per-service read
    assert calls["logs.GetLogEvents"] == SERVICES
    per_service = {name for name, n in calls.items() if n >= SERVICES}
    assert per_service == {"logs.GetLogEvents"}, calls
