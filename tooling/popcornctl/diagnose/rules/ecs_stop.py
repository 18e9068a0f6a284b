"""Stopped tasks, last part: the container started and then stopped (exits, kills, health checks, Spot).

Spot interruption and ELB health-check kills sit before the exit-code rules: they arrive with exit 137 too.
"""

from __future__ import annotations

from popcornctl.diagnose.findings import Status
from popcornctl.diagnose.rules.model import Example, Rule, Source
from popcornctl.diagnose.rules.target_health import TARGET_GROUP

STOP_RULES: tuple[Rule, ...] = (
    Rule(
        id="start.port-in-use",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="the container's host port is already taken",
        cause="bridge/host network mode with a static hostPort: another task on the same instance holds the port.",
        remediation="Use hostPort 0 (dynamic ports) with bridge mode, or awsvpc network mode, or a placement "
        "constraint distinctInstance.",
        pattern=r"port is already allocated|address already in use",
        examples=(
            Example(
                "CannotStartContainerError: Error response from daemon: driver failed programming external "
                "connectivity on endpoint ecs-api-1-api-c8d0e2 (5f1e): Bind for 0.0.0.0:8080 failed: port is "
                "already allocated",
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="start.timeout",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="the container did not start in time",
        cause="The container could not transition to RUNNING within the timeout (slow image extraction, a "
        "dependsOn condition never met, or an overloaded host).",
        remediation="Check dependsOn conditions and the sidecars they wait for, use smaller images, and on EC2 "
        "raise ECS_CONTAINER_START_TIMEOUT or use a larger instance.",
        pattern=r"ContainerRuntimeTimeoutError|DockerTimeoutError",
        examples=(
            Example(
                "ContainerRuntimeTimeoutError: Could not transition to running; timed out after waiting 1m: <reason>",
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="start.other",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="the container could not be started",
        cause="The container runtime refused to create or start the container; the message says why.",
        remediation="Read the reason; check volumes, linuxParameters, ulimits and the entry point; reproduce with "
        "docker run of the same image and settings.",
        pattern=r"CannotStartContainerError|CannotCreateVolumeError|CannotInspectContainerError",
        examples=(
            Example(
                "CannotStartContainerError: failed to get container status: <reason>", stop_code="TaskFailedToStart"
            ),
        ),
    ),
    Rule(
        id="spot.interrupted",
        source=Source.STOPPED_TASK,
        status=Status.WARN,
        title="Fargate Spot reclaimed the task",
        cause="AWS needed the Spot capacity back (a two-minute termination notice, SIGTERM, then stop).",
        remediation="Expected on FARGATE_SPOT: keep a FARGATE base in the capacity provider strategy for steady "
        "capacity, handle SIGTERM within stopTimeout (<= 120 s).",
        pattern=r"Your Spot Task was interrupted",
        codes=frozenset({"SpotInterruption", "TerminationNotice"}),
        examples=(
            Example("Your Spot Task was interrupted.", stop_code="TerminationNotice"),
            Example("Your Spot Task was interrupted.", stop_code="SpotInterruption", exit_code=137),
        ),
    ),
    Rule(
        id="health.elb",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="tasks were killed by load balancer health checks",
        cause="The target group marked the task unhealthy (wrong health-check path or port, the app answering "
        "too slowly or with a non-2xx code, or the ALB security group not allowed to reach the task port) "
        "and ECS replaced it.",
        remediation="Check the target-health reasons below; make the health-check path return 200 quickly, allow "
        "the container port from the ALB security group, and set healthCheckGracePeriodSeconds above the "
        "app's boot time.",
        pattern=r"failed ELB health checks",
        examples=(
            Example(
                f"Task failed ELB health checks in (target-group {TARGET_GROUP})",
                stop_code="ServiceSchedulerInitiated",
                exit_code=137,
            ),
        ),
    ),
    Rule(
        id="health.container",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="tasks failed their container health check",
        cause="The container healthCheck command failed 'retries' times in a row after startPeriod.",
        remediation="Run the healthCheck command in the image by hand (curl must exist in the image), raise "
        "startPeriod to cover boot time, and check the app's own logs.",
        pattern=r"failed container health checks",
        examples=(Example("Task failed container health checks", stop_code="ServiceSchedulerInitiated"),),
    ),
    Rule(
        id="host.lost",
        source=Source.STOPPED_TASK,
        status=Status.WARN,
        title="the container instance went away",
        cause="The EC2 container instance was stopped, terminated (scale-in, Spot) or deregistered.",
        remediation="Enable managed termination protection/draining on the capacity provider so tasks move "
        "before instances go.",
        pattern=r"Host EC2 \(instance [^)]*\) (stopped|terminated)|Container instance deregistration forced",
        examples=(
            Example("Host EC2 (instance i-0123456789abcdef0) stopped/terminated.", stop_code="TaskFailedToStart"),
        ),
    ),
    Rule(
        id="exit.oom",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="out of memory: the container was killed",
        cause="The container exceeded its memory limit and the kernel OOM killer sent SIGKILL (exit code 137).",
        remediation="Raise the container 'memory' (hard limit) and the task memory (a valid Fargate pair), or cap "
        "the runtime's heap (e.g. -XX:MaxRAMPercentage=75, NODE_OPTIONS=--max-old-space-size) below it.",
        pattern=r"OutOfMemoryError|killed due to memory usage",
        examples=(
            Example(
                "Essential container in task exited\nOutOfMemoryError: Container killed due to memory usage",
                stop_code="EssentialContainerExited",
                exit_code=137,
            ),
        ),
    ),
    Rule(
        id="exit.sigkill",
        source=Source.STOPPED_TASK,
        status=Status.WARN,
        title="the app ignored SIGTERM and was killed when ECS stopped it",
        cause="ECS sent SIGTERM, waited stopTimeout (30 s default) and sent SIGKILL (exit 137): the process does "
        "not shut down on SIGTERM (often PID 1 in a shell wrapper).",
        remediation="Handle SIGTERM in the app, exec the process from the entry script (exec java ...) or set "
        "initProcessEnabled=true, and keep stopTimeout above the app's drain time.",
        codes=frozenset({"ServiceSchedulerInitiated", "UserInitiated"}),
        exit="137",
        examples=(
            Example(
                "Scaling activity initiated by (deployment ecs-svc/8529431672305618917)",
                stop_code="ServiceSchedulerInitiated",
                exit_code=137,
            ),
        ),
    ),
    Rule(
        id="exit.137",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="the container was killed with SIGKILL (exit 137), most likely out of memory",
        cause="Exit code 137 is SIGKILL; without a stop request it is almost always the OOM killer.",
        remediation="Raise the container 'memory' and the task memory, or cap the runtime's heap below the limit; "
        "check the MemoryUtilization metric of the service.",
        exit="137",
        examples=(Example("Essential container in task exited", stop_code="EssentialContainerExited", exit_code=137),),
    ),
    Rule(
        id="exit.nonzero",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="the app exited with an error",
        cause="The essential container's process exited with a non-zero code; its last log lines say why.",
        remediation="Read the log lines below; common causes are missing environment variables or secrets, an "
        "unreachable database (security group from the ECS SG on 5432), or a failed migration.",
        exit="nonzero",
        examples=(Example("Essential container in task exited", stop_code="EssentialContainerExited", exit_code=1),),
    ),
    Rule(
        id="stop.scheduler",
        source=Source.STOPPED_TASK,
        status=Status.OK,
        title="stopped by the service scheduler (deployment or scale-in)",
        cause="Routine replacement during a deployment or scale-in.",
        remediation="Nothing to do.",
        pattern=r"Scaling activity initiated by",
        codes=frozenset({"ServiceSchedulerInitiated"}),
        examples=(
            Example(
                "Scaling activity initiated by (deployment ecs-svc/8529431672305618917)",
                stop_code="ServiceSchedulerInitiated",
                exit_code=0,
            ),
        ),
    ),
    Rule(
        id="stop.user",
        source=Source.STOPPED_TASK,
        status=Status.OK,
        title="stopped by a user or API call",
        cause="Someone (or automation) called StopTask.",
        remediation="Nothing to do unless the stop was unexpected (see CloudTrail StopTask).",
        pattern=r"Task stopped by user",
        codes=frozenset({"UserInitiated"}),
        examples=(Example("Task stopped by user", stop_code="UserInitiated", exit_code=0),),
    ),
    Rule(
        id="exit.zero",
        source=Source.STOPPED_TASK,
        status=Status.WARN,
        title="the app exited successfully, which a service does not expect",
        cause="The essential container's process finished with exit code 0; a service needs a long-running "
        "process, so ECS starts a new task.",
        remediation="Make the container's command run in the foreground (no daemon mode, no '&'), or run one-off "
        "jobs as standalone tasks, not as a service.",
        pattern=r"Essential container in task exited",
        exit="zero",
        examples=(Example("Essential container in task exited", stop_code="EssentialContainerExited", exit_code=0),),
    ),
    Rule(
        id="stop.unclassified",
        source=Source.STOPPED_TASK,
        status=Status.WARN,
        title="the task stopped for a reason popcornctl does not know",
        cause="No rule matched the stop reason; it is shown verbatim.",
        remediation="Read the reason; the AWS 'Amazon ECS stopped task errors' pages list most messages.",
        examples=(Example("Task stopped for a reason no rule knows", stop_code="TaskFailedToStart"),),
    ),
)
