"""Stopped tasks: classified with the rule table, grouped per cause, with the evidence each cause calls for."""

from __future__ import annotations

import re

from popcornctl.diagnose.ecs import lookups
from popcornctl.diagnose.ecs.lines import memory_limit, task_line
from popcornctl.diagnose.ecs.subjects import ServiceSubject
from popcornctl.diagnose.facts import arn_name
from popcornctl.diagnose.findings import Finding, Status
from popcornctl.diagnose.registry import check
from popcornctl.diagnose.vpc.paths import missing_endpoints, no_way_out, route_lines
from popcornctl.diagnose.window import human_age

EVIDENCE_TASKS = 3
LOG_LINES = 5
_ERROR_LINE = re.compile(
    r"\b(error|exception|fatal|panic|traceback|critical|failed|refused|denied|killed|caused by)\b", re.IGNORECASE
)
_ROLE_EVIDENCE = {"pull.ecr-permissions", "secrets.denied", "logs.denied"}


@check(
    "ecs.tasks.stopped",
    kind="ecs-service",
    order=50,
    title="why tasks stopped",
    looks_at="DescribeTasks stopCode, stoppedReason, containers' exitCode/reason (classified by the stopped-task "
    "rules); per cause: subnet routes, VPC endpoints, the ECR tag, the execution role, the log group, the "
    "container's log tail",
    findings=("tasks.stopped",),
    ok="none in the window, or only routine stops",
    warn="WARN rule (Spot, SIGTERM ignored, exit 0, unclassified)",
    fail="FAIL rule; one finding per rule with the newest tasks as evidence",
)
def stopped_tasks(subject: ServiceSubject) -> list[Finding]:
    """One finding per cause of the stopped tasks in the window, worst and most frequent first."""
    if not subject.stopped:
        return [
            Finding(
                "tasks.stopped",
                Status.OK,
                f"no tasks stopped in the last {human_age(subject.window.since)} "
                "(ECS keeps stopped tasks about an hour)",
            )
        ]
    groups: dict[str, list[lookups.Classified]] = {}
    for item in subject.classified():
        groups.setdefault(item.rule.id, []).append(item)
    problems = [members for members in groups.values() if members[0].rule.status is not Status.OK]
    if not problems:
        counts = ", ".join(f"{len(members)} {members[0].rule.title}" for members in groups.values())
        return [Finding("tasks.stopped", Status.OK, f"{len(subject.stopped)} task(s) stopped routinely: {counts}")]
    problems.sort(key=lambda members: (-members[0].rule.status.rank, -len(members)))
    return [_cause(subject, members) for members in problems]


def _cause(subject: ServiceSubject, members: list[lookups.Classified]) -> Finding:
    first = members[0]
    rule, container, td = first.rule, first.container, first.task_definition
    now = subject.window.end
    evidence = [task_line(m.task, m.container, now) for m in members[:EVIDENCE_TASKS]]
    if len(members) > EVIDENCE_TASKS:
        evidence.append(f"... and {len(members) - EVIDENCE_TASKS} more")
    title = f"{len(members)} task(s) stopped: {rule.title}"
    if rule.id in ("exit.oom", "exit.137") and container is not None:
        limit = memory_limit(td, container.name)
        title = f"{len(members)} task(s) out of memory: container {container.name} killed at {limit}"
        evidence.append(f"memory limit of {container.name}: {limit}")
        evidence += log_tail(subject, first)
    elif rule.id == "exit.nonzero" and container is not None:
        title = f"{len(members)} task(s) stopped: {container.name} exited with code {container.exit_code}"
        evidence += log_tail(subject, first)
    evidence += _confirming(subject, first)
    return Finding(
        "tasks.stopped",
        rule.status,
        title,
        evidence=evidence,
        cause=rule.cause,
        remediation=rule.remediation,
        rule=rule.id,
    )


def log_tail(subject: ServiceSubject, item: lookups.Classified) -> list[str]:
    """The last lines of the container's awslogs stream (its error lines when there are any)."""
    assert item.container is not None
    name = item.container.name
    cdef = item.task_definition.container(name) if item.task_definition else None
    where = lookups.log_stream(cdef, name, item.task.arn, subject.region)
    if isinstance(where, str):
        return [where]
    group, stream = where
    outcome = subject.facts.log_tails.get(where)
    if outcome is None or outcome.value is None:
        error = outcome.error if outcome else "not read"
        return [f"could not read {group} {stream}: {error}"]
    tail = outcome.value
    if tail.state == "not-found":
        return [f"log stream {group} {stream} not found (the container died before logging?)"]
    if tail.state == "empty":
        return [f"log stream {group} {stream} is empty"]
    errors = [line for line in tail.lines if _ERROR_LINE.search(line)]
    picked = (errors or list(tail.lines))[-LOG_LINES:]
    head = f"last {'error ' if errors else ''}lines of {group} {stream}:"
    return [head, *(f"  | {line[:300]}" for line in picked)]


def _confirming(subject: ServiceSubject, item: lookups.Classified) -> list[str]:
    """Look-ups that confirm (or rule out) a classification, like AWSSupport-TroubleshootECSTaskFailedToStart."""
    rule_id, td = item.rule.id, item.task_definition
    lines: list[str] = []
    if rule_id in lookups.NETWORK_RULES:
        lines += network_evidence(subject, lookups.NETWORK_RULES[rule_id])
    if rule_id == "pull.image-not-found" and td is not None:
        lines += _image_evidence(subject, [c.image for c in td.containers])
    if rule_id in _ROLE_EVIDENCE:
        lines += _role_evidence(subject, item)
    if rule_id in lookups.LOG_GROUP_RULES and td is not None:
        for group in lookups.awslogs_groups(td):
            exists = subject.facts.log_groups.get(group)
            if exists is not None and exists.value is not None:
                lines.append(f"log group {group} {'exists' if exists.value else 'does NOT exist'}")
    return lines


def _image_evidence(subject: ServiceSubject, images: list[str]) -> list[str]:
    lines = []
    for image in images:
        parsed = lookups.ecr_image(image)
        if not parsed:
            continue
        account, repo, tag = parsed
        if not tag:
            continue
        outcome = subject.facts.images.get((account, repo, tag))
        if outcome is None or outcome.value is None:
            lines.append(f"could not check ECR: {outcome.error if outcome else 'not read'}")
        elif outcome.value.state == "tag-missing":
            lines.append(f"tag {tag!r} is not in ECR repository {repo}")
        elif outcome.value.state == "repository-missing":
            lines.append(f"ECR repository {repo} does not exist in account {account}")
        else:
            lines.append(f"tag {tag!r} exists in {repo} now (pushed after the tasks failed? redeploy)")
    return lines


def _role_evidence(subject: ServiceSubject, item: lookups.Classified) -> list[str]:
    td = item.task_definition
    if td is None or not td.execution_role:
        return ["the task definition has no execution role"]
    questions = lookups.rule_questions(item.rule.id, td, subject.region)
    verdict = subject.verdict(questions)
    name = arn_name(td.execution_role)
    if verdict is None:
        errors = [a.error for a in (subject.facts.permissions.get(q) for q in questions) if a and a.error]
        return [f"could not read execution role {name}: {errors[0] if errors else 'not read'}"]
    if not verdict.exists:
        return [f"execution role {verdict.role_name} does not exist"]
    line = f"execution role {verdict.role_name}: allows {', '.join(verdict.allowed) or 'none of'}"
    if verdict.missing:
        line += f"; missing {', '.join(verdict.missing)}"
    if verdict.denied:
        line += f"; explicitly denied {', '.join(verdict.denied)}"
    return [line, verdict.how]


def network_evidence(subject: ServiceSubject, needed: list[str]) -> list[str]:
    """The task subnets' way out (routes, public IP, VPC endpoints) against the endpoints ``needed``."""
    network = subject.service.network
    if network is None or not network.subnets:
        return ["the service has no awsvpc network configuration to inspect"]
    outcome = subject.routes()
    if outcome is None or outcome.value is None:
        return [f"could not read the subnets' routes: {outcome.error if outcome else 'not read'}"]
    routes = list(outcome.value.values())
    lines = route_lines(routes)
    if any(r.via_igw for r in routes) and not network.public_ip:
        lines.append(
            "tasks run in public subnets without a public IP (assignPublicIp DISABLED): the internet "
            "gateway cannot carry their traffic"
        )
    if no_way_out(routes, network.public_ip):
        have = subject.endpoint_services(list(dict.fromkeys(r.vpc_id for r in routes)))
        missing = missing_endpoints(have, subject.region, needed)
        if missing:
            lines.append("no NAT/internet route and no VPC endpoint for: " + ", ".join(missing))
        else:
            lines.append(
                "VPC endpoints present for: " + ", ".join(needed) + " (check their security group allows 443 from "
                "the tasks)"
            )
    return lines
