"""``diagnose ecs``: a cluster summary, then per service what is unhealthy, the evidence, the cause and the fix.

API budget (the reason for the shape of :meth:`EcsDiagnoser.run`): DescribeServices in batches of 10,
ListTasks per cluster (paginated, 100 per page) instead of per service, DescribeTasks in batches of 100
for every task at once, one DescribeTaskDefinition per distinct revision, one DescribeAlarms listing,
DescribeTargetGroups in batches. Per-service work (target health, log tails, secret and role look-ups)
runs concurrently on clients created up front (clients are thread-safe, sessions are not); look-ups shared
by services (roles, secrets, subnets) are memoised so each is made once.
"""

from __future__ import annotations

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from popcornctl.diagnose.awsutil import (
    Memo,
    Window,
    arn_name,
    aware,
    chunks,
    describe_error,
    error_code,
    fatal_error,
    human_age,
    is_fatal,
    mib,
    paginate,
    unique,
)
from popcornctl.diagnose.findings import Finding, Status, TargetReport, worst
from popcornctl.diagnose.iam import RoleInspector
from popcornctl.diagnose.network import fetch_endpoint_services, fetch_subnet_routes, missing_endpoints, route_lines
from popcornctl.diagnose.rules import (
    ContainerExit,
    Rule,
    StopInfo,
    classify_event,
    classify_stop,
    classify_target_health,
)
from popcornctl.errors import PopcornError

if TYPE_CHECKING:
    from collections.abc import Callable

    from popcornctl.aws import Clients

SERVICE_BATCH = 10  # DescribeServices limit
TASK_BATCH = 100  # DescribeTasks limit
TARGET_GROUP_BATCH = 20
PER_SERVICE_LISTING = 3  # list tasks per service (serviceName filter) when diagnosing at most this many
IN_PROGRESS_WARN = timedelta(minutes=15)
IN_PROGRESS_FAIL = timedelta(minutes=30)
PENDING_STUCK = timedelta(minutes=10)
LOG_LINES = 5
EVIDENCE_TASKS = 3
EXEC_ACTIONS = [
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
]
ECR_PULL_ACTIONS = ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
LOGS_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"]

# Fargate task sizes: cpu units -> valid memory (MiB).
FARGATE_SIZES: dict[int, list[int]] = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4097, 1024)),
    1024: list(range(2048, 8193, 1024)),
    2048: list(range(4096, 16385, 1024)),
    4096: list(range(8192, 30721, 1024)),
    8192: list(range(16384, 61441, 4096)),
    16384: list(range(32768, 122881, 8192)),
}

_ERROR_LINE = re.compile(
    r"\b(error|exception|fatal|panic|traceback|critical|failed|refused|denied|killed|caused by)\b", re.IGNORECASE
)
_EVENT_NOISE = re.compile(
    r"[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|ecs-svc/\d+|\b\d+\b", re.IGNORECASE
)
_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/(?P<repo>[^:@]+)"
    r"(:(?P<tag>[^@]+))?(@(?P<digest>.+))?$"
)

# stopped-task rules whose cause is the network path, and the endpoints that path would need
_NETWORK_RULES: dict[str, list[str]] = {
    "pull.no-route": ["ecr.api", "ecr.dkr", "s3"],
    "pull.no-route-s3": ["s3"],
    "net.dns": ["ecr.api", "ecr.dkr", "s3", "logs", "secretsmanager", "ssm"],
    "secrets.unreachable": ["secretsmanager", "ssm", "kms"],
    "logs.unreachable": ["logs"],
    "init.env-files": ["s3"],
}


@dataclass
class EcsClients:
    """Every client the ECS diagnosis uses, created before any thread starts."""

    ecs: Any
    elbv2: Any
    logs: Any
    cloudwatch: Any
    iam: Any
    secretsmanager: Any
    ssm: Any
    ec2: Any
    ecr: Any
    region: str

    @classmethod
    def create(cls, clients: Clients) -> EcsClients:
        """Create the clients from the one factory (popcornctl.aws.Clients)."""
        names = ["ecs", "elbv2", "logs", "cloudwatch", "iam", "secretsmanager", "ssm", "ec2", "ecr"]
        made = {name: clients.client(name) for name in names}
        return cls(**made, region=clients.target.region)


@dataclass
class ServiceContext:
    """What was fetched about one service before it is judged."""

    service: dict[str, Any]
    task_definition: dict[str, Any] | None
    task_definition_error: str | None
    stopped: list[dict[str, Any]] = field(default_factory=list)  # in the window, newest first
    running: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The service name."""
        return str(self.service["serviceName"])

    @property
    def events(self) -> list[dict[str, Any]]:
        """The service's events, newest first."""
        return list(self.service.get("events", []))


class EcsDiagnoser:
    """Diagnose one cluster and (some of) its services."""

    def __init__(
        self,
        clients: Clients,
        cluster: str,
        services: list[str] | None,
        window: Window,
        *,
        max_workers: int = 16,
        where: str = "",
    ) -> None:
        self.c = EcsClients.create(clients)
        self.cluster_name = cluster
        self.service_names = services
        self.window = window
        self.max_workers = max_workers
        self.where = where
        self.roles = RoleInspector(self.c.iam)
        self._task_definitions: Memo[str, dict[str, Any]] = Memo(self._fetch_task_definition)
        self._secrets: Memo[str, dict[str, Any]] = Memo(
            lambda arn: dict(self.c.secretsmanager.describe_secret(SecretId=arn))
        )
        self._parameters: Memo[str, dict[str, Any]] = Memo(self._fetch_parameter)
        self._routes: Memo[tuple[str, ...], Any] = Memo(lambda subnets: fetch_subnet_routes(self.c.ec2, list(subnets)))
        self._endpoints: Memo[str, list[str]] = Memo(lambda vpc: fetch_endpoint_services(self.c.ec2, vpc))
        self._log_groups: Memo[str, bool] = Memo(self._log_group_exists)
        self._images: Memo[tuple[str, str, str], str] = Memo(self._image_state)
        self.cluster: dict[str, Any] = {}
        self.alarms: list[dict[str, Any]] = []
        self.alarms_error: str | None = None
        self.target_groups: dict[str, dict[str, Any]] = {}
        self.missing_services: list[str] = []

    # -- fetching ---------------------------------------------------------------------------------
    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        """Run a call whose failure ends the run: credentials/endpoint problems and refusals become PopcornError."""
        try:
            return fn()
        except Exception as exc:
            if is_fatal(exc):
                raise fatal_error(exc, self.where) from None
            if error_code(exc):
                raise PopcornError(
                    f"AWS refused {what}: {describe_error(exc)}",
                    "check the credentials' ECS read permissions (ecs:Describe*, ecs:List*)",
                ) from None
            raise

    def _describe_cluster(self) -> dict[str, Any]:
        response = self._call(
            "ecs:DescribeClusters",
            lambda: self.c.ecs.describe_clusters(
                clusters=[self.cluster_name], include=["SETTINGS", "CONFIGURATIONS", "STATISTICS"]
            ),
        )
        found = [c for c in response.get("clusters", []) if c.get("status") != "INACTIVE"]
        if not found:
            arns = self._call("ecs:ListClusters", lambda: paginate(self.c.ecs, "list_clusters", "clusterArns"))
            known = ", ".join(sorted(arn_name(a) for a in arns)) or "none"
            raise PopcornError(
                f"ECS cluster {self.cluster_name!r} not found ({self.where})",
                f"pass --cluster NAME or check --env; clusters here: {known}",
            )
        return dict(found[0])

    def _describe_services(self, pool: ThreadPoolExecutor) -> list[dict[str, Any]]:
        if self.service_names is None:
            names = self._call(
                "ecs:ListServices",
                lambda: paginate(self.c.ecs, "list_services", "serviceArns", cluster=self.cluster_name, maxResults=100),
            )
        else:
            names = unique(self.service_names)
        batches = list(chunks(names, SERVICE_BATCH))
        results = pool.map(
            lambda batch: self._call(
                "ecs:DescribeServices",
                lambda: self.c.ecs.describe_services(cluster=self.cluster_name, services=batch),
            ),
            batches,
        )
        services: list[dict[str, Any]] = []
        for response in results:
            services.extend(response.get("services", []))
            self.missing_services.extend(arn_name(f.get("arn", "?")) for f in response.get("failures", []))
        return sorted(services, key=lambda s: str(s["serviceName"]))

    def _list_task_arns(self, status: str, services: list[str] | None) -> list[str]:
        if services is not None and len(services) <= PER_SERVICE_LISTING:
            arns: list[str] = []
            for name in services:
                arns += paginate(
                    self.c.ecs,
                    "list_tasks",
                    "taskArns",
                    cluster=self.cluster_name,
                    serviceName=name,
                    desiredStatus=status,
                    maxResults=100,
                )
            return unique(arns)
        return paginate(
            self.c.ecs, "list_tasks", "taskArns", cluster=self.cluster_name, desiredStatus=status, maxResults=100
        )

    def _describe_tasks(self, pool: ThreadPoolExecutor, arns: list[str]) -> list[dict[str, Any]]:
        batches = list(chunks(unique(arns), TASK_BATCH))
        tasks: list[dict[str, Any]] = []
        for response in pool.map(
            lambda batch: self.c.ecs.describe_tasks(cluster=self.cluster_name, tasks=batch), batches
        ):
            tasks.extend(response.get("tasks", []))
        return tasks

    def _fetch_task_definition(self, arn: str) -> dict[str, Any]:
        return dict(self.c.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"])

    def _fetch_parameter(self, name: str) -> dict[str, Any]:
        return dict(self.c.ssm.get_parameters(Names=[name], WithDecryption=False))

    def _fetch_alarms(self) -> list[dict[str, Any]]:
        alarms: list[dict[str, Any]] = []
        for page in self.c.cloudwatch.get_paginator("describe_alarms").paginate(
            StateValue="ALARM", AlarmTypes=["MetricAlarm", "CompositeAlarm"]
        ):
            alarms.extend(page.get("MetricAlarms", []))
            alarms.extend(page.get("CompositeAlarms", []))
        return alarms

    def _fetch_target_groups(self, arns: list[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for batch in chunks(arns, TARGET_GROUP_BATCH):
            for tg in self.c.elbv2.describe_target_groups(TargetGroupArns=batch).get("TargetGroups", []):
                out[str(tg["TargetGroupArn"])] = dict(tg)
        return out

    def _log_group_exists(self, group: str) -> bool:
        groups = self.c.logs.describe_log_groups(logGroupNamePrefix=group).get("logGroups", [])
        return any(g.get("logGroupName") == group for g in groups)

    def _image_state(self, key: tuple[str, str, str]) -> str:
        account, repo, tag = key
        try:
            self.c.ecr.describe_images(registryId=account, repositoryName=repo, imageIds=[{"imageTag": tag}])
        except Exception as exc:
            code = error_code(exc)
            if code == "ImageNotFoundException":
                return f"tag {tag!r} is not in ECR repository {repo}"
            if code == "RepositoryNotFoundException":
                return f"ECR repository {repo} does not exist in account {account}"
            raise
        return f"tag {tag!r} exists in {repo} now (pushed after the tasks failed? redeploy)"

    # -- the run ----------------------------------------------------------------------------------
    def run(self) -> list[TargetReport]:
        """Cluster summary first, then one report per service."""
        try:
            return self._run()
        except Exception as exc:
            if is_fatal(exc):  # credentials expired or the endpoint vanished mid-run
                raise fatal_error(exc, self.where) from None
            raise

    def _run(self) -> list[TargetReport]:
        self.cluster = self._describe_cluster()
        with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="diagnose-ecs") as pool:
            services = self._describe_services(pool)
            names = [str(s["serviceName"]) for s in services]
            listed = self.service_names is not None
            f_stopped = pool.submit(self._list_task_arns, "STOPPED", names if listed else None)
            f_running = pool.submit(self._list_task_arns, "RUNNING", names if listed else None)
            f_alarms = pool.submit(self._fetch_alarms)
            tg_arns = unique(
                str(lb["targetGroupArn"])
                for s in services
                for lb in s.get("loadBalancers", [])
                if lb.get("targetGroupArn")
            )
            f_tgs = pool.submit(self._fetch_target_groups, tg_arns)
            for arn in unique(str(s["taskDefinition"]) for s in services if s.get("taskDefinition")):
                pool.submit(self._task_definitions, arn)
            arns = self._call("ecs:ListTasks", lambda: f_stopped.result() + f_running.result())
            tasks = self._call("ecs:DescribeTasks", lambda: self._describe_tasks(pool, arns))
            self.alarms, self.alarms_error = _soft(f_alarms.result, [])
            self.target_groups, _ = _soft(f_tgs.result, {})
            contexts = self._contexts(services, tasks)
            reports = list(pool.map(self._diagnose_service, contexts))
        return [self._cluster_report(reports), *reports]

    def _contexts(self, services: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> list[ServiceContext]:
        by_group: dict[str, list[dict[str, Any]]] = {}
        for task in tasks:
            by_group.setdefault(str(task.get("group", "")), []).append(task)
        contexts = []
        for svc in services:
            mine = by_group.get(f"service:{svc['serviceName']}", [])
            stopped = [t for t in mine if t.get("desiredStatus") == "STOPPED" or t.get("lastStatus") == "STOPPED"]
            stopped = [t for t in stopped if self.window.contains(t.get("stoppedAt") or t.get("stoppingAt"))]
            stopped.sort(key=lambda t: aware(t.get("stoppedAt") or t.get("createdAt") or self.window.end), reverse=True)
            stopped_ids = {id(t) for t in stopped}
            running = [t for t in mine if id(t) not in stopped_ids and t.get("desiredStatus") == "RUNNING"]
            td_arn = svc.get("taskDefinition")
            outcome = self._task_definitions(str(td_arn)) if td_arn else None
            contexts.append(
                ServiceContext(
                    service=svc,
                    task_definition=outcome.value if outcome else None,
                    task_definition_error=outcome.error if outcome else "the service has no task definition",
                    stopped=stopped,
                    running=running,
                )
            )
        return contexts

    # -- per service --------------------------------------------------------------------------------
    def _diagnose_service(self, ctx: ServiceContext) -> TargetReport:
        svc = ctx.service
        report = TargetReport(kind="ecs-service", name=ctx.name, arn=svc.get("serviceArn"))
        report.facts = self._service_facts(ctx)
        checks: list[tuple[str, Callable[[ServiceContext, TargetReport], None]]] = [
            ("service.status", self._check_status),
            ("service.running", self._check_counts),
            ("service.deployment", self._check_deployments),
            ("service.events", self._check_events),
            ("tasks.stopped", self._check_stopped),
            ("taskdef", self._check_task_definition),
            ("lb", self._check_load_balancers),
            ("alarms", self._check_alarms),
            ("exec", self._check_exec),
        ]
        for check, fn in checks:
            try:
                fn(ctx, report)
            except PopcornError:
                raise
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
        return report

    def _service_facts(self, ctx: ServiceContext) -> dict[str, str]:
        svc = ctx.service
        td = ctx.task_definition or {}
        primary = _primary(svc)
        facts = {
            "status": str(svc.get("status", "?")),
            "tasks": f"{svc.get('runningCount', 0)} running / {svc.get('desiredCount', 0)} desired / "
            f"{svc.get('pendingCount', 0)} pending",
            "launch": _launch(svc),
            "task definition": _td_name(td, svc),
        }
        if primary:
            facts["deployment"] = f"{primary.get('id')} {primary.get('rolloutState', '')}".strip()
        lbs = svc.get("loadBalancers", [])
        if lbs:
            facts["load balancer"] = ", ".join(
                f"{_tg_name(str(lb.get('targetGroupArn', '')))} -> {lb.get('containerName')}:{lb.get('containerPort')}"
                for lb in lbs
            )
        facts["ecs exec"] = "enabled" if svc.get("enableExecuteCommand") else "off"
        return facts

    def _check_status(self, ctx: ServiceContext, report: TargetReport) -> None:
        status = str(ctx.service.get("status"))
        if status == "ACTIVE":
            report.add(Finding("service.status", Status.OK, "service is ACTIVE"))
        else:
            report.down = True
            report.add(
                Finding(
                    "service.status",
                    Status.FAIL,
                    f"service is {status}",
                    cause="DRAINING/INACTIVE services are being deleted and run no tasks.",
                    remediation="Re-create the service (terraform apply of the env stack).",
                )
            )

    def _check_counts(self, ctx: ServiceContext, report: TargetReport) -> None:
        svc = ctx.service
        desired, running, pending = (int(svc.get(k, 0)) for k in ("desiredCount", "runningCount", "pendingCount"))
        if desired == 0:
            report.add(
                Finding(
                    "service.running",
                    Status.WARN,
                    "desired count is 0: the service is scaled to zero",
                    remediation="Set desired_count (or the autoscaling minimum) above 0 if it should serve traffic.",
                )
            )
        elif running == 0:
            report.down = True
            report.add(
                Finding(
                    "service.running",
                    Status.FAIL,
                    f"down: 0 of {desired} tasks running",
                    evidence=[f"{pending} pending"] if pending else [],
                    cause="Every task fails to start or is killed; the stopped-task findings below say why.",
                    remediation="Fix the first FAIL below, then watch: popcornctl diagnose ecs again.",
                )
            )
        elif running < desired:
            report.add(
                Finding(
                    "service.running",
                    Status.WARN,
                    f"degraded: {running} of {desired} tasks running",
                    cause="Some tasks fail to start or are being replaced.",
                    remediation="See the stopped-task and deployment findings.",
                )
            )
        else:
            report.add(Finding("service.running", Status.OK, f"{running} of {desired} tasks running"))
        if pending:
            primary = _primary(svc) or {}
            since = primary.get("updatedAt") or primary.get("createdAt")
            age = self.window.end - aware(since) if since else None
            if age is not None and age > PENDING_STUCK:
                report.add(
                    Finding(
                        "service.pending",
                        Status.WARN,
                        f"{pending} task(s) pending for over {human_age(age)}",
                        cause="Tasks stay PENDING while the image pulls, secrets load or capacity is found; this long "
                        "means they are stuck.",
                        remediation="Check 'unable to place' events and capacity; pulls of large images from far "
                        "registries are slow.",
                    )
                )
            else:
                report.add(Finding("service.pending", Status.OK, f"{pending} task(s) starting"))

    def _check_deployments(self, ctx: ServiceContext, report: TargetReport) -> None:
        svc = ctx.service
        deployments = list(svc.get("deployments", []))
        if not deployments:
            report.add(Finding("service.deployment", Status.OK, "no deployment information (external controller)"))
            return
        evidence = [_deployment_line(d, self.window.end) for d in deployments]
        breaker = (svc.get("deploymentConfiguration") or {}).get("deploymentCircuitBreaker") or {}
        events = [e for e in ctx.events if self.window.contains(e.get("createdAt"))]
        rollback_events = [str(e["message"]) for e in events if "rolling back to deployment" in str(e.get("message"))]
        failed_events = [str(e["message"]) for e in events if "deployment failed" in str(e.get("message"))]
        failed = [d for d in deployments if d.get("rolloutState") == "FAILED"]
        rolling_back = [d for d in deployments if "rolling back" in str(d.get("rolloutStateReason", "")).lower()]
        primary = _primary(svc) or deployments[0]
        if failed or rolling_back or rollback_events or failed_events:
            target = rolling_back[0] if rolling_back else None
            if target is None and rollback_events:
                target = {"id": rollback_events[0].rsplit(" ", 1)[-1].rstrip(".")}
            title = "deployment failed"
            if target is not None or rollback_events:
                title += f"; the circuit breaker rolled back to {_deployment_name(target, deployments)}"
            reasons = [str(d.get("rolloutStateReason")) for d in failed + rolling_back if d.get("rolloutStateReason")]
            report.add(
                Finding(
                    "service.deployment",
                    Status.FAIL,
                    title,
                    evidence=evidence + [f"event: {m}" for m in (failed_events + rollback_events)[:4]],
                    cause=(
                        reasons[0] if reasons else "Tasks of the new deployment failed to start or to become healthy"
                    )
                    + " — the new release is not serving.",
                    remediation="Fix why the new tasks stop (tasks.stopped below), then deploy again; the service "
                    "keeps running the previous revision meanwhile.",
                    rule="event.rollback" if (rolling_back or rollback_events) else "event.deployment-failed",
                )
            )
            return
        state = primary.get("rolloutState")
        if state == "IN_PROGRESS":
            started = primary.get("createdAt")
            age = self.window.end - aware(started) if started else timedelta(0)
            failed_tasks = int(primary.get("failedTasks", 0) or 0)
            if age >= IN_PROGRESS_FAIL or (age >= IN_PROGRESS_WARN and failed_tasks):
                status = Status.FAIL
            elif age >= IN_PROGRESS_WARN or failed_tasks:
                status = Status.WARN
            else:
                status = Status.OK
            no_breaker = (
                ""
                if breaker.get("enable")
                else (" The deployment circuit breaker is off, so a failing rollout never stops by itself.")
            )
            report.add(
                Finding(
                    "service.deployment",
                    status,
                    f"rollout IN_PROGRESS for {human_age(age)}"
                    + (f" ({failed_tasks} failed tasks)" if failed_tasks else ""),
                    evidence=evidence,
                    cause=None if status is Status.OK else "New tasks do not reach a steady state." + no_breaker,
                    remediation=None
                    if status is Status.OK
                    else "See tasks.stopped and the events; enable "
                    "deployment_circuit_breaker { enable = true, rollback = true } on the service.",
                )
            )
            return
        if len(deployments) > 1:
            report.add(
                Finding(
                    "service.deployment",
                    Status.WARN,
                    f"{len(deployments)} deployments active",
                    evidence=evidence,
                    cause="An older deployment has not drained yet.",
                    remediation="Wait for the rollout; if it persists see tasks.stopped.",
                )
            )
            return
        report.add(
            Finding(
                "service.deployment",
                Status.OK,
                f"deployment {primary.get('id')} {state or 'PRIMARY'}",
                evidence=evidence,
            )
        )

    def _check_events(self, ctx: ServiceContext, report: TargetReport) -> None:
        events = [e for e in ctx.events if self.window.contains(e.get("createdAt"))]
        if not events:
            report.add(
                Finding("service.events", Status.OK, f"no service events in the last {human_age(self.window.since)}")
            )
            return
        grouped: dict[str, dict[str, Any]] = {}
        for event in events:  # newest first
            message = str(event.get("message", ""))
            key = _EVENT_NOISE.sub("#", message)
            entry = grouped.setdefault(
                key, {"message": message, "count": 0, "newest": event.get("createdAt"), "rule": classify_event(message)}
            )
            entry["count"] += 1
        latest_rule = classify_event(str(events[0].get("message", "")))
        steady_now = latest_rule is not None and latest_rule.id == "event.steady"
        problems = [g for g in grouped.values() if g["rule"] is not None and g["rule"].status is not Status.OK]
        evidence = []
        for entry in list(grouped.values())[:8]:
            rule: Rule | None = entry["rule"]
            mark = "!! " if rule is not None and rule.highlight else ""
            when = human_age(self.window.end - aware(entry["newest"])) + " ago" if entry["newest"] else ""
            evidence.append(f"{mark}{entry['count']}x {when}: {entry['message']}")
        if len(grouped) > 8:
            evidence.append(f"... {len(grouped) - 8} more distinct events")
        if not problems:
            report.add(
                Finding("service.events", Status.OK, f"{len(events)} event(s), none alarming", evidence=evidence)
            )
            return
        if steady_now:
            report.add(
                Finding(
                    "service.events",
                    Status.OK,
                    f"recovered: steady state now, after {sum(p['count'] for p in problems)} problem event(s)",
                    evidence=evidence,
                )
            )
            return
        worst_entry = max(problems, key=lambda p: (p["rule"].status.rank, p["rule"].highlight, p["count"]))
        rule = worst_entry["rule"]
        report.add(
            Finding(
                "service.events",
                rule.status,
                f"{len(problems)} problem event(s): {rule.title}",
                evidence=evidence,
                cause=rule.cause,
                remediation=rule.remediation,
                rule=rule.id,
            )
        )

    # -- stopped tasks ------------------------------------------------------------------------------
    def _stop_info(self, task: dict[str, Any], td: dict[str, Any] | None) -> StopInfo:
        essential = {str(c["name"]) for c in (td or {}).get("containerDefinitions", []) if c.get("essential", True)}
        containers = tuple(
            ContainerExit(
                name=str(c.get("name", "?")),
                exit_code=c.get("exitCode"),
                reason=c.get("reason"),
                essential=not essential or str(c.get("name")) in essential,
            )
            for c in task.get("containers", [])
        )
        return StopInfo(
            stop_code=task.get("stopCode"), stopped_reason=str(task.get("stoppedReason", "")), containers=containers
        )

    def _check_stopped(self, ctx: ServiceContext, report: TargetReport) -> None:
        if not ctx.stopped:
            report.add(
                Finding(
                    "tasks.stopped",
                    Status.OK,
                    f"no tasks stopped in the last {human_age(self.window.since)} "
                    "(ECS keeps stopped tasks about an hour)",
                )
            )
            return
        groups: dict[str, list[tuple[dict[str, Any], ContainerExit | None, dict[str, Any] | None]]] = {}
        rules: dict[str, Rule] = {}
        for task in ctx.stopped:
            td = self._task_definitions(str(task.get("taskDefinitionArn"))).value or ctx.task_definition
            rule, container = classify_stop(self._stop_info(task, td))
            rules[rule.id] = rule
            groups.setdefault(rule.id, []).append((task, container, td))
        problems = [rid for rid in groups if rules[rid].status is not Status.OK]
        if not problems:
            counts = ", ".join(f"{len(groups[rid])} {rules[rid].title}" for rid in groups)
            report.add(Finding("tasks.stopped", Status.OK, f"{len(ctx.stopped)} task(s) stopped routinely: {counts}"))
            return
        problems.sort(key=lambda rid: (-rules[rid].status.rank, -len(groups[rid])))
        for rid in problems:
            rule, members = rules[rid], groups[rid]
            evidence = [_task_line(task, container, self.window.end) for task, container, _ in members[:EVIDENCE_TASKS]]
            if len(members) > EVIDENCE_TASKS:
                evidence.append(f"... and {len(members) - EVIDENCE_TASKS} more")
            title = f"{len(members)} task(s) stopped: {rule.title}"
            task, container, td = members[0]
            if rid in ("exit.oom", "exit.137") and container is not None:
                limit = _memory_limit(td, container.name)
                title = f"{len(members)} task(s) out of memory: container {container.name} killed at {limit}"
                evidence.append(f"memory limit of {container.name}: {limit}")
                evidence += self._log_tail(td, container.name, str(task.get("taskArn")))
            elif rid == "exit.nonzero" and container is not None:
                title = f"{len(members)} task(s) stopped: {container.name} exited with code {container.exit_code}"
                evidence += self._log_tail(td, container.name, str(task.get("taskArn")))
            evidence += self._extra_evidence(rid, ctx, td)
            report.add(
                Finding(
                    "tasks.stopped",
                    rule.status,
                    title,
                    evidence=evidence,
                    cause=rule.cause,
                    remediation=rule.remediation,
                    rule=rule.id,
                )
            )

    def _extra_evidence(self, rule_id: str, ctx: ServiceContext, td: dict[str, Any] | None) -> list[str]:
        """Look-ups that confirm (or rule out) a classification, like AWSSupport-TroubleshootECSTaskFailedToStart."""
        lines: list[str] = []
        td = td or {}
        if rule_id in _NETWORK_RULES:
            lines += self._network_evidence(ctx.service, _NETWORK_RULES[rule_id])
        if rule_id == "pull.image-not-found":
            for cdef in td.get("containerDefinitions", []):
                match = _ECR_IMAGE.match(str(cdef.get("image", "")))
                if match and match.group("tag"):
                    outcome = self._images((match.group("account"), match.group("repo"), match.group("tag")))
                    lines.append(outcome.value or f"could not check ECR: {outcome.error}")
        role = td.get("executionRoleArn")
        wanted = {
            "pull.ecr-permissions": ECR_PULL_ACTIONS,
            "secrets.denied": ["secretsmanager:GetSecretValue", "ssm:GetParameters"],
            "logs.denied": LOGS_ACTIONS,
        }.get(rule_id)
        if wanted and role:
            check = self.roles.check(str(role), wanted)
            if not check.exists:
                lines.append(f"execution role {check.role_name} does not exist")
            elif check.error:
                lines.append(f"could not read execution role {check.role_name}: {check.error}")
            else:
                lines.append(
                    f"execution role {check.role_name}: allows {', '.join(check.allowed) or 'none of'}"
                    + (f"; missing {', '.join(check.missing)}" if check.missing else "")
                    + (f"; explicitly denied {', '.join(check.denied)}" if check.denied else "")
                )
        elif wanted:
            lines.append("the task definition has no execution role")
        if rule_id in ("logs.group-missing", "logs.unreachable"):
            for group in _log_groups(td):
                exists = self._log_groups(group)
                if exists.value is not None:
                    lines.append(f"log group {group} {'exists' if exists.value else 'does NOT exist'}")
        return lines

    def _network_evidence(self, svc: dict[str, Any], needed: list[str]) -> list[str]:
        vpc_conf = (svc.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
        subnets = sorted(str(s) for s in vpc_conf.get("subnets", []))
        if not subnets:
            return ["the service has no awsvpc network configuration to inspect"]
        outcome = self._routes(tuple(subnets))
        if outcome.value is None:
            return [f"could not read the subnets' routes: {outcome.error}"]
        routes = outcome.value
        lines = route_lines(routes)
        public_ip = str(vpc_conf.get("assignPublicIp", "DISABLED"))
        if any(r.via_igw for r in routes.values()) and public_ip != "ENABLED":
            lines.append(
                "tasks run in public subnets without a public IP (assignPublicIp DISABLED): the internet "
                "gateway cannot carry their traffic"
            )
        if all(not r.via_nat and not (r.via_igw and public_ip == "ENABLED") for r in routes.values()):
            vpcs = unique(r.vpc_id for r in routes.values())
            have: list[str] = []
            for vpc in vpcs:
                have += self._endpoints(vpc).value or []
            missing = missing_endpoints(have, self.c.region, needed)
            if missing:
                lines.append("no NAT/internet route and no VPC endpoint for: " + ", ".join(missing))
            else:
                lines.append(
                    "VPC endpoints present for: "
                    + ", ".join(needed)
                    + " (check their security group allows 443 from the tasks)"
                )
        return lines

    def _log_tail(self, td: dict[str, Any] | None, container: str, task_arn: str) -> list[str]:
        cdef = next((c for c in (td or {}).get("containerDefinitions", []) if c.get("name") == container), None)
        config = (cdef or {}).get("logConfiguration") or {}
        if config.get("logDriver") != "awslogs":
            return [f"{container} has no awslogs configuration: its output was not kept"]
        options = config.get("options") or {}
        group, prefix = options.get("awslogs-group"), options.get("awslogs-stream-prefix")
        if not group or not prefix:
            return [f"awslogs-stream-prefix is unset for {container}: the log stream name cannot be derived"]
        region = options.get("awslogs-region")
        if region and region != self.c.region:
            return [f"logs are in {region}: see {group}"]
        stream = f"{prefix}/{container}/{arn_name(task_arn)}"
        try:
            events = self.c.logs.get_log_events(
                logGroupName=group, logStreamName=stream, startFromHead=False, limit=200
            ).get("events", [])
        except Exception as exc:
            if is_fatal(exc):
                raise
            if error_code(exc) == "ResourceNotFoundException":
                return [f"log stream {group} {stream} not found (the container died before logging?)"]
            return [f"could not read {group} {stream}: {describe_error(exc)}"]
        lines = [str(e.get("message", "")).rstrip() for e in events if str(e.get("message", "")).strip()]
        if not lines:
            return [f"log stream {group} {stream} is empty"]
        errors = [line for line in lines if _ERROR_LINE.search(line)]
        picked = (errors or lines)[-LOG_LINES:]
        head = f"last {'error ' if errors else ''}lines of {group} {stream}:"
        return [head, *(f"  | {line[:300]}" for line in picked)]

    # -- task definition ----------------------------------------------------------------------------
    def _check_task_definition(self, ctx: ServiceContext, report: TargetReport) -> None:
        td = ctx.task_definition
        if td is None:
            report.add(
                Finding(
                    "taskdef",
                    Status.FAIL,
                    f"task definition unreadable: {ctx.task_definition_error}",
                    remediation="Register the task definition again (terraform apply).",
                )
            )
            return
        name = f"{td.get('family')}:{td.get('revision')}"
        problems: list[Finding] = []
        containers = list(td.get("containerDefinitions", []))
        if _is_fargate(ctx.service, td):
            cpu, memory = mib(td.get("cpu")), mib(td.get("memory"))
            valid = FARGATE_SIZES.get(cpu or 0, [])
            if cpu is None or memory is None or memory not in valid:
                options = (
                    f"{valid[0]}-{valid[-1]} MiB" if valid else "cpu must be 256, 512, 1024, 2048, 4096, 8192 or 16384"
                )
                problems.append(
                    Finding(
                        "taskdef.fargate-size",
                        Status.FAIL,
                        f"cpu {td.get('cpu')} / memory {td.get('memory')} is not a Fargate size",
                        evidence=[f"valid memory for cpu {cpu}: {options}"],
                        cause="Fargate runs only fixed cpu/memory pairs; other values are rejected at launch.",
                        remediation="Pick a valid pair, e.g. 256/512, 512/1024, 1024/2048, 2048/4096.",
                    )
                )
        no_logs = [str(c.get("name")) for c in containers if not c.get("logConfiguration")]
        if no_logs:
            problems.append(
                Finding(
                    "taskdef.logs",
                    Status.WARN,
                    f"no log configuration for: {', '.join(no_logs)}",
                    cause="Without logConfiguration the container's output is lost, so crashes cannot be explained.",
                    remediation="Add logConfiguration with the awslogs driver (group, region, stream prefix).",
                )
            )
        floating = [f"{c.get('name')}: {c.get('image')}" for c in containers if _floating_tag(str(c.get("image", "")))]
        if floating:
            problems.append(
                Finding(
                    "taskdef.image-tag",
                    Status.WARN,
                    "image tag 'latest' (or none): deployments are not reproducible",
                    evidence=floating,
                    cause="A moving tag means two tasks of one revision can run different code, and rollbacks do not "
                    "roll back.",
                    remediation="Deploy immutable tags (the git SHA) and make the ECR repository tag-immutable.",
                )
            )
        problems += self._check_secrets(td)
        problems += self._check_execution_role(td, containers)
        for problem in problems:
            report.add(problem)
        if not problems:
            secrets = sum(len(c.get("secrets", [])) for c in containers)
            size = f"cpu {td.get('cpu')} / memory {td.get('memory')}, " if td.get("cpu") else ""
            report.add(
                Finding(
                    "taskdef",
                    Status.OK,
                    f"task definition {name}: {size}logs configured, pinned images, "
                    f"{secrets} secret(s) resolvable, execution role present",
                )
            )

    def _check_secrets(self, td: dict[str, Any]) -> list[Finding]:
        missing, unknown = [], []
        for cdef in td.get("containerDefinitions", []):
            refs = [str(s.get("valueFrom")) for s in cdef.get("secrets", [])]
            cred = (cdef.get("repositoryCredentials") or {}).get("credentialsParameter")
            if cred:
                refs.append(str(cred))
            for ref in refs:
                verdict = self._secret_exists(ref)
                if verdict is False:
                    missing.append(f"{cdef.get('name')}: {ref}")
                elif isinstance(verdict, str):
                    unknown.append(f"{cdef.get('name')}: {ref} ({verdict})")
        out = []
        if missing:
            out.append(
                Finding(
                    "taskdef.secrets",
                    Status.FAIL,
                    f"{len(missing)} secret reference(s) point at nothing",
                    evidence=missing,
                    cause="The secret or parameter was deleted, renamed or never created; tasks fail "
                    "with ResourceInitializationError.",
                    remediation="Create it or fix valueFrom (full secret ARN with "
                    "its suffix, or the parameter name), then deploy a new revision.",
                    rule="secrets.missing",
                )
            )
        if unknown:
            out.append(
                Finding(
                    "taskdef.secrets",
                    Status.WARN,
                    "some secret references could not be checked",
                    evidence=unknown,
                    remediation="Grant secretsmanager:DescribeSecret / ssm:GetParameters "
                    "to the credentials running popcornctl.",
                )
            )
        return out

    def _secret_exists(self, ref: str) -> bool | str:
        """True/False when known, or a note why it could not be checked."""
        if ref.startswith("arn:") and ":secretsmanager:" in ref:
            parts = ref.split(":")
            if parts[3] != self.c.region:
                return f"in {parts[3]}, not checked"
            outcome = self._secrets(":".join(parts[:7]))
            if outcome.code == "ResourceNotFoundException":
                return False
            if outcome.error:
                return outcome.error
            return not (outcome.value or {}).get("DeletedDate")
        name = ref
        if ref.startswith("arn:") and ":ssm:" in ref:
            parts = ref.split(":", 5)
            if parts[3] != self.c.region:
                return f"in {parts[3]}, not checked"
            name = parts[5].removeprefix("parameter")
        outcome = self._parameters(name)
        if outcome.error:
            return outcome.error
        return not (outcome.value or {}).get("InvalidParameters")

    def _check_execution_role(self, td: dict[str, Any], containers: list[dict[str, Any]]) -> list[Finding]:
        role = td.get("executionRoleArn")
        uses_logs = any((c.get("logConfiguration") or {}).get("logDriver") == "awslogs" for c in containers)
        uses_secrets = any(c.get("secrets") for c in containers)
        uses_ecr = any(".dkr.ecr." in str(c.get("image", "")) for c in containers)
        if not role:
            if uses_logs or uses_secrets or uses_ecr:
                needs = [
                    w
                    for w, used in (("awslogs", uses_logs), ("secrets", uses_secrets), ("ECR images", uses_ecr))
                    if used
                ]
                return [
                    Finding(
                        "taskdef.execution-role",
                        Status.FAIL,
                        "no task execution role",
                        evidence=[f"the task uses {', '.join(needs)}, which ECS fetches with the execution role"],
                        cause="Without executionRoleArn ECS cannot pull from ECR, write logs or read secrets.",
                        remediation="Set execution_role_arn to a role trusted by ecs-tasks.amazonaws.com with "
                        "AmazonECSTaskExecutionRolePolicy.",
                    )
                ]
            return []
        wanted = (ECR_PULL_ACTIONS if uses_ecr else []) + (LOGS_ACTIONS if uses_logs else [])
        check = self.roles.check(str(role), wanted or ["ecs:DescribeTasks"])
        if not check.exists:
            return [
                Finding(
                    "taskdef.execution-role",
                    Status.FAIL,
                    f"execution role {check.role_name} does not exist",
                    cause="The role was deleted or the ARN is wrong; every launch fails.",
                    remediation="Re-create the role (terraform apply of the iam module) or fix execution_role_arn.",
                )
            ]
        if check.error:
            return [
                Finding(
                    "taskdef.execution-role",
                    Status.WARN,
                    f"execution role {check.role_name} unreadable",
                    evidence=[check.error],
                    remediation="Grant iam:GetRole/List*Policies to the credentials.",
                )
            ]
        if wanted and (check.missing or check.denied):
            return [
                Finding(
                    "taskdef.execution-role",
                    Status.WARN,
                    f"execution role {check.role_name} may lack {', '.join(check.missing + check.denied)}",
                    evidence=[
                        f"allowed: {', '.join(check.allowed) or 'none'}",
                        "(conditions and resource scopes are not evaluated)",
                    ],
                    cause="Missing ECR/logs permissions make tasks fail at start.",
                    remediation="Attach AmazonECSTaskExecutionRolePolicy to the execution role.",
                )
            ]
        return []

    # -- load balancer -------------------------------------------------------------------------------
    def _check_load_balancers(self, ctx: ServiceContext, report: TargetReport) -> None:
        svc = ctx.service
        lbs = [lb for lb in svc.get("loadBalancers", []) if lb.get("targetGroupArn")]
        if not lbs:
            return
        desired = int(svc.get("desiredCount", 0))
        for lb in lbs:
            arn = str(lb["targetGroupArn"])
            tg = self.target_groups.get(arn, {})
            health = self.c.elbv2.describe_target_health(TargetGroupArn=arn).get("TargetHealthDescriptions", [])
            evidence = [_health_check_line(tg, arn)]
            states: Counter[str] = Counter()
            reasons: Counter[str] = Counter()
            rule_for: dict[str, Rule] = {}
            for desc in health:
                th = desc.get("TargetHealth", {})
                state = str(th.get("State", "?"))
                states[state] += 1
                target = desc.get("Target", {})
                line = f"{target.get('Id')}:{target.get('Port')} {state}"
                rule = classify_target_health(th.get("Reason"), str(th.get("Description", "")))
                if rule is not None:
                    line += f" — {th.get('Reason')}: {th.get('Description', '')}"
                    if state not in ("healthy", "draining"):
                        reasons[rule.id] += 1
                        rule_for[rule.id] = rule
                evidence.append(line)
            healthy = states.get("healthy", 0)
            bad = sum(n for s, n in states.items() if s in ("unhealthy", "unavailable", "unused"))
            name = _tg_name(arn)
            dominant = rule_for[reasons.most_common(1)[0][0]] if reasons else None
            if not health:
                status = Status.FAIL if desired else Status.OK
                title = f"target group {name}: no targets registered"
            elif healthy == 0 and bad:
                status, title = Status.FAIL, f"target group {name}: 0 of {len(health)} targets healthy"
            elif bad:
                status, title = Status.WARN, f"target group {name}: {bad} of {len(health)} targets unhealthy"
            elif states.get("initial"):
                status, title = (
                    Status.WARN,
                    f"target group {name}: {states['initial']} target(s) still in initial checks",
                )
            else:
                status, title = Status.OK, f"target group {name}: {healthy} of {len(health)} targets healthy"
            cause = dominant.cause if dominant and status is not Status.OK else None
            fix = dominant.remediation if dominant and status is not Status.OK else None
            if not health and desired:
                cause = (
                    "No running task is registered: tasks do not start, or the service's loadBalancers block "
                    "names another container/port."
                )
                fix = "Fix the stopped-task findings; check containerName/containerPort match the task definition."
            report.add(
                Finding(
                    "lb.targets",
                    status,
                    title,
                    evidence=evidence,
                    cause=cause,
                    remediation=fix,
                    rule=dominant.id if dominant and status is not Status.OK else None,
                )
            )
        self._check_grace(ctx, report, lbs)

    def _check_grace(self, ctx: ServiceContext, report: TargetReport, lbs: list[dict[str, Any]]) -> None:
        svc = ctx.service
        grace = int(svc.get("healthCheckGracePeriodSeconds") or 0)
        tg = self.target_groups.get(str(lbs[0]["targetGroupArn"]), {})
        interval = int(tg.get("HealthCheckIntervalSeconds") or 30)
        healthy_after = int(tg.get("HealthyThresholdCount") or 5)
        unhealthy_after = int(tg.get("UnhealthyThresholdCount") or 2)
        container = str(lbs[0].get("containerName", ""))
        cdef: dict[str, Any] = next(
            (c for c in (ctx.task_definition or {}).get("containerDefinitions", []) if c.get("name") == container), {}
        )
        start_period = int((cdef.get("healthCheck") or {}).get("startPeriod") or 0)
        killed = []
        for task in ctx.stopped:
            if (
                "failed ELB health checks" in str(task.get("stoppedReason", ""))
                and task.get("startedAt")
                and task.get("stoppedAt")
            ):
                killed.append(int((aware(task["stoppedAt"]) - aware(task["startedAt"])).total_seconds()))
        starts = [
            int((aware(t["startedAt"]) - aware(t["createdAt"])).total_seconds())
            for t in ctx.running + ctx.stopped
            if t.get("startedAt") and t.get("createdAt")
        ]
        evidence = [
            f"grace period {grace}s; target group needs {healthy_after} x {interval}s = {healthy_after * interval}s "
            f"of passing checks and fails a target after {unhealthy_after} x {interval}s",
        ]
        if start_period:
            evidence.append(f"container health check startPeriod {start_period}s")
        if starts:
            evidence.append(f"tasks took {_span(starts)} from launch to RUNNING (pull + start)")
        if killed:
            evidence.append(
                f"{len(killed)} task(s) killed by ELB health checks {_span(killed)} after starting"
            )
        if killed and grace == 0:
            report.add(
                Finding(
                    "lb.grace",
                    Status.FAIL,
                    "tasks killed by ELB health checks with no grace period",
                    evidence=evidence,
                    cause=f"ECS acts on ELB health from the moment a task is RUNNING; an app that needs longer than "
                    f"{unhealthy_after * interval}s to answer is killed before it is up.",
                    remediation="Set health_check_grace_period_seconds above the app's boot time (e.g. 60-120).",
                )
            )
        elif killed:
            report.add(
                Finding(
                    "lb.grace",
                    Status.WARN,
                    f"tasks still killed by ELB health checks after a {grace}s grace period",
                    evidence=evidence,
                    cause="Either the app boots slower than the grace period, or the health check can never pass "
                    "(see the target-health reasons).",
                    remediation="Fix the health check first; raise health_check_grace_period_seconds only if the app "
                    "is just slow to boot.",
                )
            )
        elif start_period > grace:
            report.add(
                Finding(
                    "lb.grace",
                    Status.WARN,
                    f"grace period {grace}s is shorter than the container startPeriod {start_period}s",
                    evidence=evidence,
                    cause="The load balancer may kill tasks the container health check still tolerates.",
                    remediation=f"Set health_check_grace_period_seconds >= {start_period}.",
                )
            )
        else:
            report.add(
                Finding(
                    "lb.grace",
                    Status.OK,
                    f"grace period {grace}s; no task killed by ELB health checks",
                    evidence=evidence,
                )
            )

    # -- alarms ---------------------------------------------------------------------------------------
    def _check_alarms(self, ctx: ServiceContext, report: TargetReport) -> None:
        if self.alarms_error:
            report.add(
                Finding(
                    "alarms",
                    Status.WARN,
                    f"could not list CloudWatch alarms: {self.alarms_error}",
                    remediation="Grant cloudwatch:DescribeAlarms to the credentials.",
                )
            )
            return
        mine = [a for a in self.alarms if _alarm_is_for(a, ctx.name, self.cluster_name)]
        if not mine:
            report.add(Finding("alarms", Status.OK, "no CloudWatch alarm in ALARM for this service"))
            return
        report.add(
            Finding(
                "alarms",
                Status.FAIL,
                f"{len(mine)} CloudWatch alarm(s) in ALARM",
                evidence=[f"{a.get('AlarmName')}: {a.get('StateReason', '')}"[:300] for a in mine],
                cause="A metric crossed its threshold (the alarm's reason says which and by how much).",
                remediation="Act on the metric (CPU/memory: scale or resize; 5xx: see the load-balancer and task "
                "findings), or fix the alarm if its threshold is wrong.",
            )
        )

    # -- ECS Exec -------------------------------------------------------------------------------------
    def _check_exec(self, ctx: ServiceContext, report: TargetReport) -> None:
        svc, td = ctx.service, ctx.task_definition or {}
        if not svc.get("enableExecuteCommand"):
            report.add(
                Finding(
                    "exec",
                    Status.OK,
                    "ECS Exec is off for this service",
                    evidence=["set enable_execute_command = true to use aws ecs execute-command"],
                )
            )
            return
        problems: list[tuple[Status, str]] = []
        evidence: list[str] = []
        role = td.get("taskRoleArn")
        if not role:
            problems.append((Status.FAIL, "the task definition has no task role (ECS Exec needs ssmmessages:* on it)"))
        else:
            check = self.roles.check(str(role), EXEC_ACTIONS)
            if not check.exists:
                problems.append((Status.FAIL, f"task role {check.role_name} does not exist"))
            elif check.error:
                problems.append((Status.WARN, f"task role {check.role_name} unreadable: {check.error}"))
            elif check.missing or check.denied:
                problems.append(
                    (Status.FAIL, f"task role {check.role_name} lacks {', '.join(check.missing + check.denied)}")
                )
            else:
                evidence.append(f"task role {check.role_name} allows ssmmessages:Create/Open Control/Data Channel")
            kms = ((self.cluster.get("configuration") or {}).get("executeCommandConfiguration") or {}).get("kmsKeyId")
            if kms and check.exists and not check.error:
                kms_check = self.roles.check(str(role), ["kms:Decrypt"])
                if not kms_check.ok:
                    problems.append(
                        (Status.FAIL, f"sessions are encrypted with {kms} but the task role lacks kms:Decrypt")
                    )
        for cdef in td.get("containerDefinitions", []):
            if cdef.get("readonlyRootFilesystem"):
                problems.append(
                    (
                        Status.WARN,
                        f"{cdef.get('name')} has readonlyRootFilesystem: the SSM agent cannot write its files",
                    )
                )
            if not (cdef.get("linuxParameters") or {}).get("initProcessEnabled"):
                evidence.append(
                    f"{cdef.get('name')}: initProcessEnabled is off (recommended on, to reap exec sessions)"
                )
        running = ctx.running
        if not running:
            problems.append((Status.WARN, "no running task to check the exec agent on"))
        for task in running[:5]:
            version = str(task.get("platformVersion") or "")
            if task.get("launchType") == "FARGATE" and version and version != "LATEST" and version < "1.4.0":
                problems.append(
                    (
                        Status.FAIL,
                        f"task {arn_name(str(task['taskArn']))} runs Fargate {version}; ECS Exec needs 1.4.0+",
                    )
                )
            agents = [
                a
                for c in task.get("containers", [])
                for a in c.get("managedAgents", [])
                if a.get("name") == "ExecuteCommandAgent"
            ]
            task_id = arn_name(str(task.get("taskArn")))
            if not agents:
                problems.append(
                    (
                        Status.WARN,
                        f"task {task_id} has no exec agent: it started before exec was "
                        "enabled (force a new deployment)",
                    )
                )
            elif any(a.get("lastStatus") != "RUNNING" for a in agents):
                states = ", ".join(str(a.get("lastStatus")) for a in agents)
                problems.append((Status.FAIL, f"task {task_id} exec agent is {states}"))
            else:
                evidence.append(f"task {task_id}: ExecuteCommandAgent RUNNING")
        vpc_conf = (svc.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
        if vpc_conf.get("subnets"):
            outcome = self._routes(tuple(sorted(str(s) for s in vpc_conf["subnets"])))
            routes = outcome.value or {}
            public_ip = vpc_conf.get("assignPublicIp") == "ENABLED"
            if routes and all(not r.via_nat and not (r.via_igw and public_ip) for r in routes.values()):
                have: list[str] = []
                for vpc in unique(r.vpc_id for r in routes.values()):
                    have += self._endpoints(vpc).value or []
                if missing_endpoints(have, self.c.region, ["ssmmessages"]):
                    problems.append(
                        (Status.FAIL, "private subnets without NAT and without the ssmmessages VPC endpoint")
                    )
        status = worst(s for s, _ in problems)
        if status is Status.OK:
            report.add(Finding("exec", Status.OK, "ECS Exec ready", evidence=evidence))
            return
        problems.sort(key=lambda p: -p[0].rank)  # the title names the worst problem
        report.add(
            Finding(
                "exec",
                status,
                "ECS Exec not ready: " + problems[0][1],
                evidence=[p for _, p in problems[1:]] + evidence,
                cause="aws ecs execute-command needs exec enabled when the task started, a task role with the four "
                "ssmmessages actions, a running SSM agent and a path to ssmmessages.",
                remediation="Grant ssmmessages:CreateControlChannel, CreateDataChannel, OpenControlChannel and "
                "OpenDataChannel to the task role, then force a new deployment so tasks start with the agent.",
            )
        )

    # -- cluster ----------------------------------------------------------------------------------------
    def _cluster_report(self, services: list[TargetReport]) -> TargetReport:
        cluster = self.cluster
        report = TargetReport(
            kind="ecs-cluster", name=str(cluster.get("clusterName", self.cluster_name)), arn=cluster.get("clusterArn")
        )
        healths = Counter(r.health.value for r in services)
        report.facts = {
            "status": str(cluster.get("status")),
            "services": f"{len(services)} diagnosed: {healths.get('healthy', 0)} healthy, "
            f"{healths.get('degraded', 0)} degraded, {healths.get('down', 0)} down",
            "tasks": f"{cluster.get('runningTasksCount', 0)} running, {cluster.get('pendingTasksCount', 0)} pending",
            "container instances": str(cluster.get("registeredContainerInstancesCount", 0)),
            "capacity providers": ", ".join(cluster.get("capacityProviders", [])) or "none",
            "window": f"last {human_age(self.window.since)}",
        }
        if cluster.get("status") != "ACTIVE":
            report.down = True
            report.add(
                Finding(
                    "cluster.status",
                    Status.FAIL,
                    f"cluster is {cluster.get('status')}",
                    remediation="Re-create the cluster (terraform apply of the env stack).",
                )
            )
        else:
            report.add(Finding("cluster.status", Status.OK, "cluster is ACTIVE"))
        if self.missing_services:
            report.add(
                Finding(
                    "cluster.missing",
                    Status.FAIL,
                    f"{len(self.missing_services)} service(s) not found in the cluster",
                    evidence=self.missing_services,
                    cause="The Terraform outputs or --service name services that do not exist (not applied yet, or "
                    "deleted).",
                    remediation="terraform apply the env stack, or check the --service names.",
                )
            )
        needs_instances = [r.name for r in services if r.facts.get("launch") == "EC2"]
        if needs_instances and not int(cluster.get("registeredContainerInstancesCount", 0)):
            report.add(
                Finding(
                    "cluster.capacity",
                    Status.FAIL,
                    "EC2 services but no container instances registered",
                    evidence=needs_instances,
                    cause="Nothing can host EC2-launch tasks.",
                    remediation="Check the capacity provider's Auto Scaling group and the instances' ECS agent.",
                )
            )
        down = [r.name for r in services if r.health.value == "down"]
        degraded = [r.name for r in services if r.health.value == "degraded"]
        if not services:
            report.add(
                Finding(
                    "cluster.services",
                    Status.WARN,
                    "no services to diagnose in this cluster",
                    remediation="terraform apply the env stack, or pass --cluster/--service.",
                )
            )
        elif down or degraded:
            status = Status.FAIL if down else Status.WARN
            evidence = [f"down: {n}" for n in down] + [f"degraded: {n}" for n in degraded]
            report.add(
                Finding(
                    "cluster.services",
                    status,
                    f"{len(down)} down, {len(degraded)} degraded of {len(services)} services",
                    evidence=evidence,
                    remediation="See each service's findings below.",
                )
            )
            if services and len(down) == len(services):
                report.down = True
        else:
            report.add(Finding("cluster.services", Status.OK, f"all {len(services)} services healthy"))
        return report


# -- helpers ------------------------------------------------------------------------------------------


def _soft(fn: Callable[[], Any], default: Any) -> tuple[Any, str | None]:
    """A prefetch result and no error, or ``default`` and the error when the call failed non-fatally."""
    try:
        return fn(), None
    except Exception as exc:
        if is_fatal(exc):
            raise
        return default, describe_error(exc)


def _primary(svc: dict[str, Any]) -> dict[str, Any] | None:
    return next((d for d in svc.get("deployments", []) if d.get("status") == "PRIMARY"), None)


def _span(seconds: list[int]) -> str:
    """'40s' or '35-70s'."""
    low, high = min(seconds), max(seconds)
    return f"{low}s" if low == high else f"{low}-{high}s"


def _td_ref(arn: str) -> str:
    """family:revision of a task definition ARN."""
    return arn.rsplit("/", 1)[-1]


def _td_name(td: dict[str, Any], svc: dict[str, Any]) -> str:
    if td.get("family"):
        return f"{td['family']}:{td.get('revision', '?')}"
    return _td_ref(str(svc.get("taskDefinition", "?")))


def _launch(svc: dict[str, Any]) -> str:
    strategy = svc.get("capacityProviderStrategy") or []
    if strategy:
        return "capacity providers " + ", ".join(f"{s.get('capacityProvider')}" for s in strategy)
    return str(svc.get("launchType") or "?")


def _is_fargate(svc: dict[str, Any], td: dict[str, Any]) -> bool:
    if svc.get("launchType") == "FARGATE" or "FARGATE" in (td.get("requiresCompatibilities") or []):
        return True
    return any(
        str(s.get("capacityProvider", "")).startswith("FARGATE") for s in svc.get("capacityProviderStrategy") or []
    )


def _floating_tag(image: str) -> bool:
    if "@sha256:" in image:
        return False
    last = image.rsplit("/", 1)[-1]
    return ":" not in last or last.endswith(":latest")


def _tg_name(arn: str) -> str:
    parts = arn.split("/")
    return parts[-2] if len(parts) >= 3 else arn


def _deployment_line(d: dict[str, Any], now: datetime) -> str:
    created = d.get("createdAt")
    age = f", {human_age(now - aware(created))} old" if created else ""
    reason = f": {d.get('rolloutStateReason')}" if d.get("rolloutStateReason") else ""
    return (
        f"{d.get('status')} {d.get('id')} {_td_ref(str(d.get('taskDefinition', '')))} "
        f"{d.get('rolloutState', '')} running {d.get('runningCount', 0)}/{d.get('desiredCount', 0)}, "
        f"failed tasks {d.get('failedTasks', 0)}{age}{reason}"
    )


def _deployment_name(target: dict[str, Any] | None, deployments: list[dict[str, Any]]) -> str:
    if target is None:
        return "the previous deployment"
    full = next((d for d in deployments if d.get("id") == target.get("id")), target)
    if full.get("taskDefinition"):
        return f"{_td_ref(str(full['taskDefinition']))} (deployment {target.get('id')})"
    return str(target.get("id"))


def _task_line(task: dict[str, Any], container: ContainerExit | None, now: datetime) -> str:
    stopped = task.get("stoppedAt")
    when = f"{human_age(now - aware(stopped))} ago" if stopped else "recently"
    line = f"task {arn_name(str(task.get('taskArn')))} stopped {when}"
    if task.get("stopCode"):
        line += f" [{task['stopCode']}]"
    line += f": {task.get('stoppedReason', '')}"
    if container is not None and (container.exit_code is not None or container.reason):
        line += f" | {container.name} exit {container.exit_code}"
        if container.reason:
            line += f": {container.reason}"
    return line


def _memory_limit(td: dict[str, Any] | None, container: str) -> str:
    td = td or {}
    cdef: dict[str, Any] = next((c for c in td.get("containerDefinitions", []) if c.get("name") == container), {})
    parts = []
    if cdef.get("memory"):
        parts.append(f"{cdef['memory']} MiB container hard limit")
    if cdef.get("memoryReservation"):
        parts.append(f"{cdef['memoryReservation']} MiB reservation")
    if td.get("memory"):
        parts.append(f"{td['memory']} MiB task memory")
    return ", ".join(parts) or "no memory limit set"


def _log_groups(td: dict[str, Any]) -> list[str]:
    groups = []
    for cdef in td.get("containerDefinitions", []):
        config = cdef.get("logConfiguration") or {}
        group = (config.get("options") or {}).get("awslogs-group")
        if config.get("logDriver") == "awslogs" and group:
            groups.append(str(group))
    return unique(groups)


def _health_check_line(tg: dict[str, Any], arn: str) -> str:
    if not tg:
        return f"target group {_tg_name(arn)} (settings unreadable)"
    matcher = (tg.get("Matcher") or {}).get("HttpCode", "?")
    return (
        f"health check {tg.get('HealthCheckProtocol', '?')} {tg.get('HealthCheckPath', '')} on port "
        f"{tg.get('HealthCheckPort', '?')}, matcher {matcher}, every {tg.get('HealthCheckIntervalSeconds', '?')}s, "
        f"timeout {tg.get('HealthCheckTimeoutSeconds', '?')}s"
    )


def _alarm_is_for(alarm: dict[str, Any], service: str, cluster: str) -> bool:
    dims = list(alarm.get("Dimensions", []))
    for metric in alarm.get("Metrics", []) or []:
        dims += ((metric.get("MetricStat") or {}).get("Metric") or {}).get("Dimensions", [])
    values = {str(d.get("Name")): str(d.get("Value")) for d in dims}
    if values.get("ServiceName") == service and values.get("ClusterName", cluster) == cluster:
        return True
    return str(alarm.get("AlarmName", "")).startswith(service)
