"""CloudWatch alarms in ALARM that concern the service."""

from __future__ import annotations

from popcornctl.diagnose.cloudwatch import Alarm
from popcornctl.diagnose.ecs.subjects import ServiceSubject
from popcornctl.diagnose.findings import Finding, Status
from popcornctl.diagnose.registry import check


def alarm_is_for(alarm: Alarm, service: str, cluster: str) -> bool:
    """True when the alarm's dimensions name the service (and cluster), or its name starts with the service's."""
    if alarm.dimension("ServiceName") == service and (alarm.dimension("ClusterName") or cluster) == cluster:
        return True
    return alarm.name.startswith(service)


@check(
    "ecs.alarms",
    kind="ecs-service",
    order=80,
    title="CloudWatch alarms in ALARM for the service",
    looks_at="DescribeAlarms (StateValue ALARM, metric and composite alarms): dimensions and names",
    findings=("alarms",),
    reads=("alarms",),
    ok="no alarm in ALARM for the service",
    warn="DescribeAlarms refused",
    fail="metric or composite alarms in ALARM whose dimensions name the service (and cluster) or whose name "
    "starts with the service name",
)
def service_alarms(subject: ServiceSubject) -> list[Finding]:
    """Alarms in ALARM whose dimensions or name point at this service."""
    alarms = subject.facts.alarms.value or ()
    mine = [a for a in alarms if alarm_is_for(a, subject.name, subject.cluster.name)]
    if not mine:
        return [Finding("alarms", Status.OK, "no CloudWatch alarm in ALARM for this service")]
    return [
        Finding(
            "alarms",
            Status.FAIL,
            f"{len(mine)} CloudWatch alarm(s) in ALARM",
            evidence=[a.line for a in mine],
            cause="A metric crossed its threshold (the alarm's reason says which and by how much).",
            remediation="Act on the metric (CPU/memory: scale or resize; 5xx: see the load-balancer and task "
            "findings), or fix the alarm if its threshold is wrong.",
        )
    ]
