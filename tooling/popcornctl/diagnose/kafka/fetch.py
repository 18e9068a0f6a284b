"""The one fetch step of ``diagnose kafka``: every AWS read about the brokers, concurrent, no judgement.

Phase 1 finds the brokers (by instance id, else by the ec2-kafka module's Name tag ``<prefix>-kafka-*``; none
found ends the run with one line). Phase 2 reads, concurrently: the status checks of every broker (one
DescribeInstanceStatus call), their volumes (attached ones, and volumes tagged KafkaNodeId that may be detached),
the private zone's records (ListHostedZonesByName, ListResourceRecordSets), the alarms (one listing: thresholds,
and the CloudWatch agent's namespace and data path), and the ECS services. Phase 3: the agent's memory and disk
metrics (one GetMetricData call), the brokers' and services' security groups (one call), the services' subnets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from popcornctl.diagnose.calls import Outcome, attempt, paginate, unique
from popcornctl.diagnose.cloudwatch import MetricAlarm, Query, fetch_metric_alarms, fetch_metrics, period_for
from popcornctl.diagnose.facts import collect, gap
from popcornctl.diagnose.failures import error_code, is_fatal, refused
from popcornctl.diagnose.kafka import convert
from popcornctl.diagnose.kafka.facts import AGENT_NAMESPACE, DATA_PATH, Broker, KafkaFacts, Layout, StatusCheck, Volume
from popcornctl.diagnose.pool import Pool
from popcornctl.diagnose.services import EcsServices, fetch_services, unread
from popcornctl.diagnose.vpc.fetch import fetch_security_groups, fetch_subnet_routes
from popcornctl.errors import PopcornError

if TYPE_CHECKING:
    from popcornctl.aws import Clients
    from popcornctl.diagnose.window import Window

CLIENTS = ("ec2", "route53", "cloudwatch", "ecs")
LIVE = ["pending", "running", "stopping", "stopped", "shutting-down"]


class KafkaFetch:
    """Reads the brokers and what surrounds them; calling it returns :class:`KafkaFacts`."""

    def __init__(
        self,
        clients: Clients,
        window: Window,
        layout: Layout,
        *,
        instance_ids: tuple[str, ...] = (),
        prefix: str | None = None,
        cluster: str | None = None,
        security_groups: tuple[str, ...] = (),
        where: str = "",
        max_workers: int = 8,
    ) -> None:
        self.c: dict[str, Any] = {name: clients.client(name) for name in CLIENTS}  # all before any thread
        self.window = window
        self.layout = layout
        self.instance_ids = instance_ids
        self.prefix = prefix
        self.cluster = cluster
        self.security_groups = security_groups
        self.where = where
        self.max_workers = max_workers

    def __call__(self) -> KafkaFacts:
        brokers = self._brokers()
        ids = [b.instance_id for b in brokers]
        ec2 = self.c["ec2"]
        with Pool(self.max_workers, "diagnose-kafka") as pool:
            f_status = pool.submit(attempt, lambda: self._status(ids))
            f_volumes = pool.submit(attempt, lambda: self._volumes(ids))
            f_dns = pool.submit(attempt, self._records)
            f_alarms = pool.submit(attempt, lambda: self._alarms(ids))
            services = self._services(pool)
            alarms: Outcome[tuple[MetricAlarm, ...]] = f_alarms.result()
            namespace, path = agent(alarms.value or ())
            f_metrics = pool.submit(attempt, lambda: self._metrics(ids, namespace, path))
            kafka_sgs = unique(g for b in brokers for g in b.security_groups)
            wanted = unique(kafka_sgs + list(services.security_groups))
            f_groups = pool.submit(attempt, lambda: fetch_security_groups(ec2, wanted))
            f_routes = pool.submit(attempt, lambda: fetch_subnet_routes(ec2, list(services.subnets)))
            status, volumes, dns = f_status.result(), f_volumes.result(), f_dns.result()
            metrics, groups, routes = f_metrics.result(), f_groups.result(), f_routes.result()
            by_id = {g.id: g for g in groups.value or ()}
            zone_id, records = dns.value or (None, {})
            return KafkaFacts(
                brokers=brokers,
                window=self.window,
                layout=self.layout,
                status=status.value or {},
                volumes=volumes.value or (),
                zone_id=zone_id,
                records=records,
                metrics=metrics.value or {},
                period=period_for(self.window),
                alarms=alarms.value or (),
                agent_namespace=namespace,
                data_path=path,
                services=services,
                kafka_groups=tuple(by_id[g] for g in kafka_sgs if g in by_id),
                service_groups=tuple(by_id[g] for g in services.security_groups if g in by_id),
                service_routes=routes.value or {},
                gaps=collect(
                    gap(status, "status", "read the status checks", "ec2:DescribeInstanceStatus"),
                    gap(volumes, "volumes", "read the volumes", "ec2:DescribeVolumes"),
                    gap(dns, "dns", "read the private zone's records", "route53:ListResourceRecordSets"),
                    gap(metrics, "metrics", "read CloudWatch metrics", "cloudwatch:GetMetricData"),
                    gap(alarms, "alarms", "list CloudWatch alarms", "cloudwatch:DescribeAlarms"),
                    gap(groups, "security_groups", "read the security groups", "ec2:DescribeSecurityGroups"),
                ),
            )

    # -- phase 1 ------------------------------------------------------------------------------------
    def _brokers(self) -> tuple[Broker, ...]:
        ec2 = self.c["ec2"]
        if self.instance_ids:
            kwargs: dict[str, Any] = {"InstanceIds": list(self.instance_ids)}
            how = f"instances {', '.join(self.instance_ids)}"
        elif self.prefix:
            kwargs = {"Filters": [{"Name": "tag:Name", "Values": [f"{self.prefix}-kafka-*"]},
                                  {"Name": "instance-state-name", "Values": LIVE}]}
            how = f"instances named {self.prefix}-kafka-*"
        else:
            raise PopcornError("no Kafka brokers to diagnose", "pass --env or --instance i-... (repeatable)")
        try:
            reservations = paginate(ec2, "describe_instances", "Reservations", **kwargs)
        except Exception as exc:
            if is_fatal(exc) or not error_code(exc):
                raise
            if not str(error_code(exc)).startswith("InvalidInstanceID"):
                raise refused("ec2:DescribeInstances", exc, "check the credentials' EC2 read permissions") from None
            reservations = []
        raw = [i for r in reservations for i in r.get("Instances", [])]
        brokers = [convert.broker(i, n) for n, i in enumerate(raw, start=1)]
        if not brokers:
            raise PopcornError(f"no Kafka brokers found: {how} ({self.where})",
                               "pass --instance i-... or check --env (the env stack's kafka_instance_ids output)")
        return tuple(sorted(brokers, key=lambda b: (len(b.node_id), b.node_id)))

    # -- phase 2 ------------------------------------------------------------------------------------
    def _status(self, ids: list[str]) -> dict[str, StatusCheck]:
        raw = paginate(self.c["ec2"], "describe_instance_status", "InstanceStatuses", InstanceIds=ids,
                       IncludeAllInstances=True)
        return {str(s["InstanceId"]): convert.status(s) for s in raw}

    def _volumes(self, ids: list[str]) -> tuple[Volume, ...]:
        ec2 = self.c["ec2"]
        attached = paginate(ec2, "describe_volumes", "Volumes",
                            Filters=[{"Name": "attachment.instance-id", "Values": ids}])
        filters = [{"Name": "tag-key", "Values": ["KafkaNodeId"]}]
        if self.prefix:
            filters.append({"Name": "tag:Name", "Values": [f"{self.prefix}-kafka-*"]})
        tagged = paginate(ec2, "describe_volumes", "Volumes", Filters=filters)
        seen: dict[str, Volume] = {}
        for raw in attached + tagged:
            seen.setdefault(str(raw["VolumeId"]), convert.volume(raw))
        return tuple(seen.values())

    def _records(self) -> tuple[str | None, dict[str, tuple[str, ...]]]:
        route53 = self.c["route53"]
        zone = self.layout.zone.rstrip(".") + "."
        zones = route53.list_hosted_zones_by_name(DNSName=zone).get("HostedZones", [])
        found = next((z for z in zones if z.get("Name") == zone and (z.get("Config") or {}).get("PrivateZone")), None)
        if found is None:
            return None, {}
        records: dict[str, tuple[str, ...]] = {}
        for record in paginate(route53, "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=found["Id"]):
            if record.get("Type") == "A":
                name = str(record["Name"]).rstrip(".").lower()
                records[name] = tuple(str(v["Value"]) for v in record.get("ResourceRecords") or [])
        return str(found["Id"]), records

    def _alarms(self, ids: list[str]) -> tuple[MetricAlarm, ...]:
        alarms = fetch_metric_alarms(self.c["cloudwatch"], None)
        return tuple(a for a in alarms if a.dimension("InstanceId") in ids)

    def _services(self, pool: Pool) -> EcsServices:
        if not self.cluster:
            return EcsServices(given_security_groups=self.security_groups)
        cluster = self.cluster
        outcome = attempt(lambda: fetch_services(self.c["ecs"], cluster, pool, self.security_groups))
        return outcome.value if outcome.value is not None else unread(cluster, outcome.error or "",
                                                                       self.security_groups)

    # -- phase 3 ------------------------------------------------------------------------------------
    def _metrics(self, ids: list[str], namespace: str, path: str) -> dict[str, tuple[float, ...]]:
        queries = []
        for instance in ids:
            queries.append(Query(f"memory@{instance}", namespace, "mem_used_percent", "Maximum",
                                 (("InstanceId", instance),)))
            queries.append(Query(f"disk@{instance}", namespace, "disk_used_percent", "Maximum",
                                 (("InstanceId", instance), ("path", path))))
        return fetch_metrics(self.c["cloudwatch"], queries, self.window)


def agent(alarms: tuple[MetricAlarm, ...]) -> tuple[str, str]:
    """The CloudWatch agent's namespace and the data volume's mount path, as the brokers' alarms name them."""
    memory = next((a for a in alarms if a.metric == "mem_used_percent"), None)
    disk = next((a for a in alarms if a.metric == "disk_used_percent" and a.dimension("path")), None)
    found = disk or memory
    namespace = found.namespace if found else AGENT_NAMESPACE
    return namespace, (disk.dimension("path") or DATA_PATH) if disk else DATA_PATH
