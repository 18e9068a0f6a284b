"""Cluster summary checks (popcornctl.diagnose.ecs.checks.cluster) on facts built directly."""

from __future__ import annotations

from diagfacts import PREFIX, ecs_facts, ecs_report, finding, running_task, service

from popcornctl.diagnose.findings import Health, Status


def test_cluster_summary_counts_down_and_degraded() -> None:
    facts = ecs_facts([service("api"), service("user", running=0), service("payment", running=1)],
                      [running_task("api", n=1), running_task("api", n=2), running_task("payment")])
    report = ecs_report(facts)
    cluster = report.targets[0]
    assert cluster.facts["services"] == "3 diagnosed: 1 healthy, 1 degraded, 1 down"
    summary = finding(cluster, "cluster.services", Status.FAIL)
    assert summary.evidence == [f"down: {PREFIX}-user", f"degraded: {PREFIX}-payment"]
    assert report.health is Health.DEGRADED


def test_every_service_down_means_the_cluster_is_down() -> None:
    report = ecs_report(ecs_facts([service("api", running=0), service("user", running=0)]))
    assert report.targets[0].health is Health.DOWN and report.health is Health.DOWN


def test_services_named_but_missing() -> None:
    report = ecs_report(ecs_facts([service()], [running_task(n=1), running_task(n=2)],
                                  missing_services=(f"{PREFIX}-ghost",)))
    missing = finding(report.targets[0], "cluster.missing", Status.FAIL)
    assert missing.evidence == [f"{PREFIX}-ghost"]
    assert report.exit_code == 1


def test_ec2_services_without_container_instances() -> None:
    report = ecs_report(ecs_facts([service(launch_type="EC2")], [running_task(n=1), running_task(n=2)]))
    assert finding(report.targets[0], "cluster.capacity", Status.FAIL).evidence == [f"{PREFIX}-api"]


def test_no_services_warns() -> None:
    report = ecs_report(ecs_facts([]))
    assert finding(report.targets[0], "cluster.services", Status.WARN).title == "no services to diagnose in this cluster"


def test_inactive_cluster_is_down() -> None:
    facts = ecs_facts([])
    facts = facts.__class__(**{**facts.__dict__, "cluster": facts.cluster.__class__(
        **{**facts.cluster.__dict__, "status": "INACTIVE"})})
    cluster = ecs_report(facts).targets[0]
    assert finding(cluster, "cluster.status", Status.FAIL).title == "cluster is INACTIVE"
    assert cluster.health is Health.DOWN
