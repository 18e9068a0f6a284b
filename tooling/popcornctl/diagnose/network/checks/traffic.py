"""What went wrong on the wire: NAT port-allocation errors and dropped packets against their alarms, and the top
REJECTed flows of the flow logs."""

from __future__ import annotations

import ipaddress

from popcornctl.diagnose.cloudwatch import Threshold, threshold
from popcornctl.diagnose.findings import Finding, Status, worst
from popcornctl.diagnose.levels import Level
from popcornctl.diagnose.network.facts import REJECTS, Flow, NetworkFacts
from popcornctl.diagnose.registry import check
from popcornctl.diagnose.window import human_age

NAT = "AWS/NATGateway"
# the monitoring module's defaults (per 5 minutes)
PORT_ERRORS_DEFAULT, DROPS_DEFAULT, REJECTS_DEFAULT, PER = 0.0, 100.0, 1000.0, 300


def nat_levels(facts: NetworkFacts) -> list[tuple[str, Level]]:
    """(NAT id, level) for port-allocation errors and dropped packets of every NAT gateway."""
    out = []
    for nat in facts.nats:
        dims = {"NatGatewayId": nat.id}
        out.append((nat.id, Level("port-allocation errors", facts.series("port-errors", nat.id),
                                  threshold(facts.alarms, NAT, "ErrorPortAllocation", PORT_ERRORS_DEFAULT, dims, PER),
                                  facts.period, summed=True)))
        out.append((nat.id, Level("dropped packets", facts.series("drops", nat.id),
                                  threshold(facts.alarms, NAT, "PacketsDropCount", DROPS_DEFAULT, dims, PER),
                                  facts.period, summed=True)))
    return out


@check(
    "network.nat-traffic",
    kind="network-vpc",
    order=40,
    title="NAT gateways' port-allocation errors and dropped packets",
    looks_at="CloudWatch AWS/NATGateway ErrorPortAllocation and PacketsDropCount (Sum per period) and "
    "ActiveConnectionCount per gateway, against the alarms on them (else 0 and 100 per 5 minutes)",
    findings=("network.nat-traffic",),
    reads=("metrics",),
    ok="no port-allocation error; drops under 90% of their threshold",
    warn="over a threshold earlier in the window, or drops within 90% of it",
    fail="an alarm in ALARM, or the latest period over a threshold",
)
def nat_traffic(facts: NetworkFacts) -> list[Finding]:
    """Source-port exhaustion and drops at the NAT gateways."""
    if not facts.nats:
        return [Finding("network.nat-traffic", Status.OK, "no NAT gateway to measure")]
    found = nat_levels(facts)
    evidence = [level.describe(nat) for nat, level in found]
    evidence += [f"{n.id}: up to {max(c):.0f} active connections" for n in facts.nats
                 if (c := facts.series("connections", n.id))]
    status = worst(level.status for _, level in found)
    if status is Status.OK:
        return [Finding("network.nat-traffic", Status.OK, "no port-allocation errors; drops under the threshold",
                        evidence=evidence)]
    bad = [(nat, level) for nat, level in found if level.status is not Status.OK]
    ports = any(level.label.startswith("port") for _, level in bad)
    return [
        Finding(
            "network.nat-traffic",
            status,
            "; ".join(f"{nat}: {level.label} peak {level.peak:.0f} per {facts.period}s" for nat, level in bad),
            evidence=evidence,
            cause="The NAT gateway ran out of source ports: more than 55,000 simultaneous connections to one "
            "destination (IP, port) — connection storms, no keep-alive, or retries." if ports else
            "The NAT gateway dropped packets: bursts beyond its bandwidth or packet rate, or a transient issue.",
            remediation="Reuse connections (HTTP keep-alive, pools), spread destinations, use VPC endpoints for AWS "
            "services (S3, ECR, Logs) so their traffic skips the NAT, or add a NAT gateway per AZ.",
        )
    ]


def _inside(address: str, cidrs: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(c, strict=False) for c in cidrs)


def _flow_line(flow: Flow) -> str:
    return f"{flow.src} -> {flow.dst}:{flow.port} rejected {flow.count} time(s)"


@check(
    "network.rejects",
    kind="network-vpc",
    order=50,
    title="the top REJECTed flows over the window",
    looks_at="DescribeFlowLogs; CloudWatch Logs Insights over the flow-log group (StartQuery/GetQueryResults: "
    "`filter action = \"REJECT\" | stats count(*) by srcAddr, dstAddr, dstPort`); the flow-log rejects metric "
    "against its alarm (else 1000 per 5 minutes)",
    findings=("network.rejects",),
    reads=("flow_logs", "rejects"),
    ok="no flow rejected between the VPC's own addresses; rejects under the alarm's threshold",
    warn="rejected flows between two of the VPC's addresses (a missing security-group or NACL rule); rejects over "
    "the threshold earlier; no flow log, a failing flow log, or a query that did not complete",
    fail="the rejects alarm in ALARM, or the latest period over its threshold",
)
def network_rejects(facts: NetworkFacts) -> list[Finding]:
    """Who is being turned away, and whether our own tiers are among them."""
    if not facts.flow_logs:
        return [Finding("network.rejects", Status.WARN, f"the VPC {facts.vpc_id} has no flow log",
                        cause="Rejected traffic cannot be seen.",
                        remediation="Enable them (enable_vpc_flow_logs = true).")]
    broken = [f for f in facts.flow_logs if f.status != "ACTIVE" or f.delivery_error]
    rejects = facts.rejects
    evidence = [f"flow log {f.id} ({f.traffic}) to {f.log_group or f.destination}: {f.status}"
                + (f", {f.delivery_error}" if f.delivery_error else "") for f in facts.flow_logs]
    level = None
    if REJECTS in facts.metrics or any(a.metric.endswith(REJECTS) for a in facts.alarms):
        alarm = next((a for a in facts.alarms if a.metric.endswith(REJECTS)), None)
        line = Threshold(alarm.threshold, alarm, alarm.period) if alarm else Threshold(REJECTS_DEFAULT, None, PER)
        level = Level("rejected flows", facts.series(REJECTS), line, facts.period, summed=True)
        evidence.append(level.describe())
    if rejects is None or rejects.status != "Complete":
        why = "no flow log goes to CloudWatch Logs" if rejects is None else f"the query ended {rejects.status}"
        return [Finding("network.rejects", Status.WARN, f"could not list the rejected flows: {why}",
                        evidence=evidence, remediation="Send a flow log to CloudWatch Logs; run again.")]
    internal = [f for f in rejects.flows if _inside(f.src, facts.cidrs) and _inside(f.dst, facts.cidrs)]
    evidence += [_flow_line(f) for f in rejects.flows]
    status = level.status if level is not None else Status.OK
    if internal or broken:
        status = worst((status, Status.WARN))
    if status is Status.OK:
        since = human_age(facts.window.since)
        title = (f"{sum(f.count for f in rejects.flows)} rejected flow(s) in the top {len(rejects.flows)} over the "
                 f"last {since}, none between the VPC's own addresses" if rejects.flows
                 else f"no rejected flow in the last {since}")
        return [Finding("network.rejects", Status.OK, title, evidence=evidence)]
    problems = [f"{len(internal)} rejected flow(s) inside the VPC, e.g. {_flow_line(internal[0])}"] if internal else []
    problems += [f"flow log {f.id} is {f.status}" for f in broken]
    if level is not None and level.status is not Status.OK:
        problems.append(f"rejected flows peaked at {level.peak:.0f} per {facts.period}s")
    return [
        Finding(
            "network.rejects",
            status,
            "; ".join(problems),
            evidence=evidence,
            cause="Traffic between two of the VPC's own addresses is refused: a security group or network ACL "
            "lacks a rule one tier needs (the destination port says which service)." if internal else
            "A scan or a misconfigured client is being refused at a high rate.",
            remediation="Match the destination address and port to a tier (ECS 8080, Valkey 6379, Kafka 9092/9093, "
            "PostgreSQL 5432) and add the missing rule in the security-groups module.",
        )
    ]
