"""Dev cost guardrails: small instance classes, one NAT gateway, a Spot-heavy Fargate strategy."""

from __future__ import annotations

import re

from popcornctl.policy.api import UNKNOWN, Change, Context, Findings, fail, policy, unknown

# The classes dev may use (edit here to widen; prod is not limited).
DEV_CLASSES = {
    "aws_db_instance": ("instance_class", re.compile(r"^db\.(t3|t4g)\.(micro|small|medium)$")),
    "aws_elasticache_replication_group": ("node_type", re.compile(r"^cache\.(t3|t4g)\.(micro|small|medium)$")),
    "aws_instance": ("instance_type", re.compile(r"^(t3|t3a|t4g)\.(nano|micro|small|medium)$")),
    "aws_launch_template": ("instance_type", re.compile(r"^(t3|t3a|t4g)\.(nano|micro|small|medium)$")),
}
MIN_SPOT_SHARE = 0.5


@policy(
    id="POP-COST-001",
    title="Dev uses only small instance classes",
    severity="medium",
    resource_types=tuple(DEV_CLASSES),
    environments=("dev",),
    rationale="Dev runs for development and tests; one forgotten db.r6g.xlarge costs more than the rest of "
    "the environment together.",
    remediation="Use t3/t4g micro–medium classes in dev (see DEV_CLASSES in policies/pop_cost.py to widen).",
)
def dev_instance_classes(change: Change, context: Context) -> Findings:
    attribute, allowed = DEV_CLASSES[change.type]
    value = change.get(attribute)
    if value is UNKNOWN:
        yield unknown(f"{attribute} is known only after apply", attribute=attribute)
    elif value is None and change.type == "aws_launch_template":
        return  # the launching resource chooses the type
    elif not isinstance(value, str) or not allowed.match(value):
        yield fail(f"{attribute} = {value!r} is not a dev-sized class", attribute=attribute)


@policy(
    id="POP-COST-002",
    title="Dev has a single NAT gateway",
    severity="medium",
    resource_types=("aws_nat_gateway",),
    environments=("dev",),
    needs_plan=True,  # counts instances, which count/for_each only expand in a plan
    rationale="Each NAT gateway costs about 45 USD a month before traffic; dev's workloads live in one AZ "
    "and share one.",
    remediation="Set single_nat_gateway = true in dev (the vpc module).",
)
def dev_single_nat(change: Change, context: Context) -> Findings:
    nats = sorted(c.address for c in context.of_type("aws_nat_gateway"))
    if len(nats) > 1 and change.address != nats[0]:
        yield fail(f"dev plans {len(nats)} NAT gateways ({', '.join(nats)}); one is enough")


def _spot_share(strategy: object) -> float | None:
    if strategy is UNKNOWN or not isinstance(strategy, list):
        return None
    total = spot = 0.0
    for item in strategy:
        if not isinstance(item, dict) or item.get("weight") is UNKNOWN or item.get("capacity_provider") is UNKNOWN:
            return None
        weight = float(item.get("weight") or 0)
        total += weight
        if item.get("capacity_provider") == "FARGATE_SPOT":
            spot += weight
    return spot / total if total else 0.0


@policy(
    id="POP-COST-003",
    title="Dev runs Fargate mostly on Spot",
    severity="low",
    resource_types=("aws_ecs_cluster_capacity_providers", "aws_ecs_service"),
    environments=("dev",),
    rationale="Fargate Spot costs about 70% less; dev tolerates the occasional interruption.",
    remediation=f"Give FARGATE_SPOT at least {MIN_SPOT_SHARE:.0%} of the weight in "
    "default_capacity_provider_strategy (the ecs module's capacity_provider_strategy).",
)
def dev_spot_share(change: Change, context: Context) -> Findings:
    attribute = (
        "default_capacity_provider_strategy"
        if change.type == "aws_ecs_cluster_capacity_providers"
        else "capacity_provider_strategy"
    )
    strategy = change.get(attribute)
    if change.type == "aws_ecs_service" and (strategy is None or strategy == []):
        return  # the service uses the cluster's default strategy (checked there) or a launch type
    share = _spot_share(strategy)
    if share is None:
        yield unknown(f"{attribute} is known only after apply", attribute=attribute)
    elif share < MIN_SPOT_SHARE:
        yield fail(
            f"FARGATE_SPOT has {share:.0%} of the weight; dev wants at least {MIN_SPOT_SHARE:.0%}", attribute=attribute
        )
