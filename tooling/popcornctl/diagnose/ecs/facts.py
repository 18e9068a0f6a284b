"""Typed facts of ``diagnose ecs``: what the fetch step read, as frozen dataclasses (no AWS, no judgement).

:class:`EcsFacts` is the whole read of one run; :class:`ServiceSubject` and :class:`ClusterSubject` are the
views the checks judge (see :mod:`.subjects`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from popcornctl.diagnose.calls import Outcome
from popcornctl.diagnose.cloudwatch import Alarm
from popcornctl.diagnose.facts import Gap, arn_name
from popcornctl.diagnose.iam import Question, Verdict
from popcornctl.diagnose.vpc.facts import SubnetRoute
from popcornctl.diagnose.window import Window


@dataclass(frozen=True)
class Cluster:
    """DescribeClusters (with settings, configurations and statistics)."""

    name: str
    arn: str | None
    status: str
    running_tasks: int = 0
    pending_tasks: int = 0
    container_instances: int = 0
    capacity_providers: tuple[str, ...] = ()
    exec_kms_key: str | None = None  # configuration.executeCommandConfiguration.kmsKeyId


@dataclass(frozen=True)
class Deployment:
    """One entry of a service's ``deployments``."""

    id: str
    status: str  # PRIMARY | ACTIVE | INACTIVE
    task_definition: str = ""
    rollout_state: str | None = None  # COMPLETED | IN_PROGRESS | FAILED
    rollout_state_reason: str | None = None
    running: int = 0
    desired: int = 0
    failed_tasks: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ServiceEvent:
    """One of a service's events (newest first, as ECS lists them)."""

    message: str
    created_at: datetime | None = None


@dataclass(frozen=True)
class LoadBalancer:
    """One entry of a service's ``loadBalancers``."""

    target_group_arn: str
    container_name: str
    container_port: int | None


@dataclass(frozen=True)
class Network:
    """A service's ``networkConfiguration.awsvpcConfiguration``."""

    subnets: tuple[str, ...]
    security_groups: tuple[str, ...] = ()
    public_ip: bool = False  # assignPublicIp ENABLED

    @property
    def subnet_key(self) -> tuple[str, ...]:
        """The subnets, sorted (the key of the route look-up)."""
        return tuple(sorted(self.subnets))


@dataclass(frozen=True)
class Service:
    """DescribeServices."""

    name: str
    arn: str | None
    status: str
    desired: int = 0
    running: int = 0
    pending: int = 0
    launch_type: str | None = None
    capacity_providers: tuple[str, ...] = ()
    task_definition: str | None = None
    deployments: tuple[Deployment, ...] = ()
    events: tuple[ServiceEvent, ...] = ()
    circuit_breaker: bool = False
    load_balancers: tuple[LoadBalancer, ...] = ()
    grace_seconds: int = 0
    exec_enabled: bool = False
    network: Network | None = None

    @property
    def primary(self) -> Deployment | None:
        """The PRIMARY deployment."""
        return next((d for d in self.deployments if d.status == "PRIMARY"), None)


@dataclass(frozen=True)
class TaskContainer:
    """One container of a task (DescribeTasks)."""

    name: str
    exit_code: int | None = None
    reason: str | None = None
    exec_agents: tuple[str, ...] = ()  # lastStatus of each ExecuteCommandAgent


@dataclass(frozen=True)
class Task:
    """DescribeTasks."""

    arn: str
    task_definition: str
    group: str = ""
    last_status: str = ""
    desired_status: str = ""
    stop_code: str | None = None
    stopped_reason: str = ""
    created_at: datetime | None = None
    started_at: datetime | None = None
    stopping_at: datetime | None = None
    stopped_at: datetime | None = None
    launch_type: str | None = None
    platform_version: str | None = None
    containers: tuple[TaskContainer, ...] = ()

    @property
    def id(self) -> str:
        """The task id (last segment of the ARN)."""
        return arn_name(self.arn)


@dataclass(frozen=True)
class LogConfig:
    """A container's ``logConfiguration``."""

    driver: str
    group: str | None = None
    region: str | None = None
    stream_prefix: str | None = None


@dataclass(frozen=True)
class ContainerDefinition:
    """One container of a task definition."""

    name: str
    image: str = ""
    essential: bool = True
    memory: int | None = None
    memory_reservation: int | None = None
    log: LogConfig | None = None
    secrets: tuple[str, ...] = ()  # every secrets[].valueFrom
    registry_credentials: str | None = None  # repositoryCredentials.credentialsParameter
    readonly_root: bool = False
    init_process: bool = False
    health_start_period: int = 0
    ports: tuple[int, ...] = ()  # portMappings[].containerPort
    environment: tuple[tuple[str, str], ...] = ()  # environment[] (name, value)
    secret_env: tuple[tuple[str, str], ...] = ()  # secrets[] (name, valueFrom)
    health_command: tuple[str, ...] = ()  # healthCheck.command

    def env(self, name: str) -> str | None:
        """The value of environment variable ``name`` (None when unset)."""
        return next((v for k, v in self.environment if k == name), None)

    def secret(self, name: str) -> str | None:
        """Where secret environment variable ``name`` comes from (None when unset)."""
        return next((v for k, v in self.secret_env if k == name), None)

    @property
    def secret_refs(self) -> tuple[str, ...]:
        """Every secret/parameter the container needs at start."""
        return self.secrets + ((self.registry_credentials,) if self.registry_credentials else ())


@dataclass(frozen=True)
class TaskDefinition:
    """DescribeTaskDefinition."""

    arn: str
    family: str = ""
    revision: int | None = None
    cpu: str | None = None
    memory: str | None = None
    requires: tuple[str, ...] = ()  # requiresCompatibilities
    execution_role: str | None = None
    task_role: str | None = None
    containers: tuple[ContainerDefinition, ...] = ()

    @property
    def name(self) -> str:
        """family:revision."""
        return f"{self.family}:{self.revision if self.revision is not None else '?'}"

    def container(self, name: str) -> ContainerDefinition | None:
        """The container called ``name``."""
        return next((c for c in self.containers if c.name == name), None)


@dataclass(frozen=True)
class TargetGroup:
    """DescribeTargetGroups: the health-check settings (and the traffic settings ``diagnose alb`` reads)."""

    arn: str
    protocol: str | None = None
    path: str | None = None
    port: str | None = None
    matcher: str | None = None
    interval: int | None = None
    timeout: int | None = None
    healthy_threshold: int | None = None
    unhealthy_threshold: int | None = None
    name: str = ""
    traffic_protocol: str | None = None
    traffic_port: int | None = None
    target_type: str | None = None
    load_balancers: tuple[str, ...] = ()  # LoadBalancerArns
    enabled: bool = True  # HealthCheckEnabled


@dataclass(frozen=True)
class TargetHealth:
    """DescribeTargetHealth: one target."""

    target_id: str
    port: int | None
    state: str
    reason: str | None = None
    description: str = ""
    az: str | None = None  # Target.AvailabilityZone


@dataclass(frozen=True)
class ImageCheck:
    """Whether an ECR image tag exists (asked when tasks failed to pull it)."""

    state: str  # "present" | "tag-missing" | "repository-missing"


@dataclass(frozen=True)
class LogTail:
    """The end of a container's awslogs stream."""

    state: str  # "ok" | "not-found" | "empty"
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class EcsFacts:
    """Everything one ``diagnose ecs`` run read. Look-ups are keyed as :mod:`.lookups` builds the keys."""

    cluster: Cluster
    window: Window
    region: str
    services: tuple[Service, ...]
    missing_services: tuple[str, ...] = ()
    tasks: tuple[Task, ...] = ()
    task_definitions: Mapping[str, Outcome[TaskDefinition]] = field(default_factory=dict)
    target_groups: Mapping[str, TargetGroup] = field(default_factory=dict)
    target_health: Mapping[str, Outcome[tuple[TargetHealth, ...]]] = field(default_factory=dict)
    alarms: Outcome[tuple[Alarm, ...]] = field(default_factory=Outcome)
    routes: Mapping[tuple[str, ...], Outcome[Mapping[str, SubnetRoute]]] = field(default_factory=dict)
    endpoints: Mapping[str, Outcome[tuple[str, ...]]] = field(default_factory=dict)
    images: Mapping[tuple[str, str, str], Outcome[ImageCheck]] = field(default_factory=dict)
    log_groups: Mapping[str, Outcome[bool]] = field(default_factory=dict)
    log_tails: Mapping[tuple[str, str], Outcome[LogTail]] = field(default_factory=dict)
    secrets: Mapping[str, bool | str] = field(default_factory=dict)  # ref -> exists, or why it was not checked
    permissions: Mapping[Question, Outcome[Verdict]] = field(default_factory=dict)
    gaps: Mapping[str, Gap] = field(default_factory=dict)  # run-wide gaps (e.g. "target_groups")
