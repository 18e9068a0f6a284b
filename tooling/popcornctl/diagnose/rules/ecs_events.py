"""ECS service events (DescribeServices ``services[].events[].message``)."""

from __future__ import annotations

from popcornctl.diagnose.findings import Status
from popcornctl.diagnose.rules.model import Example, Rule, Source
from popcornctl.diagnose.rules.target_health import TARGET_GROUP

_SVC = "(service goorm-popcorn-dev-api)"

SERVICE_EVENT_RULES: tuple[Rule, ...] = (
    Rule(
        id="event.deployment-failed",
        source=Source.SERVICE_EVENT,
        status=Status.FAIL,
        title="the deployment circuit breaker failed the deployment",
        cause="Tasks of the new deployment kept failing to start or to become healthy until the failure threshold.",
        remediation="Find why the new tasks stop (stopped-task findings) before redeploying.",
        pattern=r"deployment failed: tasks failed to start|deployment circuit breaker",
        highlight=True,
        examples=(
            Example(f"{_SVC} (deployment ecs-svc/8529431672305618917) deployment failed: tasks failed to start."),
        ),
    ),
    Rule(
        id="event.rollback",
        source=Source.SERVICE_EVENT,
        status=Status.FAIL,
        title="the service rolled back to the previous deployment",
        cause="The circuit breaker (rollback=true) or a CloudWatch alarm rolled the service back.",
        remediation="The release did not ship; fix the cause in the stopped tasks and deploy again.",
        pattern=r"rolling back to deployment",
        highlight=True,
        examples=(Example(f"{_SVC} rolling back to deployment ecs-svc/4390811269346721830."),),
    ),
    Rule(
        id="event.start-impaired",
        source=Source.SERVICE_EVENT,
        status=Status.FAIL,
        title="tasks keep failing to start (ECS is backing off)",
        cause="Several consecutive task launches failed; ECS now waits longer between attempts.",
        remediation="Read the stopped-task findings for the reason; ECS resumes normal speed once a task starts.",
        pattern=r"is unable to consistently start tasks successfully",
        highlight=True,
        examples=(
            Example(
                f"{_SVC} is unable to consistently start tasks successfully. For more information, see the "
                "Troubleshooting section of the Amazon ECS Developer Guide."
            ),
        ),
    ),
    Rule(
        id="event.unable-to-place",
        source=Source.SERVICE_EVENT,
        status=Status.FAIL,
        title="ECS cannot place tasks",
        cause="No capacity matches the task: no container instances, not enough CPU/memory/ports, a placement "
        "constraint, or an account task/vCPU quota.",
        remediation="Read the Reason in the event: add capacity (capacity provider / ASG), fix constraints, or "
        "raise the Fargate vCPU quota.",
        pattern=r"(was|is) unable to place a task",
        highlight=True,
        examples=(
            Example(
                f"{_SVC} was unable to place a task because no container instance met all of its requirements. "
                "Reason: No Container Instances were found in your cluster."
            ),
            Example(
                f"{_SVC} was unable to place a task. Reason: You've reached the limit on the number of tasks you "
                "can run concurrently."
            ),
        ),
    ),
    Rule(
        id="event.failed-to-launch",
        source=Source.SERVICE_EVENT,
        status=Status.FAIL,
        title="ECS failed to launch tasks",
        cause="The launch itself was rejected (a role ECS cannot assume or pass, a missing subnet or security "
        "group, an invalid task definition).",
        remediation="Read the error in the event; for role errors check the trust policy (ecs-tasks.amazonaws.com) "
        "and iam:PassRole.",
        pattern=r"failed to launch a task",
        highlight=True,
        examples=(
            Example(
                f"{_SVC} failed to launch a task with (error ECS was unable to assume the role "
                "'arn:aws:iam::123456789012:role/goorm-popcorn-dev-ecs-execution' that was provided for this task. "
                "Please verify that the role being passed has the proper trust relationship and permissions and "
                "that your IAM user has permissions to pass this role.)."
            ),
        ),
    ),
    Rule(
        id="event.unhealthy",
        source=Source.SERVICE_EVENT,
        status=Status.FAIL,
        title="targets are unhealthy in the load balancer",
        cause="The target group's health check fails for the service's tasks.",
        remediation="See the load-balancer finding: the target-health reason says what fails.",
        pattern=r"is unhealthy in \((target-group|elb)",
        highlight=True,
        examples=(
            Example(
                f"{_SVC} (port 8080) is unhealthy in (target-group {TARGET_GROUP}) due to (reason Health checks "
                "failed with these codes: [502])."
            ),
        ),
    ),
    Rule(
        id="event.container-health",
        source=Source.SERVICE_EVENT,
        status=Status.FAIL,
        title="tasks fail their container health check",
        cause="The container healthCheck command keeps failing.",
        remediation="Run the health-check command in the image by hand; raise startPeriod if the app boots slowly.",
        pattern=r"failed container health checks",
        highlight=True,
        examples=(Example(f"{_SVC} (task 0a1b2c3d4e5f46a7b8c9d0e1f2a3b4c5) failed container health checks."),),
    ),
    Rule(
        id="event.register-targets",
        source=Source.SERVICE_EVENT,
        status=Status.FAIL,
        title="ECS could not (de)register targets",
        cause="The target group rejected the task's IP/instance (wrong target type, stopped instance, or a "
        "deleted target group).",
        remediation='Use target_type = "ip" for awsvpc tasks and check the target group still exists.',
        pattern=r"failed to (register|deregister) targets",
        highlight=True,
        examples=(
            Example(
                f"{_SVC} failed to register targets in (target-group {TARGET_GROUP}) with (error The following targets "
                "are not in a running state and cannot be registered: 'i-0123456789abcdef0')"
            ),
        ),
    ),
    Rule(
        id="event.deploy-config",
        source=Source.SERVICE_EVENT,
        status=Status.WARN,
        title="the deployment configuration blocks the rollout",
        cause="minimumHealthyPercent/maximumPercent leave ECS no room to stop or start a task.",
        remediation="Allow room: maximumPercent 200 with minimumHealthyPercent 100 (or 50 for single-task dev).",
        pattern=r"was unable to stop or start tasks during a deployment",
        highlight=True,
        examples=(
            Example(
                f"{_SVC} was unable to stop or start tasks during a deployment because of the service deployment "
                "configuration. Update the minimumHealthyPercent or maximumPercent value and try again."
            ),
        ),
    ),
    Rule(
        id="event.throttled",
        source=Source.SERVICE_EVENT,
        status=Status.WARN,
        title="ECS throttles the service's operations",
        cause="Too many API calls or launches in a short time.",
        remediation="Nothing to do if it passes; otherwise reduce deployment frequency or request higher limits.",
        pattern=r"operations are being throttled",
        examples=(Example(f"{_SVC} operations are being throttled. Will try again later."),),
    ),
    Rule(
        id="event.steady",
        source=Source.SERVICE_EVENT,
        status=Status.OK,
        title="the service reached a steady state",
        cause="Running count equals desired count and all deployments are complete.",
        remediation="Nothing to do.",
        pattern=r"has reached a steady state",
        examples=(Example(f"{_SVC} has reached a steady state."),),
    ),
)
