"""Stopped tasks, second part: the task's resources (secrets, logs, env files, ENI, EFS) could not be set up."""

from __future__ import annotations

from popcornctl.diagnose.findings import Status
from popcornctl.diagnose.rules.ecs_pull import EXECUTION_ROLE, NETWORK_FIX
from popcornctl.diagnose.rules.model import Example, Rule, Source

_SECRET = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:goorm-popcorn/dev/db-AbCdEf"

INIT_RULES: tuple[Rule, ...] = (
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
                f"fetch secret {_SECRET} from secrets manager: AccessDeniedException: User: {EXECUTION_ROLE} is not "
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
        remediation=NETWORK_FIX,
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
                f"{EXECUTION_ROLE} is not authorized to perform: logs:CreateLogStream on resource: "
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
        remediation=NETWORK_FIX,
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
)
