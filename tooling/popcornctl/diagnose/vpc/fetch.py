"""The EC2 reads behind the VPC facts (each a few batched describe calls)."""

from __future__ import annotations

from typing import Any

from popcornctl.diagnose.vpc.facts import (
    OPEN_CIDRS,
    AclEntry,
    NetworkAcl,
    Permission,
    SecurityGroup,
    Source,
    SubnetRoute,
)

_TARGET_KEYS = (
    "GatewayId",
    "NatGatewayId",
    "TransitGatewayId",
    "NetworkInterfaceId",
    "InstanceId",
    "VpcPeeringConnectionId",
    "EgressOnlyInternetGatewayId",
)


def _target(route: dict[str, Any]) -> str | None:
    for key in _TARGET_KEYS:
        value = route.get(key)
        if value and value != "local":
            return str(value)
    return None


def _subnet_route(subnet: dict[str, Any], table: dict[str, Any] | None) -> SubnetRoute:
    default = None
    gateway_endpoints: list[str] = []
    for route in (table or {}).get("Routes", []):
        if route.get("DestinationCidrBlock") in OPEN_CIDRS or route.get("DestinationIpv6CidrBlock") in OPEN_CIDRS:
            default = default or _target(route)
        gateway = str(route.get("GatewayId") or "")
        if gateway.startswith("vpce-"):
            gateway_endpoints.append(gateway)
    return SubnetRoute(
        subnet_id=subnet["SubnetId"],
        vpc_id=subnet["VpcId"],
        cidr=subnet.get("CidrBlock", ""),
        az=subnet.get("AvailabilityZone", ""),
        route_table_id=(table or {}).get("RouteTableId"),
        default_target=default,
        gateway_endpoints=tuple(gateway_endpoints),
    )


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
    return {s["SubnetId"]: _subnet_route(s, by_subnet.get(s["SubnetId"]) or main.get(s["VpcId"])) for s in subnets}


def fetch_endpoint_services(ec2: Any, vpc_id: str) -> list[str]:
    """Service names of the VPC's endpoints (com.amazonaws.<region>.ecr.dkr, ...)."""
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
    return sorted({str(e["ServiceName"]) for e in endpoints if e.get("State", "available") != "deleted"})


def _port(value: Any) -> int | None:
    return None if value is None else int(value)


def _permission(perm: dict[str, Any]) -> Permission:
    sources = [Source("cidr", str(r.get("CidrIp")), str(r.get("Description") or "")) for r in perm.get("IpRanges", [])]
    sources += [
        Source("cidr", str(r.get("CidrIpv6")), str(r.get("Description") or "")) for r in perm.get("Ipv6Ranges", [])
    ]
    sources += [
        Source("sg", str(p.get("GroupId")), str(p.get("Description") or "")) for p in perm.get("UserIdGroupPairs", [])
    ]
    sources += [
        Source("prefix-list", str(p.get("PrefixListId")), str(p.get("Description") or ""))
        for p in perm.get("PrefixListIds", [])
    ]
    return Permission(
        protocol=str(perm.get("IpProtocol")),
        from_port=_port(perm.get("FromPort")),
        to_port=_port(perm.get("ToPort")),
        sources=tuple(sources),
    )


def security_group(group: dict[str, Any]) -> SecurityGroup:
    """A DescribeSecurityGroups entry as typed facts."""
    return SecurityGroup(
        id=str(group.get("GroupId")),
        name=str(group.get("GroupName", "")),
        vpc_id=str(group.get("VpcId", "")),
        ingress=tuple(_permission(p) for p in group.get("IpPermissions", [])),
        egress=tuple(_permission(p) for p in group.get("IpPermissionsEgress", [])),
    )


def fetch_security_groups(ec2: Any, ids: list[str]) -> list[SecurityGroup]:
    """The security groups with these ids (one call)."""
    if not ids:
        return []
    return [security_group(g) for g in ec2.describe_security_groups(GroupIds=ids).get("SecurityGroups", [])]


def fetch_security_groups_named(ec2: Any, name: str) -> list[SecurityGroup]:
    """The security groups called ``name`` (one call)."""
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])
    return [security_group(g) for g in groups.get("SecurityGroups", [])]


def _acl(acl: dict[str, Any]) -> NetworkAcl:
    entries = []
    for entry in acl.get("Entries", []):
        rng = entry.get("PortRange") or {}
        entries.append(
            AclEntry(
                rule_number=int(entry.get("RuleNumber", 32767)),
                egress=bool(entry.get("Egress")),
                protocol=str(entry.get("Protocol")),
                action=str(entry.get("RuleAction", "")).lower(),
                cidr=str(entry.get("CidrBlock") or entry.get("Ipv6CidrBlock") or ""),
                port_from=int(rng.get("From", 0)),
                port_to=int(rng.get("To", 65535)),
            )
        )
    return NetworkAcl(id=str(acl.get("NetworkAclId")), entries=tuple(entries))


def fetch_nacls(ec2: Any, subnet_ids: list[str]) -> dict[str, NetworkAcl]:
    """The network ACL of each subnet."""
    if not subnet_ids:
        return {}
    acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": subnet_ids}])["NetworkAcls"]
    out: dict[str, NetworkAcl] = {}
    for acl in acls:
        for assoc in acl.get("Associations", []):
            if assoc.get("SubnetId") in subnet_ids:
                out[assoc["SubnetId"]] = _acl(acl)
    return out
