"""The one fetch step of ``diagnose ecs``: every AWS read of the run, batched and concurrent, no judgement.

API budget (the reason for its shape): DescribeServices in batches of 10, ListTasks per cluster (paginated, 100
per page) instead of per service, DescribeTasks in batches of 100 for every task at once, one
DescribeTaskDefinition per distinct revision, one DescribeAlarms listing, DescribeTargetGroups in batches.
Per-service look-ups (:mod:`.evidence`: target health, log tails, secret and role look-ups) run concurrently on
clients created up front (clients are thread-safe, sessions are not); look-ups shared by services (roles,
secrets, subnets) are memoised so each is made once.

What cannot be read is recorded (an :class:`~popcornctl.diagnose.calls.Outcome` error, or a gap), except the
reads the whole diagnosis depends on (the cluster, its services and tasks): their refusal ends the run with one
line.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from popcornctl.diagnose.calls import Memo, Outcome, attempt, chunks, paginate, unique
from popcornctl.diagnose.cloudwatch import fetch_alarms
from popcornctl.diagnose.ecs import convert
from popcornctl.diagnose.ecs.evidence import Evidence
from popcornctl.diagnose.ecs.facts import Cluster, EcsFacts, TargetGroup, TaskDefinition
from popcornctl.diagnose.ecs.subjects import service_subjects
from popcornctl.diagnose.facts import Gap, arn_name
from popcornctl.diagnose.failures import error_code, is_fatal, refused
from popcornctl.diagnose.pool import Pool
from popcornctl.errors import PopcornError

if TYPE_CHECKING:
    from collections.abc import Callable

    from popcornctl.aws import Clients
    from popcornctl.diagnose.window import Window

SERVICE_BATCH = 10  # DescribeServices limit
TASK_BATCH = 100  # DescribeTasks limit
TARGET_GROUP_BATCH = 20
PER_SERVICE_LISTING = 3  # list tasks per service (serviceName filter) when diagnosing at most this many
CLIENTS = ("ecs", "elbv2", "logs", "cloudwatch", "iam", "secretsmanager", "ssm", "ec2", "ecr")
ECS_READ_FIX = "check the credentials' ECS read permissions (ecs:Describe*, ecs:List*)"


class EcsFetch:
    """Reads one cluster and (some of) its services; calling it returns :class:`EcsFacts`."""

    def __init__(
        self,
        clients: Clients,
        cluster: str,
        services: list[str] | None,
        window: Window,
        *,
        where: str = "",
        max_workers: int = 16,
    ) -> None:
        self.c: dict[str, Any] = {name: clients.client(name) for name in CLIENTS}  # all before any thread
        self.region = clients.target.region
        self.cluster_name = cluster
        self.service_names = services
        self.window = window
        self.where = where
        self.max_workers = max_workers
        self._task_definitions: Memo[str, TaskDefinition] = Memo(
            lambda arn: convert.task_definition(self.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"])
        )

    @property
    def ecs(self) -> Any:
        """The ECS client."""
        return self.c["ecs"]

    def __call__(self) -> EcsFacts:
        with Pool(self.max_workers, "diagnose-ecs") as pool:
            facts = self._core(pool)
            return Evidence(self.c, self.region, pool).gather(facts, service_subjects(facts))

    # -- the reads the diagnosis depends on -----------------------------------------------------------
    def _required(self, api: str, fn: Callable[[], Any]) -> Any:
        """A call whose failure ends the run: credentials/endpoint problems and refusals become PopcornError."""
        try:
            return fn()
        except PopcornError:
            raise
        except Exception as exc:
            if is_fatal(exc):
                raise
            if error_code(exc):
                raise refused(api, exc, ECS_READ_FIX) from None
            raise

    def _core(self, pool: Pool) -> EcsFacts:
        cluster = self._cluster()
        raw_services, missing = self._services(pool)
        services = [convert.service(s) for s in raw_services]
        names = [s.name for s in services]
        listed = names if self.service_names is not None else None
        f_stopped = pool.submit(self._list_task_arns, "STOPPED", listed)
        f_running = pool.submit(self._list_task_arns, "RUNNING", listed)
        f_alarms = pool.submit(attempt, lambda: fetch_alarms(self.c["cloudwatch"], composite=True))
        tg_arns = unique(lb.target_group_arn for s in services for lb in s.load_balancers if lb.target_group_arn)
        f_tgs = pool.submit(attempt, lambda: self._target_groups(tg_arns))
        for arn in unique(s.task_definition for s in services if s.task_definition):
            pool.submit(self._task_definitions, arn)
        arns = self._required("ecs:ListTasks", lambda: f_stopped.result() + f_running.result())
        tasks = [convert.task(t) for t in self._required("ecs:DescribeTasks", lambda: self._describe_tasks(pool, arns))]
        revisions = unique(
            [s.task_definition for s in services if s.task_definition] + [t.task_definition for t in tasks]
        )
        pool.map(self._task_definitions, revisions)
        target_groups: Outcome[dict[str, TargetGroup]] = f_tgs.result()
        gaps = {}
        if target_groups.error:
            gaps["target_groups"] = Gap(
                "target_groups",
                "describe the target groups",
                "elasticloadbalancing:DescribeTargetGroups",
                target_groups.error,
            )
        return EcsFacts(
            cluster=cluster,
            window=self.window,
            region=self.region,
            services=tuple(services),
            missing_services=tuple(missing),
            tasks=tuple(tasks),
            task_definitions=self._task_definitions.results(),
            target_groups=target_groups.value or {},
            alarms=f_alarms.result(),
            gaps=gaps,
        )

    def _cluster(self) -> Cluster:
        response = self._required(
            "ecs:DescribeClusters",
            lambda: self.ecs.describe_clusters(
                clusters=[self.cluster_name], include=["SETTINGS", "CONFIGURATIONS", "STATISTICS"]
            ),
        )
        found = [c for c in response.get("clusters", []) if c.get("status") != "INACTIVE"]
        if not found:
            arns = self._required("ecs:ListClusters", lambda: paginate(self.ecs, "list_clusters", "clusterArns"))
            known = ", ".join(sorted(arn_name(a) for a in arns)) or "none"
            raise PopcornError(
                f"ECS cluster {self.cluster_name!r} not found ({self.where})",
                f"pass --cluster NAME or check --env; clusters here: {known}",
            )
        return replace(convert.cluster(found[0]), name=str(found[0].get("clusterName", self.cluster_name)))

    def _services(self, pool: Pool) -> tuple[list[dict[str, Any]], list[str]]:
        if self.service_names is None:
            names = self._required(
                "ecs:ListServices",
                lambda: paginate(self.ecs, "list_services", "serviceArns", cluster=self.cluster_name, maxResults=100),
            )
        else:
            names = unique(self.service_names)

        def describe(batch: list[str]) -> Any:
            return self._required(
                "ecs:DescribeServices", lambda: self.ecs.describe_services(cluster=self.cluster_name, services=batch)
            )

        services: list[dict[str, Any]] = []
        missing: list[str] = []
        for response in pool.map(describe, list(chunks(names, SERVICE_BATCH))):
            services.extend(response.get("services", []))
            missing.extend(arn_name(f.get("arn", "?")) for f in response.get("failures", []))
        return sorted(services, key=lambda s: str(s["serviceName"])), missing

    def _list_task_arns(self, status: str, services: list[str] | None) -> list[str]:
        common = {"cluster": self.cluster_name, "desiredStatus": status, "maxResults": 100}
        if services is not None and len(services) <= PER_SERVICE_LISTING:
            arns: list[str] = []
            for name in services:
                arns += paginate(self.ecs, "list_tasks", "taskArns", serviceName=name, **common)
            return unique(arns)
        return paginate(self.ecs, "list_tasks", "taskArns", **common)

    def _describe_tasks(self, pool: Pool, arns: list[str]) -> list[dict[str, Any]]:
        def describe(batch: list[str]) -> list[dict[str, Any]]:
            return list(self.ecs.describe_tasks(cluster=self.cluster_name, tasks=batch).get("tasks", []))

        return [task for batch in pool.map(describe, list(chunks(unique(arns), TASK_BATCH))) for task in batch]

    def _target_groups(self, arns: list[str]) -> dict[str, TargetGroup]:
        out: dict[str, TargetGroup] = {}
        for batch in chunks(arns, TARGET_GROUP_BATCH):
            for raw in self.c["elbv2"].describe_target_groups(TargetGroupArns=batch).get("TargetGroups", []):
                group = convert.target_group(raw)
                out[group.arn] = group
        return out
