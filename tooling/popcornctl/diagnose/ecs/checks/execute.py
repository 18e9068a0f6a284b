"""ECS Exec readiness: the prerequisites amazon-ecs-exec-checker checks, from facts already read."""

from __future__ import annotations

from popcornctl.diagnose.ecs import lookups
from popcornctl.diagnose.ecs.subjects import ServiceSubject
from popcornctl.diagnose.facts import arn_name
from popcornctl.diagnose.findings import Finding, Status, worst
from popcornctl.diagnose.registry import check
from popcornctl.diagnose.vpc.paths import missing_endpoints, no_way_out

Problem = tuple[Status, str]
AGENT_TASKS = 5  # running tasks whose exec agent is looked at


@check(
    "ecs.exec",
    kind="ecs-service",
    order=90,
    title="ECS Exec readiness",
    looks_at="enableExecuteCommand; the task role (iam:SimulatePrincipalPolicy, else its policy documents) for the "
    "four ssmmessages actions and kms:Decrypt; containers' readonlyRootFilesystem/initProcessEnabled; running "
    "tasks' ExecuteCommandAgent and platform version; the subnets' routes and the ssmmessages endpoint",
    findings=("exec",),
    reads=("task_definition", "task_role"),
    ok="exec off (a note), or ready",
    warn="no running task to check; tasks without the agent (started before exec was enabled); read-only root "
    "filesystem",
    fail="task role missing or without the four `ssmmessages` actions (explicit Deny counts), `kms:Decrypt` missing "
    "when sessions are encrypted, agent not RUNNING, Fargate below 1.4.0, private subnets with neither NAT nor the "
    "`ssmmessages` endpoint",
)
def ecs_exec(subject: ServiceSubject) -> list[Finding]:
    """Whether ``aws ecs execute-command`` can work on this service's tasks."""
    if not subject.service.exec_enabled:
        return [
            Finding(
                "exec",
                Status.OK,
                "ECS Exec is off for this service",
                evidence=["set enable_execute_command = true to use aws ecs execute-command"],
            )
        ]
    problems: list[Problem] = []
    evidence: list[str] = []
    for part in (_task_role, _containers, _agents, _network):
        found, seen = part(subject)
        problems += found
        evidence += seen
    status = worst(s for s, _ in problems)
    if status is Status.OK:
        return [Finding("exec", Status.OK, "ECS Exec ready", evidence=evidence)]
    problems.sort(key=lambda p: -p[0].rank)  # the title names the worst problem
    return [
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
    ]


def _task_role(subject: ServiceSubject) -> tuple[list[Problem], list[str]]:
    td = subject.task_definition
    if td is None or not td.task_role:
        return [(Status.FAIL, "the task definition has no task role (ECS Exec needs ssmmessages:* on it)")], []
    questions = lookups.exec_questions(td, subject.cluster.exec_kms_key, subject.region)
    name = arn_name(td.task_role)
    verdict = subject.verdict(questions[:1])
    if verdict is None:
        return [], []  # unreadable: the runner reports the gap
    if not verdict.exists:
        return [(Status.FAIL, f"task role {name} does not exist")], []
    problems: list[Problem] = []
    evidence: list[str] = []
    lacking = verdict.missing + verdict.denied
    if lacking:
        problems.append((Status.FAIL, f"task role {name} lacks {', '.join(lacking)}"))
    else:
        evidence.append(f"task role {name} allows ssmmessages:Create/Open Control/Data Channel")
    kms = subject.verdict(questions[1:]) if len(questions) > 1 else None
    if kms is not None and not kms.ok:
        key = subject.cluster.exec_kms_key
        problems.append((Status.FAIL, f"sessions are encrypted with {key} but the task role lacks kms:Decrypt"))
    evidence.append(verdict.how)
    return problems, evidence


def _containers(subject: ServiceSubject) -> tuple[list[Problem], list[str]]:
    problems: list[Problem] = []
    evidence: list[str] = []
    for cdef in subject.task_definition.containers if subject.task_definition else ():
        if cdef.readonly_root:
            problems.append(
                (Status.WARN, f"{cdef.name} has readonlyRootFilesystem: the SSM agent cannot write its files")
            )
        if not cdef.init_process:
            evidence.append(f"{cdef.name}: initProcessEnabled is off (recommended on, to reap exec sessions)")
    return problems, evidence


def _agents(subject: ServiceSubject) -> tuple[list[Problem], list[str]]:
    if not subject.running:
        return [(Status.WARN, "no running task to check the exec agent on")], []
    problems: list[Problem] = []
    evidence: list[str] = []
    for task in subject.running[:AGENT_TASKS]:
        version = task.platform_version or ""
        if task.launch_type == "FARGATE" and version and version != "LATEST" and version < "1.4.0":
            problems.append((Status.FAIL, f"task {task.id} runs Fargate {version}; ECS Exec needs 1.4.0+"))
        agents = [status for c in task.containers for status in c.exec_agents]
        if not agents:
            problems.append(
                (
                    Status.WARN,
                    f"task {task.id} has no exec agent: it started before exec was enabled (force a new deployment)",
                )
            )
        elif any(status != "RUNNING" for status in agents):
            problems.append((Status.FAIL, f"task {task.id} exec agent is {', '.join(agents)}"))
        else:
            evidence.append(f"task {task.id}: ExecuteCommandAgent RUNNING")
    return problems, evidence


def _network(subject: ServiceSubject) -> tuple[list[Problem], list[str]]:
    network = subject.service.network
    outcome = subject.routes()
    if network is None or outcome is None or not outcome.value:
        return [], []
    routes = list(outcome.value.values())
    if not no_way_out(routes, network.public_ip):
        return [], []
    have = subject.endpoint_services(list(dict.fromkeys(r.vpc_id for r in routes)))
    if missing_endpoints(have, subject.region, ["ssmmessages"]):
        return [(Status.FAIL, "private subnets without NAT and without the ssmmessages VPC endpoint")], []
    return [], []
