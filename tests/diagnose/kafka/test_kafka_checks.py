"""The ``diagnose kafka`` checks on typed facts: impaired status checks and scheduled events (moto's are always
ok), quorum sizes, DNS and volume states, agent thresholds, and the layout read from the outputs."""

from __future__ import annotations

from dataclasses import replace

from targetfacts import ZONE, alarm, brokers, found, kafka_facts, kafka_run
from targetfacts import statuses as all_statuses

from popcornctl.diagnose.findings import Status
from popcornctl.diagnose.kafka.convert import layout
from popcornctl.diagnose.kafka.facts import Layout, StatusCheck, Volume, Voter
from popcornctl.diagnose.kafka.fetch import agent


def test_healthy_facts_give_only_ok() -> None:
    assert set(all_statuses(kafka_run()).values()) == {Status.OK}


def test_impaired_status_checks_fail_and_say_whose_fault_it_is() -> None:
    facts = kafka_facts()
    system = StatusCheck("ok", "impaired", ("system reachability failed",))
    reports = kafka_run(status={**facts.status, "i-0001": system})
    impaired = found(reports, "kafka.broker.status-checks")
    assert (impaired.status, impaired.title) == (Status.FAIL, "the system status check is impaired")
    assert "AWS host" in (impaired.cause or "") and "stop and start" in (impaired.remediation or "")
    instance = found(kafka_run(status={**facts.status, "i-0001": StatusCheck("impaired", "ok")}),
                     "kafka.broker.status-checks")
    assert "out of memory" in (instance.cause or "")
    quorum = found(reports, "kafka.quorum")  # an impaired broker counts as down
    assert quorum.status is Status.WARN and quorum.title == "1 of 3 controllers down (1)"


def test_initializing_checks_and_scheduled_events_warn() -> None:
    facts = kafka_facts()
    retiring = StatusCheck("ok", "ok", scheduled=("instance-retirement: The instance is running on degraded "
                                                  "hardware (not before 2026-12-01)",))
    warn = found(kafka_run(status={**facts.status, "i-0001": retiring}), "kafka.broker.status-checks")
    assert (warn.status, warn.title) == (Status.WARN, "1 scheduled event(s)")
    init = found(kafka_run(status={**facts.status, "i-0001": StatusCheck("initializing", "ok")}),
                 "kafka.broker.status-checks")
    assert init.title == "status checks initializing/ok"


def test_an_even_quorum_warns_and_a_voter_without_instance_fails() -> None:
    even = found(kafka_run(4), "kafka.quorum")
    assert (even.status, even.title) == (Status.WARN, "4 voters: an even quorum tolerates no more failures than 3")
    voters = tuple(Voter(str(n), f"broker-{n}.{ZONE}", 9093) for n in (1, 2, 3))
    missing = found(kafka_run(2, layout=Layout(ZONE, voters=voters)), "kafka.quorum")
    assert (missing.status, missing.title) == (Status.FAIL, "voter(s) 3 have no instance")


def test_dns_without_zone_or_record_fails() -> None:
    assert found(kafka_run(zone_id=None), "kafka.broker.dns").title == f"no private hosted zone {ZONE}"
    assert found(kafka_run(records={}), "kafka.broker.dns").title == f"broker-1.{ZONE} has no A record"


def test_volume_attached_to_another_broker_fails_and_attaching_warns() -> None:
    facts = kafka_facts()
    elsewhere = (replace(facts.volumes[0], instance="i-0002", device="/dev/sdg"), *facts.volumes[1:])
    moved = found(kafka_run(volumes=elsewhere), "kafka.broker.volume")
    assert (moved.status, moved.title) == (Status.FAIL, "the data volume is attached to another instance")
    attaching = (replace(facts.volumes[0], attach_state="attaching"), *facts.volumes[1:])
    assert found(kafka_run(volumes=attaching), "kafka.broker.volume").status is Status.WARN
    root_only = (*tuple(v for v in facts.volumes if v.node_id != "1"), Volume("vol-root", "in-use", 8, None, "root", "i-0001", "/dev/xvda", "attached"))
    assert found(kafka_run(volumes=root_only), "kafka.broker.volume").title == "the data volume is missing"


def test_memory_over_its_alarm_now_fails() -> None:
    facts = kafka_facts()
    alarms = (alarm("mem", "CWAgent", "mem_used_percent", 85, {"InstanceId": "i-0001"}),)
    metrics = {**facts.metrics, "memory@i-0001": (80.0, 92.0)}
    memory = found(kafka_run(alarms=alarms, metrics=metrics), "kafka.broker.memory")
    assert (memory.status, memory.title) == (Status.FAIL, "memory use reached 92% (threshold 85%)")


def test_a_stopped_broker_has_no_agent_or_status_findings() -> None:
    report = kafka_run(brokers=(*brokers(3)[:2], replace(brokers(3)[2], state="stopped")))[3]
    assert {f.check for f in report.findings} == {"kafka.broker.state", "kafka.broker.volume", "kafka.broker.dns"}


def test_the_layout_comes_from_the_outputs_else_the_conventions() -> None:
    parsed = layout("broker-1.kafka.x.internal:9092,broker-2.kafka.x.internal:9092",
                    "1@broker-1.kafka.x.internal:9093,2@broker-2.kafka.x.internal:9093", "x", "outputs")
    assert (parsed.zone, parsed.client_port, parsed.controller_port, parsed.source) == (
        "kafka.x.internal", 9092, 9093, "outputs")
    assert [v.node_id for v in parsed.voters] == ["1", "2"]
    assert parsed.hostname("2") == "broker-2.kafka.x.internal"
    default = layout(None, None, "goorm-popcorn-dev", "outputs")
    assert (default.zone, default.source, default.voters) == ("kafka.goorm-popcorn-dev.internal", "convention", ())


def test_the_agent_namespace_and_data_path_come_from_the_alarms() -> None:
    alarms = (alarm("disk", "Popcorn/Agent", "disk_used_percent", 75, {"InstanceId": "i-1", "path": "/data"}),)
    assert agent(alarms) == ("Popcorn/Agent", "/data")
    assert agent(()) == ("CWAgent", "/var/lib/kafka")
