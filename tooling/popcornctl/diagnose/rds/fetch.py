"""The one fetch step of ``diagnose rds``: every AWS read about one DB instance, concurrent, no judgement.

Phase 1 reads the instance (its refusal or absence ends the run with one line). Phase 2 reads, concurrently,
CloudWatch metrics (one GetMetricData call), events, alarms, the DB subnets' routes and NACLs, the instance's
security groups, where the ECS services connect from, and the master secret. Phase 3 reads what phase 2
pointed at: the names of referenced security groups, the ECS groups, subnets' routes and NACLs.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from popcornctl.diagnose.calls import Outcome, attempt, chunks, paginate
from popcornctl.diagnose.cloudwatch import Alarm, fetch_alarms
from popcornctl.diagnose.facts import Gap, collect, gap
from popcornctl.diagnose.failures import describe_error, error_code, is_fatal, refused
from popcornctl.diagnose.pool import Pool
from popcornctl.diagnose.rds import convert
from popcornctl.diagnose.rds.facts import EcsSide, Instance, Metrics, RdsEvent, RdsFacts, Secret
from popcornctl.diagnose.vpc.fetch import (
    fetch_nacls,
    fetch_security_groups,
    fetch_security_groups_named,
    fetch_subnet_routes,
)
from popcornctl.errors import PopcornError

if TYPE_CHECKING:
    from popcornctl.aws import Clients
    from popcornctl.diagnose.window import Window

CLIENTS = ("rds", "ec2", "cloudwatch", "secretsmanager", "ecs")
METRICS = {
    "free_min": ("FreeStorageSpace", "Minimum"),
    "cpu_avg": ("CPUUtilization", "Average"),
    "cpu_max": ("CPUUtilization", "Maximum"),
    "conn_max": ("DatabaseConnections", "Maximum"),
    "read_lat": ("ReadLatency", "Average"),
    "write_lat": ("WriteLatency", "Average"),
    "mem_min": ("FreeableMemory", "Minimum"),
}


class RdsFetch:
    """Reads one DB instance and its surroundings; calling it returns :class:`RdsFacts`."""

    def __init__(
        self,
        clients: Clients,
        instance: str,
        window: Window,
        *,
        prod: bool = False,
        prefix: str | None = None,
        ecs_cluster: str | None = None,
        ecs_security_groups: list[str] | None = None,
        ecs_subnets: list[str] | None = None,
        where: str = "",
        max_workers: int = 8,
    ) -> None:
        self.c: dict[str, Any] = {name: clients.client(name) for name in CLIENTS}  # all before any thread
        self.instance_id = instance
        self.window = window
        self.prod = prod
        self.prefix = prefix
        self.ecs_cluster = ecs_cluster
        self.ecs_security_groups = list(ecs_security_groups or [])
        self.ecs_subnets = list(ecs_subnets or [])
        self.where = where
        self.max_workers = max_workers

    def __call__(self) -> RdsFacts:
        db = self._instance()
        with Pool(self.max_workers, "diagnose-rds") as pool:
            ec2 = self.c["ec2"]
            futures = {
                "metrics": pool.submit(attempt, lambda: self._metrics(db)),
                "events": pool.submit(attempt, self._events),
                "alarms": pool.submit(attempt, self._alarms),
                "routes": pool.submit(attempt, lambda: fetch_subnet_routes(ec2, db.subnet_ids)),
                "db_groups": pool.submit(attempt, lambda: fetch_security_groups(ec2, list(db.security_groups))),
                "db_nacls": pool.submit(attempt, lambda: fetch_nacls(ec2, db.subnet_ids)),
                "ecs": pool.submit(attempt, self._ecs_side),
                "secret": pool.submit(attempt, lambda: self._secret(db.secret_arn)),
            }
            got: dict[str, Outcome[Any]] = {key: future.result() for key, future in futures.items()}
            facts = RdsFacts(
                instance=db,
                window=self.window,
                prod=self.prod,
                metrics=got["metrics"].value or Metrics(),
                events=got["events"].value or (),
                alarms=got["alarms"].value or (),
                routes=got["routes"].value or {},
                db_groups=tuple(got["db_groups"].value or ()),
                db_nacls=got["db_nacls"].value or {},
                ecs=_ecs_side(got["ecs"]),
                secret=got["secret"].value,
                gaps=collect(
                    gap(got["metrics"], "metrics", "read CloudWatch metrics", "cloudwatch:GetMetricData"),
                    gap(got["events"], "events", "read RDS events", "rds:DescribeEvents"),
                    gap(got["alarms"], "alarms", "list CloudWatch alarms", "cloudwatch:DescribeAlarms"),
                    gap(got["routes"], "routes", "read the subnets' route tables", "ec2:DescribeRouteTables"),
                    gap(got["db_groups"], "db_groups", "read the security groups", "ec2:DescribeSecurityGroups"),
                    gap(got["secret"], "secret", "read the master user secret", "secretsmanager:DescribeSecret"),
                ),
            )
            return self._surroundings(pool, facts)

    # -- phase 1 ------------------------------------------------------------------------------------
    def _instance(self) -> Instance:
        rds = self.c["rds"]
        try:
            found = rds.describe_db_instances(DBInstanceIdentifier=self.instance_id)["DBInstances"]
        except Exception as exc:
            if is_fatal(exc):
                raise
            if error_code(exc) != "DBInstanceNotFound":
                if error_code(exc):
                    raise refused(
                        "rds:DescribeDBInstances", exc, "check the credentials' RDS read permissions"
                    ) from None
                raise
            found = []
        if not found:
            known = [str(d["DBInstanceIdentifier"]) for d in paginate(rds, "describe_db_instances", "DBInstances")]
            raise PopcornError(
                f"DB instance {self.instance_id!r} not found ({self.where})",
                f"pass --instance ID or check --env; instances here: {', '.join(sorted(known)) or 'none'}",
            )
        return convert.instance(found[0])

    # -- phase 2 ------------------------------------------------------------------------------------
    def _metrics(self, db: Instance) -> Metrics:
        span = int(self.window.since.total_seconds())
        period = max(60, math.ceil(span / 100 / 60) * 60)
        dims = [{"Name": "DBInstanceIdentifier", "Value": db.id}]
        queries = [
            {
                "Id": key,
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/RDS", "MetricName": metric, "Dimensions": dims},
                    "Period": period,
                    "Stat": stat,
                },
                "ReturnData": True,
            }
            for key, (metric, stat) in METRICS.items()
        ]
        values: dict[str, list[float]] = {key: [] for key in METRICS}
        response = self.c["cloudwatch"].get_metric_data(
            MetricDataQueries=queries, StartTime=self.window.start, EndTime=self.window.end + timedelta(minutes=5)
        )
        for result in response.get("MetricDataResults", []):
            values[str(result["Id"])].extend(float(v) for v in result.get("Values", []))
        return Metrics(**{key: tuple(v) for key, v in values.items()})

    def _events(self) -> tuple[RdsEvent, ...]:
        events = paginate(
            self.c["rds"],
            "describe_events",
            "Events",
            SourceIdentifier=self.instance_id,
            SourceType="db-instance",
            StartTime=self.window.start,
            EndTime=self.window.end,
        )
        return tuple(RdsEvent(str(e.get("Message", "")), e.get("Date")) for e in events)

    def _alarms(self) -> tuple[Alarm, ...]:
        alarms = fetch_alarms(self.c["cloudwatch"], composite=False)
        return tuple(
            a
            for a in alarms
            if a.dimension("DBInstanceIdentifier") == self.instance_id or a.name.startswith(self.instance_id)
        )

    def _ecs_side(self) -> EcsSide:
        groups, subnets, notes = list(self.ecs_security_groups), list(self.ecs_subnets), []
        source = "given" if groups else ""
        if self.ecs_cluster:
            try:
                found_groups, found_subnets = self._cluster_network(self.ecs_cluster)
                if not self.ecs_security_groups:
                    groups += found_groups
                subnets += found_subnets
                if groups and not source:
                    source = f"the services of {self.ecs_cluster}"
            except Exception as exc:
                if is_fatal(exc):
                    raise
                notes.append(f"could not read the services of {self.ecs_cluster}: {describe_error(exc)}")
        if not groups and self.prefix:
            name = f"{self.prefix}-ecs"
            named = fetch_security_groups_named(self.c["ec2"], name)
            groups = [g.id for g in named]
            source = f"the security group named {name}" if named else ""
        return EcsSide(tuple(dict.fromkeys(groups)), tuple(dict.fromkeys(subnets)), source, tuple(notes))

    def _cluster_network(self, cluster: str) -> tuple[list[str], list[str]]:
        ecs = self.c["ecs"]
        groups: list[str] = []
        subnets: list[str] = []
        arns = paginate(ecs, "list_services", "serviceArns", cluster=cluster, maxResults=100)
        for batch in chunks(arns, 10):
            for svc in ecs.describe_services(cluster=cluster, services=batch).get("services", []):
                conf = (svc.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
                groups += [str(g) for g in conf.get("securityGroups", [])]
                subnets += [str(s) for s in conf.get("subnets", [])]
        return groups, subnets

    def _secret(self, arn: str | None) -> Secret | None:
        if not arn:
            return None
        try:
            raw = self.c["secretsmanager"].describe_secret(SecretId=arn)
        except Exception as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return Secret(exists=False)
            raise
        return Secret(
            rotation_enabled=bool(raw.get("RotationEnabled")),
            rotation_days=(raw.get("RotationRules") or {}).get("AutomaticallyAfterDays"),
            last_rotated=raw.get("LastRotatedDate"),
            deleted=bool(raw.get("DeletedDate")),
        )

    # -- phase 3 ------------------------------------------------------------------------------------
    def _surroundings(self, pool: Pool, facts: RdsFacts) -> RdsFacts:
        ec2 = self.c["ec2"]
        side = facts.ecs
        known = {g.id for g in facts.db_groups}
        referenced = list(
            dict.fromkeys(s.value for g in facts.db_groups for p in g.ingress for s in p.sources if s.kind == "sg")
        )
        f_names = pool.submit(attempt, lambda: fetch_security_groups(ec2, [r for r in referenced if r not in known]))
        f_groups = pool.submit(attempt, lambda: fetch_security_groups(ec2, list(side.security_groups)))
        f_routes = pool.submit(attempt, lambda: fetch_subnet_routes(ec2, list(side.subnets)))
        f_nacls = pool.submit(attempt, lambda: fetch_nacls(ec2, list(side.subnets)))
        names = {g.id: g.name for g in facts.db_groups}
        names.update({g.id: g.name for g in f_names.result().value or ()})  # labels only: best effort
        ecs_groups, ecs_routes = f_groups.result(), f_routes.result()
        gaps = dict(facts.gaps)
        error = ecs_groups.error or ecs_routes.error
        if side.security_groups and error:
            gaps["ecs_network"] = Gap(
                "ecs_network",
                "read the ECS services' security groups and subnets",
                "ec2:DescribeSecurityGroups, ec2:DescribeSubnets, ec2:DescribeRouteTables",
                error,
            )
        return replace(
            facts,
            group_names=names,
            ecs_groups=tuple(ecs_groups.value or ()),
            ecs_routes=ecs_routes.value or {},
            ecs_nacls=f_nacls.result().value or {},  # best effort, as the DB side's reasoning needs none
            gaps=gaps,
        )


def _ecs_side(outcome: Outcome[EcsSide]) -> EcsSide:
    if outcome.value is not None:
        return outcome.value
    return EcsSide(notes=(outcome.error or "",))
