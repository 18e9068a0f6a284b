"""What the CloudWatch agent on the broker reports: memory use, and how full the data volume is.

Thresholds, the agent's namespace and the data volume's mount path come from the brokers' alarms (the monitoring
module's ``kafka-<n>-memory`` and ``kafka-<n>-data-disk``); without them, the module's defaults (90%, 75%,
CWAgent, /var/lib/kafka) and the evidence says so.
"""

from __future__ import annotations

from popcornctl.diagnose.cloudwatch import threshold
from popcornctl.diagnose.findings import Finding, Status
from popcornctl.diagnose.kafka.facts import BrokerSubject
from popcornctl.diagnose.levels import Level
from popcornctl.diagnose.registry import check
from popcornctl.diagnose.window import human_age

MEMORY_DEFAULT, DISK_DEFAULT = 90.0, 75.0


def memory_level(subject: BrokerSubject) -> Level:
    """mem_used_percent against the broker's memory alarm."""
    facts, instance = subject.facts, subject.broker.instance_id
    line = threshold(facts.alarms, facts.agent_namespace, "mem_used_percent", MEMORY_DEFAULT, {"InstanceId": instance})
    return Level("memory used", facts.series("memory", instance), line, facts.period, unit="%")


def disk_level(subject: BrokerSubject) -> Level:
    """disk_used_percent of the data path against the broker's data-disk alarm."""
    facts, instance = subject.facts, subject.broker.instance_id
    line = threshold(facts.alarms, facts.agent_namespace, "disk_used_percent", DISK_DEFAULT,
                     {"InstanceId": instance, "path": facts.data_path})
    return Level(f"{facts.data_path} used", facts.series("disk", instance), line, facts.period, unit="%")


def _silent(subject: BrokerSubject, check_id: str, what: str) -> Finding:
    facts = subject.facts
    return Finding(
        check_id,
        Status.WARN,
        f"the CloudWatch agent reported no {what} in the last {human_age(facts.window.since)}",
        evidence=[f"namespace {facts.agent_namespace}, InstanceId {subject.broker.instance_id}"
                  + (f", path {facts.data_path}" if check_id.endswith("disk") else "")],
        cause="The agent is not running, cannot reach CloudWatch (no NAT route or endpoint, or the instance role "
        "lacks CloudWatchAgentServerPolicy), or the data volume is not mounted at the path.",
        remediation="On the broker (SSM Session Manager): systemctl status amazon-cloudwatch-agent; df -h "
        f"{facts.data_path}.",
    )


@check(
    "kafka.broker.memory",
    kind="kafka-broker",
    order=30,
    title="memory use (CloudWatch agent)",
    looks_at="CloudWatch mem_used_percent (agent namespace, InstanceId; Maximum per period) against the broker's "
    "memory alarm (else 90%)",
    findings=("kafka.broker.memory",),
    reads=("metrics",),
    ok="under 90% of the threshold",
    warn="over the threshold earlier in the window or within 90% of it; the agent reports nothing",
    fail="the alarm is in ALARM, or the latest datapoint is over the threshold",
)
def broker_memory(subject: BrokerSubject) -> list[Finding]:
    """Memory pressure ends in the OOM killer taking the broker's JVM."""
    if subject.broker.state != "running":
        return []
    level = memory_level(subject)
    if not level.has_data:
        return [_silent(subject, "kafka.broker.memory", "memory use")]
    if level.status is Status.OK:
        return [Finding("kafka.broker.memory", Status.OK, f"memory up to {level.peak:.0f}%",
                        evidence=[level.describe()])]
    return [
        Finding(
            "kafka.broker.memory",
            level.status,
            f"memory use reached {level.peak:.0f}% (threshold {level.line:g}%)",
            evidence=[level.describe()],
            cause="The JVM heap plus the page cache Kafka relies on exceed the instance's memory; the kernel's OOM "
            "killer may stop the broker.",
            remediation="Lower heap_size_mb (Kafka needs page cache more than heap) or move to a larger "
            "kafka.instance_type.",
        )
    ]


@check(
    "kafka.broker.disk",
    kind="kafka-broker",
    order=40,
    title="data volume usage (CloudWatch agent)",
    looks_at="CloudWatch disk_used_percent (agent namespace, InstanceId and the data path; Maximum per period) "
    "against the broker's data-disk alarm (else 75%)",
    findings=("kafka.broker.disk",),
    reads=("metrics",),
    ok="under 90% of the threshold",
    warn="over the threshold earlier in the window or within 90% of it; no datapoints for the data path",
    fail="the alarm is in ALARM, or the latest datapoint is over the threshold",
)
def broker_disk(subject: BrokerSubject) -> list[Finding]:
    """A full log.dirs volume stops the broker."""
    if subject.broker.state != "running":
        return []
    level = disk_level(subject)
    if not level.has_data:
        return [_silent(subject, "kafka.broker.disk", f"usage of {subject.facts.data_path}")]
    if level.status is Status.OK:
        return [Finding("kafka.broker.disk", Status.OK, f"{subject.facts.data_path} up to {level.peak:.0f}% used",
                        evidence=[level.describe()])]
    return [
        Finding(
            "kafka.broker.disk",
            level.status,
            f"{subject.facts.data_path} reached {level.peak:.0f}% used (threshold {level.line:g}%)",
            evidence=[level.describe()],
            cause="Retention keeps more than the volume holds (log.retention.hours too long for the traffic), or "
            "a topic grows without limit; at 100% the broker shuts down its log directory.",
            remediation="Grow the data volume (kafka.data_volume_size_gib; gp3 grows online, then "
            "resize2fs/xfs_growfs) or shorten retention (log.retention.hours, per-topic retention.ms).",
        )
    ]
