"""What a stack's state claims: the keys of the resources it manages, and of what they create implicitly.

Every instance claims its own ARN-like attributes and EC2-style ids. A type registered here with :func:`claims`
also claims objects that have no ARN in the state (a route, a role policy) or that AWS creates as a side effect
of it (the VPC's default security group, route table and network ACL; an instance's root volume; a replication
group's member clusters; an ECS cluster's tasks; every revision of a managed task-definition family; the logs
and automated snapshots of a database). Without those, a scan reports false "unmanaged" resources, as driftctl
users complained about ElastiCache member clusters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from popcornctl.drift.inventory.base import key_of
from popcornctl.drift.state import StateInstance

# Attributes that name the resource itself (never another resource it refers to).
_SELF = ("arn", "id", "dashboard_arn", "arn_without_revision")

ClaimFunction = Callable[[Mapping[str, Any], "Claims"], Iterable[str]]
_CLAIMS: dict[str, list[ClaimFunction]] = {}
WHOLE_PREFIX = "*"  # a claimed key ending in * claims every key that starts with the rest


def claims(*types: str) -> Callable[[ClaimFunction], ClaimFunction]:
    """Register extra claims for Terraform resource types: a function of (attributes, all claims) → keys."""

    def register(fn: ClaimFunction) -> ClaimFunction:
        for tf_type in types:
            _CLAIMS.setdefault(tf_type, []).append(fn)
        return fn

    return register


@dataclass
class Claims:
    """Every key the states claim, who claims it, and the key prefixes claimed as a whole."""

    owners: dict[str, str] = field(default_factory=dict)  # key → "ADDRESS in STACK"
    prefixes: dict[str, str] = field(default_factory=dict)  # key prefix → "ADDRESS in STACK"
    by_type: dict[str, list[StateInstance]] = field(default_factory=dict)

    def owner(self, keys: Iterable[str]) -> str | None:
        """Who claims any of ``keys`` (exactly or by prefix); None when unclaimed."""
        for key in keys:
            if key in self.owners:
                return self.owners[key]
        for key in keys:
            for prefix, who in self.prefixes.items():
                if key.startswith(prefix):
                    return who
        return None


def collect(states: Mapping[str, list[StateInstance]]) -> Claims:
    """The claims of every stack's state."""
    result = Claims()
    for instances in states.values():
        for instance in instances:
            result.by_type.setdefault(instance.type, []).append(instance)
    for instances in states.values():
        for instance in instances:
            who = f"{instance.address} in {instance.stack}"
            for key in _keys(instance, result):
                if key.endswith(WHOLE_PREFIX):
                    result.prefixes.setdefault(key.removesuffix(WHOLE_PREFIX), who)
                else:
                    result.owners.setdefault(key, who)
    return result


def _keys(instance: StateInstance, all_claims: Claims) -> Iterator[str]:
    attrs = instance.attributes
    for name in _SELF:
        value = attrs.get(name)
        if isinstance(value, str) and (key := key_of(value)):
            yield key
    for fn in _CLAIMS.get(instance.type, []):
        yield from fn(attrs, all_claims)


def _keyed(*values: Any) -> Iterator[str]:
    for value in values:
        if isinstance(value, str) and (key := key_of(value)):
            yield key


def _blocks(attrs: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    value = attrs.get(name)
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


# -- implicit children -------------------------------------------------------------------------------------------


@claims("aws_vpc")
def _vpc_defaults(attrs: Mapping[str, Any], _: Claims) -> Iterator[str]:
    # AWS creates these with every VPC; they are the VPC's, managed or not.
    yield from _keyed(attrs.get("default_security_group_id"), attrs.get("default_route_table_id"),
                    attrs.get("main_route_table_id"), attrs.get("default_network_acl_id"))


@claims("aws_instance")
def _instance_children(attrs: Mapping[str, Any], _: Claims) -> Iterator[str]:
    yield from _keyed(attrs.get("primary_network_interface_id"))
    for block in (*_blocks(attrs, "root_block_device"), *_blocks(attrs, "ebs_block_device")):
        yield from _keyed(block.get("volume_id"))


@claims("aws_elasticache_replication_group")
def _member_clusters(attrs: Mapping[str, Any], _: Claims) -> Iterator[str]:
    for member in attrs.get("member_clusters") or []:
        yield f"elasticache:cluster:{member}"


@claims("aws_ecs_cluster")
def _cluster_children(attrs: Mapping[str, Any], _: Claims) -> Iterator[str]:
    name = attrs.get("name")
    if isinstance(name, str) and name:
        yield f"ecs:task/{name}/*"
        yield f"ecs:container-instance/{name}/*"
        yield f"logs:log-group:/aws/ecs/containerinsights/{name}/*"


@claims("aws_ecs_task_definition")
def _task_definition_family(attrs: Mapping[str, Any], _: Claims) -> Iterator[str]:
    family = attrs.get("family")
    if isinstance(family, str) and family:
        yield f"ecs:task-definition/{family}:*"


@claims("aws_db_instance")
def _database_children(attrs: Mapping[str, Any], _: Claims) -> Iterator[str]:
    identifier = attrs.get("identifier")
    if isinstance(identifier, str) and identifier:
        yield f"rds:snapshot:rds:{identifier}-*"
        yield f"logs:log-group:/aws/rds/instance/{identifier}/*"
    for secret in _blocks(attrs, "master_user_secret"):
        yield from _keyed(secret.get("secret_arn"))


@claims("aws_lambda_function")
def _function_logs(attrs: Mapping[str, Any], _: Claims) -> Iterator[str]:
    name = attrs.get("function_name")
    if isinstance(name, str) and name:
        yield f"logs:log-group:/aws/lambda/{name}"


# -- objects without an ARN in the state -------------------------------------------------------------------------


@claims("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule")
def _rule_id(attrs: Mapping[str, Any], _: Claims) -> Iterator[str]:
    yield from _keyed(attrs.get("security_group_rule_id"))


def rule_content_keys(group: str, direction: str, rule: Mapping[str, Any]) -> Iterator[str]:
    """Keys of a security-group rule by content, one per source (how a rule is known without its sgr- id)."""
    protocol = str(rule.get("protocol") or rule.get("ip_protocol") or "-1")
    protocol = {"all": "-1"}.get(protocol, protocol)
    ports = "" if protocol == "-1" else f"{rule.get('from_port')}-{rule.get('to_port')}"
    sources = [
        *(f"cidr:{c}" for c in rule.get("cidr_blocks") or []),
        *(f"cidr:{c}" for c in rule.get("ipv6_cidr_blocks") or []),
        *(f"pl:{p}" for p in rule.get("prefix_list_ids") or []),
        *(f"sg:{s}" for s in rule.get("security_groups") or []),
    ]
    if rule.get("self"):
        sources.append(f"sg:{group}")
    if rule.get("source_security_group_id"):
        sources.append(f"sg:{rule['source_security_group_id']}")
    for source in sources:
        yield f"ec2:rule/{group}/{direction}/{protocol}/{ports}/{source}"


@claims("aws_security_group_rule")
def _legacy_rule(attrs: Mapping[str, Any], _: Claims) -> Iterator[str]:
    group = attrs.get("security_group_id")
    direction = "egress" if attrs.get("type") == "egress" else "ingress"
    if isinstance(group, str):
        yield from rule_content_keys(group, direction, attrs)


@claims("aws_security_group", "aws_default_security_group")
def _inline_rules(attrs: Mapping[str, Any], found: Claims) -> Iterator[str]:
    # Inline rules count only when no standalone rule resource manages this group: otherwise the group's
    # ingress/egress in the state are a mirror refresh wrote, which may hold a rule added by hand.
    group = attrs.get("id")
    if not isinstance(group, str):
        return
    standalone = (
        "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule",
    )
    for tf_type in standalone:
        if any(i.attributes.get("security_group_id") == group for i in found.by_type.get(tf_type, [])):
            return
    for direction in ("ingress", "egress"):
        for rule in _blocks(attrs, direction):
            yield from rule_content_keys(group, direction, rule)


def route_key(table: str, destination: str) -> str:
    """The key of a route: its table and destination (CIDR or prefix list)."""
    return f"ec2:route/{table}/{destination}"


def _destination(route: Mapping[str, Any]) -> str | None:
    for name in ("destination_cidr_block", "cidr_block", "destination_ipv6_cidr_block", "ipv6_cidr_block",
                 "destination_prefix_list_id"):
        value = route.get(name)
        if isinstance(value, str) and value:
            return value
    return None


@claims("aws_route")
def _route(attrs: Mapping[str, Any], _: Claims) -> Iterator[str]:
    table, destination = attrs.get("route_table_id"), _destination(attrs)
    if isinstance(table, str) and destination:
        yield route_key(table, destination)


@claims("aws_route_table", "aws_default_route_table")
def _inline_routes(attrs: Mapping[str, Any], found: Claims) -> Iterator[str]:
    table = attrs.get("id")
    if not isinstance(table, str):
        return
    if any(i.attributes.get("route_table_id") == table for i in found.by_type.get("aws_route", [])):
        return  # routes are managed as aws_route: the table's route list is a mirror
    for route in _blocks(attrs, "route"):
        if destination := _destination(route):
            yield route_key(table, destination)


@claims("aws_vpc_endpoint")
def _endpoint_routes(attrs: Mapping[str, Any], _: Claims) -> Iterator[str]:
    # A gateway endpoint adds a route to its prefix list in each of its route tables.
    prefix_list = attrs.get("prefix_list_id")
    if isinstance(prefix_list, str) and prefix_list:
        for table in attrs.get("route_table_ids") or []:
            yield route_key(str(table), prefix_list)


@claims("aws_vpc_endpoint_route_table_association")
def _endpoint_association(attrs: Mapping[str, Any], found: Claims) -> Iterator[str]:
    endpoint = attrs.get("vpc_endpoint_id")
    for instance in found.by_type.get("aws_vpc_endpoint", []):
        if instance.attributes.get("id") == endpoint and instance.attributes.get("prefix_list_id"):
            yield route_key(str(attrs.get("route_table_id")), str(instance.attributes["prefix_list_id"]))


def role_policy_key(role: str, name: str) -> str:
    """The key of an inline policy of a role."""
    return f"iam:role-policy/{role}/{name}"


def role_attachment_key(role: str, policy_arn: str) -> str:
    """The key of a managed policy attached to a role."""
    return f"iam:role-attachment/{role}/{policy_arn}"


@claims("aws_iam_role_policy")
def _role_policy(attrs: Mapping[str, Any], _: Claims) -> Iterator[str]:
    role, name = attrs.get("role"), attrs.get("name")
    if isinstance(role, str) and isinstance(name, str):
        yield role_policy_key(role, name)


@claims("aws_iam_role_policy_attachment")
def _role_attachment(attrs: Mapping[str, Any], _: Claims) -> Iterator[str]:
    role, policy = attrs.get("role"), attrs.get("policy_arn")
    if isinstance(role, str) and isinstance(policy, str):
        yield role_attachment_key(role, policy)


@claims("aws_iam_role_policy_attachments_exclusive")
def _exclusive_attachments(attrs: Mapping[str, Any], _: Claims) -> Iterator[str]:
    role = attrs.get("role_name")
    for policy in attrs.get("policy_arns") or []:
        yield role_attachment_key(str(role), str(policy))


@claims("aws_iam_role_policies_exclusive")
def _exclusive_policies(attrs: Mapping[str, Any], _: Claims) -> Iterator[str]:
    role = attrs.get("role_name")
    for name in attrs.get("policy_names") or []:
        yield role_policy_key(str(role), str(name))


@claims("aws_cloudwatch_log_group")
def _log_group_name(attrs: Mapping[str, Any], _: Claims) -> Iterator[str]:
    name = attrs.get("name")
    if isinstance(name, str) and name:
        yield f"logs:log-group:{name}"


@claims("aws_iam_role")
def _role_name(attrs: Mapping[str, Any], _: Claims) -> Iterator[str]:
    name = attrs.get("name")
    if isinstance(name, str) and name:
        yield f"iam:role/{name}"


@claims("aws_ecs_service")
def _service_name(attrs: Mapping[str, Any], _: Claims) -> Iterator[str]:
    cluster, name = attrs.get("cluster"), attrs.get("name")
    if isinstance(cluster, str) and isinstance(name, str):
        cluster_name = cluster.rsplit("/", 1)[-1]
        yield f"ecs:service/{cluster_name}/{name}"


@claims("aws_service_discovery_private_dns_namespace")
def _namespace_zone(attrs: Mapping[str, Any], _: Claims) -> Iterator[str]:
    # Cloud Map creates the namespace's private hosted zone itself.
    zone = attrs.get("hosted_zone")
    if isinstance(zone, str) and zone:
        yield f"route53:hostedzone/{zone}"
