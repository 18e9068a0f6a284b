"""One broker's machine: its EC2 state and status checks, its data volume, and the DNS name clients use for it."""

from __future__ import annotations

from popcornctl.diagnose.findings import Finding, Status
from popcornctl.diagnose.kafka.facts import BrokerSubject, Volume
from popcornctl.diagnose.registry import check

KIND = "kafka-broker"


@check(
    "kafka.broker.state",
    kind=KIND,
    order=10,
    title="the broker's instance is running",
    looks_at="DescribeInstances State and StateReason",
    findings=("kafka.broker.state",),
    ok="`running`",
    warn="`pending` or `stopping`",
    fail="`stopped`, `shutting-down` or `terminated`",
)
def broker_state(subject: BrokerSubject) -> list[Finding]:
    """Running or not."""
    broker = subject.broker
    evidence = [
        f"{broker.instance_id} ({broker.instance_type or '?'}) in {broker.az or '?'}, {broker.private_ip or '-'}"
    ]
    if broker.state_reason:
        evidence.append(f"state reason: {broker.state_reason}")
    if broker.state == "running":
        return [Finding("kafka.broker.state", Status.OK, "running", evidence=evidence)]
    if broker.state in ("pending", "stopping"):
        return [Finding("kafka.broker.state", Status.WARN, f"the instance is {broker.state}", evidence=evidence,
                        remediation="Wait a minute and run again.")]
    return [
        Finding(
            "kafka.broker.state",
            Status.FAIL,
            f"the instance is {broker.state}",
            evidence=evidence,
            cause="The broker is down: its partitions' leaders moved to the other brokers (or went offline), and "
            "the controller quorum has one voter less.",
            remediation=f"Start it (aws ec2 start-instances --instance-ids {broker.instance_id}); if it was "
            "terminated, `terraform apply` recreates it and reattaches its data volume.",
            down=True,
        )
    ]


@check(
    "kafka.broker.status-checks",
    kind=KIND,
    order=20,
    title="EC2 instance and system status checks",
    looks_at="DescribeInstanceStatus (IncludeAllInstances): InstanceStatus, SystemStatus, failed details, scheduled "
    "events",
    findings=("kafka.broker.status-checks",),
    reads=("status",),
    ok="both checks `ok`, nothing scheduled",
    warn="`initializing` or `insufficient-data`; a scheduled event (retirement, reboot, maintenance)",
    fail="the instance or the system status check `impaired`",
)
def broker_status_checks(subject: BrokerSubject) -> list[Finding]:
    """What EC2's own health checks say."""
    status = subject.status
    if subject.broker.state != "running":
        return []
    if status is None:
        return [Finding("kafka.broker.status-checks", Status.WARN, "EC2 reported no status checks yet",
                        remediation="Run again in a few minutes.")]
    evidence = [f"instance status {status.instance}, system status {status.system}", *status.failed,
                *(f"scheduled: {e}" for e in status.scheduled)]
    if "impaired" in (status.instance, status.system):
        system = status.system == "impaired"
        return [
            Finding(
                "kafka.broker.status-checks",
                Status.FAIL,
                f"the {'system' if system else 'instance'} status check is impaired",
                evidence=evidence,
                cause="System check: the AWS host or its network failed (not the broker's fault). Instance check: "
                "the OS is unreachable — out of memory, a full root disk, a kernel or network misconfiguration."
                if system
                else "The OS does not answer EC2's reachability probe: out of memory, a full root disk, a failed "
                "mount of the data volume at boot, or a kernel problem.",
                remediation="System: stop and start the instance (it moves to healthy hardware; the alarm's "
                "auto-recovery does the same). Instance: read the console output (aws ec2 get-console-output) "
                "and reboot.",
                down=True,
            )
        ]
    problems = []
    if status.instance != "ok" or status.system != "ok":
        problems.append(f"status checks {status.instance}/{status.system}")
    if status.scheduled:
        problems.append(f"{len(status.scheduled)} scheduled event(s)")
    if problems:
        return [Finding("kafka.broker.status-checks", Status.WARN, "; ".join(problems), evidence=evidence,
                        remediation="Wait for initializing checks; plan scheduled events (a retirement needs a "
                        "stop/start before its date).")]
    return [Finding("kafka.broker.status-checks", Status.OK, "instance and system status checks ok", evidence=evidence)]


def _data_volumes(subject: BrokerSubject) -> tuple[list[Volume], list[Volume]]:
    """(volumes attached to the broker other than its root, volumes tagged for its node id)."""
    broker = subject.broker
    attached = [v for v in subject.facts.volumes
                if v.instance == broker.instance_id and v.device != broker.root_device]
    tagged = [v for v in subject.facts.volumes if v.node_id == broker.node_id and v not in attached]
    return attached, tagged


def _volume_line(volume: Volume) -> str:
    where = (f"{volume.attach_state} to {volume.instance or '?'} at {volume.device or '?'}" if volume.attach_state
             else "not attached")
    return f"{volume.id} {volume.name} {volume.size} GiB: {volume.state}, {where}".replace("  ", " ")


@check(
    "kafka.broker.volume",
    kind=KIND,
    order=50,
    title="the data volume is attached and in use",
    looks_at="DescribeVolumes: volumes attached to the broker (other than the root device) and volumes tagged with "
    "its KafkaNodeId: State, attachment State, device",
    findings=("kafka.broker.volume",),
    reads=("volumes",),
    ok="a data volume `in-use`, `attached`",
    warn="the data volume attaching or detaching",
    fail="no data volume, the broker's volume detached (`available`) or attached elsewhere, or in `error`",
)
def broker_volume(subject: BrokerSubject) -> list[Finding]:
    """The EBS volume holding log.dirs."""
    broker = subject.broker
    attached, tagged = _data_volumes(subject)
    lines = [_volume_line(v) for v in attached + tagged]
    good = [v for v in attached if v.state == "in-use" and v.attach_state == "attached"]
    broken = [v for v in attached + tagged if v.state == "error"]
    elsewhere = [v for v in tagged if v.instance and v.instance != broker.instance_id]
    detached = [v for v in tagged if v.state == "available"]
    fix = ("Attach the volume tagged for this node at the module's device_name (terraform apply restores "
           "aws_volume_attachment.data), then restart the broker so it mounts it.")
    if broken or (not good and (detached or elsewhere or not (attached + tagged))):
        what = ("in error" if broken else "detached" if detached else "attached to another instance" if elsewhere
                else "missing")
        return [Finding("kafka.broker.volume", Status.FAIL, f"the data volume is {what}", evidence=lines,
                        cause="Kafka's log.dirs live on the data volume: without it the broker fails to start "
                        "(or writes to its root disk, which soon fills).", remediation=fix, down=True)]
    if not good:
        return [Finding("kafka.broker.volume", Status.WARN, "the data volume is still attaching or detaching",
                        evidence=lines, remediation="Wait and run again.")]
    volume = good[0]
    return [Finding("kafka.broker.volume", Status.OK,
                    f"data volume {volume.id} ({volume.size} GiB) attached at {volume.device}", evidence=lines)]


@check(
    "kafka.broker.dns",
    kind=KIND,
    order=60,
    title="the broker's DNS name points at its current address",
    looks_at="the private zone (ListHostedZonesByName) and its A records (ListResourceRecordSets) against the "
    "instance's PrivateIpAddress; the name from controller.quorum.voters / bootstrap servers (else "
    "broker-<node id>.<zone>)",
    findings=("kafka.broker.dns",),
    reads=("dns",),
    ok="the A record holds the instance's private address",
    fail="no private zone, no record, or a record holding another address (an old instance's)",
)
def broker_dns(subject: BrokerSubject) -> list[Finding]:
    """Clients and the other controllers find the broker by name."""
    facts, broker = subject.facts, subject.broker
    name = facts.layout.hostname(broker.node_id).rstrip(".").lower()
    values = facts.records.get(name)
    fix = ("terraform apply rewrites the broker records (aws_route53_record.broker) with the instances' current "
           "private addresses.")
    if facts.zone_id is None:
        return [Finding("kafka.broker.dns", Status.FAIL, f"no private hosted zone {facts.layout.zone}",
                        cause="Broker names do not resolve: clients cannot bootstrap and the controllers cannot "
                        "form a quorum.", remediation=fix)]
    evidence = [f"{name} A {', '.join(values) if values else 'none'}; instance address {broker.private_ip or '-'}"]
    if not values:
        return [Finding("kafka.broker.dns", Status.FAIL, f"{name} has no A record", evidence=evidence,
                        cause="Clients and controllers cannot resolve the broker.", remediation=fix)]
    if broker.private_ip and broker.private_ip not in values:
        return [
            Finding(
                "kafka.broker.dns",
                Status.FAIL,
                f"{name} points at {', '.join(values)}, the broker is at {broker.private_ip}",
                evidence=evidence,
                cause="The instance was replaced and got a new address, but the record still holds the old one: "
                "clients and the other controllers connect to an address where no broker listens.",
                remediation=fix,
            )
        ]
    return [Finding("kafka.broker.dns", Status.OK, f"{name} -> {broker.private_ip}", evidence=evidence)]
