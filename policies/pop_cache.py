"""ElastiCache (Valkey/Redis): encrypted at rest and in transit, and failing over automatically in prod."""

from __future__ import annotations

from popcornctl.policy.api import UNKNOWN, Change, Context, Findings, fail, policy, unknown

CACHE_TYPES = ("aws_elasticache_replication_group",)


def _truthy(value: object) -> bool:
    """The provider reports some flags as booleans and some as "true"/"false" strings."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


@policy(
    id="POP-CACHE-001",
    title="ElastiCache is encrypted at rest",
    severity="high",
    resource_types=CACHE_TYPES,
    rationale="Sessions and cached query results end up in snapshots and swap; at-rest encryption keeps "
    "them unreadable outside the cache. It can only be set when the replication group is created.",
    remediation="Set at_rest_encryption_enabled = true (with kms_key_id for a customer-managed key).",
)
def cache_at_rest(change: Change, context: Context) -> Findings:
    value = change.get("at_rest_encryption_enabled")
    if value is UNKNOWN:
        yield unknown("at_rest_encryption_enabled is known only after apply", attribute="at_rest_encryption_enabled")
    elif not _truthy(value):
        yield fail("at_rest_encryption_enabled is not true", attribute="at_rest_encryption_enabled")


@policy(
    id="POP-CACHE-002",
    title="ElastiCache encrypts traffic in transit",
    severity="high",
    resource_types=CACHE_TYPES,
    rationale="Without TLS, session tokens and cached personal data cross the VPC in clear text, and AUTH "
    "tokens cannot be used.",
    remediation="Set transit_encryption_enabled = true (clients connect with TLS).",
)
def cache_in_transit(change: Change, context: Context) -> Findings:
    value = change.get("transit_encryption_enabled")
    if value is UNKNOWN:
        yield unknown("transit_encryption_enabled is known only after apply", attribute="transit_encryption_enabled")
    elif not _truthy(value):
        yield fail("transit_encryption_enabled is not true", attribute="transit_encryption_enabled")


@policy(
    id="POP-CACHE-003",
    title="Prod cache fails over automatically",
    severity="high",
    resource_types=CACHE_TYPES,
    environments=("prod",),
    rationale="Without automatic failover a primary node failure leaves the services without a writable "
    "cache until someone promotes a replica by hand.",
    remediation="Set automatic_failover_enabled = true and multi_az_enabled = true with num_cache_clusters >= 2.",
)
def cache_failover(change: Change, context: Context) -> Findings:
    value = change.get("automatic_failover_enabled")
    nodes = change.get("num_cache_clusters")
    if value is UNKNOWN:
        yield unknown("automatic_failover_enabled is known only after apply", attribute="automatic_failover_enabled")
    elif not _truthy(value):
        yield fail("automatic_failover_enabled is not true in prod", attribute="automatic_failover_enabled")
    elif isinstance(nodes, int) and nodes < 2:
        yield fail(f"num_cache_clusters = {nodes}: failover needs at least 2 nodes", attribute="num_cache_clusters")
