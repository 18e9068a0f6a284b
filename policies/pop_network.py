"""Network exposure: nothing is open to the internet except the ALB on 80/443, and every VPC has flow logs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from popcornctl.policy.api import UNKNOWN, Change, Context, Findings, fail, policy, same_instances, unknown

WORLD = ("0.0.0.0/0", "::/0")
ALB_PORTS = (80, 443)
SG_TYPES = ("aws_security_group", "aws_default_security_group")
RULE_TYPES = ("aws_security_group_rule", "aws_vpc_security_group_ingress_rule")
LB_TYPES = ("aws_lb", "aws_alb")
_ALB_NAME = re.compile(r"(^|[^a-z])(alb|elb|lb|load[-_ ]?balancer)([^a-z]|$)", re.IGNORECASE)


def _alb_groups(context: Context) -> set[str]:
    """Configuration addresses and known ids of security groups attached to application load balancers."""
    groups: set[str] = set()
    for lb in context.of_type(*LB_TYPES):
        if lb.get("load_balancer_type") not in ("application", None, UNKNOWN):
            continue
        groups |= context.references(lb, "security_groups")
        ids = lb.get("security_groups")
        if isinstance(ids, list):
            groups |= {i for i in ids if isinstance(i, str)}
    return groups


def _groups_index(context: Context) -> dict[str, list[Change]]:
    """Security groups by configuration address, by (configuration address, module instance) and by known id."""
    index: dict[str, list[Change]] = {}
    for group in context.of_type(*SG_TYPES):
        index.setdefault(group.config_address, []).append(group)
        index.setdefault(f"{group.config_address}@{group.module_address}", []).append(group)
        group_id = group.get("id")
        if isinstance(group_id, str):
            index.setdefault(f"id:{group_id}", []).append(group)
    return index


def _is_alb_group(group: Change | None, context: Context, alb_groups: set[str]) -> bool:
    if group is None:
        return False
    if group.config_address in alb_groups or (isinstance(group.get("id"), str) and group.get("id") in alb_groups):
        return True
    names = [group.get("name"), group.get("name_prefix"), group.get("description")]
    tags = group.get("tags")
    if isinstance(tags, dict):
        names.append(tags.get("Name"))
    return any(isinstance(n, str) and _ALB_NAME.search(n) for n in names)


def _group_of_rule(rule: Change, context: Context) -> Change | None:
    index = context.once("pop_network.groups", lambda: _groups_index(context))
    sg_id = rule.get("security_group_id")
    if isinstance(sg_id, str) and index.get(f"id:{sg_id}"):
        return index[f"id:{sg_id}"][0]
    for target in sorted(context.references(rule, "security_group_id")):
        here = index.get(f"{target}@{rule.module_address}")
        if here:
            return here[0]
        groups = index.get(target) or []
        same = [g for g in groups if same_instances(g.address, rule.address)]
        if same or groups:
            return (same or groups)[0]
    return None


def _world(cidrs: Any) -> tuple[bool, bool]:
    """(open to the world, unknown) for a list (or single value) of CIDRs."""
    values = cidrs if isinstance(cidrs, list) else [cidrs]
    if cidrs is UNKNOWN:
        return False, True
    is_unknown = any(v is UNKNOWN for v in values)
    return any(v in WORLD for v in values if v is not UNKNOWN), is_unknown


def _ports(from_port: Any, to_port: Any, protocol: Any) -> str:
    if str(protocol) in ("-1", "all"):
        return "all ports"
    if from_port == to_port:
        return f"{protocol} {from_port}"
    return f"{protocol} {from_port}-{to_port}"


def _alb_allowed(from_port: Any, to_port: Any, protocol: Any) -> bool:
    return str(protocol).lower() in ("tcp", "6") and from_port == to_port and from_port in ALB_PORTS


def _rules(change: Change, context: Context) -> Iterator[tuple[str, Any, Any, Any, Any]]:
    """(attribute, from_port, to_port, protocol, cidrs) of the ingress rules a resource declares."""
    if change.type in SG_TYPES:
        ingress = change.get("ingress")
        if ingress is UNKNOWN:
            if context.configured(change, "ingress") is not False:
                yield "ingress", UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN
            return  # no inline rules: standalone rule resources are evaluated on their own
        for i, rule in enumerate(ingress or []):
            if not isinstance(rule, dict):
                yield f"ingress.{i}", UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN
                continue
            cidrs = rule.get("cidr_blocks")
            v6 = rule.get("ipv6_cidr_blocks")
            merged = UNKNOWN if UNKNOWN in (cidrs, v6) else [*(cidrs or []), *(v6 or [])]
            yield f"ingress.{i}", rule.get("from_port"), rule.get("to_port"), rule.get("protocol"), merged
    elif change.type == "aws_security_group_rule":
        if change.get("type") != "ingress":
            return
        cidrs, v6 = change.get("cidr_blocks"), change.get("ipv6_cidr_blocks")
        merged = UNKNOWN if UNKNOWN in (cidrs, v6) else [*(cidrs or []), *(v6 or [])]
        yield "cidr_blocks", change.get("from_port"), change.get("to_port"), change.get("protocol"), merged
    else:  # aws_vpc_security_group_ingress_rule
        cidrs = [change.get("cidr_ipv4"), change.get("cidr_ipv6")]
        merged = UNKNOWN if UNKNOWN in cidrs else [c for c in cidrs if c]
        yield "cidr_ipv4", change.get("from_port"), change.get("to_port"), change.get("ip_protocol"), merged


@policy(
    id="POP-NET-001",
    title="No ingress from the internet (0.0.0.0/0, ::/0) except the ALB on 80/443",
    severity="critical",
    resource_types=(*SG_TYPES, *RULE_TYPES),
    rationale="Only the load balancer faces the internet, and only for HTTP (redirected) and HTTPS. SSH, "
    "database, cache and Kafka ports open to the world are how clusters get breached.",
    remediation="Allow the source security group (e.g. the ALB's) or VPC CIDR instead of 0.0.0.0/0; reach "
    "instances with SSM Session Manager, not SSH.",
)
def no_world_ingress(change: Change, context: Context) -> Findings:
    alb_groups = context.once("pop_network.alb_groups", lambda: _alb_groups(context))
    group = change if change.type in SG_TYPES else _group_of_rule(change, context)
    is_alb = _is_alb_group(group, context, alb_groups)
    for attribute, from_port, to_port, protocol, cidrs in _rules(change, context):
        open_to_world, is_unknown = _world(cidrs)
        if open_to_world:
            if UNKNOWN in (from_port, to_port, protocol):
                yield unknown("ingress from the internet on ports known only after apply", attribute=attribute)
            elif is_alb and _alb_allowed(from_port, to_port, protocol):
                continue
            else:
                where = "the ALB's security group" if is_alb else "a non-ALB security group"
                yield fail(
                    f"ingress from the internet on {_ports(from_port, to_port, protocol)} in {where}",
                    attribute=attribute,
                )
        elif is_unknown:
            yield unknown("ingress source CIDRs are known only after apply", attribute=attribute)


@policy(
    id="POP-NET-002",
    title="Every VPC has flow logs",
    severity="medium",
    resource_types=("aws_vpc",),
    rationale="Flow logs are the only record of which addresses talked to which ports: without them a "
    "security incident or a mystery connection timeout cannot be investigated.",
    remediation='Add an aws_flow_log with vpc_id = the VPC and traffic_type = "ALL" (the vpc module\'s '
    "enable_flow_logs).",
)
def vpc_flow_logs(change: Change, context: Context) -> Findings:
    logs = context.referrers(change, "aws_flow_log", "vpc_id")
    if not logs:
        yield fail("no aws_flow_log refers to this VPC")
        return
    if all(log.get("traffic_type") not in ("ALL", "REJECT", UNKNOWN) for log in logs):
        yield fail("the VPC's flow logs record neither ALL nor REJECT traffic", attribute="traffic_type")
