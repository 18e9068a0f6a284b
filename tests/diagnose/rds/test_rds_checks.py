"""RDS checks (popcornctl.diagnose.rds.checks) on facts built directly: the all-OK run, and what moto cannot
produce (Performance Insights on, statuses such as storage-full, failover events, pending modifications,
parameter groups pending reboot), plus the runner's handling of facts that could not be read."""

from __future__ import annotations

from dataclasses import replace

from diagfacts import ECS_SG, PREFIX, ago, finding, instance, metrics, rds_facts, rds_run, routes

from popcornctl.diagnose.facts import Gap
from popcornctl.diagnose.findings import Health, Status
from popcornctl.diagnose.rds.facts import RdsEvent, Secret


def test_healthy_private_database_exits_0() -> None:
    report = rds_run(rds_facts())
    problems = [(f.check, f.title) for f in report.targets[0].findings if f.status is not Status.OK]
    assert report.exit_code == 0, problems
    assert report.health is Health.HEALTHY
    target = report.targets[0]
    assert finding(target, "rds.ecs-access").evidence[0] == (
        f"ECS security group(s) {ECS_SG} (from the services of {PREFIX}-cluster)")
    assert finding(target, "rds.security-groups").title == f"5432 reachable only from: {ECS_SG} ({PREFIX}-ecs)"
    assert finding(target, "rds.storage").title == "storage 75% free (15.0 of 20 GiB)"
    assert finding(target, "rds.performance-insights").title == "Performance Insights on (7 days retention)"


def test_failover_and_storage_full_events() -> None:
    failover = (RdsEvent("Multi-AZ instance failover started.", ago(minutes=8)),
                RdsEvent("Multi-AZ instance failover completed.", ago(minutes=7)))
    events = finding(rds_run(rds_facts(events=failover)).targets[0], "rds.events", Status.WARN)
    assert events.rule == "rds.failover"
    assert len(events.evidence) == 2
    full = (*failover, RdsEvent("Allocated storage has been exhausted. Allocate additional storage to resolve.",
                                ago(minutes=1)))
    assert finding(rds_run(rds_facts(events=full)).targets[0], "rds.events", Status.FAIL).rule == "rds.storage-full"


def test_storage_full_status_means_down() -> None:
    report = rds_run(rds_facts(instance=instance(status="storage-full")))
    status = finding(report.targets[0], "rds.status", Status.FAIL)
    assert status.rule == "rds.status-storage-full"
    assert report.targets[0].health is Health.DOWN


def test_pending_modifications_parameter_group_and_performance_insights() -> None:
    db = instance(pending=(("DBInstanceClass", "db.t4g.small"),), performance_insights=False,
                  parameter_groups=(("default.postgres16", "pending-reboot"),))
    target = rds_run(rds_facts(instance=db)).targets[0]
    assert finding(target, "rds.pending", Status.WARN).evidence == ["DBInstanceClass: db.t4g.small"]
    assert finding(target, "rds.performance-insights", Status.WARN).title == "Performance Insights is off"
    assert finding(target, "rds.parameter-group", Status.WARN).title == "default.postgres16 is pending-reboot"


def test_single_az_subnet_group_with_multi_az_fails() -> None:
    db = instance(multi_az=True, subnets=(("subnet-db-a", "ap-northeast-2a"),))
    group = finding(rds_run(rds_facts(instance=db)).targets[0], "rds.subnet-group", Status.FAIL)
    assert group.title == f"subnet group {PREFIX}-db covers 1 AZ: ap-northeast-2a"


def test_backups_off_and_restore_point_lagging() -> None:
    assert finding(rds_run(rds_facts(instance=instance(backup_retention=0))).targets[0], "rds.backups",
                   Status.FAIL).title == "automated backups are off (retention 0 days)"
    lagging = rds_run(rds_facts(instance=instance(latest_restorable=ago(minutes=40)))).targets[0]
    assert finding(lagging, "rds.backups", Status.WARN).title.startswith("latest restorable time is 40m old")


def test_master_secret_scheduled_for_deletion_or_not_managed() -> None:
    deleted = rds_run(rds_facts(secret=Secret(deleted=True))).targets[0]
    assert finding(deleted, "rds.master-secret", Status.FAIL).title == "the master user secret is scheduled for deletion"
    unmanaged = rds_run(rds_facts(instance=instance(secret_arn=None), secret=None)).targets[0]
    assert finding(unmanaged, "rds.master-secret", Status.WARN).title == (
        "the master password is not managed by Secrets Manager")


def test_public_subnets_for_a_private_instance_warn() -> None:
    target = rds_run(rds_facts(routes=routes(via="igw-1"))).targets[0]
    assert finding(target, "rds.exposure", Status.WARN).title.startswith("private instance in public subnets:")


def test_memory_and_no_datapoints() -> None:
    none = rds_run(rds_facts(metrics=replace(metrics(), cpu_avg=(), cpu_max=(), conn_max=(), read_lat=(),
                                             write_lat=()))).targets[0]
    assert finding(none, "rds.metrics", Status.WARN).title == "no CPU/connection/latency datapoints in the last 1h00m"
    low = rds_run(rds_facts(metrics=replace(metrics(), mem_min=(0.01 * 1024**3,)))).targets[0]
    assert finding(low, "rds.metrics", Status.WARN).title == "freeable memory down to 0.01 GiB"


def test_unreadable_metrics_are_one_finding_naming_every_check_they_stop() -> None:
    gap = Gap("metrics", "read CloudWatch metrics", "cloudwatch:GetMetricData", "AccessDenied: not allowed")
    target = rds_run(rds_facts(gaps={"metrics": gap})).targets[0]
    unread = [f for f in target.findings if "could not read CloudWatch metrics" in f.title]
    assert len(unread) == 1
    assert unread[0].check == "rds.storage" and unread[0].status is Status.WARN
    assert "not checked: rds.storage, rds.metrics" in unread[0].evidence
    assert not [f for f in target.findings if f.check == "rds.metrics"]
