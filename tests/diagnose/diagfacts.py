"""Typed facts for the pure check tests: a healthy service, cluster or DB instance, and ways to break them.

Checks are pure functions of facts, so most check tests build facts here instead of seeding an emulator; this is
also how the tests reach what moto cannot produce (exit codes, stop codes, service events, running counts,
unhealthy targets, ECS Exec agents, RDS statuses and events, Performance Insights).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from popcornctl.diagnose.calls import Outcome
from popcornctl.diagnose.cloudwatch import Alarm
from popcornctl.diagnose.ecs import ecs_reports, lookups
from popcornctl.diagnose.ecs.facts import (
    Cluster,
    ContainerDefinition,
    Deployment,
    EcsFacts,
    LoadBalancer,
    LogConfig,
    LogTail,
    Network,
    Service,
    ServiceEvent,
    TargetGroup,
    TargetHealth,
    Task,
    TaskContainer,
    TaskDefinition,
)
from popcornctl.diagnose.ecs.subjects import ServiceSubject, service_subjects
from popcornctl.diagnose.findings import DiagnosisReport, Finding, Names, Status, TargetReport
from popcornctl.diagnose.iam import Question, Verdict
from popcornctl.diagnose.iam.questions import SIMULATOR
from popcornctl.diagnose.rds import rds_report
from popcornctl.diagnose.rds.facts import EcsSide, Instance, Metrics, RdsFacts, Secret
from popcornctl.diagnose.vpc.facts import AclEntry, NetworkAcl, Permission, SecurityGroup, Source, SubnetRoute
from popcornctl.diagnose.window import Window

REGION = "ap-northeast-2"
ACCOUNT = "123456789012"
PREFIX = "goorm-popcorn-dev"
CLUSTER = f"{PREFIX}-cluster"
ECR = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
NOW = datetime(2026, 11, 27, 4, 30, tzinfo=UTC)
WINDOW = Window(since=timedelta(hours=1), end=NOW)
EXEC_ROLE = f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-ecs-execution"
TASK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-ecs-task"
SUBNETS = ("subnet-0a", "subnet-0b")
ECS_SG = "sg-0ecs"


def ago(**kwargs: float) -> datetime:
    """A moment before the window's end."""
    return NOW - timedelta(**kwargs)


# -- ECS ----------------------------------------------------------------------------------------------
def container(name: str = "api", **overrides: Any) -> ContainerDefinition:
    """A well-configured container: pinned ECR image, 512 MiB, awslogs, init process."""
    base = ContainerDefinition(
        name=name,
        image=f"{ECR}/goorm-popcorn/{name}:1.4.2",
        memory=512,
        log=LogConfig("awslogs", f"/ecs/{PREFIX}/{name}", REGION, name),
        init_process=True,
    )
    return replace(base, **overrides)


def task_definition(name: str = "api", revision: int = 1, **overrides: Any) -> TaskDefinition:
    """A valid Fargate task definition (256/512) with both roles."""
    base = TaskDefinition(
        arn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{PREFIX}-{name}:{revision}",
        family=f"{PREFIX}-{name}",
        revision=revision,
        cpu="256",
        memory="512",
        requires=("FARGATE",),
        execution_role=EXEC_ROLE,
        task_role=TASK_ROLE,
        containers=(container(name),),
    )
    return replace(base, **overrides)


def target_group_arn(name: str = "api") -> str:
    """A target group ARN."""
    return f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/{PREFIX}-{name}/6d0ecf831eec9f09"


def service(name: str = "api", td: TaskDefinition | None = None, **overrides: Any) -> Service:
    """An ACTIVE Fargate service: 2 of 2 running, a COMPLETED deployment, steady state, exec on, circuit breaker."""
    arn = (td or task_definition(name)).arn
    base = Service(
        name=f"{PREFIX}-{name}",
        arn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{PREFIX}-{name}",
        status="ACTIVE",
        desired=2,
        running=2,
        launch_type="FARGATE",
        task_definition=arn,
        deployments=(
            Deployment("ecs-svc/1111", "PRIMARY", arn, "COMPLETED", "ECS deployment ecs-svc/1111 completed.", 2, 2, 0,
                       ago(minutes=20), ago(minutes=18)),
        ),
        events=(ServiceEvent(f"(service {PREFIX}-{name}) has reached a steady state.", ago(minutes=2)),),
        circuit_breaker=True,
        grace_seconds=60,
        exec_enabled=True,
        network=Network(SUBNETS, (ECS_SG,), public_ip=False),
    )
    return replace(base, **overrides)


def running_task(name: str = "api", td: TaskDefinition | None = None, n: int = 0, **overrides: Any) -> Task:
    """A RUNNING task of the service with a RUNNING exec agent."""
    base = Task(
        arn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/{name}-running-{n}",
        task_definition=(td or task_definition(name)).arn,
        group=f"service:{PREFIX}-{name}",
        last_status="RUNNING",
        desired_status="RUNNING",
        created_at=ago(hours=1),
        started_at=ago(hours=1) + timedelta(seconds=40),
        launch_type="FARGATE",
        platform_version="1.4.0",
        containers=(TaskContainer(name, exec_agents=("RUNNING",)),),
    )
    return replace(base, **overrides)


def stopped_task(
    name: str = "api",
    *,
    reason: str,
    stop_code: str | None = None,
    exit_code: int | None = None,
    container_reason: str | None = None,
    stopped_ago: timedelta = timedelta(minutes=5),
    ran_for: timedelta = timedelta(minutes=1),
    td: TaskDefinition | None = None,
    n: int = 1,
) -> Task:
    """A STOPPED task of the service, as DescribeTasks reports it."""
    stopped_at = NOW - stopped_ago
    started_at = stopped_at - ran_for
    return Task(
        arn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/{name}-stopped-{n}",
        task_definition=(td or task_definition(name)).arn,
        group=f"service:{PREFIX}-{name}",
        last_status="STOPPED",
        desired_status="STOPPED",
        stop_code=stop_code,
        stopped_reason=reason,
        created_at=started_at - timedelta(seconds=40),
        started_at=started_at,
        stopped_at=stopped_at,
        launch_type="FARGATE",
        platform_version="1.4.0",
        containers=(TaskContainer(name, exit_code=exit_code, reason=container_reason),),
    )


def healthy_targets(arn: str, count: int = 2) -> tuple[TargetHealth, ...]:
    """``count`` healthy targets."""
    return tuple(TargetHealth(f"10.20.{i + 1}.10", 8080, "healthy") for i in range(count))


def target_group(arn: str) -> TargetGroup:
    """The target group's health-check settings (HTTP /health every 15s, 3 to pass, 2 to fail)."""
    return TargetGroup(arn, "HTTP", "/health", "traffic-port", "200", 15, 5, 3, 2)


def allow_all(questions: list[Question], method: str = SIMULATOR) -> dict[Question, Outcome[Verdict]]:
    """Every question answered: the role exists and may do everything asked."""
    return {
        q: Outcome(Verdict(q.role_name, True, allowed=q.actions, method=method)) for q in questions
    }


def questions_for(facts: EcsFacts) -> list[Question]:
    """Every IAM question the fetch step would ask for these facts."""
    out: list[Question] = []
    for subject in service_subjects(facts):
        td = subject.task_definition
        if td is None:
            continue
        out += lookups.execution_role_questions(td, facts.region)
        if subject.service.exec_enabled:
            out += lookups.exec_questions(td, facts.cluster.exec_kms_key, facts.region)
        for item in subject.classified():
            out += lookups.rule_questions(item.rule.id, item.task_definition, facts.region)
    return out


def ecs_facts(
    services: list[Service],
    tasks: list[Task] = (),  # type: ignore[assignment]
    tds: list[TaskDefinition] | None = None,
    *,
    permissions: dict[Question, Outcome[Verdict]] | None = None,
    **overrides: Any,
) -> EcsFacts:
    """Facts of a cluster: every question the fetch step would ask is answered 'allowed' unless given."""
    tds = tds if tds is not None else [task_definition(s.name.removeprefix(f"{PREFIX}-")) for s in services]
    base = EcsFacts(
        cluster=Cluster(CLUSTER, f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{CLUSTER}", "ACTIVE", 2, 0, 0, ("FARGATE",)),
        window=WINDOW,
        region=REGION,
        services=tuple(services),
        tasks=tuple(tasks),
        task_definitions={td.arn: Outcome(td) for td in tds},
        alarms=Outcome(()),
        routes={SUBNETS: Outcome({s: SubnetRoute(s, "vpc-1", f"10.20.{i + 1}.0/24", f"{REGION}{'ab'[i]}", "rtb-1",
                                                 "nat-1") for i, s in enumerate(SUBNETS)})},
    )
    facts = replace(base, **overrides)
    answered = allow_all(questions_for(facts))
    answered.update(permissions or {})
    return replace(facts, permissions=answered)


def subject(facts: EcsFacts, name: str = "api") -> ServiceSubject:
    """The subject of one service."""
    return next(s for s in service_subjects(facts) if s.name == f"{PREFIX}-{name}")


def ecs_report(facts: EcsFacts) -> DiagnosisReport:
    """The whole report, as ``diagnose ecs`` prints it (no AWS)."""
    return _report("ecs", ecs_reports(facts), facts.window)


def tail(*lines: str) -> Outcome[LogTail]:
    """A log tail with these lines."""
    return Outcome(LogTail("ok", tuple(lines)))


def log_key(task: Task, name: str = "api") -> tuple[str, str]:
    """The (group, stream) of a task's container log."""
    return f"/ecs/{PREFIX}/{name}", f"{name}/{name}/{task.id}"


def alarm(name: str, **dimensions: str) -> Alarm:
    """An alarm in ALARM with these dimensions."""
    return Alarm(name, "Threshold Crossed: 1 datapoint [97.5 (27/11/26 04:10:00)] was greater than the threshold "
                 "(80.0).", tuple(dimensions.items()))


def load_balancer(name: str = "api") -> LoadBalancer:
    """The service's target group link."""
    return LoadBalancer(target_group_arn(name), name, 8080)


# -- RDS ----------------------------------------------------------------------------------------------
DB_SUBNETS = (("subnet-db-a", f"{REGION}a"), ("subnet-db-b", f"{REGION}b"))
DB_SG = "sg-0rds"


def instance(**overrides: Any) -> Instance:
    """An available, private PostgreSQL instance with backups, Performance Insights and a managed secret."""
    base = Instance(
        id=f"{PREFIX}-postgres",
        arn=f"arn:aws:rds:{REGION}:{ACCOUNT}:db:{PREFIX}-postgres",
        engine="postgres",
        engine_version="16.4",
        instance_class="db.t4g.micro",
        status="available",
        address=f"{PREFIX}-postgres.abc.{REGION}.rds.amazonaws.com",
        endpoint_port=5432,
        az=f"{REGION}a",
        allocated=20,
        max_allocated=100,
        storage_type="gp3",
        vpc_id="vpc-1",
        subnet_group=f"{PREFIX}-db",
        subnets=DB_SUBNETS,
        security_groups=(DB_SG,),
        backup_retention=7,
        backup_window="17:00-17:30",
        latest_restorable=ago(minutes=3),
        performance_insights=True,
        performance_insights_days=7,
        parameter_groups=(("default.postgres16", "in-sync"),),
        secret_arn=f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!db-1234-AbCdEf",
        secret_status="active",
    )
    return replace(base, **overrides)


def sg_rule(port: int, *sources: Source) -> Permission:
    """An ingress/egress permission on one TCP port."""
    return Permission("tcp", port, port, tuple(sources))


def db_group(*perms: Permission, gid: str = DB_SG) -> SecurityGroup:
    """The RDS security group."""
    return SecurityGroup(gid, f"{PREFIX}-rds", "vpc-1", ingress=perms)


ECS_GROUP = SecurityGroup(ECS_SG, f"{PREFIX}-ecs", "vpc-1", egress=(Permission("-1", None, None,
                                                                                 (Source("cidr", "0.0.0.0/0"),)),))


def routes(*, via: str | None = None) -> dict[str, SubnetRoute]:
    """The DB subnets' default routes (none: private, no NAT)."""
    return {s: SubnetRoute(s, "vpc-1", f"10.20.1{i + 1}.0/24", az, "rtb-db", via) for i, (s, az) in
            enumerate(DB_SUBNETS)}


ECS_ROUTES = {s: SubnetRoute(s, "vpc-1", f"10.20.{i + 1}.0/24", f"{REGION}{'ab'[i]}", "rtb-1", "nat-1")
              for i, s in enumerate(SUBNETS)}
ALLOW_ALL_ACL = NetworkAcl("acl-1", (AclEntry(100, False, "-1", "allow", "0.0.0.0/0"),
                                     AclEntry(100, True, "-1", "allow", "0.0.0.0/0")))


def metrics(*, free_gib: float = 15.0, cpu: float = 12.0, connections: float = 8.0,
            latency: float = 0.002) -> Metrics:
    """Three datapoints of each metric."""
    gib = 1024**3
    return Metrics((free_gib * gib,) * 3, (cpu,) * 3, (cpu,) * 3, (connections,) * 3, (latency,) * 3,
                   (latency,) * 3, (0.5 * gib,) * 3)


def rds_facts(**overrides: Any) -> RdsFacts:
    """A healthy database reachable from the ECS services' security group only."""
    base = RdsFacts(
        instance=instance(),
        window=WINDOW,
        metrics=metrics(),
        routes=routes(),
        db_groups=(db_group(sg_rule(5432, Source("sg", ECS_SG, "from ECS"))),),
        group_names={DB_SG: f"{PREFIX}-rds", ECS_SG: f"{PREFIX}-ecs"},
        db_nacls={s: ALLOW_ALL_ACL for s, _ in DB_SUBNETS},
        ecs=EcsSide((ECS_SG,), SUBNETS, f"the services of {CLUSTER}"),
        ecs_groups=(ECS_GROUP,),
        ecs_routes=ECS_ROUTES,
        ecs_nacls=dict.fromkeys(SUBNETS, ALLOW_ALL_ACL),
        secret=Secret(rotation_enabled=True, rotation_days=7, last_rotated=ago(days=2)),
    )
    return replace(base, **overrides)


def rds_run(facts: RdsFacts) -> DiagnosisReport:
    """The whole report, as ``diagnose rds`` prints it (no AWS)."""
    return _report("rds", [rds_report(facts)], facts.window)


# -- both -----------------------------------------------------------------------------------------------
def _report(command: str, targets: list[TargetReport], window: Window) -> DiagnosisReport:
    return DiagnosisReport(command=command, where="sandbox", region=REGION, environment="dev", since=window.since,
                  window_start=window.start, window_end=window.end, names=Names(source="flags"), targets=targets)


def finding(target: TargetReport, check: str, status: Status | None = None) -> Finding:
    """The first finding of ``check`` (and ``status``), failing with the findings listed when there is none."""
    found = [f for f in target.findings if f.check == check and (status is None or f.status is status)]
    assert found, f"no {check} {status or ''} finding in {[(f.check, f.status.value, f.title) for f in target.findings]}"
    return found[0]


def target(report: DiagnosisReport, name: str) -> TargetReport:
    """A target report by (short) name."""
    return next(t for t in report.targets if t.name in (name, f"{PREFIX}-{name}"))
