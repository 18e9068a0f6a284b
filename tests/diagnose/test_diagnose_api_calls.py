"""The API budget of ``diagnose ecs`` on a cluster with 50 services, counted with botocore event hooks.

Seeding (diagworld): 50 services through boto3 create_service; 3 tasks per service (one running, two stopped:
a Spot interruption and an app crash) written into moto's backend state, because run_task cannot start
awsvpc tasks and moto never sets stopCode or exit codes.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta
from typing import Any

from diagworld import CLUSTER, World

from popcornctl.diagnose import Window, diagnose_ecs

SERVICES = 50


def test_fifty_services_cost_batched_calls_only(aws: World) -> None:
    aws.cluster()
    aws.task_definition("shared")
    for i in range(SERVICES):
        svc = f"svc{i:02d}"
        aws._tds[svc] = aws._tds["shared"]  # one revision for all: DescribeTaskDefinition once
        aws.service(svc, desired=1, running=1)
        aws.task(svc)
        aws.task(svc, stopped=True, stop_code="SpotInterruption", reason="Your Spot Task was interrupted.")
        aws.task(svc, stopped=True, stop_code="EssentialContainerExited", reason="Essential container in task exited",
                 exit_code=1)

    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[f"{model.service_model.service_name}.{model.name}"] += 1

    # the diagnoser takes its clients from this factory, so hooking them here sees every call it makes
    for service in ("ecs", "elbv2", "logs", "cloudwatch", "iam", "secretsmanager", "ssm", "ec2", "ecr"):
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
    # shared look-ups are memoised across the 50 concurrent services: one set of IAM reads per role
    assert calls["iam.GetRole"] == 2  # execution role (task definition check) and task role (ECS Exec check)
    # a log tail per service for the crashed task is the only per-service read
    assert calls["logs.GetLogEvents"] == SERVICES
    per_service = {name for name, n in calls.items() if n >= SERVICES}
    assert per_service == {"logs.GetLogEvents"}, calls
