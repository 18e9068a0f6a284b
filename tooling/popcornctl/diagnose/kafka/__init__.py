"""``diagnose kafka``: the KRaft brokers on EC2 — the controller quorum and the network paths, then per broker its
state and status checks, agent memory and data-disk usage, data volume, and DNS record.

- :mod:`.fetch`: the one fetch step, returning :class:`.facts.KafkaFacts`;
- :mod:`.checks`: the registered checks (pure);
- :class:`KafkaTarget`: the two wired together for :func:`popcornctl.diagnose.runner.run`.
"""

from __future__ import annotations

from popcornctl.diagnose.findings import Health, TargetReport
from popcornctl.diagnose.kafka.facts import BrokerSubject, ClusterSubject, KafkaFacts
from popcornctl.diagnose.kafka.fetch import KafkaFetch
from popcornctl.diagnose.runner import evaluate


class KafkaTarget:
    """``diagnose kafka`` for the runner."""

    name = "kafka"

    def __init__(self, fetch: KafkaFetch) -> None:
        self.fetch = fetch

    def reports(self, facts: KafkaFacts) -> list[TargetReport]:
        """The cluster first, then one report per broker."""
        return kafka_reports(facts)


def kafka_reports(facts: KafkaFacts) -> list[TargetReport]:
    """Judge every broker, then the cluster from how they came out (no AWS calls)."""
    brokers = []
    for broker in facts.brokers:
        report = TargetReport(kind="kafka-broker", name=f"broker {broker.node_id}", arn=broker.instance_id)
        report.facts = {
            "instance": f"{broker.instance_id} ({broker.instance_type or '?'}), {broker.state}",
            "address": f"{broker.private_ip or '-'} in {broker.az or '?'}",
            "DNS name": facts.layout.hostname(broker.node_id),
        }
        brokers.append(evaluate(report, BrokerSubject(facts, broker)))
    down = tuple(b.node_id for b, r in zip(facts.brokers, brokers, strict=True) if r.health is Health.DOWN)
    cluster = TargetReport(kind="kafka-cluster", name=facts.layout.zone)
    cluster.facts = {
        "brokers": f"{len(facts.brokers)} found, {len(facts.brokers) - len(down)} up",
        "controllers": ", ".join(facts.voter_ids),
        "listeners": f"client {facts.layout.client_port}, controller {facts.layout.controller_port}",
        "private zone": f"{facts.layout.zone} ({facts.zone_id or 'not found'})",
        "agent": f"{facts.agent_namespace}, data path {facts.data_path}",
    }
    return [evaluate(cluster, ClusterSubject(facts, down)), *brokers]
