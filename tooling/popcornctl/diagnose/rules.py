"""The classification table: AWS messages -> cause and fix.

Every rule carries at least one example in the real wording AWS uses (stopped-task reasons from the ECS
agent and the "Stopped tasks error codes" / "CannotPullContainer task errors" pages, service event
messages, ELB target-health reason codes, RDS event messages and DB instance statuses). The test suite
classifies every example and expects its own rule back, and ``docs/DIAGNOSE.md`` lists every rule.

Rules are tried in table order, so a specific rule sits before a broader one with the same words
(for example "image not found" before the CannotPullContainerError catch-all, Spot interruption before
the exit-code-137 rule, ELB health-check kills before exit codes).

Matching: a rule's ``pattern`` (regular expression, case-insensitive, over the message text) and its
``codes`` (stopCode / reason code / status) are alternatives — either one matching is enough; a rule
with neither matches any message. ``exit`` (stopped tasks only) is an extra condition on the exit code of
the essential container that stopped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from popcornctl.diagnose.findings import Status


class Source(StrEnum):
    """What kind of AWS message a rule reads."""

    STOPPED_TASK = "stopped-task"  # DescribeTasks: stopCode, stoppedReason, containers[].reason/exitCode
    SERVICE_EVENT = "service-event"  # DescribeServices: services[].events[].message
    TARGET_HEALTH = "target-health"  # DescribeTargetHealth: TargetHealth.Reason (+ Description)
    RDS_EVENT = "rds-event"  # DescribeEvents: Events[].Message
    RDS_STATUS = "rds-status"  # DescribeDBInstances: DBInstanceStatus


@dataclass(frozen=True)
class Example:
    """A message as AWS words it, with the fields that travel with it."""

    message: str
    stop_code: str | None = None
    exit_code: int | None = None
    code: str | None = None  # target-health reason code, or RDS status


@dataclass(frozen=True)
class Rule:
    """One classification: when it matches, what it means, and what to do."""

    id: str
    source: Source
    status: Status
    title: str
    cause: str
    remediation: str
    examples: tuple[Example, ...]
    pattern: str | None = None
    codes: frozenset[str] = field(default_factory=frozenset)
    exit: str | None = None  # "137" | "nonzero" | "zero" (stopped tasks)
    highlight: bool = False  # service events worth calling out ("unable to place", "unhealthy", ...)

    @cached_property
    def regex(self) -> re.Pattern[str] | None:
        """The compiled pattern."""
        return re.compile(self.pattern, re.IGNORECASE) if self.pattern else None

    def matches_text(self, text: str, code: str | None) -> bool:
        """Pattern or code (either is enough; neither given matches anything)."""
        if self.regex is None and not self.codes:
            return True
        if self.regex is not None and self.regex.search(text):
            return True
        return bool(code and code in self.codes)


# ---------------------------------------------------------------------------------------------------
# Stopped tasks
# ---------------------------------------------------------------------------------------------------

_ECR = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/goorm-popcorn/api"
_EXEC_ROLE = "arn:aws:sts::123456789012:assumed-role/goorm-popcorn-dev-ecs-execution/8f1c2e"
_SECRET = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:goorm-popcorn/dev/db-AbCdEf"
_TG = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/goorm-popcorn-dev-api/6d0ecf831eec9f09"
_NET_FIX = (
    "Give the task's subnets a route out: a NAT gateway for private subnets (0.0.0.0/0 -> nat-...), or "
    "assignPublicIp=ENABLED in public subnets, or interface VPC endpoints (com.amazonaws.<region>.ecr.api, "
    "ecr.dkr, logs, secretsmanager, ssm, kms) plus the S3 gateway endpoint; the endpoints' security group "
    "must allow 443 from the tasks."
)

STOPPED_TASK_RULES: tuple[Rule, ...] = (
    Rule(
        id="start.exec-not-found",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="the container's command cannot be executed",
        cause="The image has no such executable (wrong command/entryPoint), or was built for another CPU "
        "architecture (exec format error).",
        remediation="Fix command/entryPoint in the task definition or the image's ENTRYPOINT; for 'exec format "
        "error' build the image for the task's runtimePlatform (linux/amd64 vs linux/arm64).",
        pattern=r"executable file not found in \$PATH|exec format error|exec: \"[^\"]*\": stat [^:]*: no such file",
        examples=(
            Example(
                "CannotStartContainerError: Error response from daemon: OCI runtime create failed: "
                'container_linux.go:349: starting container process caused "exec: \\"/app/start.sh\\": '
                'executable file not found in $PATH": unknown',
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="pull.ecr-permissions",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="image pull denied: the execution role may not pull from ECR",
        cause="The task execution role (Fargate) or instance role (EC2) lacks ecr:GetAuthorizationToken, "
        "ecr:BatchGetImage or ecr:GetDownloadUrlForLayer, or the repository policy denies it.",
        remediation="Attach AmazonECSTaskExecutionRolePolicy (or those three ECR actions) to the execution role "
        "and check the repository policy; for a cross-account repository allow the role's account there.",
        pattern=r"Check that the role has the permissions to pull images|not authorized to perform: ecr:"
        r"|unexpected status code[^\n]*403 Forbidden",
        examples=(
            Example(
                "CannotPullContainerError: The task can’t pull the image. Check that the role has the permissions "
                f"to pull images from the registry. Error response from daemon: pull access denied for {_ECR}, "
                "repository does not exist or may require 'docker login': denied: User: "
                f"{_EXEC_ROLE} is not authorized to perform: ecr:BatchGetImage on resource: "
                "arn:aws:ecr:ap-northeast-2:123456789012:repository/goorm-popcorn/api because no identity-based "
                "policy allows the ecr:BatchGetImage action",
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="pull.rate-limit",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="image pull throttled by Docker Hub",
        cause="Anonymous Docker Hub pulls are limited per source IP; tasks behind one NAT gateway share it.",
        remediation="Mirror the image into ECR (an ECR pull-through cache rule for docker-hub) and point the task "
        "definition at the ECR URI, or authenticate pulls with repositoryCredentials.",
        pattern=r"toomanyrequests|reached your pull rate limit|Too Many Requests",
        examples=(
            Example(
                "CannotPullContainerError: inspect image has been retried 5 time(s): httpReaderSeeker: failed "
                "open: unexpected status code https://registry-1.docker.io/v2/manifests/sha256:2bb501e6429 Too "
                "Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may "
                "increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit",
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="pull.disk-full",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="no disk space to pull the image",
        cause="The container instance's Docker volume (EC2) or the task's ephemeral storage (Fargate) is full.",
        remediation="EC2: free space or enlarge the instance volume, cap json-file logs (max-size) or use awslogs; "
        "Fargate: raise ephemeralStorage.sizeInGiB (21-200) or slim the image.",
        pattern=r"no space left on device",
        examples=(
            Example(
                "CannotPullContainerError: write /var/lib/docker/tmp/GetImageBlob111111111: no space left on device",
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="pull.platform-mismatch",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="the image has no build for the task's CPU architecture",
        cause="The image manifest lists no linux/arm64 (or linux/amd64) variant matching runtimePlatform.",
        remediation="Build and push a multi-arch image (docker buildx --platform linux/amd64,linux/arm64) or set "
        "runtimePlatform.cpuArchitecture to the architecture the image was built for.",
        pattern=r"no matching manifest for|does not contain descriptor matching platform",
        examples=(
            Example(
                "CannotPullContainerError: Error response from daemon: no matching manifest for linux/arm64/v8 in "
                "the manifest list entries",
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="net.dns",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="the task cannot resolve AWS endpoint names (DNS)",
        cause="DNS resolution fails inside the VPC: enableDnsSupport/enableDnsHostnames is off, a custom DHCP "
        "option set points at an unreachable resolver, or interface endpoints lack private DNS.",
        remediation="Turn on enableDnsSupport and enableDnsHostnames on the VPC (aws_vpc enable_dns_*), use "
        "AmazonProvidedDNS in the DHCP options, and enable private DNS on the interface endpoints.",
        pattern=r"no such host|server misbehaving",
        examples=(
            Example(
                "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
                "failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): "
                'RequestError: send request failed caused by: Post "https://api.ecr.ap-northeast-2.amazonaws.com/": '
                "dial tcp: lookup api.ecr.ap-northeast-2.amazonaws.com on 10.0.0.2:53: no such host",
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="pull.no-route-s3",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="image layers cannot be downloaded from S3",
        cause="ECR serves layers from S3; the subnets have ECR interface endpoints but no S3 gateway endpoint "
        "(or its route is missing from their route table) and no NAT.",
        remediation="Add the S3 gateway endpoint (com.amazonaws.<region>.s3) and associate it with the route "
        "tables of the task subnets, or give the subnets a NAT gateway route.",
        pattern=r"starport-layer-bucket|pull command failed: panic: runtime error: invalid memory address",
        examples=(
            Example(
                "CannotPullContainerError: pull command failed: panic: runtime error: invalid memory address or nil "
                "pointer dereference",
                stop_code="TaskFailedToStart",
            ),
            Example(
                "CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: "
                'failed open: failed to do request: Get "https://prod-ap-northeast-2-starport-layer-bucket.s3.'
                'ap-northeast-2.amazonaws.com/2b5c-123456789012-0a1b/sha256": dial tcp 52.219.56.2:443: i/o timeout',
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="pull.no-route",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="no network path from the task to ECR",
        cause="The task's subnets have no route to ECR: a private subnet without a NAT gateway and without ECR "
        "VPC endpoints, a public subnet without a public IP, or security groups/NACLs blocking 443 outbound.",
        remediation=_NET_FIX,
        pattern=r"(CannotPullContainerError|unable to retrieve ecr registry auth|The task cannot pull)[\s\S]*?"
        r"(i/o timeout|request canceled while waiting for connection|Client\.Timeout exceeded|context canceled"
        r"|context deadline exceeded|connection issue between the task and Amazon ECR|send request failed)",
        examples=(
            Example(
                f"CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
                f'"{_ECR}:v42": failed to do request: Head "https://123456789012.dkr.ecr.ap-northeast-2.'
                f'amazonaws.com/v2/goorm-popcorn/api/manifests/v42": dial tcp 10.0.3.17:443: i/o timeout',
                stop_code="TaskFailedToStart",
            ),
            Example(
                "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
                "failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): "
                'RequestError: send request failed caused by: Post "https://api.ecr.ap-northeast-2.amazonaws.com/": '
                "dial tcp 52.46.145.1:443: i/o timeout. Please check your task network configuration.",
                stop_code="TaskFailedToStart",
            ),
            Example(
                "CannotPullContainerError: API error (500): Get https://123456789012.dkr.ecr.ap-northeast-2."
                "amazonaws.com/v2/: net/http: request canceled while waiting for connection",
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="pull.image-not-found",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="the image or tag does not exist",
        cause="The task definition names a repository or tag that is not in the registry (never pushed, deleted by "
        "a lifecycle policy, or a typo). ECS pins the digest at deployment, so a re-pushed tag does not help "
        "a running deployment.",
        remediation="Push the tag (or fix the image URI) and register a new task definition revision with an "
        "immutable tag (git SHA), then redeploy; keep deployed tags out of the ECR lifecycle policy.",
        pattern=r"manifest unknown|Requested image not found|Check whether the image exists|requested access to the "
        r"resource is denied|failed to resolve ref[^\n]*: not found|repository [^\n]* not found",
        examples=(
            Example(
                f"CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
                f"{_ECR}:v42: {_ECR}:v42: not found",
                stop_code="TaskFailedToStart",
            ),
            Example(
                f"CannotPullContainerError: Error response from daemon: manifest for {_ECR}:v42 not found: "
                "manifest unknown: Requested image not found",
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="pull.other",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="the image could not be pulled",
        cause="The container agent could not pull the image; the message says why.",
        remediation="Run the AWSSupport-TroubleshootECSTaskFailedToStart runbook with the task ID, check the image "
        "URI, the execution role's ECR permissions and the subnets' route to the registry.",
        pattern=r"CannotPullContainerError",
        examples=(
            Example(
                "CannotPullContainerError: error pulling image configuration: download failed after attempts=6: "
                "unexpected EOF",
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="secrets.missing",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="a referenced secret or parameter does not exist",
        cause="A 'secrets' valueFrom names a Secrets Manager secret or SSM parameter that does not exist (deleted, "
        "wrong name, wrong region, or the ARN lacks the 6-character suffix).",
        remediation="Create the secret/parameter or fix valueFrom in the task definition (full secret ARN with its "
        "suffix, parameter name or ARN in the task's region), then redeploy.",
        pattern=r"can.t find the specified secret|invalid ssm parameters|ParameterNotFound",
        examples=(
            Example(
                "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
                "failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to "
                f"fetch secret {_SECRET} from secrets manager: ResourceNotFoundException: Secrets Manager can't "
                "find the specified secret.",
                stop_code="TaskFailedToStart",
            ),
            Example(
                "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
                "failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid ssm "
                "parameters: /goorm-popcorn/dev/jwt-secret",
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="secrets.denied",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="the execution role may not read the task's secrets",
        cause="The task execution role lacks secretsmanager:GetSecretValue, ssm:GetParameters or kms:Decrypt "
        "(for a customer-managed key) on the referenced secrets.",
        remediation="Grant the execution role secretsmanager:GetSecretValue / ssm:GetParameters on those ARNs and "
        "kms:Decrypt on their key; ECS reads secrets with the execution role, not the task role.",
        pattern=r"(secrets? from (asm|ssm)|registry auth from asm|fetch(ing)? secret)[\s\S]*?(AccessDenied|not "
        r"authorized to perform)|not authorized to perform: (secretsmanager:GetSecretValue|ssm:GetParameters"
        r"|kms:Decrypt)",
        examples=(
            Example(
                "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
                "failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to "
                f"fetch secret {_SECRET} from secrets manager: AccessDeniedException: User: {_EXEC_ROLE} is not "
                f"authorized to perform: secretsmanager:GetSecretValue on resource: {_SECRET} because no "
                "identity-based policy allows the secretsmanager:GetSecretValue action",
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="secrets.unreachable",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="no network path from the task to Secrets Manager / SSM",
        cause="Fargate 1.4+ fetches secrets through the task's own ENI; the subnets have no NAT route and no "
        "secretsmanager/ssm (and kms) VPC endpoints, or a security group blocks 443 outbound.",
        remediation=_NET_FIX,
        pattern=r"(secrets? from (asm|ssm)|registry auth from asm|fetching secret)[\s\S]*?(i/o timeout|RequestError"
        r"|send request failed|RequestCanceled|context deadline exceeded|context canceled)"
        r"|unable to pull secrets or registry auth: pull command failed: : signal: killed",
        examples=(
            Example(
                "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
                "failed: unable to retrieve secrets from ssm: service call has been retried 5 time(s): "
                "RequestCanceled: request context canceled caused by: context deadline exceeded",
                stop_code="TaskFailedToStart",
            ),
            Example(
                "ResourceInitializationError: unable to pull secrets or registry auth: pull command failed: : "
                "signal: killed",
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="logs.group-missing",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="the awslogs log group does not exist",
        cause="awslogs-group in the task definition names a log group that was never created (or was deleted), "
        "and awslogs-create-group is not set.",
        remediation="Create the log group (aws_cloudwatch_log_group in the ecs module) or set "
        "awslogs-create-group=true and grant the execution role logs:CreateLogGroup.",
        pattern=r"The specified log group does not exist",
        examples=(
            Example(
                "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 "
                "times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group "
                "does not exist. : exit status 1",
                stop_code="TaskFailedToStart",
            ),
            Example(
                "CannotStartContainerError: Error response from daemon: failed to initialize logging driver: "
                "failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does "
                "not exist. status code: 400",
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="logs.denied",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="the execution role may not write to CloudWatch Logs",
        cause="The task execution role lacks logs:CreateLogStream / logs:PutLogEvents on the log group (or "
        "logs:CreateLogGroup when awslogs-create-group is set).",
        remediation="Attach AmazonECSTaskExecutionRolePolicy to the execution role or grant those logs actions on "
        "arn:aws:logs:<region>:<account>:log-group:<group>:*.",
        pattern=r"(logger args|log stream|logging driver)[\s\S]*?(AccessDenied|not authorized to perform)",
        examples=(
            Example(
                "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 "
                "times: failed to create Cloudwatch log stream: AccessDeniedException: User: "
                f"{_EXEC_ROLE} is not authorized to perform: logs:CreateLogStream on resource: "
                "arn:aws:logs:ap-northeast-2:123456789012:log-group:/ecs/goorm-popcorn-dev/api:log-stream:"
                "api/api/0a1b2c3d : exit status 1",
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="logs.unreachable",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="no network path from the task to CloudWatch Logs",
        cause="The awslogs driver cannot reach logs.<region>.amazonaws.com: no NAT route and no logs VPC "
        "endpoint, or 443 blocked. (AWS words it as 'cannot find the log group' too; the evidence says "
        "whether the group exists.)",
        remediation=_NET_FIX,
        pattern=r"connection issue between the task and Amazon CloudWatch|failed to validate logger args[\s\S]*?"
        r"(i/o timeout|signal: killed|RequestError|send request failed|context deadline exceeded)",
        examples=(
            Example(
                "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 "
                "times: failed to create Cloudwatch log stream: RequestError: send request failed caused by: Post "
                '"https://logs.ap-northeast-2.amazonaws.com/": dial tcp 52.95.194.65:443: i/o timeout : exit '
                "status 1",
                stop_code="TaskFailedToStart",
            ),
            Example(
                "ResourceInitializationError: failed to validate logger args: : signal: killed",
                stop_code="TaskFailedToStart",
            ),
            Example(
                "ResourceInitializationError: failed to validate logger args: The task cannot find the Amazon "
                "CloudWatch log group defined in the task definition. There is a connection issue between the task "
                "and Amazon CloudWatch. Check your network configuration. : signal: killed",
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="init.env-files",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="environment files could not be downloaded from S3",
        cause="An environmentFiles object is missing, the execution role lacks s3:GetObject/s3:GetBucketLocation "
        "on it, or the subnets cannot reach S3.",
        remediation="Check the environmentFiles ARNs exist, grant the execution role s3:GetObject and "
        "s3:GetBucketLocation, and give the subnets an S3 gateway endpoint or NAT route.",
        pattern=r"failed to download env files",
        examples=(
            Example(
                "ResourceInitializationError: failed to download env files: file download command: non empty error "
                "stream: service call has been retried 5 time(s): AccessDenied: Access Denied status code: 403",
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="init.eni",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="the task's network interface could not be created",
        cause="awsvpc tasks need one ENI each: the subnets are out of free IP addresses, the account hit its ENI "
        "quota, or the security group/subnet no longer exists.",
        remediation="Add subnets with free addresses (or larger CIDRs) to the service, check the service's "
        "subnets and security groups still exist, and request a higher ENI quota if needed.",
        pattern=r"network interface provisioning|failed to (configure|attach|provision|setup) ENI"
        r"|InsufficientFreeAddressesInSubnet",
        examples=(
            Example("Timeout waiting for network interface provisioning to complete.", stop_code="TaskFailedToStart"),
        ),
    ),
    Rule(
        id="init.efs",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="an EFS volume could not be mounted",
        cause="The EFS mount target is unreachable (security group without 2049 from the tasks), the file "
        "system/access point ID is wrong, or IAM authorization is denied.",
        remediation="Allow NFS (2049) from the tasks' security group on the mount targets, create mount targets in "
        "the tasks' AZs, check the file system ID and the task role's elasticfilesystem:Client* permissions.",
        pattern=r"EFS utils|mount\.nfs4|efs volume",
        examples=(
            Example(
                "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: "
                'Failed to resolve "fs-0123456789abcdef0.efs.ap-northeast-2.amazonaws.com" - check that your file '
                "system ID is correct.",
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
    Rule(
        id="init.other",
        source=Source.STOPPED_TASK,
        status=Status.FAIL,
        title="the task's resources could not be set up",
        cause="The Fargate agent could not bootstrap the task (network, secrets, logs, volumes). A common cause "
        "is a VPC without DNS resolution.",
        remediation="Run AWSSupport-TroubleshootECSTaskFailedToStart with the task ID; check VPC DNS "
        "(enableDnsSupport), endpoints/NAT, and the execution role.",
        pattern=r"ResourceInitializationError",
        examples=(
            Example(
                "ResourceInitializationError: failed to initialize logging driver: <reason>",
                stop_code="TaskFailedToStart",
            ),
        ),
    ),
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
                f"Task failed ELB health checks in (target-group {_TG})",
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


# ---------------------------------------------------------------------------------------------------
# Service events
# ---------------------------------------------------------------------------------------------------

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
                f"{_SVC} (port 8080) is unhealthy in (target-group {_TG}) due to (reason Health checks failed with "
                "these codes: [502])."
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
                f"{_SVC} failed to register targets in (target-group {_TG}) with (error The following targets are "
                "not in a running state and cannot be registered: 'i-0123456789abcdef0')"
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


# ---------------------------------------------------------------------------------------------------
# Target health (ELBv2 DescribeTargetHealth reason codes)
# ---------------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------------
# RDS events and statuses
# ---------------------------------------------------------------------------------------------------

RDS_EVENT_RULES: tuple[Rule, ...] = (
    Rule(
        id="rds.storage-full",
        source=Source.RDS_EVENT,
        status=Status.FAIL,
        title="the database ran out of storage",
        cause="FreeStorageSpace reached zero (RDS-EVENT-0007 / 0221): writes fail and the instance may stop.",
        remediation="Increase allocated_storage now, and set max_allocated_storage to enable storage autoscaling.",
        pattern=r"storage-full threshold|Allocated storage has been exhausted",
        examples=(
            Example(
                "DB instance has reached the storage-full threshold, and the database has been shut down. You can "
                "increase the allocated storage to address this issue."
            ),
            Example("Allocated storage has been exhausted. Allocate additional storage to resolve."),
        ),
    ),
    Rule(
        id="rds.storage-low",
        source=Source.RDS_EVENT,
        status=Status.WARN,
        title="the database is low on storage",
        cause="More than 90% of the allocated storage is used (RDS-EVENT-0089).",
        remediation="Increase allocated_storage or set max_allocated_storage (autoscaling); find what grows "
        "(tables, WAL from a stuck replication slot, temp files).",
        pattern=r"free storage capacity for DB instance",
        examples=(
            Example(
                "The free storage capacity for DB instance: goorm-popcorn-prod-postgres is low at 7% of the "
                "provisioned storage [Provisioned Storage: 100 GB, Free Storage: 7 GB]. You may want to increase "
                "the provisioned storage to address this issue."
            ),
        ),
    ),
    Rule(
        id="rds.failover",
        source=Source.RDS_EVENT,
        status=Status.WARN,
        title="a Multi-AZ failover happened",
        cause="The primary became unhealthy or unreachable (or a reboot with failover was requested) and the "
        "standby took over; connections were dropped for about a minute.",
        remediation="Check the events around it for the reason; make the app reconnect and keep DNS TTL short "
        "(JVM networkaddress.cache.ttl).",
        pattern=r"Multi-AZ instance failover|failover to standby",
        examples=(
            Example("Multi-AZ instance failover started."),
            Example("Multi-AZ instance failover completed."),
        ),
    ),
    Rule(
        id="rds.reboot",
        source=Source.RDS_EVENT,
        status=Status.WARN,
        title="the database restarted",
        cause="A reboot (requested, maintenance, parameter change, or recovery) interrupted connections.",
        remediation="Check whether it was planned (maintenance window, pending-reboot parameters); otherwise see "
        "the events before it.",
        pattern=r"DB instance restarted|DB instance shutdown",
        examples=(Example("DB instance restarted."), Example("DB instance shutdown.")),
    ),
    Rule(
        id="rds.recovery",
        source=Source.RDS_EVENT,
        status=Status.WARN,
        title="the database went through recovery",
        cause="RDS detected a failure and recovered the instance.",
        remediation="Check FreeableMemory and storage around the event; consider Multi-AZ.",
        pattern=r"Recovery of the DB instance has started|Multi-AZ instance recovery started",
        examples=(
            Example(
                "Recovery of the DB instance has started. Recovery time will vary with the amount of data to be "
                "recovered."
            ),
        ),
    ),
    Rule(
        id="rds.incompatible",
        source=Source.RDS_EVENT,
        status=Status.FAIL,
        title="the database is in an incompatible state",
        cause="Invalid parameters (e.g. memory settings too high for the class) or an invalid network "
        "(subnets deleted or out of addresses).",
        remediation="incompatible-parameters: reset the offending parameters in the parameter group and reboot; "
        "incompatible-network: fix the subnet group, then start the instance.",
        pattern=r"incompatible-(parameters|network)",
        examples=(Example("Database instance put into incompatible-parameters."),),
    ),
    Rule(
        id="rds.kms",
        source=Source.RDS_EVENT,
        status=Status.FAIL,
        title="the database cannot use its KMS key",
        cause="The storage encryption key is disabled, scheduled for deletion, or its policy denies RDS.",
        remediation="Re-enable the key (or cancel its deletion) and restore its key policy; RDS recovers when it can "
        "use the key again.",
        pattern=r"unable to access the KMS encryption key",
        examples=(
            Example(
                "Amazon RDS is unable to access the KMS encryption key for database instance "
                "goorm-popcorn-prod-postgres. This is likely due to the key being disabled or Amazon RDS being "
                "unable to access it. If this continues the database will be placed into an inaccessible state. "
                "Please refer to the troubleshooting section in the Amazon RDS documentation for further details."
            ),
        ),
    ),
)


def _status_rule(rule_id: str, status: Status, codes: set[str], title: str, cause: str, fix: str) -> Rule:
    return Rule(
        id=rule_id,
        source=Source.RDS_STATUS,
        status=status,
        title=title,
        cause=cause,
        remediation=fix,
        codes=frozenset(codes),
        examples=tuple(Example(code, code=code) for code in sorted(codes)),
    )


RDS_STATUS_RULES: tuple[Rule, ...] = (
    _status_rule(
        "rds.available", Status.OK, {"available"}, "available", "The instance accepts connections.", "Nothing to do."
    ),
    _status_rule(
        "rds.status-storage-full",
        Status.FAIL,
        {"storage-full"},
        "storage full",
        "The instance has no free storage; writes fail.",
        "Increase allocated_storage (and set max_allocated_storage).",
    ),
    _status_rule(
        "rds.stopped",
        Status.FAIL,
        {"stopped", "stopping"},
        "stopped",
        "The instance is stopped (it restarts by itself after 7 days).",
        "Start it: aws rds start-db-instance --db-instance-identifier <id>.",
    ),
    _status_rule(
        "rds.broken",
        Status.FAIL,
        {
            "failed",
            "incompatible-network",
            "incompatible-option-group",
            "incompatible-parameters",
            "incompatible-restore",
            "incompatible-credentials",
            "inaccessible-encryption-credentials",
            "inaccessible-encryption-credentials-recoverable",
            "restore-error",
            "insufficient-capacity",
            "deleting",
        },
        "not usable",
        "The instance is in a failed, incompatible or inaccessible state.",
        "Read the recent RDS events for the reason; fix the parameter group, subnet group or KMS key it names.",
    ),
    _status_rule(
        "rds.busy",
        Status.WARN,
        {
            "backing-up",
            "modifying",
            "upgrading",
            "maintenance",
            "rebooting",
            "starting",
            "renaming",
            "resetting-master-credentials",
            "storage-optimization",
            "configuring-enhanced-monitoring",
            "configuring-iam-database-auth",
            "configuring-log-exports",
            "creating",
            "converting-to-vpc",
            "moving-to-vpc",
            "storage-config-upgrade",
            "storage-initialization",
        },
        "busy (a change or maintenance is in progress)",
        "RDS is applying a change; connections may drop (rebooting, upgrading) or performance dip (backing-up, "
        "storage-optimization).",
        "Wait for 'available'; schedule changes in the maintenance window.",
    ),
)

ALL_RULES: tuple[Rule, ...] = (
    STOPPED_TASK_RULES + SERVICE_EVENT_RULES + TARGET_HEALTH_RULES + RDS_EVENT_RULES + RDS_STATUS_RULES
)
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in ALL_RULES}
UNCLASSIFIED_STOP = RULES_BY_ID["stop.unclassified"]


# ---------------------------------------------------------------------------------------------------
# Classifiers
# ---------------------------------------------------------------------------------------------------

SCHEDULER_CODES = frozenset({"ServiceSchedulerInitiated", "UserInitiated"})


@dataclass(frozen=True)
class ContainerExit:
    """One container of a stopped task, as DescribeTasks reports it."""

    name: str
    exit_code: int | None = None
    reason: str | None = None
    essential: bool = True


@dataclass(frozen=True)
class StopInfo:
    """What DescribeTasks says about why a task stopped."""

    stop_code: str | None
    stopped_reason: str
    containers: tuple[ContainerExit, ...] = ()

    @property
    def text(self) -> str:
        """The stopped reason and every container reason, one per line (what rule patterns read)."""
        parts = [self.stopped_reason] + [c.reason for c in self.containers if c.reason]
        return "\n".join(p for p in parts if p)

    def exited(self) -> ContainerExit | None:
        """The essential container that exited: the first with a non-zero code, else the first with a code."""
        essentials = [c for c in self.containers if c.essential and c.exit_code is not None]
        for container in essentials:
            if container.exit_code != 0:
                return container
        return essentials[0] if essentials else None


def _exit_matches(kind: str, container: ContainerExit | None) -> bool:
    if container is None or container.exit_code is None:
        return False
    code = container.exit_code
    if kind == "137":
        return code == 137
    if kind == "nonzero":
        return code != 0
    return kind == "zero" and code == 0


def classify_stop(stop: StopInfo) -> tuple[Rule, ContainerExit | None]:
    """The first stopped-task rule that matches, and the container whose exit it is about."""
    container = stop.exited()
    text = stop.text
    for rule in STOPPED_TASK_RULES:
        if rule.exit is not None and not _exit_matches(rule.exit, container):
            continue
        if rule.matches_text(text, stop.stop_code):
            return rule, container
    return UNCLASSIFIED_STOP, container


def _first(rules: tuple[Rule, ...], text: str, code: str | None = None) -> Rule | None:
    return next((r for r in rules if (r.pattern or r.codes) and r.matches_text(text, code)), None)


def classify_event(message: str) -> Rule | None:
    """The service-event rule for a message (None for informational events such as 'has started 1 tasks')."""
    return _first(SERVICE_EVENT_RULES, message)


def classify_target_health(reason: str | None, description: str = "") -> Rule | None:
    """The rule for an ELB target-health reason code (None for a healthy target)."""
    return _first(TARGET_HEALTH_RULES, description, reason) if reason else None


def classify_rds_event(message: str) -> Rule | None:
    """The RDS event rule for a message (None for routine events such as backups)."""
    return _first(RDS_EVENT_RULES, message)


UNKNOWN_RDS_STATUS = Rule(
    id="rds.status-unknown",
    source=Source.RDS_STATUS,
    status=Status.WARN,
    title="an unfamiliar status",
    cause="popcornctl does not know this DB instance status.",
    remediation="Check the RDS console and the recent events.",
    examples=(),
)


def classify_rds_status(status: str) -> Rule:
    """The rule for a DBInstanceStatus value."""
    return next((r for r in RDS_STATUS_RULES if status in r.codes), UNKNOWN_RDS_STATUS)
