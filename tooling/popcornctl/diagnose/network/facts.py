"""Typed facts of ``diagnose network``: one VPC's subnets, route tables, NAT gateways, endpoints, flow logs."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from popcornctl.diagnose.cloudwatch import MetricAlarm
from popcornctl.diagnose.facts import Gap
from popcornctl.diagnose.window import Window

OPEN = ("0.0.0.0/0", "::/0")
# NAT gateway series per gateway: key -> (metric, statistic)
NAT_METRICS = {
    "port-errors": ("ErrorPortAllocation", "Sum"),
    "drops": ("PacketsDropCount", "Sum"),
    "connections": ("ActiveConnectionCount", "Maximum"),
}
REJECTS = "flow-log-rejects"  # the series of the flow-log metric filter, when an alarm watches it


@dataclass(frozen=True)
class Subnet:
    """DescribeSubnets."""

    id: str
    az: str
    cidr: str
    available: int  # AvailableIpAddressCount
    tier: str | None = None  # the vpc module's Tier tag: public | private-app | private-data
    name: str = ""

    @property
    def usable(self) -> int:
        """Addresses the subnet can hand out (AWS reserves five in every subnet)."""
        try:
            return max(0, ipaddress.ip_network(self.cidr, strict=False).num_addresses - 5)
        except ValueError:
            return 0


@dataclass(frozen=True)
class Route:
    """One route of a route table."""

    destination: str
    target: str | None  # igw-, nat-, vpce-, tgw-, pcx-, eni-, i-, or None ("local")
    state: str = "active"  # active | blackhole


@dataclass(frozen=True)
class RouteTable:
    """DescribeRouteTables."""

    id: str
    name: str = ""
    tier: str | None = None
    main: bool = False
    subnets: tuple[str, ...] = ()  # explicitly associated
    routes: tuple[Route, ...] = ()

    @property
    def default(self) -> Route | None:
        """The 0.0.0.0/0 (or ::/0) route."""
        return next((r for r in self.routes if r.destination in OPEN), None)

    @property
    def public(self) -> bool:
        """True when the default route goes to an internet gateway."""
        default = self.default
        return bool(default and default.target and default.target.startswith("igw-"))


@dataclass(frozen=True)
class NatGateway:
    """DescribeNatGateways."""

    id: str
    state: str  # pending | available | deleting | deleted | failed
    subnet: str | None = None
    az: str | None = None  # the subnet's AZ
    failure: str = ""  # FailureCode: FailureMessage
    connectivity: str = "public"
    name: str = ""


@dataclass(frozen=True)
class Endpoint:
    """DescribeVpcEndpoints."""

    id: str
    service: str
    type: str  # Interface | Gateway | GatewayLoadBalancer
    state: str  # PendingAcceptance | Pending | Available | Deleting | Deleted | Rejected | Failed | Expired
    private_dns: bool = False


@dataclass(frozen=True)
class Flow:
    """One row of the Logs Insights query over the flow logs: rejected flows per source, destination and port."""

    src: str
    dst: str
    port: str
    count: int


@dataclass(frozen=True)
class Rejects:
    """The top REJECTed flows over the window (StartQuery/GetQueryResults on the flow-log group)."""

    log_group: str
    status: str  # Complete | Failed | Cancelled | Timeout | Unknown
    flows: tuple[Flow, ...] = ()


@dataclass(frozen=True)
class FlowLog:
    """DescribeFlowLogs for the VPC."""

    id: str
    status: str  # ACTIVE
    destination: str  # cloud-watch-logs | s3 | kinesis-data-firehose
    log_group: str | None = None
    delivery_error: str = ""  # DeliverLogsErrorMessage
    traffic: str = "ALL"


@dataclass(frozen=True)
class NetworkFacts:
    """Everything one ``diagnose network`` run read. Checks take it as their subject."""

    vpc_id: str
    cidrs: tuple[str, ...]
    window: Window
    region: str
    subnets: tuple[Subnet, ...] = ()
    tables: tuple[RouteTable, ...] = ()
    nats: tuple[NatGateway, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    flow_logs: tuple[FlowLog, ...] = ()
    rejects: Rejects | None = None  # None: no flow log in CloudWatch Logs to query
    metrics: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # "<key>@<nat id>", REJECTS
    period: int = 60
    alarms: tuple[MetricAlarm, ...] = ()  # AWS/NATGateway alarms and the flow-log rejects alarm
    ecs_subnets: tuple[str, ...] = ()  # where the ECS tasks run (the outputs), for what a broken route costs
    gaps: Mapping[str, Gap] = field(default_factory=dict)

    def series(self, key: str, nat: str | None = None) -> tuple[float, ...]:
        """A NAT gateway's series (key of NAT_METRICS), or the REJECTS series."""
        return self.metrics.get(f"{key}@{nat}" if nat else key, ())

    def served(self, table: RouteTable) -> tuple[str, ...]:
        """The subnets using the table: its associations, plus every unassociated subnet for the main table."""
        if not table.main:
            return table.subnets
        explicit = {s for t in self.tables for s in t.subnets}
        return table.subnets + tuple(s.id for s in self.subnets if s.id not in explicit)

    def subnet(self, subnet_id: str) -> Subnet | None:
        """The subnet with this id."""
        return next((s for s in self.subnets if s.id == subnet_id), None)
