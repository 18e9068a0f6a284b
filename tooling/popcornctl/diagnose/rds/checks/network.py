"""Who can reach the database: exposure to the internet, the security-group rules, the path from ECS."""

from __future__ import annotations

from popcornctl.diagnose.calls import unique
from popcornctl.diagnose.findings import Finding, Status
from popcornctl.diagnose.rds.facts import RdsFacts
from popcornctl.diagnose.registry import check
from popcornctl.diagnose.vpc.paths import cidr_covers, nacl_allows, peers, reach


def _exposed(facts: RdsFacts) -> bool:
    return facts.instance.publicly_accessible and any(r.via_igw for r in facts.routes.values())


@check(
    "rds.exposure",
    kind="rds-instance",
    order=30,
    title="public accessibility against the subnets' route tables",
    looks_at="DescribeDBInstances PubliclyAccessible; the DB subnets' route tables (internet gateway or not); "
    "the security groups' rules on the port",
    findings=("rds.exposure",),
    reads=("routes", "db_groups"),
    ok="not public, no subnet routes to an internet gateway",
    warn="public flag without an internet route; public in public subnets behind a restrictive SG; private instance "
    "in public subnets",
    fail="publicly accessible, internet-gateway route and the port open to 0.0.0.0/0 or ::/0",
)
def rds_exposure(facts: RdsFacts) -> list[Finding]:
    """Is the database reachable from the internet?"""
    db = facts.instance
    port = db.port
    open_rules = [p for p in peers(facts.db_groups, port) if p.is_open]
    public_subnets = [r for r in facts.routes.values() if r.via_igw]
    evidence = [
        f"subnet {r.subnet_id} ({r.az}): 0.0.0.0/0 -> {r.default_target or 'none'}" for r in facts.routes.values()
    ]
    fix = (
        "Set publicly_accessible = false, place the subnet group in private subnets (no internet-gateway "
        f"route), and allow {port} only from the ECS services' security group."
    )
    if db.publicly_accessible and public_subnets and open_rules:
        return [
            Finding(
                "rds.exposure",
                Status.FAIL,
                f"reachable from the internet: publicly accessible, internet-gateway route, {port} open to "
                f"{', '.join(unique(p.value for p in open_rules))}",
                evidence=evidence + [f"{p.rule_in} allows {port} from {p.value}" for p in open_rules],
                cause="The endpoint resolves to a public IP, the subnets route to an internet gateway and the "
                "security group admits anyone: the database is exposed to the whole internet.",
                remediation=fix,
            )
        ]
    if db.publicly_accessible and public_subnets:
        return [
            Finding(
                "rds.exposure",
                Status.WARN,
                "publicly accessible in public subnets: only the security group protects it",
                evidence=evidence,
                cause="The endpoint resolves to a public IP reachable through the internet gateway.",
                remediation=fix,
            )
        ]
    if db.publicly_accessible:
        return [
            Finding(
                "rds.exposure",
                Status.WARN,
                "PubliclyAccessible is set but no subnet routes to an internet gateway",
                evidence=evidence,
                cause="The endpoint resolves to a public IP that cannot be reached; clients inside the VPC still "
                "connect, but the flag is misleading and one route-table change away from exposure.",
                remediation="Set publicly_accessible = false.",
            )
        ]
    if public_subnets:
        return [
            Finding(
                "rds.exposure",
                Status.WARN,
                f"private instance in public subnets: {', '.join(r.subnet_id for r in public_subnets)}",
                evidence=evidence,
                cause="The subnet group includes subnets with an internet-gateway route; the instance is not "
                "public today, but turning the flag on would expose it.",
                remediation="Use the VPC's private database subnets for the DB subnet group.",
            )
        ]
    title = "not publicly accessible; subnets have no internet-gateway route"
    return [Finding("rds.exposure", Status.OK, title, evidence=evidence)]


@check(
    "rds.security-groups",
    kind="rds-instance",
    order=31,
    title="who the security groups let reach the port",
    looks_at="DescribeSecurityGroups of the instance (CIDR ranges, security-group references by id and name, "
    "prefix lists on the port or all traffic)",
    findings=("rds.security-groups",),
    reads=("db_groups",),
    ok="the port is reachable only from named sources (listed, with group names)",
    warn="the port open to 0.0.0.0/0 while not exposed",
    fail="no rule allows the port; open to the internet while exposed",
)
def rds_security_groups(facts: RdsFacts) -> list[Finding]:
    """Every source the rules admit on the port."""
    port = facts.instance.port
    rules = peers(facts.db_groups, port)
    open_rules = [p for p in rules if p.is_open]
    names = dict(facts.group_names)
    evidence = [
        f"{p.rule_in} allows {port} from {p.label(names)}" + (f" ({p.description})" if p.description else "")
        for p in rules
    ]
    if not facts.db_groups:
        return [Finding("rds.security-groups", Status.WARN, "no security groups readable for the instance")]
    if not rules:
        return [
            Finding(
                "rds.security-groups",
                Status.FAIL,
                f"no security-group rule allows {port}: nothing can connect",
                evidence=[f"groups: {', '.join(g.id for g in facts.db_groups)}"],
                cause="Every connection attempt times out.",
                remediation=f"Allow {port} from the ECS services' security group on the RDS security group.",
            )
        ]
    if open_rules:
        exposed = _exposed(facts)
        return [
            Finding(
                "rds.security-groups",
                Status.FAIL if exposed else Status.WARN,
                f"{port} is open to {', '.join(unique(p.value for p in open_rules))}",
                evidence=evidence,
                cause="Any address that can route to the database may try to log in"
                + (" — including the internet." if exposed else " (the VPC and anything peered with it)."),
                remediation=f"Replace the 0.0.0.0/0 rule with one allowing {port} from the ECS security group only.",
            )
        ]
    sources = ", ".join(unique(p.label(names) for p in rules))
    return [Finding("rds.security-groups", Status.OK, f"{port} reachable only from: {sources}", evidence=evidence)]


@check(
    "rds.ecs-access",
    kind="rds-instance",
    order=40,
    title="the ECS services can reach the port",
    looks_at="the ECS services' security groups and subnets (awsvpcConfiguration of the env's cluster, else "
    "--ecs-security-group/the outputs, else the group named `<project>-<env>-ecs`); RDS ingress, ECS egress, the "
    "subnets' CIDRs and network ACLs both ways",
    findings=("rds.ecs-access",),
    reads=("db_groups", "ecs_network"),
    ok="the ECS services' security group can reach the port",
    warn="the ECS security group could not be found",
    fail="the RDS groups do not allow the port from the ECS group or the ECS subnets' CIDRs; ECS egress blocks it; a "
    "NACL of the DB or ECS subnets denies it (or the replies on 1024-65535); the groups are in different VPCs",
)
def rds_ecs_access(facts: RdsFacts) -> list[Finding]:
    """Security groups, egress and NACLs between the ECS services and the database."""
    side, db = facts.ecs, facts.instance
    port = db.port
    if not side.security_groups:
        return [
            Finding(
                "rds.ecs-access",
                Status.WARN,
                "could not find the ECS services' security group",
                evidence=list(side.notes),
                cause="Without it the ECS -> database path cannot be checked.",
                remediation="Pass --ecs-security-group sg-... (or --env with an applied env stack).",
            )
        ]
    ecs_cidrs = unique(r.cidr for r in facts.ecs_routes.values() if r.cidr)
    db_cidrs = unique(r.cidr for r in facts.routes.values() if r.cidr)
    evidence = [f"ECS security group(s) {', '.join(side.security_groups)} (from {side.source})"]
    problems = _group_problems(facts, ecs_cidrs, db_cidrs, evidence)
    problems += _nacl_problems(facts, db_cidrs, ecs_cidrs, evidence)
    if problems:
        return [
            Finding(
                "rds.ecs-access",
                Status.FAIL,
                "the ECS services cannot reach the database: " + problems[0],
                evidence=problems[1:] + evidence,
                cause="Connections from the services time out (the app logs 'connection timed out' on "
                f"{db.address or 'the endpoint'}:{port}).",
                remediation=f"Add an ingress rule on the RDS security group: tcp {port} from the ECS security "
                "group (aws_vpc_security_group_ingress_rule referenced_security_group_id); keep ECS egress to it "
                "open.",
            )
        ]
    return [Finding("rds.ecs-access", Status.OK, f"the ECS services can reach {port}", evidence=evidence)]


def _group_problems(facts: RdsFacts, ecs_cidrs: list[str], db_cidrs: list[str], evidence: list[str]) -> list[str]:
    side, db = facts.ecs, facts.instance
    port = db.port
    problems: list[str] = []
    other_vpc = [g.id for g in facts.ecs_groups if db.vpc_id and g.vpc_id != db.vpc_id]
    if other_vpc:
        problems.append(
            f"ECS security group(s) {', '.join(other_vpc)} are in another VPC than the database "
            f"({db.vpc_id}): without peering there is no path"
        )
    ingress = reach(facts.db_groups, port, list(side.security_groups), ecs_cidrs)
    evidence += ingress.via
    if not ingress.allowed:
        problems.append(
            f"the RDS security group(s) do not allow {port} from {', '.join(side.security_groups)}"
            + (f" or from the ECS subnets {', '.join(ingress.uncovered_cidrs)}" if ingress.uncovered_cidrs else "")
        )
    egress_rules = peers(facts.ecs_groups, port, direction="egress")
    db_sg_ids = {g.id for g in facts.db_groups}
    egress_ok = any(
        (p.kind == "sg" and p.value in db_sg_ids)
        or (p.kind == "cidr" and (p.is_open or (db_cidrs and all(cidr_covers(p.value, c) for c in db_cidrs))))
        for p in egress_rules
    )
    if egress_rules or facts.ecs_groups:
        if egress_ok:
            evidence.append(f"ECS egress allows {port} towards the database")
        else:
            problems.append(f"the ECS security group's egress rules do not allow {port} to the database")
    return problems


def _nacl_problems(facts: RdsFacts, db_cidrs: list[str], ecs_cidrs: list[str], evidence: list[str]) -> list[str]:
    port = facts.instance.port
    problems: list[str] = []
    if not ecs_cidrs:
        return problems
    for subnet, acl in facts.db_nacls.items():
        for cidr in ecs_cidrs:
            ok, rule = nacl_allows(acl, egress=False, cidr=cidr, port=port)
            if not ok:
                problems.append(f"network ACL of DB subnet {subnet} blocks {port} from {cidr} ({rule})")
            ok, rule = nacl_allows(acl, egress=True, cidr=cidr, port=None)
            if not ok:
                problems.append(f"network ACL of DB subnet {subnet} blocks replies to {cidr} ({rule})")
    for subnet, acl in facts.ecs_nacls.items():
        for cidr in db_cidrs:
            ok, rule = nacl_allows(acl, egress=True, cidr=cidr, port=port)
            if not ok:
                problems.append(f"network ACL of ECS subnet {subnet} blocks {port} to {cidr} ({rule})")
    if facts.db_nacls and not problems:
        evidence.append("network ACLs allow the traffic both ways")
    return problems
