"""Typed VPC facts, as EC2's describe calls report them."""

from __future__ import annotations

from dataclasses import dataclass

OPEN_CIDRS = frozenset({"0.0.0.0/0", "::/0"})


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


@dataclass(frozen=True)
class Source:
    """One source (ingress) or destination (egress) named by a security-group permission."""

    kind: str  # "cidr" | "sg" | "prefix-list"
    value: str
    description: str = ""


@dataclass(frozen=True)
class Permission:
    """One IpPermission of a security group."""

    protocol: str  # "tcp", "6", "-1", ...
    from_port: int | None
    to_port: int | None
    sources: tuple[Source, ...]

    def covers_tcp(self, port: int) -> bool:
        """True when the permission admits TCP ``port``."""
        if self.protocol == "-1":
            return True
        if self.protocol.lower() not in ("tcp", "6"):
            return False
        if self.from_port is None or self.to_port is None:
            return True
        return self.from_port <= port <= self.to_port


@dataclass(frozen=True)
class SecurityGroup:
    """A security group and its rules."""

    id: str
    name: str
    vpc_id: str
    ingress: tuple[Permission, ...] = ()
    egress: tuple[Permission, ...] = ()


@dataclass(frozen=True)
class AclEntry:
    """One network ACL rule."""

    rule_number: int
    egress: bool
    protocol: str  # "-1", "6", ...
    action: str  # "allow" | "deny"
    cidr: str
    port_from: int = 0
    port_to: int = 65535


@dataclass(frozen=True)
class NetworkAcl:
    """A network ACL and its rules."""

    id: str
    entries: tuple[AclEntry, ...]
