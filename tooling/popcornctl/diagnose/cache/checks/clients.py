"""The cache as its clients see it: the settings the services are configured with against the group's endpoint,
port, TLS and AUTH, and whether the services' security group may reach the port."""

from __future__ import annotations

from popcornctl.diagnose.cache.clients import CacheClient, clients
from popcornctl.diagnose.cache.facts import CacheFacts, ReplicationGroup
from popcornctl.diagnose.findings import Finding, Status
from popcornctl.diagnose.registry import check
from popcornctl.diagnose.vpc.access import access

FIX = (
    "Set the services' SPRING_DATA_REDIS_HOST/PORT to the primary endpoint and port, SPRING_DATA_REDIS_SSL_ENABLED "
    "to true (transit encryption is required), and SPRING_DATA_REDIS_PASSWORD from the AUTH token secret (the env "
    "composition's cache_environment and cache_secrets)."
)


def _tls_required(group: ReplicationGroup) -> bool:
    return group.transit_encryption and group.transit_mode != "preferred"


def _problems(group: ReplicationGroup, client: CacheClient) -> tuple[list[str], list[str]]:
    """(fails, warns) of one client against the group."""
    fails: list[str] = []
    warns: list[str] = []
    host = (client.host or "").lower().rstrip(".")
    if host and host not in {a.lower() for a in group.addresses}:
        fails.append(f"{client.label} points at {client.host}, not at this group's endpoints")
    elif group.reader and host == group.reader.address.lower() and group.primary:
        warns.append(f"{client.label} uses the reader endpoint: writes fail with READONLY")
    if client.port is not None and client.port != group.port:
        fails.append(f"{client.label} connects to port {client.port}, the group listens on {group.port}")
    if _tls_required(group) and not client.tls:
        fails.append(f"{client.label} connects without TLS, which the group requires")
    elif not group.transit_encryption and client.tls:
        fails.append(f"{client.label} connects with TLS, which the group does not offer")
    elif group.transit_encryption and not client.tls:
        warns.append(f"{client.label} connects without TLS (transit encryption mode preferred accepts it)")
    auth = group.auth_token or bool(group.user_groups)
    if auth and not client.password:
        fails.append(f"{client.label} sends no password, and the group requires AUTH")
    elif not auth and client.password:
        fails.append(f"{client.label} sends a password, and the group has no AUTH configured")
    return fails, warns


@check(
    "cache.clients",
    kind="cache-replication-group",
    order=40,
    title="TLS, AUTH, endpoint and port as the services are configured",
    looks_at="DescribeReplicationGroups endpoints, port, TransitEncryptionEnabled/Mode, AuthTokenEnabled, "
    "UserGroupIds; the ECS services' task definitions: SPRING_DATA_REDIS_* / SPRING_REDIS_* / REDIS_* environment "
    "and secrets (names only), redis:// and rediss:// URLs",
    findings=("cache.clients",),
    ok="every service that names the cache uses its primary endpoint, port, TLS and AUTH as the group requires",
    warn="a service uses the reader endpoint, skips TLS where it is only preferred, or the services could not be "
    "read",
    fail="a service points at another host or port, skips TLS the group requires (or uses TLS the group lacks), "
    "or disagrees with the group on AUTH",
)
def cache_clients(facts: CacheFacts) -> list[Finding]:
    """Each configured client against the group's settings."""
    group, services = facts.group, facts.services
    found = clients(services)
    settings = (f"group: {', '.join(group.addresses) or '?'} port {group.port}, transit encryption "
                f"{'on (' + (group.transit_mode or 'required') + ')' if group.transit_encryption else 'off'}, AUTH "
                f"{'token' if group.auth_token else 'user groups' if group.user_groups else 'off'}")
    evidence = [settings] + [c.line() for c in found]
    if services.note:
        return [Finding("cache.clients", Status.WARN, "could not compare the services' settings", evidence=[
            *evidence, services.note], remediation="Grant ecs:ListServices, ecs:DescribeServices and "
            "ecs:DescribeTaskDefinition, or pass --cluster.")]
    if not found:
        where = f"no service of {services.cluster} names a cache" if services.cluster else "no ECS cluster given"
        return [Finding("cache.clients", Status.OK, f"not compared: {where}", evidence=evidence)]
    fails, warns = [], []
    for item in found:
        f, w = _problems(group, item)
        fails += f
        warns += w
    if fails or warns:
        return [
            Finding(
                "cache.clients",
                Status.FAIL if fails else Status.WARN,
                "; ".join(fails + warns),
                evidence=evidence,
                cause="A client that skips required TLS has its connection reset; one without the password gets "
                "NOAUTH Authentication required; one with a password the group lacks is refused at AUTH; a wrong "
                "host or port times out.",
                remediation=FIX,
            )
        ]
    return [Finding("cache.clients", Status.OK, f"{len(found)} client(s) match the group's endpoint, TLS and AUTH",
                    evidence=evidence)]


@check(
    "cache.reachability",
    kind="cache-replication-group",
    order=50,
    title="the services' security group reaches the port",
    looks_at="the nodes' security groups (DescribeCacheClusters, DescribeSecurityGroups) on the group's port; the "
    "services' security groups (their awsvpcConfiguration, or --ecs-security-group / the outputs) and egress; "
    "their subnets' CIDRs",
    findings=("cache.reachability",),
    reads=("security_groups",),
    ok="the nodes' groups allow the port from the services' group, whose egress allows it",
    warn="the services' security group could not be found",
    fail="the nodes' groups do not allow the port from the services, or the services' egress blocks it",
)
def cache_reachability(facts: CacheFacts) -> list[Finding]:
    """Security groups both ways between the ECS services and the nodes."""
    port = facts.group.port
    sources = facts.services.security_groups
    if not sources:
        return [Finding("cache.reachability", Status.WARN, "could not find the ECS services' security group",
                        evidence=[facts.services.note] if facts.services.note else [],
                        remediation="Pass --ecs-security-group sg-... (or --env with an applied env stack).")]
    cidrs = tuple(dict.fromkeys(r.cidr for r in facts.service_routes.values() if r.cidr))
    verdict = access(facts.cache_groups, port, facts.service_groups, sources, cidrs)
    if verdict.allowed:
        return [Finding("cache.reachability", Status.OK, f"the services' security group reaches {port}",
                        evidence=verdict.evidence)]
    return [
        Finding(
            "cache.reachability",
            Status.FAIL,
            "the services cannot reach the cache: " + verdict.problems[0],
            evidence=verdict.problems[1:] + verdict.evidence,
            cause=f"Connections from the services to {port} time out (Lettuce: 'Unable to connect to ...').",
            remediation=f"Allow tcp {port} on the cache security group from the ECS security group "
            "(aws_vpc_security_group_ingress_rule referenced_security_group_id), and keep the ECS egress open to it.",
        )
    ]
