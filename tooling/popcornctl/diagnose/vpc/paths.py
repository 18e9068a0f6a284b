"""Pure reasoning over VPC facts: default routes, missing endpoints, who may reach a port, NACL decisions."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

from popcornctl.diagnose.vpc.facts import NetworkAcl, SecurityGroup, SubnetRoute


def route_lines(routes: Iterable[SubnetRoute]) -> list[str]:
    """One evidence line per subnet: its default route."""
    lines = []
    for route in routes:
        where = route.default_target or "no default route (private, no NAT)"
        lines.append(f"subnet {route.subnet_id} ({route.az}, {route.cidr}): 0.0.0.0/0 -> {where}")
    return lines


def missing_endpoints(services: Iterable[str], region: str, needed: list[str]) -> list[str]:
    """Which of ``needed`` (short names: ecr.api, ecr.dkr, s3, logs, ...) have no endpoint in ``services``."""
    have = {s.rsplit(f"{region}.", 1)[-1] for s in services}
    return [n for n in needed if n not in have]


def no_way_out(routes: Iterable[SubnetRoute], public_ip: bool) -> bool:
    """True when no subnet reaches the internet: no NAT, and no internet gateway usable without a public IP."""
    return all(not r.via_nat and not (r.via_igw and public_ip) for r in routes)


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
        return self.kind == "cidr" and self.value in ("0.0.0.0/0", "::/0")

    def label(self, names: dict[str, str] | None = None) -> str:
        """Human form: '10.0.0.0/16', 'sg-123 (goorm-popcorn-dev-ecs)', 'pl-123'."""
        if self.kind == "sg" and names and self.value in names:
            return f"{self.value} ({names[self.value]})"
        return self.value


def peers(groups: Iterable[SecurityGroup], port: int, *, direction: str = "ingress") -> list[Peer]:
    """Every peer the groups' rules allow on TCP ``port`` (direction 'ingress' or 'egress')."""
    out: list[Peer] = []
    for group in groups:
        perms = group.ingress if direction == "ingress" else group.egress
        for perm in perms:
            if perm.covers_tcp(port):
                out.extend(Peer(s.kind, s.value, group.id, s.description) for s in perm.sources)
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


def reach(target_groups: Iterable[SecurityGroup], port: int, source_sgs: list[str], source_cidrs: list[str]) -> Reach:
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


def nacl_allows(acl: NetworkAcl, *, egress: bool, cidr: str, port: int | None) -> tuple[bool, str]:
    """Evaluate a NACL's rules in rule-number order for TCP traffic from/to ``cidr`` on ``port``.

    ``port`` None means "the ephemeral range" (1024-65535 must all be allowed). A rule applies when its
    CIDR contains ``cidr``. Returns (allowed, the deciding rule).
    """
    wanted_low, wanted_high = (port, port) if port is not None else (1024, 65535)
    for entry in sorted((e for e in acl.entries if e.egress == egress), key=lambda e: e.rule_number):
        if not cidr_covers(entry.cidr, cidr) or entry.protocol not in ("-1", "6"):
            continue
        if entry.protocol == "6" and not (entry.port_from <= wanted_low and wanted_high <= entry.port_to):
            continue
        return entry.action == "allow", f"{acl.id} rule {entry.rule_number} {entry.action} {entry.cidr}"
    return False, f"{acl.id} default deny"
