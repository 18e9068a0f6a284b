"""Typed facts of ``diagnose kafka``: the KRaft brokers on EC2 (modules/ec2-kafka), their disks, DNS and agent
metrics (no AWS, no judgement)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from popcornctl.diagnose.cloudwatch import MetricAlarm
from popcornctl.diagnose.facts import Gap
from popcornctl.diagnose.services import EcsServices
from popcornctl.diagnose.vpc.facts import SecurityGroup, SubnetRoute
from popcornctl.diagnose.window import Window

CLIENT_PORT, CONTROLLER_PORT = 9092, 9093  # the ec2-kafka module's defaults
AGENT_NAMESPACE, DATA_PATH = "CWAgent", "/var/lib/kafka"  # likewise


@dataclass(frozen=True)
class Broker:
    """DescribeInstances for one broker."""

    instance_id: str
    node_id: str  # the KafkaNodeId tag (else its position)
    name: str = ""
    state: str = "?"  # pending | running | stopping | stopped | shutting-down | terminated
    state_reason: str = ""
    private_ip: str | None = None
    az: str | None = None
    subnet: str | None = None
    instance_type: str = ""
    security_groups: tuple[str, ...] = ()
    root_device: str | None = None


@dataclass(frozen=True)
class StatusCheck:
    """DescribeInstanceStatus for one instance."""

    instance: str = "?"  # ok | impaired | initializing | insufficient-data | not-applicable
    system: str = "?"
    failed: tuple[str, ...] = ()  # "instance reachability failed since 2026-11-27 04:10"
    scheduled: tuple[str, ...] = ()  # "instance-retirement: ... (not before 2026-12-01)"


@dataclass(frozen=True)
class Volume:
    """DescribeVolumes: a data volume candidate (attached to a broker, or tagged with a KafkaNodeId)."""

    id: str
    state: str  # creating | available | in-use | deleting | deleted | error
    size: int = 0  # GiB
    node_id: str | None = None  # KafkaNodeId tag
    name: str = ""
    instance: str | None = None  # attached to
    device: str | None = None
    attach_state: str | None = None  # attaching | attached | detaching | detached | busy


@dataclass(frozen=True)
class Voter:
    """One entry of controller.quorum.voters: ``<node id>@<host>:<port>``."""

    node_id: str
    host: str
    port: int


@dataclass(frozen=True)
class Layout:
    """Where the brokers should answer: the hostnames, ports and controller voters (from the outputs or the
    module's conventions)."""

    zone: str  # kafka.<prefix>.internal
    client_port: int = CLIENT_PORT
    controller_port: int = CONTROLLER_PORT
    voters: tuple[Voter, ...] = ()  # empty: every broker found is a voter (the module runs combined nodes)
    source: str = "convention"

    def hostname(self, node_id: str) -> str:
        """The broker's DNS name: its voter entry, else broker-<node id>.<zone>."""
        voter = next((v for v in self.voters if v.node_id == node_id), None)
        return voter.host if voter else f"broker-{node_id}.{self.zone}"


@dataclass(frozen=True)
class KafkaFacts:
    """Everything one ``diagnose kafka`` run read."""

    brokers: tuple[Broker, ...]
    window: Window
    layout: Layout
    status: Mapping[str, StatusCheck] = field(default_factory=dict)  # by instance id
    volumes: tuple[Volume, ...] = ()
    zone_id: str | None = None  # the private hosted zone, None when not found
    records: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # A records: name -> addresses
    metrics: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # "memory@i-..." / "disk@i-..."
    period: int = 60
    alarms: tuple[MetricAlarm, ...] = ()  # the brokers' alarms (their thresholds, the agent namespace and path)
    agent_namespace: str = AGENT_NAMESPACE
    data_path: str = DATA_PATH
    services: EcsServices = field(default_factory=EcsServices)
    kafka_groups: tuple[SecurityGroup, ...] = ()
    service_groups: tuple[SecurityGroup, ...] = ()
    service_routes: Mapping[str, SubnetRoute] = field(default_factory=dict)
    gaps: Mapping[str, Gap] = field(default_factory=dict)

    def series(self, metric: str, instance_id: str) -> tuple[float, ...]:
        """One broker's datapoints ("memory" or "disk")."""
        return self.metrics.get(f"{metric}@{instance_id}", ())

    @property
    def voter_ids(self) -> tuple[str, ...]:
        """The controller voters' node ids (configured, else every broker)."""
        return tuple(v.node_id for v in self.layout.voters) or tuple(b.node_id for b in self.brokers)


@dataclass(frozen=True)
class BrokerSubject:
    """One broker as its checks judge it."""

    facts: KafkaFacts
    broker: Broker

    @property
    def gaps(self) -> Mapping[str, Gap]:
        """The run's gaps."""
        return self.facts.gaps

    @property
    def status(self) -> StatusCheck | None:
        """Its status checks (None when AWS reported none)."""
        return self.facts.status.get(self.broker.instance_id)


@dataclass(frozen=True)
class ClusterSubject:
    """The brokers together: the controller quorum and the network paths."""

    facts: KafkaFacts
    down: tuple[str, ...]  # node ids of brokers judged down (not running, or failing status checks)

    @property
    def gaps(self) -> Mapping[str, Gap]:
        """The run's gaps."""
        return self.facts.gaps
