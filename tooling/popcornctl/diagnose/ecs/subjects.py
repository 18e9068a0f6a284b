"""What the ECS checks judge: one service (with everything fetched about it) or the cluster summary. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from popcornctl.diagnose.calls import Outcome
from popcornctl.diagnose.ecs import lookups
from popcornctl.diagnose.ecs.facts import Cluster, EcsFacts, Service, TargetHealth, Task, TaskDefinition
from popcornctl.diagnose.ecs.lines import tg_name
from popcornctl.diagnose.facts import Gap, arn_name
from popcornctl.diagnose.findings import Health, Status
from popcornctl.diagnose.iam import Question, Verdict, merge
from popcornctl.diagnose.vpc.facts import SubnetRoute
from popcornctl.diagnose.window import Window, aware

IAM_APIS = "iam:GetRole, iam:List*Policies, iam:GetPolicy* (or iam:SimulatePrincipalPolicy)"


@dataclass(frozen=True)
class ServiceSubject:
    """One service and the facts about it."""

    service: Service
    facts: EcsFacts
    task_definition: TaskDefinition | None
    stopped: tuple[Task, ...] = ()  # in the window, newest first
    running: tuple[Task, ...] = ()
    gaps: Mapping[str, Gap] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The service name."""
        return self.service.name

    @property
    def window(self) -> Window:
        """The run's window."""
        return self.facts.window

    @property
    def region(self) -> str:
        """The run's region."""
        return self.facts.region

    @property
    def cluster(self) -> Cluster:
        """The cluster."""
        return self.facts.cluster

    def task_definition_of(self, task: Task) -> TaskDefinition | None:
        """The revision a task ran (falls back to the service's)."""
        outcome = self.facts.task_definitions.get(task.task_definition)
        return outcome.value if outcome and outcome.value else self.task_definition

    def verdict(self, questions: list[Question]) -> Verdict | None:
        """The merged answer to ``questions`` (None when any of them could not be answered)."""
        answers = [self.facts.permissions.get(q) for q in questions]
        if not questions or any(a is None or a.value is None for a in answers):
            return None
        return merge([a.value for a in answers if a is not None and a.value is not None])

    def routes(self) -> Outcome[Mapping[str, SubnetRoute]] | None:
        """The default routes of the service's subnets (None when not fetched)."""
        if self.service.network is None or not self.service.network.subnets:
            return None
        return self.facts.routes.get(self.service.network.subnet_key)

    def endpoint_services(self, vpcs: list[str]) -> list[str]:
        """The VPC endpoint service names of ``vpcs`` that could be read."""
        out: list[str] = []
        for vpc in vpcs:
            outcome = self.facts.endpoints.get(vpc)
            out += list(outcome.value or ()) if outcome else []
        return out

    def target_health(self, arn: str) -> tuple[TargetHealth, ...]:
        """The targets of one target group."""
        outcome = self.facts.target_health.get(arn)
        return outcome.value or () if outcome else ()

    def classified(self) -> list[lookups.Classified]:
        """The stopped tasks, each with its rule (newest first)."""
        return [lookups.classify(task, self.task_definition_of(task)) for task in self.stopped]


@dataclass(frozen=True)
class ServiceOutcome:
    """What the cluster summary needs to know of one diagnosed service."""

    name: str
    health: Health
    launch: str


@dataclass(frozen=True)
class ClusterSubject:
    """The cluster and how its diagnosed services came out."""

    cluster: Cluster
    window: Window
    services: tuple[ServiceOutcome, ...]
    missing_services: tuple[str, ...] = ()
    gaps: Mapping[str, Gap] = field(default_factory=dict)


def service_subjects(facts: EcsFacts) -> list[ServiceSubject]:
    """One subject per service: its tasks split into stopped (in the window) and running, and its gaps."""
    by_group: dict[str, list[Task]] = {}
    for task in facts.tasks:
        by_group.setdefault(task.group, []).append(task)
    subjects = []
    for svc in facts.services:
        mine = by_group.get(f"service:{svc.name}", [])
        stopped = [t for t in mine if "STOPPED" in (t.desired_status, t.last_status)]
        stopped = [t for t in stopped if facts.window.contains(t.stopped_at or t.stopping_at)]
        stopped.sort(key=lambda t: aware(t.stopped_at or t.created_at or facts.window.end), reverse=True)
        running = [t for t in mine if t not in stopped and t.desired_status == "RUNNING"]
        td_outcome = facts.task_definitions.get(svc.task_definition) if svc.task_definition else None
        td = td_outcome.value if td_outcome else None
        subjects.append(
            ServiceSubject(
                service=svc,
                facts=facts,
                task_definition=td,
                stopped=tuple(stopped),
                running=tuple(running),
                gaps=_service_gaps(facts, svc, td_outcome, td),
            )
        )
    return subjects


def _service_gaps(
    facts: EcsFacts, svc: Service, td_outcome: Outcome[TaskDefinition] | None, td: TaskDefinition | None
) -> dict[str, Gap]:
    gaps: dict[str, Gap] = {}
    if td is None:
        error = (td_outcome.error if td_outcome else None) or "the service has no task definition"
        gaps["task_definition"] = Gap(
            "task_definition",
            "read the task definition",
            "ecs:DescribeTaskDefinition",
            error,
            status=Status.FAIL,
            title=f"task definition unreadable: {error}",
            remediation="Register the task definition again (terraform apply).",
        )
    if facts.alarms.error:
        gaps["alarms"] = Gap("alarms", "list CloudWatch alarms", "cloudwatch:DescribeAlarms", facts.alarms.error)
    for lb in svc.load_balancers:
        health = facts.target_health.get(lb.target_group_arn)
        if health is not None and health.error:
            what = f"read the targets of {tg_name(lb.target_group_arn)}"
            gaps["target_health"] = Gap(
                "target_health", what, "elasticloadbalancing:DescribeTargetHealth", health.error
            )
    if "target_groups" in facts.gaps and svc.load_balancers:
        gaps["target_groups"] = facts.gaps["target_groups"]
    if td is not None:
        gaps.update(_role_gaps(facts, td, svc))
    return gaps


def _role_gaps(facts: EcsFacts, td: TaskDefinition, svc: Service) -> dict[str, Gap]:
    gaps: dict[str, Gap] = {}
    roles = {
        "execution_role": lookups.execution_role_questions(td, facts.region),
        "task_role": lookups.exec_questions(td, facts.cluster.exec_kms_key, facts.region) if svc.exec_enabled else [],
    }
    for fact, questions in roles.items():
        errors = [a.error for a in (facts.permissions.get(q) for q in questions) if a is not None and a.error]
        if errors:
            label = fact.replace("_", " ")
            name = arn_name(questions[0].role_arn)
            gaps[fact] = Gap(
                fact,
                f"read {label} {name}",
                IAM_APIS,
                errors[0],
                title=f"{label} {name} unreadable: {errors[0]}",
                remediation="Grant iam:GetRole/List*Policies (or iam:SimulatePrincipalPolicy) to the credentials.",
            )
    return gaps
