"""ElastiCache as the AWS provider creates, reads back and deletes our Valkey cache (modules/elasticache).

moto 5.2.5 has replication groups, subnet groups, snapshots and users, but no parameter groups, no user groups,
no DeleteCacheSubnetGroup, no DescribeEvents and no TestFailover; a replication group gets one member whatever
NumCacheClusters says, no member cache cluster exists (so DescribeCacheClusters cannot answer the provider's read
of a member), ModifyReplicationGroup ignores most of its arguments and a deleted group never goes away (the
provider waits 40 minutes for it). Each extension below adds one of these the way AWS does it; shared state
lives on moto's ``ElastiCacheBackend`` instance, so ``/moto-api/reset`` empties it with the rest.
"""

from popcornctl.sandbox.extensions.elasticache import (
    events,
    parameter_groups,
    replication_groups,
    subnet_groups,
    user_groups,
)

__all__ = ["events", "parameter_groups", "replication_groups", "subnet_groups", "user_groups"]
