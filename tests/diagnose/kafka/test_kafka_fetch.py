"""``diagnose kafka`` against the emulator, seeded through the AWS API only (fixture ``aws``, targetworld).

The brokers (instances tagged with their KafkaNodeId), their security group rules, data volumes and attachments,
the private hosted zone and its records, the agent's metrics and the monitoring module's alarms all go through
boto3; stopping an instance, detaching a volume and rewriting a record are API calls too. moto's status checks
are always ok; impaired ones are tested on facts (test_kafka_checks.py).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import jsonschema
import pytest
from diagworld import CLUSTER, PREFIX, World
from targetworld import Kafka, kafka, kafka_alarms, kafka_metrics, point

from popcornctl.diagnose import Window, diagnose_kafka
from popcornctl.diagnose.findings import REPORT_SCHEMA, DiagnosisReport, Finding, Status
from popcornctl.diagnose.kafka.convert import layout
from popcornctl.diagnose.kafka.fetch import CLIENTS
from popcornctl.errors import PopcornError


def run(world: World, brokers: Kafka, *, by_ids: bool = True) -> DiagnosisReport:
    world.cluster(instances=0)
    world.service("api")  # the ECS side: the services' security group and subnets
    report = diagnose_kafka(
        world.clients, window=Window.ending_now(timedelta(hours=1)),
        layout=layout(brokers.bootstrap, brokers.voters, PREFIX, "outputs"),
        instance_ids=list(brokers.instances.values()) if by_ids else None, prefix=PREFIX, cluster=CLUSTER)
    jsonschema.validate(report.to_dict(), REPORT_SCHEMA)
    return report


def finding(report: DiagnosisReport, check: str, status: Status | None = None, name: str | None = None) -> Finding:
    found = [f for t in report.targets if name is None or t.name == name for f in t.findings
             if f.check == check and (status is None or f.status is status)]
    assert found, f"no {check} {status or ''} in {[(t.name, f.check, f.status.value, f.title) for t in report.targets for f in t.findings]}"
    return found[0]


def seeded(world: World, **options: Any) -> Kafka:
    brokers = kafka(world, **options)
    kafka_alarms(world, brokers)
    kafka_metrics(world, brokers)
    return brokers


def test_healthy_brokers_have_only_ok_findings(aws: World) -> None:
    brokers = seeded(aws)
    report = run(aws, brokers, by_ids=False)  # found by the module's Name tags
    problems = [(t.name, f.check, f.title) for t in report.targets for f in t.findings if f.status is not Status.OK]
    assert problems == []
    assert [t.name for t in report.targets] == [f"kafka.{PREFIX}.internal", "broker 1", "broker 2", "broker 3"]
    assert finding(report, "kafka.quorum").title == "3 controller(s), all up"
    dns = finding(report, "kafka.broker.dns", name="broker 2")
    assert dns.title == f"broker-2.kafka.{PREFIX}.internal -> {brokers.addresses['2']}"
    disk = finding(report, "kafka.broker.disk", name="broker 1")
    assert disk.evidence == [f"/var/lib/kafka used peak 30%, latest 30% (threshold 75%, from alarm {PREFIX}-kafka-1-data-disk (OK))"]
    assert finding(report, "kafka.broker.volume", name="broker 1").title.endswith("attached at /dev/sdf")


def test_a_record_holding_an_old_address_fails(aws: World) -> None:
    brokers = seeded(aws)
    point(aws, brokers.zone_id, "2", "10.20.2.250")  # the instance was replaced; the record was not
    dns = finding(run(aws, brokers), "kafka.broker.dns", Status.FAIL)
    assert dns.title == (f"broker-2.kafka.{PREFIX}.internal points at 10.20.2.250, the broker is at "
                         f"{brokers.addresses['2']}")
    assert "old one" in (dns.cause or "")


def test_a_stopped_broker_fails_and_leaves_the_quorum_one_failure_from_loss(aws: World) -> None:
    brokers = seeded(aws)
    aws.c("ec2").stop_instances(InstanceIds=[brokers.instances["3"]])
    report = run(aws, brokers)
    assert finding(report, "kafka.broker.state", Status.FAIL, name="broker 3").title == "the instance is stopped"
    quorum = finding(report, "kafka.quorum", Status.WARN)
    assert quorum.title == "1 of 3 controllers down (3)"
    assert report.targets[0].health.value == "degraded"


def test_a_majority_down_loses_the_quorum(aws: World) -> None:
    brokers = seeded(aws)
    aws.c("ec2").stop_instances(InstanceIds=[brokers.instances["1"], brokers.instances["2"]])
    quorum = finding(run(aws, brokers), "kafka.quorum", Status.FAIL)
    assert quorum.title == "1 of 3 controllers up: the quorum is lost"


def test_a_detached_data_volume_fails(aws: World) -> None:
    brokers = seeded(aws)
    aws.c("ec2").detach_volume(VolumeId=brokers.volumes["1"], InstanceId=brokers.instances["1"], Device="/dev/sdf")
    volume = finding(run(aws, brokers), "kafka.broker.volume", Status.FAIL, name="broker 1")
    assert volume.title == "the data volume is detached"
    assert any(line.startswith(f"{brokers.volumes['1']} {PREFIX}-kafka-1-data 50 GiB: available") for line in
               volume.evidence)


def test_disk_near_its_alarm_and_a_silent_agent_warn(aws: World) -> None:
    brokers = kafka(aws)
    kafka_alarms(aws, brokers)
    kafka_metrics(aws, brokers, disk=70.0, only=("1", "2"))
    report = run(aws, brokers)
    disk = finding(report, "kafka.broker.disk", Status.WARN, name="broker 1")
    assert disk.title == "/var/lib/kafka reached 70% used (threshold 75%)"
    assert "Retention keeps more than the volume holds" in (disk.cause or "")
    silent = finding(report, "kafka.broker.memory", Status.WARN, name="broker 3")
    assert silent.title == "the CloudWatch agent reported no memory use in the last 1h00m"


def test_services_without_the_client_port_rule_fail(aws: World) -> None:
    brokers = seeded(aws, allow_ecs=False)
    reach = finding(run(aws, brokers), "kafka.reachability", Status.FAIL)
    assert reach.title.startswith(f"from the services: the security group(s) {brokers.sg} do not allow 9092 from")


def test_no_broker_found_is_a_usage_error(aws: World) -> None:
    with pytest.raises(PopcornError) as err:
        diagnose_kafka(aws.clients, window=Window.ending_now(timedelta(hours=1)),
                       layout=layout(None, None, PREFIX, "convention"), prefix=PREFIX)
    assert err.value.line().startswith(f"no Kafka brokers found: instances named {PREFIX}-kafka-*")


def test_five_brokers_cost_one_call_per_kind(aws: World) -> None:
    brokers = seeded(aws, brokers=5)
    calls: Counter[str] = Counter()
    for service in CLIENTS:
        aws.clients.client(service).meta.events.register(
            "before-call.*.*", lambda model, **_: calls.update([f"{model.service_model.service_name}.{model.name}"]))
    report = run(aws, brokers)
    assert len(report.targets) == 6
    assert calls["ec2.DescribeInstances"] == 1
    assert calls["ec2.DescribeInstanceStatus"] == 1
    assert calls["ec2.DescribeVolumes"] == 2  # attached to the brokers, and tagged with a KafkaNodeId
    assert calls["ec2.DescribeSecurityGroups"] == 1  # the brokers' and the services' groups together
    assert calls["route53.ListHostedZonesByName"] == 1
    assert calls["route53.ListResourceRecordSets"] == 1
    assert calls["cloudwatch.GetMetricData"] == 1  # memory and disk of 5 brokers
    assert calls["cloudwatch.DescribeAlarms"] == 1


def test_unknown_instance_ids_are_a_usage_error(aws: World) -> None:
    with pytest.raises(PopcornError) as err:
        diagnose_kafka(aws.clients, window=Window.ending_now(timedelta(hours=1)),
                       layout=layout(None, None, PREFIX, "convention"), instance_ids=["i-0123456789abcdef0"])
    assert err.value.line().startswith("no Kafka brokers found: instances i-0123456789abcdef0")
