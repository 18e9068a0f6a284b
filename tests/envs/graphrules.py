"""First-apply ordering rules over Terraform's resource graph (`terraform graph`, every stack).

Terraform orders only what references and depends_on say; AWS checks some relations when a resource is created.
Each rule names such a relation; `violations` lists every node of the real graph that breaks one. The graph Terraform
prints is transitively reduced (an edge implied by a path is left out), so the rules ask for reachability, never for
a direct edge. Rule by rule, with the AWS behaviour behind it: docs/AWS_NOTES.md ("First-apply ordering").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

EDGE = re.compile(r'^\s*"([^"]+)"\s*->\s*"([^"]+)"')
NODE = re.compile(r'^\s*"([^"]+)"\s*\[label=')

# What attaches a policy to a role; an instance profile hands its role to EC2.
ROLE_POLICY_TYPES = frozenset({
    "aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_iam_role_policies_exclusive",
    "aws_iam_role_policy_attachments_exclusive", "aws_iam_policy_attachment",
})
# The network itself: these make subnets usable, they do not run in them.
NETWORK_TYPES = frozenset({
    "aws_vpc", "aws_subnet", "aws_route", "aws_route_table", "aws_route_table_association", "aws_internet_gateway",
    "aws_nat_gateway", "aws_eip", "aws_vpc_endpoint", "aws_default_security_group", "aws_security_group",
    "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_flow_log",
    "aws_network_acl", "aws_network_acl_association", "aws_default_network_acl", "aws_default_route_table",
})


def rtype(node: str) -> str:
    """``module.a.aws_x.y`` -> ``aws_x`` (``data.aws_x.y`` -> ``data.aws_x``)."""
    parts = node.split(".")
    while parts and parts[0] == "module":
        parts = parts[2:]
    return f"data.{parts[1]}" if parts[0] == "data" else parts[0]


@dataclass
class Graph:
    """Nodes and "depends on" edges of one stack."""

    edges: dict[str, set[str]] = field(default_factory=dict)
    _reach: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, dot: str) -> Graph:
        graph = cls()
        for line in dot.splitlines():
            edge = EDGE.match(line)
            if edge:
                graph.edges.setdefault(edge.group(1), set()).add(edge.group(2))
                graph.edges.setdefault(edge.group(2), set())
            elif node := NODE.match(line):
                graph.edges.setdefault(node.group(1), set())
        return graph

    @classmethod
    def of(cls, edges: Mapping[str, Iterable[str]]) -> Graph:
        graph = cls()
        for a, bs in edges.items():
            graph.edges.setdefault(a, set()).update(bs)
            for b in bs:
                graph.edges.setdefault(b, set())
        return graph

    def reach(self, node: str) -> frozenset[str]:
        """Every node ``node`` depends on, directly or through others."""
        if node not in self._reach:
            seen: set[str] = set()
            todo = list(self.edges.get(node, ()))
            while todo:
                n = todo.pop()
                if n not in seen:
                    seen.add(n)
                    todo.extend(self.edges.get(n, ()))
            self._reach[node] = frozenset(seen)
        return self._reach[node]

    def of_type(self, *types: str) -> list[str]:
        return sorted(n for n in self.edges if rtype(n) in types)

    def dependents(self, node: str) -> list[str]:
        """Managed resources that depend on ``node`` (directly or not)."""
        return sorted(n for n in self.edges if not rtype(n).startswith("data.") and node in self.reach(n))

    def users(self, node: str, through_none_of: frozenset[str]) -> list[str]:
        """Managed resources that depend on ``node`` along a path through no resource of the given types: those that
        use it themselves, not only because something they depend on (a NAT route) sits in it."""
        found = []
        for start in self.edges:
            if rtype(start).startswith("data.") or rtype(start) in through_none_of:
                continue
            seen: set[str] = set()
            todo = list(self.edges.get(start, ()))
            while todo:
                n = todo.pop()
                if n == node:
                    found.append(start)
                    break
                if n in seen or rtype(n) in through_none_of:
                    continue
                seen.add(n)
                todo.extend(self.edges.get(n, ()))
        return sorted(found)

    def direct(self, node: str) -> set[str]:
        return self.edges.get(node, set())


def role_policies_first(graph: Graph) -> list[str]:
    """Every resource that uses a role (its ARN, or an instance profile of it) waits for all of the role's policies:
    AWS checks the role exists, not that it can do anything yet, and the first task, boot script or delivery fails."""
    problems = []
    for role in graph.of_type("aws_iam_role"):
        policies = [p for p in graph.of_type(*ROLE_POLICY_TYPES) if role in graph.direct(p)]
        profiles = [p for p in graph.of_type("aws_iam_instance_profile") if role in graph.direct(p)]
        users = set(graph.dependents(role))
        for profile in profiles:
            users |= set(graph.dependents(profile))
        for user in sorted(users):
            if rtype(user).startswith("aws_iam_"):
                continue
            missing = [p for p in policies if p not in graph.reach(user)]
            if missing:
                problems.append(f"{user} uses {role} before {', '.join(missing)}")
    return problems


def listener_before_service(graph: Graph) -> list[str]:
    """An ECS service behind a target group waits for a listener (rule) forwarding to it: CreateService rejects a
    target group that has no associated load balancer."""
    problems = []
    for service in graph.of_type("aws_ecs_service"):
        groups = [n for n in graph.reach(service) if rtype(n) == "aws_lb_target_group"]
        for group in groups:
            attaching = [
                n for n in graph.of_type("aws_lb_listener_rule", "aws_lb_listener") if group in graph.reach(n)
            ]
            if not any(a in graph.reach(service) for a in attaching):
                problems.append(f"{service} uses {group} before any listener forwards to it ({attaching})")
    return problems


def subnets_routed_first(graph: Graph) -> list[str]:
    """Whatever runs in a subnet waits for its route table association and routes: an internet-facing load balancer
    is refused without an internet gateway route, and tasks or brokers booted without their NAT route cannot pull
    images, read secrets or download Kafka (ECS's circuit breaker then fails the first deployment)."""
    problems = []
    for subnet in graph.of_type("aws_subnet"):
        associations = [a for a in graph.of_type("aws_route_table_association") if subnet in graph.direct(a)]
        tables = {t for a in associations for t in graph.direct(a) if rtype(t) == "aws_route_table"}
        routes = [r for r in graph.of_type("aws_route") if graph.direct(r) & tables]
        needed = associations + routes
        for user in graph.users(subnet, NETWORK_TYPES):
            missing = [n for n in needed if n not in graph.reach(user)]
            if missing:
                problems.append(f"{user} runs in {subnet} before {', '.join(missing)}")
    return problems


def secret_values_first(graph: Graph) -> list[str]:
    """Whatever reads a secret at start (ECS injects secrets when a task starts) waits for the secret's value."""
    problems = []
    for secret in graph.of_type("aws_secretsmanager_secret"):
        versions = [v for v in graph.of_type("aws_secretsmanager_secret_version") if secret in graph.direct(v)]
        for user in graph.dependents(secret):
            if rtype(user).startswith(("aws_iam_", "aws_secretsmanager_", "aws_kms_")):
                continue
            missing = [v for v in versions if v not in graph.reach(user)]
            if missing:
                problems.append(f"{user} reads {secret} before {', '.join(missing)}")
    return problems


def bucket_policy_first(graph: Graph) -> list[str]:
    """A service writing to a bucket (ALB access logs, CloudTrail) waits for the bucket policy that lets it: both
    check their write access when they are configured."""
    problems = []
    for bucket in graph.of_type("aws_s3_bucket"):
        policies = [p for p in graph.of_type("aws_s3_bucket_policy") if bucket in graph.direct(p)]
        for user in graph.dependents(bucket):
            if rtype(user).startswith("aws_s3_") or rtype(user).startswith("aws_iam_"):
                continue
            missing = [p for p in policies if p not in graph.reach(user)]
            if missing:
                problems.append(f"{user} writes to {bucket} before {', '.join(missing)}")
    return problems


def capacity_providers_first(graph: Graph) -> list[str]:
    """A service with a capacity provider strategy waits for its cluster's capacity providers (CreateService
    rejects a strategy naming a provider the cluster does not have yet)."""
    problems = []
    associations = graph.of_type("aws_ecs_cluster_capacity_providers")
    for service in graph.of_type("aws_ecs_service"):
        clusters = [c for c in graph.reach(service) if rtype(c) == "aws_ecs_cluster"]
        for cluster in clusters:
            mine = [a for a in associations if cluster in graph.reach(a)]
            if mine and not any(a in graph.reach(service) for a in mine):
                problems.append(f"{service} starts in {cluster} before {mine}")
    return problems


RULES = {
    "role policies before the role is used": role_policies_first,
    "listener before a load-balanced service": listener_before_service,
    "routes before anything runs in a subnet": subnets_routed_first,
    "secret value before a reader": secret_values_first,
    "bucket policy before a writer": bucket_policy_first,
    "capacity providers before a service": capacity_providers_first,
}


def violations(graph: Graph) -> dict[str, list[str]]:
    """Rule name -> what breaks it (empty lists when the graph orders everything)."""
    return {name: rule(graph) for name, rule in RULES.items()}
