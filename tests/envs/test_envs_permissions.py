"""Permissions the switched-on features need, read from the real plans of envs/dev, envs/prod and global/account.

For each feature a plan switches on, the role, key or bucket policy AWS documents for it must hold the statement
(docs/AWS_NOTES.md, "Permissions", names the AWS page behind each): the check starts from the feature's resources in
the plan (every log group, task definition, topic, load balancer, ...), so a new one is covered by the same test.
Statements are read with iamview (documents followed through source_policy_documents and module boundaries).
"""

from __future__ import annotations

import fnmatch
from typing import Any

import pytest
from envsupport import ACCOUNT, REGION, by_type, config_address, global_outputs, outputs, references, variable
from iamview import (
    Statement,
    counterpart,
    grants,
    policy_statements,
    role_statements,
    roles_behind,
)

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

Plan = dict[str, Any]
LOGS_KEY_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:GenerateDataKey", "kms:DescribeKey")


def _plans(request: pytest.FixtureRequest) -> list[tuple[str, Plan]]:
    return [(name, request.getfixturevalue(f"{fixture}_plan"))
            for name, fixture in (("envs/dev", "dev"), ("envs/prod", "prod"), ("global/account", "account"))]


def _service_allows(statements: list[Statement], principal: str, action: str) -> list[Statement]:
    return [s for s in statements if ("Service", principal) in s.principals and s.grants(action)]


def _keys_of(plan: Plan, address: str, attribute: str) -> list[str]:
    """The KMS key instances an attribute refers to."""
    return [k for target in sorted(references(plan, address, attribute)) if target.split(".")[-2] == "aws_kms_key"
            for k in counterpart(plan, target, address)]


# --------------------------------------------------------------------------------------------- KMS and logs


def test_every_encrypted_log_group_can_use_its_key(request: pytest.FixtureRequest) -> None:
    """CloudWatch Logs encrypts with the key only when the key policy lets logs.<region>.amazonaws.com use it for
    that group (kms:EncryptionContext:aws:logs:arn); CreateLogGroup fails otherwise."""
    checked = 0
    for stack, plan in _plans(request):
        for group in by_type(plan, "aws_cloudwatch_log_group"):
            keys = _keys_of(plan, group["address"], "kms_key_id")
            if not keys:
                assert group["values"].get("kms_key_id") is None and not group["unknown"].get("kms_key_id"), (
                    f"{stack}: {group['address']} names a key the plan cannot trace")
                continue
            arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group['values']['name']}"
            for key in keys:
                statements = policy_statements(plan, key)
                usable = [s for s in statements if ("Service", f"logs.{REGION}.amazonaws.com") in s.principals
                          and all(s.grants(a) for a in LOGS_KEY_ACTIONS)
                          and any(fnmatch.fnmatchcase(arn, p) for p in s.condition("kms:EncryptionContext:aws:logs:arn"))]
                assert usable, f"{stack}: {key}'s policy does not let CloudWatch Logs encrypt {arn}"
                checked += 1
    assert checked >= 20, "ECS, exec, RDS, Kafka, ElastiCache, flow and WAF groups in both environments, the trail"


def test_encrypted_alarm_topics_let_cloudwatch_use_their_key(request: pytest.FixtureRequest) -> None:
    """An alarm publishes to a KMS-encrypted topic only if the key lets cloudwatch.amazonaws.com use it."""
    for stack, plan in _plans(request)[:2]:
        for topic in by_type(plan, "aws_sns_topic"):
            keys = _keys_of(plan, topic["address"], "kms_master_key_id")
            alarms = [a for a in by_type(plan, "aws_cloudwatch_metric_alarm")
                      if config_address(topic["address"]) in references(plan, a["address"], "alarm_actions")]
            if not keys or not alarms:
                continue
            for key in keys:
                statements = policy_statements(plan, key)
                for action in ("kms:Decrypt", "kms:GenerateDataKey"):
                    assert _service_allows(statements, "cloudwatch.amazonaws.com", action), (stack, key, action)


# --------------------------------------------------------------------------------------------- ECS


def _cluster_exec(plan: Plan) -> dict[str, Any]:
    (cluster,) = by_type(plan, "aws_ecs_cluster")
    (config,) = cluster["values"]["configuration"][0]["execute_command_configuration"]
    return {"config": config, "unknown": cluster["unknown"]}


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_ecs_exec_task_roles_can_open_sessions_and_write_the_audit_log(env: str, request: pytest.FixtureRequest) -> None:
    """ECS Exec with logging OVERRIDE to a KMS-encrypted log group: the task role needs the SSM message channels,
    logs:DescribeLogGroups (the agent checks the group and its encryption), CreateLogStream/DescribeLogStreams/
    PutLogEvents on the group and kms:Decrypt on the session key."""
    plan = request.getfixturevalue(f"{env}_plan")
    exec_config = _cluster_exec(plan)["config"]
    assert exec_config["logging"] == "OVERRIDE"
    (log,) = exec_config["log_configuration"]
    assert log["cloud_watch_encryption_enabled"] is True
    stream = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{log['cloud_watch_log_group_name']}:log-stream:ecs-exec"
    services = by_type(plan, "aws_ecs_service")
    assert services and all(s["values"]["enable_execute_command"] for s in services)
    for task in by_type(plan, "aws_ecs_task_definition"):
        (role,) = roles_behind(plan, task["address"], "task_role_arn")
        statements = role_statements(plan, role)
        for action in ("ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                       "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"):
            assert grants(statements, action, "*"), (role, action)
        assert grants(statements, "logs:DescribeLogGroups", "*"), role
        for action in ("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"):
            assert grants(statements, action, stream), (role, action)
        assert grants(statements, "kms:Decrypt"), (role, "kms:Decrypt on the session key")


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_task_roles_can_send_traces_with_the_accounts_trace_key(env: str, request: pytest.FixtureRequest) -> None:
    plan = request.getfixturevalue(f"{env}_plan")
    assert variable(plan, "enable_xray_tracing") is True
    key = global_outputs()["global/account/terraform.tfstate"]["xray_kms_key_arn"][0]
    for task in by_type(plan, "aws_ecs_task_definition"):
        (role,) = roles_behind(plan, task["address"], "task_role_arn")
        statements = role_statements(plan, role)
        for action in ("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                       "xray:GetSamplingTargets"):
            assert grants(statements, action, "*"), (role, action)
        via_xray = [s for s in statements if s.grants("kms:GenerateDataKey", key) and s.grants("kms:Decrypt", key)
                    and f"xray.{REGION}.amazonaws.com" in s.condition("kms:ViaService")]
        assert via_xray, f"{role} cannot use the account's trace key {key} through X-Ray"


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_execution_role_pulls_logs_and_reads_only_what_containers_inject(env: str, request: pytest.FixtureRequest) -> None:
    plan = request.getfixturevalue(f"{env}_plan")
    containers = outputs(plan, "ecs_container_definitions")
    repos = global_outputs()["global/ecr/terraform.tfstate"]["repository_arns"][0]
    for task in by_type(plan, "aws_ecs_task_definition"):
        service = task["index"]
        (role,) = roles_behind(plan, task["address"], "execution_role_arn")
        statements = role_statements(plan, role)
        assert grants(statements, "ecr:GetAuthorizationToken", "*"), role
        for action in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"):
            assert grants(statements, action, repos[service]), (role, action, service)
        (app,) = [c for c in containers[service] if c["name"] == service]
        group = app["logConfiguration"]["options"]["awslogs-group"]
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            assert grants(statements, action, f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:log-stream:x")
        if app.get("secrets"):
            assert grants(statements, "secretsmanager:GetSecretValue"), (service, "secrets injected at start")
            decrypt = [s for s in statements if s.grants("kms:Decrypt")]
            assert decrypt and all(f"secretsmanager.{REGION}.amazonaws.com" in s.condition("kms:ViaService")
                                   for s in decrypt), "kms:Decrypt only through Secrets Manager"


# --------------------------------------------------------------------------------------------- roles handed to services

# (resource type, attribute) -> the service principal that must be trusted to assume the role it names.
TRUSTED = {
    ("aws_ecs_task_definition", "execution_role_arn"): "ecs-tasks.amazonaws.com",
    ("aws_ecs_task_definition", "task_role_arn"): "ecs-tasks.amazonaws.com",
    ("aws_instance", "iam_instance_profile"): "ec2.amazonaws.com",
    ("aws_db_instance", "monitoring_role_arn"): "monitoring.rds.amazonaws.com",
    ("aws_flow_log", "iam_role_arn"): "vpc-flow-logs.amazonaws.com",
    ("aws_cloudtrail", "cloud_watch_logs_role_arn"): "cloudtrail.amazonaws.com",
}


def test_every_role_handed_to_a_service_trusts_that_service(request: pytest.FixtureRequest) -> None:
    checked = 0
    for stack, plan in _plans(request):
        for (rtype, attribute), principal in TRUSTED.items():
            for resource in by_type(plan, rtype):
                roles = roles_behind(plan, resource["address"], attribute)
                assert roles, f"{stack}: {resource['address']}.{attribute} names no role the plan creates"
                for role in roles:
                    trust = policy_statements(plan, role, "assume_role_policy")
                    assert _service_allows(trust, principal, "sts:AssumeRole"), (stack, role, principal)
                    checked += 1
    assert checked >= 2 * (16 + 1 + 1 + 1) + 1


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_service_roles_hold_what_their_service_does(env: str, request: pytest.FixtureRequest) -> None:
    """Enhanced Monitoring, flow logs and the Kafka brokers' SSM and CloudWatch agent."""
    plan = request.getfixturevalue(f"{env}_plan")
    (db,) = by_type(plan, "aws_db_instance")
    assert db["values"]["monitoring_interval"] > 0
    (monitoring,) = roles_behind(plan, db["address"], "monitoring_role_arn")
    assert "managed:AmazonRDSEnhancedMonitoringRole" in {s.sid for s in role_statements(plan, monitoring)}
    (flow,) = by_type(plan, "aws_flow_log")
    (role,) = roles_behind(plan, flow["address"], "iam_role_arn")
    statements = role_statements(plan, role)
    for action in ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:DescribeLogGroups"):
        assert grants(statements, action), (role, action)
    for broker in by_type(plan, "aws_instance"):
        sids = {s.sid for r in roles_behind(plan, broker["address"], "iam_instance_profile")
                for s in role_statements(plan, r)}
        assert {"managed:AmazonSSMManagedInstanceCore", "managed:CloudWatchAgentServerPolicy"} <= sids, broker


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_database_services_connect_as_their_own_user_and_only_they(env: str, request: pytest.FixtureRequest) -> None:
    plan = request.getfixturevalue(f"{env}_plan")
    users = outputs(plan, "database_users")
    assert users and len(set(users.values())) == len(users), "one PostgreSQL user per service"
    for task in by_type(plan, "aws_ecs_task_definition"):
        (role,) = roles_behind(plan, task["address"], "task_role_arn")
        connect = [s for s in role_statements(plan, role) if s.grants("rds-db:connect")]
        assert bool(connect) is (task["index"] in users), (task["index"], "rds-db:connect")


# --------------------------------------------------------------------------------------------- log and audit buckets


def test_alb_access_logs_go_to_an_sse_s3_bucket_the_elb_can_write(prod_plan: Plan) -> None:
    """ALB access logs support SSE-S3 only (not SSE-KMS), and the bucket policy must let the regional ELB account
    (or the log-delivery service principal) put objects under <prefix>/AWSLogs/<account>/."""
    (lb,) = by_type(prod_plan, "aws_lb")
    (logs,) = [a for a in lb["values"]["access_logs"] if a.get("enabled")]
    (bucket_policy,) = by_type(prod_plan, "aws_s3_bucket_policy", "module.alb")
    (sse,) = by_type(prod_plan, "aws_s3_bucket_server_side_encryption_configuration", "module.alb")
    rule = sse["values"]["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert rule["sse_algorithm"] == "AES256"
    statements = policy_statements(prod_plan, bucket_policy["address"])
    bucket = f"goorm-popcorn-prod-alb-logs-{ACCOUNT}"
    obj = f"arn:aws:s3:::{bucket}/{logs['prefix']}/AWSLogs/{ACCOUNT}/elasticloadbalancing/x.log.gz"
    writers = [s for s in statements if s.grants("s3:PutObject", obj)
               and (any(p == "AWS" for p, _ in s.principals)
                    or ("Service", "logdelivery.elasticloadbalancing.amazonaws.com") in s.principals)]
    assert writers, statements


def test_vended_log_destinations_are_covered_by_the_accounts_delivery_policy(
    dev_plan: Plan, prod_plan: Plan, account_plan: Plan
) -> None:
    """WAF and ElastiCache deliver logs through delivery.logs.amazonaws.com; global/account's one resource policy
    must cover every group an environment delivers to (else AWS appends a statement per group to its own policy)."""
    (policy,) = by_type(account_plan, "aws_cloudwatch_log_resource_policy")
    statements = policy_statements(account_plan, policy["address"], "policy_document")
    allowed = [s for s in statements if ("Service", "delivery.logs.amazonaws.com") in s.principals
               and s.grants("logs:PutLogEvents") and s.grants("logs:CreateLogStream")]
    destinations = []
    for plan in (dev_plan, prod_plan):
        names = {g["address"]: g["values"]["name"] for g in by_type(plan, "aws_cloudwatch_log_group")}
        for cache in by_type(plan, "aws_elasticache_replication_group"):
            destinations += [d["destination"] for d in cache["values"].get("log_delivery_configuration") or []]
        for waf in by_type(plan, "aws_wafv2_web_acl_logging_configuration"):
            targets = references(plan, waf["address"], "log_destination_configs")
            destinations += [n for a, n in names.items() if config_address(a) in targets]
    assert len(destinations) >= 2 + 2 + 1, destinations
    for name in destinations:
        stream = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:log-stream:x"
        assert any(s.grants("logs:PutLogEvents", stream) for s in allowed), f"{name} is not covered"


def test_the_account_trail_can_write_its_bucket_key_and_log_group(account_plan: Plan) -> None:
    """CloudTrail checks the bucket ACL and puts objects (bucket-owner-full-control), encrypts with the key
    (GenerateDataKey* with its encryption context, DescribeKey) and delivers to CloudWatch Logs through its role."""
    (trail,) = by_type(account_plan, "aws_cloudtrail")
    trail_arn = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{trail['values']['name']}"
    bucket = f"arn:aws:s3:::goorm-popcorn-cloudtrail-{ACCOUNT}"
    (bucket_policy,) = by_type(account_plan, "aws_s3_bucket_policy")
    statements = policy_statements(account_plan, bucket_policy["address"])
    acl = _service_allows(statements, "cloudtrail.amazonaws.com", "s3:GetBucketAcl")
    put = [s for s in _service_allows(statements, "cloudtrail.amazonaws.com", "s3:PutObject")
           if s.grants("s3:PutObject", f"{bucket}/AWSLogs/{ACCOUNT}/CloudTrail/x.json.gz")]
    assert acl and put and trail_arn in put[0].condition("aws:SourceArn")
    assert "bucket-owner-full-control" in put[0].condition("s3:x-amz-acl")
    (key,) = _keys_of(account_plan, trail["address"], "kms_key_id")
    key_statements = policy_statements(account_plan, key)
    encrypt = _service_allows(key_statements, "cloudtrail.amazonaws.com", "kms:GenerateDataKey")
    assert encrypt and encrypt[0].condition("kms:EncryptionContext:aws:cloudtrail:arn")
    assert _service_allows(key_statements, "cloudtrail.amazonaws.com", "kms:DescribeKey")
    (role,) = roles_behind(account_plan, trail["address"], "cloud_watch_logs_role_arn")
    for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
        assert grants(role_statements(account_plan, role), action), action
