"""``diagnose rds``: is the database up, reachable from the ECS services (and only from them), and healthy?

Beyond AWSSupport-TroubleshootConnectivityToRDS (status, security groups, NACLs, routes between source and
database) it checks what no public tool does: public accessibility against the subnet group's route
tables, storage headroom against the autoscaling ceiling, Performance Insights, parameter-group sync and
the managed master secret. CloudWatch metrics are read with one GetMetricData call.
"""

from __future__ import annotations

import math
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from popcornctl.diagnose.awsutil import (
    Window,
    aware,
    chunks,
    describe_error,
    error_code,
    fatal_error,
    human_age,
    is_fatal,
    paginate,
    unique,
)
from popcornctl.diagnose.findings import Finding, Status, TargetReport, worst
from popcornctl.diagnose.network import (
    Peer,
    SubnetRoute,
    cidr_covers,
    fetch_nacls,
    fetch_subnet_routes,
    nacl_allows,
    peers,
    reach,
)
from popcornctl.diagnose.rules import Rule, classify_rds_event, classify_rds_status
from popcornctl.errors import PopcornError

if TYPE_CHECKING:
    from collections.abc import Callable

    from popcornctl.aws import Clients

GIB = 1024**3
STORAGE_FAIL_PCT = 10.0
STORAGE_WARN_PCT = 20.0
CEILING_WARN = 0.9
CPU_AVG_FAIL, CPU_MAX_WARN = 80.0, 90.0
CONN_FAIL, CONN_WARN = 0.95, 0.8
LATENCY_FAIL, LATENCY_WARN = 0.1, 0.02  # seconds
RESTORE_LAG = timedelta(minutes=15)
PROD_RETENTION_DAYS = 7

# DB instance class size -> memory in GiB, per family letter (t: burstable, m: general, r: memory).
_SIZE_GIB = {
    "t": {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32},
    "m": {
        "large": 8,
        "xlarge": 16,
        "2xlarge": 32,
        "4xlarge": 64,
        "8xlarge": 128,
        "12xlarge": 192,
        "16xlarge": 256,
        "24xlarge": 384,
    },
    "r": {
        "large": 16,
        "xlarge": 32,
        "2xlarge": 64,
        "4xlarge": 128,
        "8xlarge": 256,
        "12xlarge": 384,
        "16xlarge": 512,
        "24xlarge": 768,
    },
}
_CLASS = re.compile(r"^db\.(?P<family>[a-z])[a-z0-9-]*\.(?P<size>[0-9]*x?[a-z]+)$")


def class_memory_gib(instance_class: str) -> int | None:
    """Approximate memory of a DB instance class (None when unknown)."""
    match = _CLASS.match(instance_class)
    if not match:
        return None
    return _SIZE_GIB.get(match.group("family"), {}).get(match.group("size"))


def max_connections(engine: str, instance_class: str) -> int | None:
    """The default max_connections formula of the engine for the class (approximate)."""
    memory = class_memory_gib(instance_class)
    if memory is None:
        return None
    total = memory * GIB
    if "postgres" in engine:
        return min(total // 9531392, 5000)
    if "mysql" in engine or "mariadb" in engine:
        return total // 12582880
    return None


@dataclass
class EcsSide:
    """Where the ECS services connect from: their security groups and subnets."""

    security_groups: list[str] = field(default_factory=list)
    subnets: list[str] = field(default_factory=list)
    source: str = ""
    notes: list[str] = field(default_factory=list)


class RdsDiagnoser:
    """Diagnose one DB instance."""

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
        names = ["rds", "ec2", "cloudwatch", "secretsmanager", "ecs"]
        made = {name: clients.client(name) for name in names}  # all clients before threads
        self.rds, self.ec2, self.cw, self.sm, self.ecs = (made[n] for n in names)
        self.region = clients.target.region
        self.instance = instance
        self.window = window
        self.prod = prod
        self.prefix = prefix
        self.ecs_cluster = ecs_cluster
        self.ecs_security_groups = list(ecs_security_groups or [])
        self.ecs_subnets = list(ecs_subnets or [])
        self.where = where
        self.max_workers = max_workers

    # -- fetching -------------------------------------------------------------------------------
    def _describe(self) -> dict[str, Any]:
        try:
            found = self.rds.describe_db_instances(DBInstanceIdentifier=self.instance)["DBInstances"]
        except Exception as exc:
            if is_fatal(exc):
                raise fatal_error(exc, self.where) from None
            if error_code(exc) == "DBInstanceNotFound":
                found = []
            elif error_code(exc):
                raise PopcornError(
                    f"AWS refused rds:DescribeDBInstances: {describe_error(exc)}",
                    "check the credentials' RDS read permissions",
                ) from None
            else:
                raise
        if not found:
            known = [str(d["DBInstanceIdentifier"]) for d in paginate(self.rds, "describe_db_instances", "DBInstances")]
            raise PopcornError(
                f"DB instance {self.instance!r} not found ({self.where})",
                f"pass --instance ID or check --env; instances here: {', '.join(sorted(known)) or 'none'}",
            )
        return dict(found[0])

    def _metrics(self, db: dict[str, Any]) -> dict[str, list[float]]:
        span = int(self.window.since.total_seconds())
        period = max(60, math.ceil(span / 100 / 60) * 60)
        dims = [{"Name": "DBInstanceIdentifier", "Value": str(db["DBInstanceIdentifier"])}]
        wanted = {
            "free_min": ("FreeStorageSpace", "Minimum"),
            "cpu_avg": ("CPUUtilization", "Average"),
            "cpu_max": ("CPUUtilization", "Maximum"),
            "conn_max": ("DatabaseConnections", "Maximum"),
            "read_lat": ("ReadLatency", "Average"),
            "write_lat": ("WriteLatency", "Average"),
            "mem_min": ("FreeableMemory", "Minimum"),
        }
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
            for key, (metric, stat) in wanted.items()
        ]
        values: dict[str, list[float]] = {key: [] for key in wanted}
        response = self.cw.get_metric_data(
            MetricDataQueries=queries, StartTime=self.window.start, EndTime=self.window.end + timedelta(minutes=5)
        )
        for result in response.get("MetricDataResults", []):
            values[str(result["Id"])].extend(float(v) for v in result.get("Values", []))
        return values

    def _events(self) -> list[dict[str, Any]]:
        return paginate(
            self.rds,
            "describe_events",
            "Events",
            SourceIdentifier=self.instance,
            SourceType="db-instance",
            StartTime=self.window.start,
            EndTime=self.window.end,
        )

    def _alarms(self) -> list[dict[str, Any]]:
        alarms = paginate(self.cw, "describe_alarms", "MetricAlarms", StateValue="ALARM")
        out = []
        for alarm in alarms:
            dims = {str(d.get("Name")): str(d.get("Value")) for d in alarm.get("Dimensions", [])}
            for metric in alarm.get("Metrics", []) or []:
                for d in ((metric.get("MetricStat") or {}).get("Metric") or {}).get("Dimensions", []):
                    dims[str(d.get("Name"))] = str(d.get("Value"))
            if dims.get("DBInstanceIdentifier") == self.instance or str(alarm.get("AlarmName", "")).startswith(
                self.instance
            ):
                out.append(alarm)
        return out

    def _ecs_side(self) -> EcsSide:
        side = EcsSide(security_groups=list(self.ecs_security_groups), subnets=list(self.ecs_subnets))
        if side.security_groups:
            side.source = "given"
        if self.ecs_cluster:
            try:
                arns = paginate(self.ecs, "list_services", "serviceArns", cluster=self.ecs_cluster, maxResults=100)
                for batch in chunks(arns, 10):
                    for svc in self.ecs.describe_services(cluster=self.ecs_cluster, services=batch).get("services", []):
                        conf = (svc.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
                        if not self.ecs_security_groups:
                            side.security_groups += [str(g) for g in conf.get("securityGroups", [])]
                        side.subnets += [str(s) for s in conf.get("subnets", [])]
                if side.security_groups and not side.source:
                    side.source = f"the services of {self.ecs_cluster}"
            except Exception as exc:
                if is_fatal(exc):
                    raise
                side.notes.append(f"could not read the services of {self.ecs_cluster}: {describe_error(exc)}")
        if not side.security_groups and self.prefix:
            name = f"{self.prefix}-ecs"
            groups = self.ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}]).get(
                "SecurityGroups", []
            )
            side.security_groups = [str(g["GroupId"]) for g in groups]
            side.source = f"the security group named {name}" if groups else ""
        side.security_groups = unique(side.security_groups)
        side.subnets = unique(side.subnets)
        return side

    def _groups(self, ids: list[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        return list(self.ec2.describe_security_groups(GroupIds=ids).get("SecurityGroups", []))

    def _secret(self, arn: str) -> dict[str, Any]:
        return dict(self.sm.describe_secret(SecretId=arn))

    # -- the run ----------------------------------------------------------------------------------
    def run(self) -> list[TargetReport]:
        """One report for the instance."""
        try:
            return self._run()
        except Exception as exc:
            if is_fatal(exc):  # credentials expired or the endpoint vanished mid-run
                raise fatal_error(exc, self.where) from None
            raise

    def _run(self) -> list[TargetReport]:
        db = self._describe()
        port = int((db.get("Endpoint") or {}).get("Port") or db.get("DbInstancePort") or 5432)
        db_subnets = [str(s["SubnetIdentifier"]) for s in (db.get("DBSubnetGroup") or {}).get("Subnets", [])]
        db_sg_ids = [str(g["VpcSecurityGroupId"]) for g in db.get("VpcSecurityGroups", [])]
        secret_arn = (db.get("MasterUserSecret") or {}).get("SecretArn")
        with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="diagnose-rds") as pool:
            futures: dict[str, Future[Any]] = {
                "metrics": pool.submit(self._metrics, db),
                "events": pool.submit(self._events),
                "alarms": pool.submit(self._alarms),
                "routes": pool.submit(fetch_subnet_routes, self.ec2, db_subnets),
                "db_groups": pool.submit(self._groups, db_sg_ids),
                "ecs": pool.submit(self._ecs_side),
                "db_nacls": pool.submit(fetch_nacls, self.ec2, db_subnets),
            }
            if secret_arn:
                futures["secret"] = pool.submit(self._secret, str(secret_arn))
            got: dict[str, Any] = {}
            errors: dict[str, str] = {}
            for key, future in futures.items():
                try:
                    got[key] = future.result()
                except Exception as exc:
                    if is_fatal(exc):
                        raise fatal_error(exc, self.where) from None
                    errors[key] = describe_error(exc)
                    got[key] = None
                    if key == "secret":
                        got["secret_code"] = error_code(exc)
        report = TargetReport(kind="rds-instance", name=str(db["DBInstanceIdentifier"]), arn=db.get("DBInstanceArn"))
        report.facts = _facts(db)
        checks: list[tuple[str, Callable[[], list[Finding]]]] = [
            ("rds.status", lambda: self._check_status(db, report)),
            ("rds.endpoint", lambda: self._check_endpoint(db)),
            ("rds.exposure", lambda: self._check_exposure(db, got, errors, port)),
            ("rds.ecs-access", lambda: self._check_ecs_access(db, got, errors, port)),
            ("rds.subnet-group", lambda: self._check_subnet_group(db)),
            ("rds.multi-az", lambda: self._check_multi_az(db)),
            ("rds.storage", lambda: self._check_storage(db, got.get("metrics"), errors.get("metrics"))),
            ("rds.metrics", lambda: self._check_metrics(db, got.get("metrics"), errors.get("metrics"))),
            ("rds.events", lambda: self._check_events(got.get("events"), errors.get("events"))),
            ("rds.backups", lambda: self._check_backups(db)),
            ("rds.performance-insights", lambda: self._check_pi(db)),
            ("rds.parameter-group", lambda: self._check_parameter_groups(db)),
            ("rds.master-secret", lambda: self._check_secret(db, got, errors)),
            ("alarms", lambda: self._check_alarms(got.get("alarms"), errors.get("alarms"))),
        ]
        for check, fn in checks:
            try:
                for finding in fn():
                    report.add(finding)
            except Exception as exc:
                if is_fatal(exc):
                    raise fatal_error(exc, self.where) from None
                report.add(
                    Finding(
                        check,
                        Status.WARN,
                        f"could not check: {describe_error(exc)}",
                        remediation="grant the credentials read access to this API, then run again",
                    )
                )
        return [report]

    # -- checks -------------------------------------------------------------------------------------
    def _check_status(self, db: dict[str, Any], report: TargetReport) -> list[Finding]:
        status = str(db.get("DBInstanceStatus", "?"))
        rule = classify_rds_status(status)
        if rule.status is Status.FAIL:
            report.down = True
        out = [
            Finding(
                "rds.status",
                rule.status,
                f"status {status}" + ("" if status == "available" else f": {rule.title}"),
                cause=None if rule.status is Status.OK else rule.cause,
                remediation=None if rule.status is Status.OK else rule.remediation,
                rule=rule.id,
            )
        ]
        pending = {k: v for k, v in (db.get("PendingModifiedValues") or {}).items() if v not in (None, [], {})}
        if pending:
            out.append(
                Finding(
                    "rds.pending",
                    Status.WARN,
                    f"{len(pending)} pending modification(s)",
                    evidence=[f"{k}: {v}" for k, v in pending.items()],
                    cause="Changes made without apply_immediately wait for the maintenance window "
                    f"({db.get('PreferredMaintenanceWindow', '?')}); some cause a restart.",
                    remediation="Apply them in a quiet hour (apply_immediately = true, or wait for the window).",
                )
            )
        return out

    def _check_endpoint(self, db: dict[str, Any]) -> list[Finding]:
        endpoint = db.get("Endpoint") or {}
        if not endpoint.get("Address"):
            return [
                Finding(
                    "rds.endpoint",
                    Status.FAIL,
                    "no endpoint yet",
                    cause="The instance is still being created or has failed.",
                    remediation="Wait for status 'available'; see the events.",
                )
            ]
        return [Finding("rds.endpoint", Status.OK, f"endpoint {endpoint['Address']}:{endpoint.get('Port')}")]

    def _check_exposure(
        self, db: dict[str, Any], got: dict[str, Any], errors: dict[str, str], port: int
    ) -> list[Finding]:
        out = []
        groups: list[dict[str, Any]] = got.get("db_groups") or []
        if errors.get("db_groups"):
            out.append(
                Finding(
                    "rds.security-groups", Status.WARN, f"could not read the security groups: {errors['db_groups']}"
                )
            )
        routes: dict[str, SubnetRoute] = got.get("routes") or {}
        rules = peers(groups, port)
        open_rules = [p for p in rules if p.is_open]
        public_flag = bool(db.get("PubliclyAccessible"))
        public_subnets = [r for r in routes.values() if r.via_igw]
        route_evidence = [
            f"subnet {r.subnet_id} ({r.az}): 0.0.0.0/0 -> {r.default_target or 'none'}" for r in routes.values()
        ]
        fix = (
            "Set publicly_accessible = false, place the subnet group in private subnets (no internet-gateway "
            f"route), and allow {port} only from the ECS services' security group."
        )
        if errors.get("routes"):
            out.append(
                Finding("rds.exposure", Status.WARN, f"could not read the subnets' route tables: {errors['routes']}")
            )
        elif public_flag and public_subnets:
            if open_rules:
                out.append(
                    Finding(
                        "rds.exposure",
                        Status.FAIL,
                        f"reachable from the internet: publicly accessible, internet-gateway route, {port} open to "
                        f"{', '.join(unique(p.value for p in open_rules))}",
                        evidence=route_evidence + [f"{p.rule_in} allows {port} from {p.value}" for p in open_rules],
                        cause="The endpoint resolves to a public IP, the subnets route to an internet gateway and the "
                        "security group admits anyone: the database is exposed to the whole internet.",
                        remediation=fix,
                    )
                )
            else:
                out.append(
                    Finding(
                        "rds.exposure",
                        Status.WARN,
                        "publicly accessible in public subnets: only the security group protects it",
                        evidence=route_evidence,
                        cause="The endpoint resolves to a public IP reachable through the internet gateway.",
                        remediation=fix,
                    )
                )
        elif public_flag:
            out.append(
                Finding(
                    "rds.exposure",
                    Status.WARN,
                    "PubliclyAccessible is set but no subnet routes to an internet gateway",
                    evidence=route_evidence,
                    cause="The endpoint resolves to a public IP that cannot be reached; clients inside the VPC still "
                    "connect, but the flag is misleading and one route-table change away from exposure.",
                    remediation="Set publicly_accessible = false.",
                )
            )
        elif public_subnets:
            out.append(
                Finding(
                    "rds.exposure",
                    Status.WARN,
                    f"private instance in public subnets: {', '.join(r.subnet_id for r in public_subnets)}",
                    evidence=route_evidence,
                    cause="The subnet group includes subnets with an internet-gateway route; the instance is not "
                    "public today, but turning the flag on would expose it.",
                    remediation="Use the VPC's private database subnets for the DB subnet group.",
                )
            )
        else:
            out.append(
                Finding(
                    "rds.exposure",
                    Status.OK,
                    "not publicly accessible; subnets have no internet-gateway route",
                    evidence=route_evidence,
                )
            )
        out.append(self._sg_finding(groups, rules, open_rules, port, public_flag and bool(public_subnets)))
        return out

    def _sg_finding(
        self, groups: list[dict[str, Any]], rules: list[Peer], open_rules: list[Peer], port: int, exposed: bool
    ) -> Finding:
        names = {str(g["GroupId"]): str(g.get("GroupName", "")) for g in groups}
        referenced = [p.value for p in rules if p.kind == "sg" and p.value not in names]
        if referenced:
            try:
                names.update({str(g["GroupId"]): str(g.get("GroupName", "")) for g in self._groups(unique(referenced))})
            except Exception as exc:
                if is_fatal(exc):
                    raise
        evidence = [
            f"{p.rule_in} allows {port} from {p.label(names)}" + (f" ({p.description})" if p.description else "")
            for p in rules
        ]
        if not groups:
            return Finding("rds.security-groups", Status.WARN, "no security groups readable for the instance")
        if not rules:
            return Finding(
                "rds.security-groups",
                Status.FAIL,
                f"no security-group rule allows {port}: nothing can connect",
                evidence=[f"groups: {', '.join(names)}"],
                cause="Every connection attempt times out.",
                remediation=f"Allow {port} from the ECS services' security group on the RDS security group.",
            )
        if open_rules:
            return Finding(
                "rds.security-groups",
                Status.FAIL if exposed else Status.WARN,
                f"{port} is open to {', '.join(unique(p.value for p in open_rules))}",
                evidence=evidence,
                cause="Any address that can route to the database may try to log in"
                + (" — including the internet." if exposed else " (the VPC and anything peered with it)."),
                remediation=f"Replace the 0.0.0.0/0 rule with one allowing {port} from the ECS security group only.",
            )
        sources = ", ".join(unique(p.label(names) for p in rules))
        return Finding("rds.security-groups", Status.OK, f"{port} reachable only from: {sources}", evidence=evidence)

    def _check_ecs_access(
        self, db: dict[str, Any], got: dict[str, Any], errors: dict[str, str], port: int
    ) -> list[Finding]:
        side: EcsSide | None = got.get("ecs")
        if side is None or not side.security_groups:
            notes = (side.notes if side else []) + ([errors["ecs"]] if errors.get("ecs") else [])
            return [
                Finding(
                    "rds.ecs-access",
                    Status.WARN,
                    "could not find the ECS services' security group",
                    evidence=notes,
                    cause="Without it the ECS -> database path cannot be checked.",
                    remediation="Pass --ecs-security-group sg-... (or --env with an applied env stack).",
                )
            ]
        db_groups: list[dict[str, Any]] = got.get("db_groups") or []
        ecs_groups = self._groups(side.security_groups)
        ecs_routes = fetch_subnet_routes(self.ec2, side.subnets) if side.subnets else {}
        ecs_cidrs = unique(r.cidr for r in ecs_routes.values() if r.cidr)
        db_routes: dict[str, SubnetRoute] = got.get("routes") or {}
        db_cidrs = unique(r.cidr for r in db_routes.values() if r.cidr)
        evidence = [f"ECS security group(s) {', '.join(side.security_groups)} (from {side.source})"]
        problems: list[str] = []
        db_vpc = (db.get("DBSubnetGroup") or {}).get("VpcId")
        other_vpc = [g["GroupId"] for g in ecs_groups if db_vpc and g.get("VpcId") != db_vpc]
        if other_vpc:
            problems.append(
                f"ECS security group(s) {', '.join(other_vpc)} are in another VPC than the database "
                f"({db_vpc}): without peering there is no path"
            )
        ingress = reach(db_groups, port, side.security_groups, ecs_cidrs)
        evidence += ingress.via
        if not ingress.allowed:
            problems.append(
                f"the RDS security group(s) do not allow {port} from {', '.join(side.security_groups)}"
                + (f" or from the ECS subnets {', '.join(ingress.uncovered_cidrs)}" if ingress.uncovered_cidrs else "")
            )
        egress_rules = peers(ecs_groups, port, direction="egress")
        db_sg_ids = {str(g["GroupId"]) for g in db_groups}
        egress_ok = any(
            (p.kind == "sg" and p.value in db_sg_ids)
            or (p.kind == "cidr" and (p.is_open or (db_cidrs and all(cidr_covers(p.value, c) for c in db_cidrs))))
            for p in egress_rules
        )
        if egress_rules or ecs_groups:
            if egress_ok:
                evidence.append(f"ECS egress allows {port} towards the database")
            else:
                problems.append(f"the ECS security group's egress rules do not allow {port} to the database")
        problems += self._nacl_problems(got.get("db_nacls") or {}, db_cidrs, ecs_cidrs, side.subnets, port, evidence)
        if problems:
            return [
                Finding(
                    "rds.ecs-access",
                    Status.FAIL,
                    "the ECS services cannot reach the database: " + problems[0],
                    evidence=problems[1:] + evidence,
                    cause="Connections from the services time out (the app logs 'connection timed out' on "
                    f"{(db.get('Endpoint') or {}).get('Address', 'the endpoint')}:{port}).",
                    remediation=f"Add an ingress rule on the RDS security group: tcp {port} from the ECS security "
                    "group (aws_vpc_security_group_ingress_rule referenced_security_group_id); keep ECS egress to it "
                    "open.",
                )
            ]
        return [Finding("rds.ecs-access", Status.OK, f"the ECS services can reach {port}", evidence=evidence)]

    def _nacl_problems(
        self,
        db_nacls: dict[str, dict[str, Any]],
        db_cidrs: list[str],
        ecs_cidrs: list[str],
        ecs_subnets: list[str],
        port: int,
        evidence: list[str],
    ) -> list[str]:
        problems: list[str] = []
        if not ecs_cidrs:
            return problems
        for subnet, acl in db_nacls.items():
            for cidr in ecs_cidrs:
                ok, rule = nacl_allows(acl, egress=False, cidr=cidr, port=port)
                if not ok:
                    problems.append(f"network ACL of DB subnet {subnet} blocks {port} from {cidr} ({rule})")
                ok, rule = nacl_allows(acl, egress=True, cidr=cidr, port=None)
                if not ok:
                    problems.append(f"network ACL of DB subnet {subnet} blocks replies to {cidr} ({rule})")
        try:
            ecs_nacls = fetch_nacls(self.ec2, ecs_subnets)
        except Exception as exc:
            if is_fatal(exc):
                raise
            ecs_nacls = {}
        for subnet, acl in ecs_nacls.items():
            for cidr in db_cidrs:
                ok, rule = nacl_allows(acl, egress=True, cidr=cidr, port=port)
                if not ok:
                    problems.append(f"network ACL of ECS subnet {subnet} blocks {port} to {cidr} ({rule})")
        if db_nacls and not problems:
            evidence.append("network ACLs allow the traffic both ways")
        return problems

    def _check_subnet_group(self, db: dict[str, Any]) -> list[Finding]:
        group = db.get("DBSubnetGroup") or {}
        azs = sorted({str((s.get("SubnetAvailabilityZone") or {}).get("Name")) for s in group.get("Subnets", [])})
        name = group.get("DBSubnetGroupName", "?")
        if len(azs) < 2:
            return [
                Finding(
                    "rds.subnet-group",
                    Status.FAIL if db.get("MultiAZ") else Status.WARN,
                    f"subnet group {name} covers {len(azs)} AZ: {', '.join(azs) or 'none'}",
                    cause="A standby or a restore needs a second AZ; with one AZ an AZ outage takes the database down.",
                    remediation="Add a private subnet in a second AZ to the DB subnet group.",
                )
            ]
        return [Finding("rds.subnet-group", Status.OK, f"subnet group {name} covers {len(azs)} AZs: {', '.join(azs)}")]

    def _check_multi_az(self, db: dict[str, Any]) -> list[Finding]:
        multi = bool(db.get("MultiAZ"))
        if multi:
            where = f"primary {db.get('AvailabilityZone')}, standby {db.get('SecondaryAvailabilityZone', '?')}"
            return [Finding("rds.multi-az", Status.OK, f"Multi-AZ ({where})")]
        if self.prod:
            return [
                Finding(
                    "rds.multi-az",
                    Status.FAIL,
                    "single-AZ in a production environment",
                    cause="An AZ outage or a host failure takes the database down until it is replaced (tens of "
                    "minutes); maintenance reboots are full outages.",
                    remediation="Set multi_az = true (applied in the maintenance window, or now with "
                    "apply_immediately).",
                )
            ]
        return [Finding("rds.multi-az", Status.OK, f"single-AZ in {db.get('AvailabilityZone')} (fine outside prod)")]

    def _check_storage(
        self, db: dict[str, Any], metrics: dict[str, list[float]] | None, error: str | None
    ) -> list[Finding]:
        allocated = int(db.get("AllocatedStorage") or 0)
        ceiling = int(db.get("MaxAllocatedStorage") or 0)
        facts = [
            f"allocated {allocated} GiB" + (f", autoscaling up to {ceiling} GiB" if ceiling else ", no autoscaling")
        ]
        if error or metrics is None:
            return [Finding("rds.storage", Status.WARN, f"could not read FreeStorageSpace: {error}", evidence=facts)]
        free = metrics.get("free_min") or []
        if not free or not allocated:
            return [
                Finding(
                    "rds.storage",
                    Status.WARN,
                    f"no FreeStorageSpace datapoints in the last {human_age(self.window.since)}",
                    evidence=facts,
                    remediation="Check the instance reports metrics (it must be available).",
                )
            ]
        free_gib = min(free) / GIB
        pct = 100.0 * free_gib / allocated
        room = ceiling > allocated and allocated < CEILING_WARN * ceiling
        facts.append(f"lowest free space {free_gib:.1f} GiB ({pct:.0f}% of allocated)")
        if ceiling and allocated >= CEILING_WARN * ceiling:
            facts.append(f"allocated storage is at {100 * allocated / ceiling:.0f}% of the autoscaling ceiling")
        if pct < STORAGE_FAIL_PCT:
            status = Status.WARN if room else Status.FAIL
            title = f"storage nearly full: {pct:.0f}% free ({free_gib:.1f} of {allocated} GiB)"
            cause = (
                "Storage autoscaling will add space (it triggers below 10% free) — watch it does."
                if room
                else "When it reaches zero the instance goes to storage-full and writes stop."
            )
            return [
                Finding(
                    "rds.storage",
                    status,
                    title,
                    evidence=facts,
                    cause=cause,
                    remediation="Increase allocated_storage and set max_allocated_storage (autoscaling) with "
                    "room above it; find what grows (bloat, WAL held by a replication slot, temp files).",
                )
            ]
        if pct < STORAGE_WARN_PCT or (ceiling and allocated >= CEILING_WARN * ceiling):
            return [
                Finding(
                    "rds.storage",
                    Status.WARN,
                    f"storage headroom low: {pct:.0f}% free",
                    evidence=facts,
                    cause="Growth at the current rate runs out of space soon"
                    + (" and autoscaling is near its ceiling." if ceiling else " and autoscaling is off."),
                    remediation="Raise max_allocated_storage (or allocated_storage).",
                )
            ]
        return [
            Finding(
                "rds.storage", Status.OK, f"storage {pct:.0f}% free ({free_gib:.1f} of {allocated} GiB)", evidence=facts
            )
        ]

    def _check_metrics(
        self, db: dict[str, Any], metrics: dict[str, list[float]] | None, error: str | None
    ) -> list[Finding]:
        if error or metrics is None:
            return [Finding("rds.metrics", Status.WARN, f"could not read CloudWatch metrics: {error}")]
        keys = ("cpu_avg", "cpu_max", "conn_max", "read_lat", "write_lat")
        if not any(metrics.get(k) for k in keys):
            return [
                Finding(
                    "rds.metrics",
                    Status.WARN,
                    f"no CPU/connection/latency datapoints in the last {human_age(self.window.since)}",
                    remediation="Check the instance is available and reporting to CloudWatch.",
                )
            ]
        problems: list[tuple[Status, str]] = []
        evidence: list[str] = []
        cpu_avg = _mean(metrics.get("cpu_avg"))
        cpu_max = max(metrics.get("cpu_max") or [0.0])
        if metrics.get("cpu_avg") or metrics.get("cpu_max"):
            evidence.append(f"CPU average {cpu_avg:.0f}%, peak {cpu_max:.0f}%")
            if cpu_avg >= CPU_AVG_FAIL:
                problems.append((Status.FAIL, f"CPU averages {cpu_avg:.0f}%"))
            elif cpu_max >= CPU_MAX_WARN:
                problems.append((Status.WARN, f"CPU peaks at {cpu_max:.0f}%"))
        if metrics.get("conn_max"):
            peak = max(metrics["conn_max"])
            limit = max_connections(str(db.get("Engine", "")), str(db.get("DBInstanceClass", "")))
            if limit:
                evidence.append(f"connections peak {peak:.0f} of about {limit} (default max_connections)")
                if peak >= CONN_FAIL * limit:
                    problems.append((Status.FAIL, f"connections at {peak:.0f} of about {limit}"))
                elif peak >= CONN_WARN * limit:
                    problems.append((Status.WARN, f"connections at {peak:.0f} of about {limit}"))
            else:
                evidence.append(f"connections peak {peak:.0f}")
        for key, label in (("read_lat", "read"), ("write_lat", "write")):
            if metrics.get(key):
                latency = _mean(metrics[key])
                evidence.append(f"{label} latency average {latency * 1000:.1f} ms")
                if latency >= LATENCY_FAIL:
                    problems.append((Status.FAIL, f"{label} latency {latency * 1000:.0f} ms"))
                elif latency >= LATENCY_WARN:
                    problems.append((Status.WARN, f"{label} latency {latency * 1000:.0f} ms"))
        memory = class_memory_gib(str(db.get("DBInstanceClass", "")))
        if metrics.get("mem_min") and memory:
            low = min(metrics["mem_min"]) / GIB
            evidence.append(f"freeable memory low point {low:.2f} GiB of {memory} GiB")
            if low < 0.05 * memory:
                problems.append((Status.WARN, f"freeable memory down to {low:.2f} GiB"))
        status = worst(s for s, _ in problems)
        if status is Status.OK:
            return [
                Finding(
                    "rds.metrics",
                    Status.OK,
                    f"CPU, connections and latency normal over the last {human_age(self.window.since)}",
                    evidence=evidence,
                )
            ]
        return [
            Finding(
                "rds.metrics",
                status,
                "; ".join(p for _, p in problems),
                evidence=evidence,
                cause="The instance is saturated: slow queries, connection storms or too small a class.",
                remediation="Open Performance Insights (top SQL / wait events), pool connections (RDS Proxy, smaller "
                "app pools), or move to a larger instance class.",
            )
        ]

    def _check_events(self, events: list[dict[str, Any]] | None, error: str | None) -> list[Finding]:
        if error or events is None:
            return [Finding("rds.events", Status.WARN, f"could not read RDS events: {error}")]
        classified: list[tuple[dict[str, Any], Rule]] = []
        for event in events:
            rule = classify_rds_event(str(event.get("Message", "")))
            if rule is not None:
                classified.append((event, rule))
        if not classified:
            return [
                Finding(
                    "rds.events",
                    Status.OK,
                    f"{len(events)} event(s) in the last {human_age(self.window.since)}, none alarming",
                )
            ]
        classified.sort(
            key=lambda pair: aware(pair[0]["Date"]) if pair[0].get("Date") else self.window.end, reverse=True
        )
        evidence = [
            f"{human_age(self.window.end - aware(e['Date'])) + ' ago' if e.get('Date') else ''}: {e.get('Message')}"
            for e, _ in classified[:8]
        ]
        top = max((r for _, r in classified), key=lambda r: r.status.rank)
        return [
            Finding(
                "rds.events",
                top.status,
                f"{len(classified)} notable event(s): {top.title}",
                evidence=evidence,
                cause=top.cause,
                remediation=top.remediation,
                rule=top.id,
            )
        ]

    def _check_backups(self, db: dict[str, Any]) -> list[Finding]:
        retention = int(db.get("BackupRetentionPeriod") or 0)
        if retention == 0:
            return [
                Finding(
                    "rds.backups",
                    Status.FAIL,
                    "automated backups are off (retention 0 days)",
                    cause="No point-in-time recovery: a bad migration or deletion is unrecoverable.",
                    remediation="Set backup_retention_period to 7 or more.",
                )
            ]
        latest = db.get("LatestRestorableTime")
        evidence = [f"retention {retention} day(s), backup window {db.get('PreferredBackupWindow', '?')}"]
        problems: list[tuple[Status, str]] = []
        if latest is None:
            problems.append((Status.WARN, "no latest restorable time yet"))
        else:
            lag = self.window.end - aware(latest)
            evidence.append(f"latest restorable time {human_age(lag)} ago")
            if lag > RESTORE_LAG:
                problems.append(
                    (Status.WARN, f"latest restorable time is {human_age(lag)} old (normally under 5 minutes)")
                )
        if self.prod and retention < PROD_RETENTION_DAYS:
            problems.append(
                (Status.WARN, f"retention {retention} day(s) in production (expected {PROD_RETENTION_DAYS}+)")
            )
        if problems:
            return [
                Finding(
                    "rds.backups",
                    worst(s for s, _ in problems),
                    problems[0][1],
                    evidence=evidence,
                    cause="Transaction-log backups lag or retention is short: recovery points are missing.",
                    remediation="Check the events for backup failures; raise backup_retention_period.",
                )
            ]
        return [
            Finding(
                "rds.backups",
                Status.OK,
                f"backups on ({retention} days), point-in-time recovery current",
                evidence=evidence,
            )
        ]

    def _check_pi(self, db: dict[str, Any]) -> list[Finding]:
        if db.get("PerformanceInsightsEnabled"):
            days = db.get("PerformanceInsightsRetentionPeriod")
            return [
                Finding(
                    "rds.performance-insights",
                    Status.OK,
                    "Performance Insights on" + (f" ({days} days retention)" if days else ""),
                )
            ]
        return [
            Finding(
                "rds.performance-insights",
                Status.WARN,
                "Performance Insights is off",
                cause="Without it a slow or saturated database cannot be explained (top SQL, wait events).",
                remediation="Set performance_insights_enabled = true (7 days retention is free).",
            )
        ]

    def _check_parameter_groups(self, db: dict[str, Any]) -> list[Finding]:
        groups = db.get("DBParameterGroups", [])
        stale = [g for g in groups if g.get("ParameterApplyStatus") != "in-sync"]
        if stale:
            return [
                Finding(
                    "rds.parameter-group",
                    Status.WARN,
                    ", ".join(f"{g.get('DBParameterGroupName')} is {g.get('ParameterApplyStatus')}" for g in stale),
                    cause="Static parameters changed but the instance has not been rebooted: the running values differ "
                    "from the parameter group.",
                    remediation="Reboot the instance in a quiet hour (aws rds reboot-db-instance) to apply them.",
                )
            ]
        names = ", ".join(str(g.get("DBParameterGroupName")) for g in groups) or "none"
        return [Finding("rds.parameter-group", Status.OK, f"parameter group {names} in sync")]

    def _check_secret(self, db: dict[str, Any], got: dict[str, Any], errors: dict[str, str]) -> list[Finding]:
        managed = db.get("MasterUserSecret") or {}
        if not managed.get("SecretArn"):
            return [
                Finding(
                    "rds.master-secret",
                    Status.WARN,
                    "the master password is not managed by Secrets Manager",
                    cause="A password set in Terraform lives in the state file and is never rotated.",
                    remediation="Set manage_master_user_password = true (RDS creates and rotates the secret).",
                )
            ]
        arn = str(managed["SecretArn"])
        if got.get("secret_code") == "ResourceNotFoundException":
            return [
                Finding(
                    "rds.master-secret",
                    Status.FAIL,
                    "the master user secret does not exist",
                    evidence=[arn],
                    cause="The secret was deleted; apps reading it cannot connect.",
                    remediation="Turn manage_master_user_password off and on again to re-create it.",
                )
            ]
        if errors.get("secret"):
            return [
                Finding(
                    "rds.master-secret",
                    Status.WARN,
                    f"could not read the master user secret: {errors['secret']}",
                    evidence=[arn],
                )
            ]
        secret = got.get("secret") or {}
        evidence = [arn, f"status {managed.get('SecretStatus', '?')}"]
        if secret.get("DeletedDate"):
            return [
                Finding(
                    "rds.master-secret",
                    Status.FAIL,
                    "the master user secret is scheduled for deletion",
                    evidence=evidence,
                    remediation="Restore it: aws secretsmanager restore-secret.",
                )
            ]
        if managed.get("SecretStatus") not in (None, "active", "creating"):
            return [
                Finding(
                    "rds.master-secret",
                    Status.FAIL,
                    f"the master user secret is {managed.get('SecretStatus')}",
                    evidence=evidence,
                    cause="RDS cannot use or rotate the secret (often a KMS key problem).",
                    remediation="Check the secret's KMS key is enabled and usable by RDS.",
                )
            ]
        if not secret.get("RotationEnabled"):
            return [
                Finding(
                    "rds.master-secret",
                    Status.WARN,
                    "the master user secret is not rotated",
                    evidence=evidence,
                    remediation="Enable rotation on the RDS-managed secret (default every 7 days).",
                )
            ]
        days = (secret.get("RotationRules") or {}).get("AutomaticallyAfterDays")
        last = secret.get("LastRotatedDate")
        if last:
            evidence.append(f"last rotated {human_age(self.window.end - aware(last))} ago")
        return [
            Finding(
                "rds.master-secret",
                Status.OK,
                "master password in Secrets Manager, rotated" + (f" every {days} days" if days else ""),
                evidence=evidence,
            )
        ]

    def _check_alarms(self, alarms: list[dict[str, Any]] | None, error: str | None) -> list[Finding]:
        if error or alarms is None:
            return [Finding("alarms", Status.WARN, f"could not list CloudWatch alarms: {error}")]
        if not alarms:
            return [Finding("alarms", Status.OK, "no CloudWatch alarm in ALARM for this instance")]
        return [
            Finding(
                "alarms",
                Status.FAIL,
                f"{len(alarms)} CloudWatch alarm(s) in ALARM",
                evidence=[f"{a.get('AlarmName')}: {a.get('StateReason', '')}"[:300] for a in alarms],
                cause="A database metric crossed its threshold.",
                remediation="Act on the metric (storage, CPU, connections), or fix the alarm's threshold.",
            )
        ]


def _mean(values: list[float] | None) -> float:
    return sum(values) / len(values) if values else 0.0


def _facts(db: dict[str, Any]) -> dict[str, str]:
    endpoint = db.get("Endpoint") or {}
    group = db.get("DBSubnetGroup") or {}
    return {
        "engine": f"{db.get('Engine')} {db.get('EngineVersion')}",
        "class": str(db.get("DBInstanceClass")),
        "status": str(db.get("DBInstanceStatus")),
        "endpoint": f"{endpoint.get('Address', '-')}:{endpoint.get('Port', '-')}",
        "multi-AZ": "yes" if db.get("MultiAZ") else "no",
        "storage": f"{db.get('AllocatedStorage')} GiB {db.get('StorageType', '')}".strip()
        + (f", autoscaling to {db['MaxAllocatedStorage']} GiB" if db.get("MaxAllocatedStorage") else ""),
        "network": f"{group.get('VpcId', '?')}, subnet group {group.get('DBSubnetGroupName', '?')}, public "
        f"{'yes' if db.get('PubliclyAccessible') else 'no'}",
        "security groups": ", ".join(str(g.get("VpcSecurityGroupId")) for g in db.get("VpcSecurityGroups", []))
        or "none",
    }
