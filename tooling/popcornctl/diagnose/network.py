"""VPC plumbing the diagnosers reason about: subnet routes, VPC endpoints, security-group and NACL rules.

Pure functions evaluate already-fetched EC2 data, so they are easy to test; the ``fetch_*`` functions make
the (batched) EC2 calls.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

OPEN_CIDRS = {"0.0.0.0/0", "::/0"}


@dataclass(frozen=True)
class SubnetRoute:
    """Where a subnet's default route goes."""

    subnet_id: str
    vpc_id: str
    cidr: str
    az: str
    route_table_id: str | None
    default_target: str | None  # igw-..., nat-..., tgw-..., eni-..., vpce-..., pcx-... or None
    gateway_endpoints: tuple[str, ...] = ()  # vpce-... routes (S3/DynamoDB gateway endpoints)

    @property
    def via_igw(self) -> bool:
        """True when 0.0.0.0/0 (or ::/0) goes to an internet gateway: a public subnet."""
        return bool(self.default_target and self.default_target.startswith("igw-"))

    @property
    def via_nat(self) -> bool:
        """True when the default route goes to a NAT gateway (or a NAT instance's ENI)."""
        return bool(self.default_target and self.default_target.startswith(("nat-", "eni-", "i-")))


def _target(route: dict[str, Any]) -> str | None:
    for key in (
        "GatewayId",
        "NatGatewayId",
        "TransitGatewayId",
        "NetworkInterfaceId",
        "InstanceId",
        "VpcPeeringConnectionId",
        "EgressOnlyInternetGatewayId",
    ):
        value = route.get(key)
        if value and value != "local":
            return str(value)
    return None


def fetch_subnet_routes(ec2: Any, subnet_ids: list[str]) -> dict[str, SubnetRoute]:
    """Each subnet's default route: explicit route-table association first, else the VPC's main table."""
    if not subnet_ids:
        return {}
    subnets = ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]
    tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": subnet_ids}])["RouteTables"]
    by_subnet: dict[str, dict[str, Any]] = {}
    for table in tables:
        for assoc in table.get("Associations", []):
            if assoc.get("SubnetId"):
                by_subnet[assoc["SubnetId"]] = table
    vpcs = sorted({s["VpcId"] for s in subnets if s["SubnetId"] not in by_subnet})
    main: dict[str, dict[str, Any]] = {}
    if vpcs:
        filters = [{"Name": "vpc-id", "Values": vpcs}, {"Name": "association.main", "Values": ["true"]}]
        for table in ec2.describe_route_tables(Filters=filters)["RouteTables"]:
            main[table["VpcId"]] = table
    out: dict[str, SubnetRoute] = {}
    for subnet in subnets:
        table = by_subnet.get(subnet["SubnetId"]) or main.get(subnet["VpcId"])
        default = None
        gateway_endpoints: list[str] = []
        for route in (table or {}).get("Routes", []):
            if route.get("DestinationCidrBlock") in OPEN_CIDRS or route.get("DestinationIpv6CidrBlock") in OPEN_CIDRS:
                default = default or _target(route)
            gateway = str(route.get("GatewayId") or "")
            if gateway.startswith("vpce-"):
                gateway_endpoints.append(gateway)
        out[subnet["SubnetId"]] = SubnetRoute(
            subnet_id=subnet["SubnetId"],
            vpc_id=subnet["VpcId"],
            cidr=subnet.get("CidrBlock", ""),
            az=subnet.get("AvailabilityZone", ""),
            route_table_id=(table or {}).get("RouteTableId"),
            default_target=default,
            gateway_endpoints=tuple(gateway_endpoints),
        )
    return out


def fetch_endpoint_services(ec2: Any, vpc_id: str) -> list[str]:
    """Service names of the VPC's endpoints (com.amazonaws.<region>.ecr.dkr, ...)."""
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
    return sorted({str(e["ServiceName"]) for e in endpoints if e.get("State", "available") != "deleted"})


def route_lines(routes: dict[str, SubnetRoute]) -> list[str]:
    """One evidence line per subnet: its default route."""
    lines = []
    for route in routes.values():
        where = route.default_target or "no default route (private, no NAT)"
        lines.append(f"subnet {route.subnet_id} ({route.az}, {route.cidr}): 0.0.0.0/0 -> {where}")
    return lines


def missing_endpoints(services: list[str], region: str, needed: list[str]) -> list[str]:
    """Which of ``needed`` (short names: ecr.api, ecr.dkr, s3, logs, ...) have no endpoint in ``services``."""
    have = {s.rsplit(f"{region}.", 1)[-1] for s in services}
    return [n for n in needed if n not in have]


# ---------------------------------------------------------------------------------------------------
# Security groups
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Peer:
    """One source (ingress) or destination (egress) a security-group rule allows on a port."""

    kind: str  # "cidr" | "sg" | "prefix-list"
    value: str
    rule_in: str  # the security group holding the rule
    description: str = ""

    @property
    def is_open(self) -> bool:
        """True for 0.0.0.0/0 and ::/0."""
        return self.kind == "cidr" and self.value in OPEN_CIDRS

    def label(self, names: dict[str, str] | None = None) -> str:
        """Human form: '10.0.0.0/16', 'sg-123 (goorm-popcorn-dev-ecs)', 'pl-123'."""
        if self.kind == "sg" and names and self.value in names:
            return f"{self.value} ({names[self.value]})"
        return self.value


def _covers_port(perm: dict[str, Any], port: int) -> bool:
    if str(perm.get("IpProtocol")) == "-1":
        return True
    if str(perm.get("IpProtocol")).lower() not in ("tcp", "6"):
        return False
    low, high = perm.get("FromPort"), perm.get("ToPort")
    if low is None or high is None:
        return True
    return int(low) <= port <= int(high)


def peers(groups: list[dict[str, Any]], port: int, *, direction: str = "ingress") -> list[Peer]:
    """Every peer the groups' rules allow on TCP ``port`` (direction 'ingress' or 'egress')."""
    key = "IpPermissions" if direction == "ingress" else "IpPermissionsEgress"
    out: list[Peer] = []
    for group in groups:
        gid = str(group.get("GroupId"))
        for perm in group.get(key, []):
            if not _covers_port(perm, port):
                continue
            for rng in perm.get("IpRanges", []):
                out.append(Peer("cidr", str(rng.get("CidrIp")), gid, str(rng.get("Description") or "")))
            for rng in perm.get("Ipv6Ranges", []):
                out.append(Peer("cidr", str(rng.get("CidrIpv6")), gid, str(rng.get("Description") or "")))
            for pair in perm.get("UserIdGroupPairs", []):
                out.append(Peer("sg", str(pair.get("GroupId")), gid, str(pair.get("Description") or "")))
            for plist in perm.get("PrefixListIds", []):
                out.append(
                    Peer("prefix-list", str(plist.get("PrefixListId")), gid, str(plist.get("Description") or ""))
                )
    return out


def cidr_covers(outer: str, inner: str) -> bool:
    """True when CIDR ``outer`` contains all of CIDR ``inner``."""
    try:
        a, b = ipaddress.ip_network(outer, strict=False), ipaddress.ip_network(inner, strict=False)
    except ValueError:
        return False
    return a.version == b.version and b.subnet_of(a)  # type: ignore[arg-type]


@dataclass
class Reach:
    """Whether sources (security groups and/or subnet CIDRs) may reach a port through the target's groups."""

    allowed: bool
    via: list[str] = field(default_factory=list)  # which rules allow it
    uncovered_cidrs: list[str] = field(default_factory=list)


def reach(target_groups: list[dict[str, Any]], port: int, source_sgs: list[str], source_cidrs: list[str]) -> Reach:
    """Can traffic from ``source_sgs`` (members of those groups, in ``source_cidrs``) reach ``port``?

    Allowed when an ingress rule names one of the source groups, or when CIDR rules cover every source
    subnet (members of a group are addressed by their subnet's CIDR).
    """
    rules = peers(target_groups, port)
    via = [f"{p.rule_in} allows {port} from {p.value}" for p in rules if p.kind == "sg" and p.value in source_sgs]
    by_sg = bool(via)
    uncovered = []
    for cidr in source_cidrs:
        covering = [p for p in rules if p.kind == "cidr" and cidr_covers(p.value, cidr)]
        if covering:
            via.append(f"{covering[0].rule_in} allows {port} from {covering[0].value} (covers {cidr})")
        else:
            uncovered.append(cidr)
    by_cidr = bool(source_cidrs) and not uncovered
    return Reach(allowed=by_sg or by_cidr, via=via, uncovered_cidrs=[] if by_sg else uncovered)


# ---------------------------------------------------------------------------------------------------
# Network ACLs
# ---------------------------------------------------------------------------------------------------


def nacl_allows(acl: dict[str, Any], *, egress: bool, cidr: str, port: int | None) -> tuple[bool, str]:
    """Evaluate a NACL's rules in rule-number order for TCP traffic from/to ``cidr`` on ``port``.

    ``port`` None means "the ephemeral range" (1024-65535 must all be allowed). A rule applies when its
    CIDR contains ``cidr``. Returns (allowed, the deciding rule).
    """
    entries = sorted(
        (e for e in acl.get("Entries", []) if bool(e.get("Egress")) == egress),
        key=lambda e: int(e.get("RuleNumber", 32767)),
    )
    for entry in entries:
        block = entry.get("CidrBlock") or entry.get("Ipv6CidrBlock") or ""
        if not cidr_covers(str(block), cidr):
            continue
        proto = str(entry.get("Protocol"))
        if proto not in ("-1", "6"):
            continue
        if proto == "6":
            rng = entry.get("PortRange") or {}
            low, high = int(rng.get("From", 0)), int(rng.get("To", 65535))
            wanted_low, wanted_high = (port, port) if port is not None else (1024, 65535)
            if not (low <= wanted_low and wanted_high <= high):
                continue
        action = str(entry.get("RuleAction", "")).lower()
        rule = f"{acl.get('NetworkAclId')} rule {entry.get('RuleNumber')} {action} {block}"
        return action == "allow", rule
    return False, f"{acl.get('NetworkAclId')} default deny"


def fetch_nacls(ec2: Any, subnet_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The network ACL of each subnet."""
    if not subnet_ids:
        return {}
    acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": subnet_ids}])["NetworkAcls"]
    out: dict[str, dict[str, Any]] = {}
    for acl in acls:
        for assoc in acl.get("Associations", []):
            if assoc.get("SubnetId") in subnet_ids:
                out[assoc["SubnetId"]] = acl
    return out
