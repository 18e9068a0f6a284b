"""Which targeted look-ups a service needs, and their keys: shared by the fetch step (to read them) and the
checks (to find them), so the two always agree. Pure.

Stopped tasks are classified here (with the rule table) because the classification decides which evidence
is worth reading, like AWSSupport-TroubleshootECSTaskFailedToStart: routes and VPC endpoints for network
causes, the ECR tag for a missing image, the execution role for permission causes, the log group, and the
tail of the container's log for crashes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from popcornctl.diagnose.ecs.facts import ContainerDefinition, Task, TaskDefinition
from popcornctl.diagnose.iam import ContextEntry, Question
from popcornctl.diagnose.rules import ContainerExit, Rule, StopInfo, classify_stop

EXEC_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
ECR_AUTH_ACTIONS = ("ecr:GetAuthorizationToken",)  # on "*": it names no repository
ECR_PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
LOGS_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
EXISTS_ONLY = ("ecs:DescribeTasks",)  # asked when the execution role needs nothing in particular: does it exist?

# stopped-task rules whose cause is the network path, and the endpoints that path would need
NETWORK_RULES: dict[str, list[str]] = {
    "pull.no-route": ["ecr.api", "ecr.dkr", "s3"],
    "pull.no-route-s3": ["s3"],
    "net.dns": ["ecr.api", "ecr.dkr", "s3", "logs", "secretsmanager", "ssm"],
    "secrets.unreachable": ["secretsmanager", "ssm", "kms"],
    "logs.unreachable": ["logs"],
    "init.env-files": ["s3"],
}
LOG_TAIL_RULES = frozenset({"exit.oom", "exit.137", "exit.nonzero"})
LOG_GROUP_RULES = frozenset({"logs.group-missing", "logs.unreachable"})
ROLE_RULES = frozenset({"pull.ecr-permissions", "secrets.denied", "logs.denied"})

_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/(?P<repo>[^:@]+)"
    r"(:(?P<tag>[^@]+))?(@(?P<digest>.+))?$"
)


def context(region: str) -> tuple[ContextEntry, ...]:
    """The condition keys every question supplies to the simulator."""
    return (ContextEntry("aws:RequestedRegion", (region,)),)


def _account(role_arn: str) -> str:
    parts = role_arn.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else "*"


def ecr_image(image: str) -> tuple[str, str, str | None] | None:
    """(account, repository, tag) of an ECR image URI."""
    match = _ECR_IMAGE.match(image)
    if not match:
        return None
    return match.group("account"), match.group("repo"), match.group("tag")


def uses_ecr(td: TaskDefinition) -> bool:
    """True when a container's image is in ECR."""
    return any(".dkr.ecr." in c.image for c in td.containers)


def uses_awslogs(td: TaskDefinition) -> bool:
    """True when a container logs with the awslogs driver."""
    return any(c.log is not None and c.log.driver == "awslogs" for c in td.containers)


def awslogs_groups(td: TaskDefinition) -> list[str]:
    """The awslogs log groups of the task definition's containers."""
    groups = [c.log.group for c in td.containers if c.log and c.log.driver == "awslogs" and c.log.group]
    return list(dict.fromkeys(groups))


def _ecr_questions(role: str, td: TaskDefinition, region: str) -> list[Question]:
    repos = []
    for container in td.containers:
        parsed = ecr_image(container.image)
        if parsed:
            account, repo, _ = parsed
            image_region = container.image.split(".dkr.ecr.", 1)[1].split(".", 1)[0]
            repos.append(f"arn:aws:ecr:{image_region}:{account}:repository/{repo}")
    ctx = context(region)
    return [
        Question(role, ECR_AUTH_ACTIONS, ("*",), ctx),
        Question(role, ECR_PULL_ACTIONS, tuple(dict.fromkeys(repos)) or ("*",), ctx),
    ]


def _logs_questions(role: str, td: TaskDefinition, region: str) -> list[Question]:
    account = _account(role)
    arns = tuple(f"arn:aws:logs:{region}:{account}:log-group:{g}:log-stream:*" for g in awslogs_groups(td))
    return [Question(role, LOGS_ACTIONS, arns or ("*",), context(region))]


def _secret_questions(role: str, td: TaskDefinition, region: str) -> list[Question]:
    refs = [r for c in td.containers for r in c.secret_refs]
    secrets = tuple(dict.fromkeys(r for r in refs if ":secretsmanager:" in r))
    account = _account(role)
    params = tuple(
        dict.fromkeys(
            r if r.startswith("arn:") else f"arn:aws:ssm:{region}:{account}:parameter/{r.lstrip('/')}"
            for r in refs
            if ":secretsmanager:" not in r
        )
    )
    ctx = context(region)
    return [
        Question(role, ("secretsmanager:GetSecretValue",), secrets or ("*",), ctx),
        Question(role, ("ssm:GetParameters",), params or ("*",), ctx),
    ]


def execution_role_questions(td: TaskDefinition, region: str) -> list[Question]:
    """What the execution role must allow for this task definition to start (its ECR pulls and awslogs)."""
    if not td.execution_role:
        return []
    role = td.execution_role
    questions = _ecr_questions(role, td, region) if uses_ecr(td) else []
    if uses_awslogs(td):
        questions += _logs_questions(role, td, region)
    return questions or [Question(role, EXISTS_ONLY, ("*",), context(region))]


def rule_questions(rule_id: str, td: TaskDefinition | None, region: str) -> list[Question]:
    """What a stopped-task rule about permissions asks of the execution role."""
    if td is None or not td.execution_role or rule_id not in ROLE_RULES:
        return []
    if rule_id == "pull.ecr-permissions":
        return _ecr_questions(td.execution_role, td, region)
    if rule_id == "secrets.denied":
        return _secret_questions(td.execution_role, td, region)
    return _logs_questions(td.execution_role, td, region)


def kms_key_arn(key: str, region: str, account: str) -> str:
    """A KMS key id, alias or ARN as an ARN."""
    if key.startswith("arn:"):
        return key
    if key.startswith("alias/"):
        return f"arn:aws:kms:{region}:{account}:{key}"
    return f"arn:aws:kms:{region}:{account}:key/{key}"


def exec_questions(td: TaskDefinition, kms_key: str | None, region: str) -> list[Question]:
    """What ECS Exec needs from the task role: the four ssmmessages actions, and kms:Decrypt when encrypted."""
    if not td.task_role:
        return []
    questions = [Question(td.task_role, EXEC_ACTIONS, ("*",), context(region))]
    if kms_key:
        arn = kms_key_arn(kms_key, region, _account(td.task_role))
        questions.append(Question(td.task_role, ("kms:Decrypt",), (arn,), context(region)))
    return questions


@dataclass(frozen=True)
class Classified:
    """A stopped task, the rule that explains it, and the container whose exit it is about."""

    task: Task
    rule: Rule
    container: ContainerExit | None
    task_definition: TaskDefinition | None


def classify(task: Task, td: TaskDefinition | None) -> Classified:
    """Classify one stopped task with the rule table (essential containers from its task definition)."""
    essential = {c.name for c in (td.containers if td else ()) if c.essential}
    containers = tuple(
        ContainerExit(
            name=c.name,
            exit_code=c.exit_code,
            reason=c.reason,
            essential=not essential or c.name in essential,
        )
        for c in task.containers
    )
    rule, container = classify_stop(StopInfo(task.stop_code, task.stopped_reason, containers))
    return Classified(task, rule, container, td)


def log_stream(cdef: ContainerDefinition | None, container: str, task_arn: str, region: str) -> tuple[str, str] | str:
    """The (group, stream) of a container's awslogs output, or why it cannot be read."""
    log = cdef.log if cdef else None
    if log is None or log.driver != "awslogs":
        return f"{container} has no awslogs configuration: its output was not kept"
    if not log.group or not log.stream_prefix:
        return f"awslogs-stream-prefix is unset for {container}: the log stream name cannot be derived"
    if log.region and log.region != region:
        return f"logs are in {log.region}: see {log.group}"
    return log.group, f"{log.stream_prefix}/{container}/{task_arn.rsplit('/', 1)[-1]}"


def secret_lookup(ref: str, region: str) -> tuple[str, str]:
    """How to check a secret reference: ("secret", ARN), ("parameter", name) or ("elsewhere", its region)."""
    if ref.startswith("arn:") and ":secretsmanager:" in ref:
        parts = ref.split(":")
        return ("elsewhere", parts[3]) if parts[3] != region else ("secret", ":".join(parts[:7]))
    if ref.startswith("arn:") and ":ssm:" in ref:
        parts = ref.split(":", 5)
        return ("elsewhere", parts[3]) if parts[3] != region else ("parameter", parts[5].removeprefix("parameter"))
    return "parameter", ref
