"""EC2 and VPC objects in the platform's VPCs, tagged or not, and the rules and routes inside managed parents.

Each lister asks for its kind filtered by the platform's VPC ids (one paginated call). Objects AWS creates with a
VPC (its default security group, main route table, default network ACL, the local route) are never listed.
Rules and routes are listed only inside managed security groups and route tables: those inside an unmanaged
parent belong to that parent, which is reported itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from popcornctl.drift.inventory.base import CloudResource, ListContext, ec2_key, lister, tags_of
from popcornctl.drift.inventory.claims import route_key, rule_content_keys

_LIVE_INSTANCE = ["pending", "running", "stopping", "stopped"]


def _vpc_filter(ctx: ListContext, name: str = "vpc-id") -> list[dict[str, Any]]:
    return [{"Name": name, "Values": sorted(ctx.scope.vpc_ids)}]


def _resource(tf_type: str, object_id: str, item: dict[str, Any], how: str, **extra: Any) -> CloudResource:
    key = ec2_key(object_id) or f"ec2:{tf_type}/{object_id}"
    tags = tags_of(item.get("Tags"))
    return CloudResource(type=tf_type, id=object_id, key=key, found_by=[how], tags=tags, name=tags.get("Name"),
                         **extra)


def _in_vpc(vpc: str | None) -> str:
    return f"vpc {vpc}" if vpc else "vpc"


@lister
class Instances:
    """EC2 instances in the platform's VPCs."""

    type = "aws_instance"
    how = "EC2 DescribeInstances in the platform's VPCs (not terminated)"

    def list(self, ctx: ListContext) -> Iterator[CloudResource]:
        """Live instances in the platform's VPCs."""
        if not ctx.scope.vpc_ids:
            return
        filters = [*_vpc_filter(ctx), {"Name": "instance-state-name", "Values": _LIVE_INSTANCE}]
        for reservation in ctx.pages("ec2", "describe_instances", "Reservations", Filters=filters):
            for item in reservation.get("Instances") or []:
                state = (item.get("State") or {}).get("Name", "")
                detail = f"{item.get('InstanceType', '?')}, {state}"
                yield _resource(self.type, item["InstanceId"], item, _in_vpc(item.get("VpcId")), detail=detail)


@lister
class SecurityGroups:
    """Security groups in the platform's VPCs (each VPC's default group left out)."""

    type = "aws_security_group"
    how = "EC2 DescribeSecurityGroups in the platform's VPCs (the default group left out)"

    def list(self, ctx: ListContext) -> Iterator[CloudResource]:
        """Non-default security groups in the platform's VPCs."""
        if not ctx.scope.vpc_ids:
            return
        for item in ctx.pages("ec2", "describe_security_groups", "SecurityGroups", Filters=_vpc_filter(ctx)):
            if item.get("GroupName") == "default":
                continue
            yield _resource(self.type, item["GroupId"], item, _in_vpc(item.get("VpcId")),
                            detail=f"name {item.get('GroupName')}")


def _rule_text(item: dict[str, Any]) -> str:
    protocol = str(item.get("IpProtocol", "-1"))
    ports = "all" if protocol == "-1" else f"{protocol} {item.get('FromPort')}" + (
        "" if item.get("FromPort") == item.get("ToPort") else f"-{item.get('ToPort')}")
    source = (item.get("CidrIpv4") or item.get("CidrIpv6") or item.get("PrefixListId")
              or (item.get("ReferencedGroupInfo") or {}).get("GroupId") or "?")
    return f"{'egress' if item.get('IsEgress') else 'ingress'} {ports} {'to' if item.get('IsEgress') else 'from'} " \
           f"{source}"


@lister
class SecurityGroupRules:
    """Rules of the managed security groups."""

    type = "aws_vpc_security_group_ingress_rule / _egress_rule"
    how = "EC2 DescribeSecurityGroupRules of every managed security group"

    def list(self, ctx: ListContext) -> Iterator[CloudResource]:
        """Every rule of a managed group, known by its sgr- id and by its content."""
        groups = sorted(ctx.scope.security_groups)
        for start in range(0, len(groups), 200):
            chunk = groups[start:start + 200]
            for item in ctx.pages("ec2", "describe_security_group_rules", "SecurityGroupRules",
                                  Filters=[{"Name": "group-id", "Values": chunk}]):
                group = str(item.get("GroupId"))
                direction = "egress" if item.get("IsEgress") else "ingress"
                content = {
                    "protocol": item.get("IpProtocol"), "from_port": item.get("FromPort"),
                    "to_port": item.get("ToPort"),
                    "cidr_blocks": [item["CidrIpv4"]] if item.get("CidrIpv4") else [],
                    "ipv6_cidr_blocks": [item["CidrIpv6"]] if item.get("CidrIpv6") else [],
                    "prefix_list_ids": [item["PrefixListId"]] if item.get("PrefixListId") else [],
                    "security_groups": [item["ReferencedGroupInfo"]["GroupId"]]
                    if (item.get("ReferencedGroupInfo") or {}).get("GroupId") else [],
                }
                rule = _resource(
                    f"aws_vpc_security_group_{direction}_rule", item["SecurityGroupRuleId"], item,
                    f"rules of {group}", detail=_rule_text(item), parent=ec2_key(group),
                )
                rule.keys.update(rule_content_keys(group, direction, content))
                yield rule


@lister
class Subnets:
    """Subnets in the platform's VPCs."""

    type = "aws_subnet"
    how = "EC2 DescribeSubnets in the platform's VPCs"

    def list(self, ctx: ListContext) -> Iterator[CloudResource]:
        """Subnets in the platform's VPCs."""
        if not ctx.scope.vpc_ids:
            return
        for item in ctx.pages("ec2", "describe_subnets", "Subnets", Filters=_vpc_filter(ctx)):
            yield _resource(self.type, item["SubnetId"], item, _in_vpc(item.get("VpcId")),
                            detail=f"{item.get('CidrBlock')} in {item.get('AvailabilityZone')}")


def _is_main(table: dict[str, Any]) -> bool:
    return any(a.get("Main") for a in table.get("Associations") or [])


@lister
class RouteTables:
    """Route tables in the platform's VPCs (each VPC's main table left out)."""

    type = "aws_route_table"
    how = "EC2 DescribeRouteTables in the platform's VPCs (the main table left out)"

    def list(self, ctx: ListContext) -> Iterator[CloudResource]:
        """Non-main route tables in the platform's VPCs."""
        if not ctx.scope.vpc_ids:
            return
        for item in ctx.pages("ec2", "describe_route_tables", "RouteTables", Filters=_vpc_filter(ctx)):
            if _is_main(item):
                continue
            yield _resource(self.type, item["RouteTableId"], item, _in_vpc(item.get("VpcId")))


def _destination(route: dict[str, Any]) -> str | None:
    return route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock") or \
        route.get("DestinationPrefixListId")


def _target(route: dict[str, Any]) -> str:
    for name in ("NatGatewayId", "GatewayId", "TransitGatewayId", "VpcPeeringConnectionId", "NetworkInterfaceId",
                 "InstanceId", "EgressOnlyInternetGatewayId", "CarrierGatewayId", "LocalGatewayId"):
        if route.get(name):
            return str(route[name])
    return "?"


@lister
class Routes:
    """Routes of the managed route tables."""

    type = "aws_route"
    how = "EC2 DescribeRouteTables: the routes of every managed route table (local routes left out)"

    def list(self, ctx: ListContext) -> Iterator[CloudResource]:
        """Every route of a managed table that AWS did not create with it."""
        tables = sorted(ctx.scope.route_tables)
        for start in range(0, len(tables), 200):
            chunk = tables[start:start + 200]
            for table in ctx.pages("ec2", "describe_route_tables", "RouteTables",
                                   Filters=[{"Name": "route-table-id", "Values": chunk}]):
                table_id = str(table["RouteTableId"])
                for route in table.get("Routes") or []:
                    destination = _destination(route)
                    if not destination or route.get("GatewayId") == "local" or \
                            route.get("Origin") == "CreateRouteTable":
                        continue
                    key = route_key(table_id, destination)
                    yield CloudResource(
                        type=self.type, id=f"{table_id}_{destination}", key=key, found_by=[f"routes of {table_id}"],
                        detail=f"{destination} → {_target(route)}", parent=ec2_key(table_id),
                    )


@lister
class NetworkAcls:
    """Network ACLs in the platform's VPCs (each VPC's default ACL left out)."""

    type = "aws_network_acl"
    how = "EC2 DescribeNetworkAcls in the platform's VPCs (the default ACL left out)"

    def list(self, ctx: ListContext) -> Iterator[CloudResource]:
        """Non-default network ACLs in the platform's VPCs."""
        if not ctx.scope.vpc_ids:
            return
        for item in ctx.pages("ec2", "describe_network_acls", "NetworkAcls", Filters=_vpc_filter(ctx)):
            if item.get("IsDefault"):
                continue
            yield _resource(self.type, item["NetworkAclId"], item, _in_vpc(item.get("VpcId")))


@lister
class NatGateways:
    """NAT gateways in the platform's VPCs."""

    type = "aws_nat_gateway"
    how = "EC2 DescribeNatGateways in the platform's VPCs (pending or available)"

    def list(self, ctx: ListContext) -> Iterator[CloudResource]:
        """Live NAT gateways in the platform's VPCs."""
        if not ctx.scope.vpc_ids:
            return
        filters = [*_vpc_filter(ctx), {"Name": "state", "Values": ["pending", "available"]}]
        for item in ctx.pages("ec2", "describe_nat_gateways", "NatGateways", Filter=filters):
            yield _resource(self.type, item["NatGatewayId"], item, _in_vpc(item.get("VpcId")),
                            detail=f"in {item.get('SubnetId')}")


@lister
class VpcEndpoints:
    """VPC endpoints in the platform's VPCs."""

    type = "aws_vpc_endpoint"
    how = "EC2 DescribeVpcEndpoints in the platform's VPCs (not deleted)"

    def list(self, ctx: ListContext) -> Iterator[CloudResource]:
        """VPC endpoints in the platform's VPCs."""
        if not ctx.scope.vpc_ids:
            return
        for item in ctx.pages("ec2", "describe_vpc_endpoints", "VpcEndpoints", Filters=_vpc_filter(ctx)):
            if str(item.get("State", "")).lower() in ("deleted", "deleting"):
                continue
            yield _resource(self.type, item["VpcEndpointId"], item, _in_vpc(item.get("VpcId")),
                            detail=str(item.get("ServiceName")))


@lister
class InternetGateways:
    """Internet gateways attached to the platform's VPCs."""

    type = "aws_internet_gateway"
    how = "EC2 DescribeInternetGateways attached to the platform's VPCs"

    def list(self, ctx: ListContext) -> Iterator[CloudResource]:
        """Internet gateways attached to the platform's VPCs."""
        if not ctx.scope.vpc_ids:
            return
        for item in ctx.pages("ec2", "describe_internet_gateways", "InternetGateways",
                              Filters=_vpc_filter(ctx, "attachment.vpc-id")):
            yield _resource(self.type, item["InternetGatewayId"], item, "vpc attachment")
