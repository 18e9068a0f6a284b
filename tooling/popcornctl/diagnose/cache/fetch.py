"""The one fetch step of ``diagnose cache``: every AWS read about one replication group, concurrent, no judgement.

Phase 1 reads the replication group (its absence ends the run with one line). Phase 2 reads, concurrently: the
nodes (one DescribeCacheClusters listing), the AWS/ElastiCache alarms (one listing: their thresholds), the
group's and nodes' events over the window (one DescribeEvents listing), every node's metrics (one
GetMetricData call), and the ECS services (their Valkey settings and security groups). Phase 3: the nodes' and
the services' security groups in one DescribeSecurityGroups call, and the services' subnets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from popcornctl.diagnose.cache import convert
from popcornctl.diagnose.cache.facts import METRICS, CacheEvent, CacheFacts, Node, ReplicationGroup, series_key
from popcornctl.diagnose.calls import Outcome, attempt, paginate, unique
from popcornctl.diagnose.cloudwatch import Query, fetch_metric_alarms, fetch_metrics, period_for
from popcornctl.diagnose.facts import Gap, collect, gap
from popcornctl.diagnose.failures import error_code, is_fatal, refused
from popcornctl.diagnose.pool import Pool
from popcornctl.diagnose.services import EcsServices, fetch_services, unread
from popcornctl.diagnose.vpc.fetch import fetch_security_groups, fetch_subnet_routes
from popcornctl.errors import PopcornError

if TYPE_CHECKING:
    from popcornctl.aws import Clients
    from popcornctl.diagnose.window import Window

CLIENTS = ("elasticache", "cloudwatch", "ecs", "ec2")
NAMESPACE = "AWS/ElastiCache"


class CacheFetch:
    """Reads one replication group and its clients; calling it returns :class:`CacheFacts`."""

    def __init__(
        self,
        clients: Clients,
        group: str,
        window: Window,
        *,
        prod: bool = False,
        cluster: str | None = None,
        security_groups: tuple[str, ...] = (),
        where: str = "",
        max_workers: int = 8,
    ) -> None:
        self.c: dict[str, Any] = {name: clients.client(name) for name in CLIENTS}  # all before any thread
        self.group_id = group
        self.window = window
        self.prod = prod
        self.cluster = cluster
        self.security_groups = security_groups
        self.where = where
        self.max_workers = max_workers

    def __call__(self) -> CacheFacts:
        group = self._group()
        ec2 = self.c["ec2"]
        with Pool(self.max_workers, "diagnose-cache") as pool:
            f_nodes = pool.submit(attempt, lambda: self._nodes(group))
            f_alarms = pool.submit(attempt, lambda: fetch_metric_alarms(self.c["cloudwatch"], (NAMESPACE,)))
            f_events = pool.submit(attempt, lambda: self._events(group))
            f_metrics = pool.submit(attempt, lambda: self._metrics(group))
            services = self._services(pool)
            nodes: Outcome[tuple[Node, ...]] = f_nodes.result()
            cache_sgs = unique(g for n in nodes.value or () for g in n.security_groups)
            wanted = unique(cache_sgs + list(services.security_groups))
            f_groups = pool.submit(attempt, lambda: fetch_security_groups(ec2, wanted))
            f_routes = pool.submit(attempt, lambda: fetch_subnet_routes(ec2, list(services.subnets)))
            groups, routes = f_groups.result(), f_routes.result()
            by_id = {g.id: g for g in groups.value or ()}
            metrics, alarms, events = f_metrics.result(), f_alarms.result(), f_events.result()
            gaps = collect(
                gap(nodes, "nodes", "describe the cache nodes", "elasticache:DescribeCacheClusters"),
                gap(metrics, "metrics", "read CloudWatch metrics", "cloudwatch:GetMetricData"),
                gap(alarms, "alarms", "list CloudWatch alarms", "cloudwatch:DescribeAlarms"),
                gap(events, "events", "read the ElastiCache events", "elasticache:DescribeEvents"),
                gap(groups, "security_groups", "read the security groups", "ec2:DescribeSecurityGroups"),
            )
            if nodes.value is not None and not cache_sgs and "security_groups" not in gaps:
                gaps["security_groups"] = Gap(
                    "security_groups", "find the nodes' security groups", "elasticache:DescribeCacheClusters",
                    "no node lists a security group", title="no cache node lists a security group",
                    remediation="Check the nodes exist (DescribeCacheClusters) and belong to a VPC subnet group.",
                )
            return CacheFacts(
                group=group,
                window=self.window,
                prod=self.prod,
                nodes=nodes.value or (),
                metrics=metrics.value or {},
                period=period_for(self.window),
                alarms=alarms.value or (),
                events=events.value or (),
                services=services,
                cache_groups=tuple(by_id[g] for g in cache_sgs if g in by_id),
                service_groups=tuple(by_id[g] for g in services.security_groups if g in by_id),
                service_routes=routes.value or {},
                gaps=gaps,
            )

    # -- phase 1 ------------------------------------------------------------------------------------
    def _group(self) -> ReplicationGroup:
        elasticache = self.c["elasticache"]
        try:
            found = elasticache.describe_replication_groups(ReplicationGroupId=self.group_id)["ReplicationGroups"]
        except Exception as exc:
            if is_fatal(exc):
                raise
            if error_code(exc) != "ReplicationGroupNotFoundFault":
                if error_code(exc):
                    raise refused("elasticache:DescribeReplicationGroups", exc,
                                  "check the credentials' ElastiCache read permissions") from None
                raise
            found = []
        if not found:
            known = [str(g["ReplicationGroupId"])
                     for g in paginate(elasticache, "describe_replication_groups", "ReplicationGroups")]
            raise PopcornError(
                f"replication group {self.group_id!r} not found ({self.where})",
                f"pass --replication-group ID or check --env; groups here: {', '.join(sorted(known)) or 'none'}",
            )
        return convert.replication_group(found[0])

    # -- phase 2 ------------------------------------------------------------------------------------
    def _nodes(self, group: ReplicationGroup) -> tuple[Node, ...]:
        raw = paginate(self.c["elasticache"], "describe_cache_clusters", "CacheClusters", ShowCacheNodeInfo=True)
        members = set(group.member_ids)
        mine = [c for c in raw if c.get("ReplicationGroupId") == group.id or c.get("CacheClusterId") in members]
        return tuple(sorted((convert.node(c) for c in mine), key=lambda n: n.id))

    def _events(self, group: ReplicationGroup) -> tuple[CacheEvent, ...]:
        sources = {group.id, *group.member_ids}
        raw = paginate(self.c["elasticache"], "describe_events", "Events",
                       StartTime=self.window.start, EndTime=self.window.end)
        return tuple(convert.event(e) for e in raw if e.get("SourceIdentifier") in sources)

    def _metrics(self, group: ReplicationGroup) -> dict[str, tuple[float, ...]]:
        queries = [
            Query(series_key(key, node), NAMESPACE, metric, stat, (("CacheClusterId", node),))
            for node in group.member_ids
            for key, (metric, stat) in METRICS.items()
        ]
        return fetch_metrics(self.c["cloudwatch"], queries, self.window)

    def _services(self, pool: Pool) -> EcsServices:
        if not self.cluster:
            return EcsServices(given_security_groups=self.security_groups)
        cluster = self.cluster
        outcome = attempt(lambda: fetch_services(self.c["ecs"], cluster, pool, self.security_groups))
        return outcome.value if outcome.value is not None else unread(cluster, outcome.error or "",
                                                                       self.security_groups)
