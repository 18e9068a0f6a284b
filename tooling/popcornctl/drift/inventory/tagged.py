"""Everything that carries the platform's tags, through the Resource Groups Tagging API (one paginated call).

``GetResources`` with ``Project=<project>`` returns every taggable resource of the project in the region (the
tag-editor view of the account); the Environment tag is then checked against the run's environments. Resources
AWS cannot tag, or that nobody tagged, are the other listers' job.
"""

from __future__ import annotations

from collections.abc import Iterator

from popcornctl.drift.inventory.base import CloudResource, ListContext, arn_key, ec2_key, lister, tags_of

# ARN service and resource word → the Terraform type that manages such a resource (for naming only).
ARN_TYPES = {
    ("ec2", "instance"): "aws_instance", ("ec2", "security-group"): "aws_security_group",
    ("ec2", "security-group-rule"): "aws_vpc_security_group_ingress_rule", ("ec2", "subnet"): "aws_subnet",
    ("ec2", "route-table"): "aws_route_table", ("ec2", "vpc"): "aws_vpc", ("ec2", "natgateway"): "aws_nat_gateway",
    ("ec2", "elastic-ip"): "aws_eip", ("ec2", "internet-gateway"): "aws_internet_gateway",
    ("ec2", "network-acl"): "aws_network_acl", ("ec2", "vpc-endpoint"): "aws_vpc_endpoint",
    ("ec2", "volume"): "aws_ebs_volume", ("ec2", "launch-template"): "aws_launch_template",
    ("ec2", "vpc-flow-log"): "aws_flow_log", ("ec2", "flow-logs"): "aws_flow_log",
    ("ec2", "network-interface"): "aws_network_interface", ("ecs", "cluster"): "aws_ecs_cluster",
    ("ecs", "service"): "aws_ecs_service", ("ecs", "task-definition"): "aws_ecs_task_definition",
    ("ecs", "task"): "(ecs task)", ("logs", "log-group"): "aws_cloudwatch_log_group",
    ("rds", "db"): "aws_db_instance", ("rds", "subgrp"): "aws_db_subnet_group",
    ("rds", "pg"): "aws_db_parameter_group", ("rds", "snapshot"): "aws_db_snapshot",
    ("elasticloadbalancing", "loadbalancer"): "aws_lb",
    ("elasticloadbalancing", "targetgroup"): "aws_lb_target_group",
    ("elasticloadbalancing", "listener"): "aws_lb_listener",
    ("elasticloadbalancing", "listener-rule"): "aws_lb_listener_rule", ("kms", "key"): "aws_kms_key",
    ("s3", ""): "aws_s3_bucket", ("dynamodb", "table"): "aws_dynamodb_table", ("sns", ""): "aws_sns_topic",
    ("secretsmanager", "secret"): "aws_secretsmanager_secret", ("iam", "role"): "aws_iam_role",
    ("iam", "instance-profile"): "aws_iam_instance_profile", ("iam", "policy"): "aws_iam_policy",
    ("ecr", "repository"): "aws_ecr_repository", ("route53", "hostedzone"): "aws_route53_zone",
    ("acm", "certificate"): "aws_acm_certificate", ("cloudwatch", "alarm"): "aws_cloudwatch_metric_alarm",
    ("cloudwatch", "dashboard"): "aws_cloudwatch_dashboard", ("elasticache", "cluster"): "aws_elasticache_cluster",
    ("elasticache", "replicationgroup"): "aws_elasticache_replication_group",
    ("elasticache", "subnetgroup"): "aws_elasticache_subnet_group",
    ("elasticache", "parametergroup"): "aws_elasticache_parameter_group",
    ("servicediscovery", "namespace"): "aws_service_discovery_private_dns_namespace",
    ("servicediscovery", "service"): "aws_service_discovery_service", ("cloudtrail", "trail"): "aws_cloudtrail",
    ("wafv2", "regional"): "aws_wafv2_web_acl", ("xray", "group"): "aws_xray_group",
    ("xray", "sampling-rule"): "aws_xray_sampling_rule", ("ssm", "parameter"): "aws_ssm_parameter",
    ("lambda", "function"): "aws_lambda_function", ("sqs", ""): "aws_sqs_queue",
}


def type_of_arn(arn: str) -> str:
    """The Terraform type for an ARN, or ``service:resource-word`` when the table does not know it."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return "unknown"
    service, resource = parts[2], parts[5]
    word = resource.split("/", 1)[0].split(":", 1)[0] if ("/" in resource or ":" in resource) else ""
    return ARN_TYPES.get((service, word)) or ARN_TYPES.get((service, "")) or f"{service}:{word or resource}"


def short_id(arn: str) -> str:
    """The id users know a resource by: ``sg-0abc``, the log group's or the bucket's name; else the ARN."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return arn
    service, resource = parts[2], parts[5]
    if service in ("ec2", "route53"):
        return resource.rsplit("/", 1)[-1]
    if service == "logs":
        return resource.removeprefix("log-group:").removesuffix(":*")
    if service in ("s3", "sqs"):
        return resource
    return arn


@lister
class TaggedResources:
    """Any taggable resource carrying the project's tags."""

    type = "(any taggable type)"
    how = "Resource Groups Tagging API GetResources with Project=<project>, Environment = one of the run's"

    def list(self, ctx: ListContext) -> Iterator[CloudResource]:
        """Every resource tagged with the project and one of the run's environments."""
        scope = ctx.scope
        for item in ctx.pages("resourcegroupstaggingapi", "get_resources", "ResourceTagMappingList",
                              TagFilters=[{"Key": "Project", "Values": [scope.project]}]):
            arn = str(item["ResourceARN"])
            tags = tags_of(item.get("Tags"))
            key = arn_key(arn)
            if key is None or not scope.tagged_in_scope(tags):
                continue
            identifier = short_id(arn)
            # EC2 objects are also known by their id alone: ARN words differ between APIs (flow-logs/vpc-flow-log).
            alias = ec2_key(identifier) if key.startswith("ec2:") else None
            yield CloudResource(type=type_of_arn(arn), id=identifier, key=alias or key, found_by=["tags"], arn=arn,
                                name=tags.get("Name"), tags=tags, keys={key})
