"""``diagnose network``: one VPC — NAT gateways and the private route tables' default routes per AZ, VPC endpoints,
NAT port-allocation errors and drops, the top REJECTed flows, subnets running out of addresses.

- :mod:`.fetch`: the one fetch step, returning :class:`.facts.NetworkFacts`;
- :mod:`.checks`: the registered checks (pure);
- :class:`NetworkTarget`: the two wired together for :func:`popcornctl.diagnose.runner.run`.
"""

from __future__ import annotations

from popcornctl.diagnose.findings import TargetReport
from popcornctl.diagnose.network.facts import NetworkFacts
from popcornctl.diagnose.network.fetch import NetworkFetch
from popcornctl.diagnose.runner import evaluate


class NetworkTarget:
    """``diagnose network`` for the runner."""

    name = "network"

    def __init__(self, fetch: NetworkFetch) -> None:
        self.fetch = fetch

    def reports(self, facts: NetworkFacts) -> list[TargetReport]:
        """One report: the VPC."""
        return [network_report(facts)]


def network_report(facts: NetworkFacts) -> TargetReport:
    """The VPC's report: header, then every check (no AWS calls)."""
    report = TargetReport(kind="network-vpc", name=facts.vpc_id)
    report.facts = {
        "CIDR": ", ".join(facts.cidrs) or "?",
        "subnets": f"{len(facts.subnets)} in {len({s.az for s in facts.subnets})} AZ(s)",
        "route tables": str(len(facts.tables)),
        "NAT gateways": ", ".join(f"{n.id} ({n.az or '?'})" for n in facts.nats) or "none",
        "endpoints": str(len(facts.endpoints)),
        "flow logs": ", ".join(f.log_group or f.destination for f in facts.flow_logs) or "none",
    }
    return evaluate(report, facts)
