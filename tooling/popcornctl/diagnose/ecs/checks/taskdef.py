"""The service's task definition: Fargate size, logging, image tags, secrets, and the execution role."""

from __future__ import annotations

from popcornctl.diagnose.ecs import lookups
from popcornctl.diagnose.ecs.facts import Service, TaskDefinition
from popcornctl.diagnose.ecs.subjects import ServiceSubject
from popcornctl.diagnose.facts import arn_name
from popcornctl.diagnose.findings import Finding, Status
from popcornctl.diagnose.iam.questions import SIMULATOR
from popcornctl.diagnose.registry import check

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
_TD = "DescribeTaskDefinition"


def _td(subject: ServiceSubject) -> TaskDefinition:
    assert subject.task_definition is not None  # every check here reads "task_definition"
    return subject.task_definition


def _mib(value: str | None) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def is_fargate(svc: Service, td: TaskDefinition) -> bool:
    """True when the service runs on Fargate (launch type, compatibility or capacity provider)."""
    if svc.launch_type == "FARGATE" or "FARGATE" in td.requires:
        return True
    return any(p.startswith("FARGATE") for p in svc.capacity_providers)


def floating_tag(image: str) -> bool:
    """True for an image tagged 'latest' or not at all (pinned by digest is not floating)."""
    if "@sha256:" in image:
        return False
    last = image.rsplit("/", 1)[-1]
    return ":" not in last or last.endswith(":latest")


@check(
    "ecs.taskdef",
    kind="ecs-service",
    order=60,
    title="the task definition passes every taskdef check",
    looks_at=f"{_TD} (the service's revision)",
    findings=("taskdef",),
    reads=("task_definition",),
    ok="the task definition passes every check below",
    fail="the task definition cannot be read",
)
def taskdef(subject: ServiceSubject) -> list[Finding]:
    """One OK line when none of the task-definition checks finds anything."""
    problems = [f for fn in (fargate_size, logging, image_tag, secrets, execution_role) for f in fn(subject)]
    if problems or "execution_role" in subject.gaps:
        return []
    td = _td(subject)
    count = sum(len(c.secrets) for c in td.containers)
    size = f"cpu {td.cpu} / memory {td.memory}, " if td.cpu else ""
    return [
        Finding(
            "taskdef",
            Status.OK,
            f"task definition {td.name}: {size}logs configured, pinned images, "
            f"{count} secret(s) resolvable, execution role present",
        )
    ]


@check(
    "ecs.taskdef.fargate-size",
    kind="ecs-service",
    order=61,
    title="a valid Fargate cpu/memory pair",
    looks_at=f"{_TD} cpu, memory, requiresCompatibilities; the service's launch type",
    findings=("taskdef.fargate-size",),
    reads=("task_definition",),
    fail="cpu/memory not a valid Fargate pair (the valid memory range is shown)",
)
def fargate_size(subject: ServiceSubject) -> list[Finding]:
    """Fargate runs only fixed cpu/memory pairs."""
    td = _td(subject)
    if not is_fargate(subject.service, td):
        return []
    cpu, memory = _mib(td.cpu), _mib(td.memory)
    valid = FARGATE_SIZES.get(cpu or 0, [])
    if cpu is not None and memory is not None and memory in valid:
        return []
    options = f"{valid[0]}-{valid[-1]} MiB" if valid else "cpu must be 256, 512, 1024, 2048, 4096, 8192 or 16384"
    return [
        Finding(
            "taskdef.fargate-size",
            Status.FAIL,
            f"cpu {td.cpu} / memory {td.memory} is not a Fargate size",
            evidence=[f"valid memory for cpu {cpu}: {options}"],
            cause="Fargate runs only fixed cpu/memory pairs; other values are rejected at launch.",
            remediation="Pick a valid pair, e.g. 256/512, 512/1024, 1024/2048, 2048/4096.",
        )
    ]


@check(
    "ecs.taskdef.logs",
    kind="ecs-service",
    order=62,
    title="every container keeps its output",
    looks_at=f"{_TD} containerDefinitions[].logConfiguration",
    findings=("taskdef.logs",),
    reads=("task_definition",),
    warn="a container without `logConfiguration`",
)
def logging(subject: ServiceSubject) -> list[Finding]:
    """Containers without a log configuration lose their output."""
    no_logs = [c.name for c in _td(subject).containers if c.log is None]
    if not no_logs:
        return []
    return [
        Finding(
            "taskdef.logs",
            Status.WARN,
            f"no log configuration for: {', '.join(no_logs)}",
            cause="Without logConfiguration the container's output is lost, so crashes cannot be explained.",
            remediation="Add logConfiguration with the awslogs driver (group, region, stream prefix).",
        )
    ]


@check(
    "ecs.taskdef.image-tag",
    kind="ecs-service",
    order=63,
    title="images pinned to an immutable tag",
    looks_at=f"{_TD} containerDefinitions[].image",
    findings=("taskdef.image-tag",),
    reads=("task_definition",),
    warn="an image tagged `latest` or untagged",
)
def image_tag(subject: ServiceSubject) -> list[Finding]:
    """'latest' (or no tag) makes deployments unreproducible."""
    floating = [f"{c.name}: {c.image}" for c in _td(subject).containers if floating_tag(c.image)]
    if not floating:
        return []
    return [
        Finding(
            "taskdef.image-tag",
            Status.WARN,
            "image tag 'latest' (or none): deployments are not reproducible",
            evidence=floating,
            cause="A moving tag means two tasks of one revision can run different code, and rollbacks do not "
            "roll back.",
            remediation="Deploy immutable tags (the git SHA) and make the ECR repository tag-immutable.",
        )
    ]


@check(
    "ecs.taskdef.secrets",
    kind="ecs-service",
    order=64,
    title="secret references point at something",
    looks_at=f"{_TD} secrets[].valueFrom and repositoryCredentials; secretsmanager:DescribeSecret, ssm:GetParameters",
    findings=("taskdef.secrets",),
    reads=("task_definition",),
    warn="a reference that could not be checked (another region, no permission)",
    fail="a `secrets` `valueFrom` (or `repositoryCredentials`) pointing at a Secrets Manager secret or SSM "
    "parameter that does not exist",
)
def secrets(subject: ServiceSubject) -> list[Finding]:
    """References to secrets or parameters that do not exist (or could not be checked)."""
    missing, unknown = [], []
    for container in _td(subject).containers:
        for ref in container.secret_refs:
            verdict = subject.facts.secrets.get(ref, "not checked")
            if verdict is False:
                missing.append(f"{container.name}: {ref}")
            elif isinstance(verdict, str):
                unknown.append(f"{container.name}: {ref} ({verdict})")
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


@check(
    "ecs.taskdef.execution-role",
    kind="ecs-service",
    order=65,
    title="the execution role exists and may pull, log and read secrets",
    looks_at="the execution role: iam:SimulatePrincipalPolicy (ECR repository and log group ARNs, the region), "
    "else its policy documents",
    findings=("taskdef.execution-role",),
    reads=("task_definition", "execution_role"),
    warn="the role lacks the ECR/logs actions its task uses",
    fail="no execution role while awslogs, secrets or ECR images need one; or the role does not exist",
)
def execution_role(subject: ServiceSubject) -> list[Finding]:
    """ECS pulls images, writes logs and reads secrets with the execution role."""
    td = _td(subject)
    if not td.execution_role:
        return _no_role(td)
    verdict = subject.verdict(lookups.execution_role_questions(td, subject.region))
    name = arn_name(td.execution_role)
    if verdict is None:
        return []  # unreadable: the runner reports the gap
    if not verdict.exists:
        return [
            Finding(
                "taskdef.execution-role",
                Status.FAIL,
                f"execution role {name} does not exist",
                cause="The role was deleted or the ARN is wrong; every launch fails.",
                remediation="Re-create the role (terraform apply of the iam module) or fix execution_role_arn.",
            )
        ]
    lacking = verdict.missing + verdict.denied
    if not lacking or set(lacking) <= set(lookups.EXISTS_ONLY):
        return []
    verb = "lacks" if verdict.method == SIMULATOR else "may lack"
    return [
        Finding(
            "taskdef.execution-role",
            Status.WARN,
            f"execution role {name} {verb} {', '.join(lacking)}",
            evidence=[f"allowed: {', '.join(verdict.allowed) or 'none'}", verdict.how],
            cause="Missing ECR/logs permissions make tasks fail at start.",
            remediation="Attach AmazonECSTaskExecutionRolePolicy to the execution role.",
        )
    ]


def _no_role(td: TaskDefinition) -> list[Finding]:
    uses = [
        what
        for what, used in (
            ("awslogs", lookups.uses_awslogs(td)),
            ("secrets", any(c.secrets for c in td.containers)),
            ("ECR images", lookups.uses_ecr(td)),
        )
        if used
    ]
    if not uses:
        return []
    return [
        Finding(
            "taskdef.execution-role",
            Status.FAIL,
            "no task execution role",
            evidence=[f"the task uses {', '.join(uses)}, which ECS fetches with the execution role"],
            cause="Without executionRoleArn ECS cannot pull from ECR, write logs or read secrets.",
            remediation="Set execution_role_arn to a role trusted by ecs-tasks.amazonaws.com with "
            "AmazonECSTaskExecutionRolePolicy.",
        )
    ]
