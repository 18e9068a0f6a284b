"""Address space: subnets running out of free addresses (every Fargate task, node and endpoint takes one)."""

from __future__ import annotations

from popcornctl.diagnose.findings import Finding, Status
from popcornctl.diagnose.network.facts import NetworkFacts, Subnet
from popcornctl.diagnose.registry import check

FAIL_SHARE, WARN_SHARE = 0.05, 0.20


def share(subnet: Subnet) -> float:
    """Free addresses as a share of the usable ones."""
    return subnet.available / subnet.usable if subnet.usable else 0.0


@check(
    "network.subnets",
    kind="network-vpc",
    order=60,
    title="free addresses per subnet",
    looks_at="DescribeSubnets AvailableIpAddressCount against the CIDR's usable addresses (size minus the five AWS "
    "reserves)",
    findings=("network.subnets",),
    reads=("subnets",),
    ok="20%+ free in every subnet",
    warn="a subnet under 20% free",
    fail="a subnet under 5% free (or none free)",
)
def network_subnets(facts: NetworkFacts) -> list[Finding]:
    """The fullest subnets decide."""
    evidence = [f"{s.id} {s.name or s.tier or ''} ({s.az}, {s.cidr}): {s.available} of {s.usable} free"
                .replace("  ", " ") for s in facts.subnets]
    full = [s for s in facts.subnets if s.available == 0 or share(s) < FAIL_SHARE]
    low = [s for s in facts.subnets if s not in full and share(s) < WARN_SHARE]
    if full or low:
        worst_first = sorted(full + low, key=share)
        return [
            Finding(
                "network.subnets",
                Status.FAIL if full else Status.WARN,
                "; ".join(f"{s.id} ({s.cidr}) has {s.available} of {s.usable} addresses free" for s in worst_first),
                evidence=evidence,
                cause="New tasks, cache nodes, endpoints and load-balancer nodes each need an address: when none is "
                "left ECS cannot place tasks (RESOURCE:ENI / 'no free IP') and deployments stall.",
                remediation="Release unused ENIs (aws ec2 describe-network-interfaces --filters "
                "Name=status,Values=available), or give the tier larger subnets (vpc module subnet_newbits) or "
                "more AZs.",
            )
        ]
    return [Finding("network.subnets", Status.OK, f"{len(facts.subnets)} subnet(s) with 20%+ free addresses",
                    evidence=evidence)]
