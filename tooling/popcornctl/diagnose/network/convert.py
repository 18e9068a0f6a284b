"""EC2 and CloudWatch Logs responses as typed ``diagnose network`` facts (pure)."""

from __future__ import annotations

from typing import Any

from popcornctl.diagnose.network.facts import Endpoint, Flow, FlowLog, NatGateway, Route, RouteTable, Subnet

_TARGETS = ("GatewayId", "NatGatewayId", "TransitGatewayId", "VpcPeeringConnectionId", "NetworkInterfaceId",
            "InstanceId", "EgressOnlyInternetGatewayId", "VpcEndpointId")


def _tags(raw: dict[str, Any]) -> dict[str, str]:
    return {str(t.get("Key")): str(t.get("Value", "")) for t in raw.get("Tags") or []}


def subnet(raw: dict[str, Any]) -> Subnet:
    """DescribeSubnets ``Subnets[]``."""
    tags = _tags(raw)
    return Subnet(
        id=str(raw["SubnetId"]),
        az=str(raw.get("AvailabilityZone", "")),
        cidr=str(raw.get("CidrBlock", "")),
        available=int(raw.get("AvailableIpAddressCount") or 0),
        tier=tags.get("Tier"),
        name=tags.get("Name", ""),
    )


def _route(raw: dict[str, Any]) -> Route:
    target = next((str(raw[k]) for k in _TARGETS if raw.get(k) and raw.get(k) != "local"), None)
    return Route(
        destination=str(raw.get("DestinationCidrBlock") or raw.get("DestinationIpv6CidrBlock")
                        or raw.get("DestinationPrefixListId") or ""),
        target=target,
        state=str(raw.get("State", "active")),
    )


def route_table(raw: dict[str, Any]) -> RouteTable:
    """DescribeRouteTables ``RouteTables[]``."""
    tags = _tags(raw)
    associations = raw.get("Associations") or []
    return RouteTable(
        id=str(raw["RouteTableId"]),
        name=tags.get("Name", ""),
        tier=tags.get("Tier"),
        main=any(a.get("Main") for a in associations),
        subnets=tuple(str(a["SubnetId"]) for a in associations if a.get("SubnetId")),
        routes=tuple(_route(r) for r in raw.get("Routes") or []),
    )


def nat_gateway(raw: dict[str, Any], azs: dict[str, str]) -> NatGateway:
    """DescribeNatGateways ``NatGateways[]`` (``azs``: subnet id -> AZ)."""
    code, message = raw.get("FailureCode"), raw.get("FailureMessage")
    subnet_id = raw.get("SubnetId")
    return NatGateway(
        id=str(raw["NatGatewayId"]),
        state=str(raw.get("State", "?")),
        subnet=subnet_id,
        az=azs.get(str(subnet_id)),
        failure=": ".join(str(p) for p in (code, message) if p),
        connectivity=str(raw.get("ConnectivityType", "public")),
        name=_tags(raw).get("Name", ""),
    )


def endpoint(raw: dict[str, Any]) -> Endpoint:
    """DescribeVpcEndpoints ``VpcEndpoints[]``."""
    return Endpoint(
        id=str(raw["VpcEndpointId"]),
        service=str(raw.get("ServiceName", "")),
        type=str(raw.get("VpcEndpointType", "")),
        state=str(raw.get("State", "?")),
        private_dns=bool(raw.get("PrivateDnsEnabled")),
    )


def flow_log(raw: dict[str, Any]) -> FlowLog:
    """DescribeFlowLogs ``FlowLogs[]``."""
    return FlowLog(
        id=str(raw.get("FlowLogId", "")),
        status=str(raw.get("FlowLogStatus", "")),
        destination=str(raw.get("LogDestinationType", "cloud-watch-logs")),
        log_group=raw.get("LogGroupName"),
        delivery_error=str(raw.get("DeliverLogsErrorMessage") or ""),
        traffic=str(raw.get("TrafficType", "ALL")),
    )


def flows(rows: list[list[dict[str, str]]]) -> tuple[Flow, ...]:
    """GetQueryResults ``results`` of the top-rejects query (rows of field/value pairs)."""
    out = []
    for row in rows:
        fields = {str(f.get("field")): str(f.get("value", "")) for f in row}
        if "srcAddr" not in fields or "flows" not in fields:
            continue
        count = fields["flows"]
        out.append(Flow(fields["srcAddr"], fields.get("dstAddr", "?"), fields.get("dstPort", "?"),
                        int(float(count)) if count.replace(".", "", 1).isdigit() else 0))
    return tuple(out)
