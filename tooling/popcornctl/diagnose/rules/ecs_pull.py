"""Stopped tasks, first part: the container could not start or its image could not be pulled.

Table order matters (the first match wins): a specific rule sits before a broader one with the same words,
e.g. "image not found" before the CannotPullContainerError catch-all. The sources of the wording are listed in
docs/DIAGNOSE.md.
"""

from __future__ import annotations

from popcornctl.diagnose.findings import Status
from popcornctl.diagnose.rules.model import Example, Rule, Source

ECR_IMAGE = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/goorm-popcorn/api"
EXECUTION_ROLE = "arn:aws:sts::123456789012:assumed-role/goorm-popcorn-dev-ecs-execution/8f1c2e"
NETWORK_FIX = (
    "Give the task's subnets a route out: a NAT gateway for private subnets (0.0.0.0/0 -> nat-...), or "
    "assignPublicIp=ENABLED in public subnets, or interface VPC endpoints (com.amazonaws.<region>.ecr.api, "
    "ecr.dkr, logs, secretsmanager, ssm, kms) plus the S3 gateway endpoint; the endpoints' security group "
    "must allow 443 from the tasks."
)

PULL_RULES: tuple[Rule, ...] = (
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
                f"to pull images from the registry. Error response from daemon: pull access denied for {ECR_IMAGE}, "
                "repository does not exist or may require 'docker login': denied: User: "
                f"{EXECUTION_ROLE} is not authorized to perform: ecr:BatchGetImage on resource: "
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
        remediation=NETWORK_FIX,
        pattern=r"(CannotPullContainerError|unable to retrieve ecr registry auth|The task cannot pull)[\s\S]*?"
        r"(i/o timeout|request canceled while waiting for connection|Client\.Timeout exceeded|context canceled"
        r"|context deadline exceeded|connection issue between the task and Amazon ECR|send request failed)",
        examples=(
            Example(
                f"CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
                f'"{ECR_IMAGE}:v42": failed to do request: Head "https://123456789012.dkr.ecr.ap-northeast-2.'
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
                f"{ECR_IMAGE}:v42: {ECR_IMAGE}:v42: not found",
                stop_code="TaskFailedToStart",
            ),
            Example(
                f"CannotPullContainerError: Error response from daemon: manifest for {ECR_IMAGE}:v42 not found: "
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
)
