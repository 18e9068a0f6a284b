"""ELBv2 target health (DescribeTargetHealth ``TargetHealth.Reason`` and its description)."""

from __future__ import annotations

from popcornctl.diagnose.findings import Status
from popcornctl.diagnose.rules.model import Example, Rule, Source

TARGET_GROUP = (
    "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/goorm-popcorn-dev-api/6d0ecf831eec9f09"
)


def _tg(rule_id: str, status: Status, code: str, description: str, cause: str, remediation: str) -> Rule:
    return Rule(
        id=rule_id,
        source=Source.TARGET_HEALTH,
        status=status,
        title=f"{code}: {description}",
        cause=cause,
        remediation=remediation,
        codes=frozenset({code}),
        examples=(Example(description, code=code),),
    )


TARGET_HEALTH_RULES: tuple[Rule, ...] = (
    _tg(
        "tg.response-code-mismatch",
        Status.FAIL,
        "Target.ResponseCodeMismatch",
        "Health checks failed with these codes: [502]",
        "The app answers the health-check path with a code outside the matcher (404: wrong path; 5xx: the app "
        "or its dependencies fail).",
        "Point the target group's health_check_path at an endpoint that returns 200 without dependencies, or "
        "widen the matcher; check the app's logs for the 5xx.",
    ),
    _tg(
        "tg.timeout",
        Status.FAIL,
        "Target.Timeout",
        "Request timed out",
        "The ALB gets no answer in time: the app does not listen on the target port, or the task's security "
        "group does not allow the container port from the ALB security group.",
        "Allow the container port from the ALB security group on the ECS security group, make the app listen on "
        "0.0.0.0:<port>, and keep the health check faster than its timeout.",
    ),
    _tg(
        "tg.failed-health-checks",
        Status.FAIL,
        "Target.FailedHealthChecks",
        "Health checks failed",
        "The connection to the target failed (connection refused/reset): the app is not listening yet or crashed.",
        "Check the container port mapping matches the app's listen port, and the grace period covers boot time.",
    ),
    _tg(
        "tg.initial",
        Status.WARN,
        "Elb.InitialHealthChecking",
        "Initial health checks in progress",
        "The target was registered recently and has not passed HealthyThreshold checks yet.",
        "Wait interval x healthy threshold; if it never passes, see the other reasons.",
    ),
    _tg(
        "tg.registering",
        Status.WARN,
        "Elb.RegistrationInProgress",
        "Target registration is in progress",
        "The target is being registered.",
        "Wait; if it persists, check the target group still exists.",
    ),
    _tg(
        "tg.not-registered",
        Status.WARN,
        "Target.NotRegistered",
        "Target is not registered to the target group",
        "The target is not (or no longer) in the target group.",
        "Nothing to do for stopped tasks; for running tasks check the service's loadBalancers block.",
    ),
    _tg(
        "tg.not-in-use",
        Status.FAIL,
        "Target.NotInUse",
        "Target group is not configured to receive traffic from the load balancer",
        "No listener rule forwards to this target group, or the target's AZ is not enabled on the load balancer.",
        "Add a listener rule forwarding to the target group (alb module routed_services) and enable the "
        "tasks' AZs on the load balancer.",
    ),
    _tg(
        "tg.draining",
        Status.OK,
        "Target.DeregistrationInProgress",
        "Target deregistration is in progress",
        "The target is draining (a deployment or scale-in replaced it).",
        "Nothing to do; lower deregistration_delay to speed deployments up.",
    ),
    _tg(
        "tg.invalid-state",
        Status.FAIL,
        "Target.InvalidState",
        "Target is in the stopped or terminated state",
        "The registered instance or task is gone.",
        "Let ECS re-register; check the service's tasks are running.",
    ),
    _tg(
        "tg.ip-unusable",
        Status.FAIL,
        "Target.IpUnusable",
        "The target IP address is reserved for use by a load balancer",
        "The IP belongs to a load balancer node.",
        "Use the task ENI addresses only (target_type ip, registered by ECS).",
    ),
    _tg(
        "tg.health-check-disabled",
        Status.WARN,
        "Target.HealthCheckDisabled",
        "Health checks are disabled",
        "Health checks are off, so the ALB routes to every target blindly.",
        "Enable the health check on the target group.",
    ),
    _tg(
        "tg.internal-error",
        Status.WARN,
        "Elb.InternalError",
        "Health checks failed due to an internal error",
        "An Elastic Load Balancing internal error.",
        "Retry later; open a support case if it persists.",
    ),
)
