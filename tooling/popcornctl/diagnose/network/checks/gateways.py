"""The ways out of the VPC: NAT gateways, the private route tables' default routes per AZ, and the endpoints."""

from __future__ import annotations

from popcornctl.diagnose.findings import Finding, Status
from popcornctl.diagnose.network.facts import NetworkFacts, RouteTable
from popcornctl.diagnose.registry import check
from popcornctl.diagnose.vpc.paths import missing_endpoints

KIND = "network-vpc"
BAD_NAT = ("failed", "deleting", "deleted")
ENDPOINT_BAD = ("failed", "rejected", "expired", "deleted", "deleting")
ENDPOINT_WAIT = ("pending", "pendingacceptance")
ECS_NEEDS = ("ecr.api", "ecr.dkr", "s3", "logs")  # what a task pulls and logs through without a NAT


@check(
    "network.nat",
    kind=KIND,
    order=10,
    title="NAT gateways' state",
    looks_at="DescribeNatGateways (State, FailureCode/FailureMessage, subnet and AZ)",
    findings=("network.nat",),
    reads=("nats",),
    ok="every NAT gateway `available` (or none, and no route needs one)",
    warn="a NAT gateway `pending`",
    fail="a NAT gateway `failed` or being deleted",
)
def network_nat(facts: NetworkFacts) -> list[Finding]:
    """Each NAT gateway's state."""
    evidence = [f"{n.id} ({n.name or n.connectivity}) in {n.az or '?'}: {n.state}" + (f" — {n.failure}" if n.failure
                else "") for n in facts.nats]
    bad = [n for n in facts.nats if n.state in BAD_NAT]
    if bad:
        return [
            Finding(
                "network.nat",
                Status.FAIL,
                "; ".join(f"{n.id} is {n.state}" + (f" ({n.failure})" if n.failure else "") for n in bad),
                evidence=evidence,
                cause="Private subnets routed through it lose internet access: image pulls, AWS APIs without an "
                "endpoint and external calls time out.",
                remediation="Re-apply the env stack (the vpc module recreates the NAT gateway and its routes); a "
                "failure message such as 'Elastic IP address ... is already associated' names what to free first.",
            )
        ]
    pending = [n for n in facts.nats if n.state != "available"]
    if pending:
        return [Finding("network.nat", Status.WARN, f"{', '.join(n.id for n in pending)} still {pending[0].state}",
                        evidence=evidence, remediation="Wait a few minutes and run again.")]
    if not facts.nats:
        return [Finding("network.nat", Status.OK, "no NAT gateway in the VPC")]
    return [Finding("network.nat", Status.OK, f"{len(facts.nats)} NAT gateway(s) available", evidence=evidence)]


def _azs(facts: NetworkFacts, table: RouteTable) -> list[str]:
    return sorted({s.az for sid in facts.served(table) if (s := facts.subnet(sid)) is not None})


def _table(facts: NetworkFacts, table: RouteTable) -> tuple[Status, str, str]:
    """(status, evidence line, problem) of one private route table."""
    azs = _azs(facts, table)
    where = f"{table.id} ({table.name or 'unnamed'}; {', '.join(azs) or 'no subnets'})"
    default = table.default
    blackholes = [r for r in table.routes if r.state == "blackhole"]
    nats = {n.id: n for n in facts.nats}
    if blackholes:
        route = blackholes[0]
        return Status.FAIL, f"{where}: {route.destination} -> {route.target} blackhole", (
            f"{table.id}: {route.destination} -> {route.target} is a blackhole")
    if default is None:
        return _no_default_route(facts, table, where, azs)
    line = f"{where}: {default.destination} -> {default.target}"
    nat = nats.get(default.target or "")
    if default.target and default.target.startswith("nat-"):
        if nat is None or nat.state != "available":
            state = nat.state if nat else "gone"
            return Status.FAIL, line + f" ({state})", f"{table.id} routes to {default.target}, which is {state}"
        line += f" ({nat.az})"
        local = [n for n in facts.nats if n.az in azs and n.state == "available"]
        if nat.az not in azs and local:
            return Status.WARN, line, (f"{table.id} ({', '.join(azs)}) routes through {nat.id} in {nat.az} though "
                                       f"{local[0].id} is in its AZ")
    return Status.OK, line, ""


def _no_default_route(facts: NetworkFacts, table: RouteTable, where: str, azs: list[str]) -> tuple[Status, str, str]:
    """A table without 0.0.0.0/0: fine for the isolated data tier; ECS subnets then need the VPC endpoints."""
    line = f"{where}: no default route"
    serves_ecs = bool(set(facts.served(table)) & set(facts.ecs_subnets))
    if table.tier == "private-data" and not serves_ecs:
        return Status.OK, line + " (isolated data tier)", ""
    available = [e.service for e in facts.endpoints if e.state.lower() == "available"]
    missing = missing_endpoints(available, facts.region, list(ECS_NEEDS))
    if serves_ecs and missing:
        return Status.FAIL, line, (f"{table.id} has no default route and no {', '.join(missing)} endpoint: the "
                                   "ECS tasks in its subnets cannot pull images or send logs")
    return Status.WARN, line, f"{table.id} ({', '.join(azs) or 'no subnets'}) has no default route"


@check(
    "network.routes",
    kind=KIND,
    order=20,
    title="the default route of every private route table, per AZ",
    looks_at="DescribeRouteTables (routes, their State, subnet associations, the Tier tag), the NAT gateways' "
    "state and AZ, the subnets' AZs, the ECS subnets (outputs) and the VPC endpoints",
    findings=("network.routes",),
    reads=("routes", "nats"),
    ok="each private table routes 0.0.0.0/0 to an available NAT gateway in its AZ (or is the isolated data tier)",
    warn="a table routes through another AZ's NAT gateway though its own AZ has one; a private table without a "
    "default route",
    fail="a blackhole route; a route to a NAT gateway that is not available; the ECS subnets without a default route "
    "and without ECR/S3/Logs endpoints",
)
def network_routes(facts: NetworkFacts) -> list[Finding]:
    """Per AZ, where private traffic leaves the VPC."""
    private = [t for t in facts.tables if not t.public and facts.served(t)]
    judged = [_table(facts, t) for t in private]
    evidence = [line for _, line, _ in judged]
    fails = [p for s, _, p in judged if s is Status.FAIL]
    warns = [p for s, _, p in judged if s is Status.WARN]
    if fails:
        return [
            Finding(
                "network.routes",
                Status.FAIL,
                "; ".join(fails),
                evidence=evidence,
                cause="Traffic from these subnets to the internet (and to AWS APIs without an endpoint) is dropped: "
                "ECS tasks fail to pull images (CannotPullContainerError ... i/o timeout), Kafka brokers lose SSM "
                "and the CloudWatch agent.",
                remediation="Re-apply the env stack: the vpc module restores aws_route.private_app_nat to the AZ's "
                "NAT gateway.",
            )
        ]
    if warns:
        return [
            Finding(
                "network.routes",
                Status.WARN,
                "; ".join(warns),
                evidence=evidence,
                cause="Cross-AZ NAT traffic costs data transfer and stops when the other AZ fails."
                if any("routes through" in w for w in warns)
                else "Subnets of a private table without a default route have no internet egress.",
                remediation="Route each AZ's private table to the NAT gateway in the same AZ (single_nat_gateway = "
                "false creates one per AZ).",
            )
        ]
    return [Finding("network.routes", Status.OK, f"{len(private)} private route table(s) route correctly",
                    evidence=evidence)]


@check(
    "network.endpoints",
    kind=KIND,
    order=30,
    title="VPC endpoints' state",
    looks_at="DescribeVpcEndpoints (State, type, PrivateDnsEnabled)",
    findings=("network.endpoints",),
    reads=("endpoints",),
    ok="every endpoint `Available` (or none)",
    warn="an endpoint pending (acceptance), or an interface endpoint without private DNS (clients do not use it)",
    fail="an endpoint `Failed`, `Rejected`, `Expired` or being deleted",
)
def network_endpoints(facts: NetworkFacts) -> list[Finding]:
    """Each endpoint's state."""
    evidence = [f"{e.id} {e.service} ({e.type}): {e.state}" + (", private DNS off" if e.type == "Interface" and not
                e.private_dns else "") for e in facts.endpoints]
    bad = [e for e in facts.endpoints if e.state.lower() in ENDPOINT_BAD]
    waiting = [e for e in facts.endpoints if e.state.lower() in ENDPOINT_WAIT]
    no_dns = [e for e in facts.endpoints if e.type == "Interface" and not e.private_dns]
    if bad:
        return [Finding("network.endpoints", Status.FAIL,
                        "; ".join(f"{e.service.rsplit(facts.region + '.', 1)[-1]} endpoint {e.id} is {e.state}"
                                  for e in bad),
                        evidence=evidence,
                        cause="Calls to the service from private subnets go nowhere (or, with private DNS, fail).",
                        remediation="Recreate the endpoint (re-apply the env stack with enable_vpc_endpoints).")]
    if waiting or no_dns:
        return [Finding("network.endpoints", Status.WARN,
                        "; ".join([f"{e.id} is {e.state}" for e in waiting]
                                  + [f"{e.id} ({e.service}) has private DNS off" for e in no_dns]),
                        evidence=evidence,
                        cause="An interface endpoint without private DNS is bypassed: clients resolve the public "
                        "name and go through the NAT gateway.",
                        remediation="Enable private_dns_enabled on interface endpoints; wait for pending ones.")]
    title = f"{len(facts.endpoints)} endpoint(s) available" if facts.endpoints else "no VPC endpoints"
    return [Finding("network.endpoints", Status.OK, title, evidence=evidence)]
