"""The issue's six out-of-band changes, made with boto3 as someone in the console would, and what each must become.

Every change is aimed at an object found through the stored state of envs/dev (never a hard-coded id), so the
expectations follow the real configuration: the ECS services' security group, the VPC, a service's log group, a
service, the VPC's private subnet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from popcornctl.drift.state import StateInstance

PROJECT_TAGS = {"Project": "goorm-popcorn", "Environment": "dev"}


@dataclass(frozen=True)
class Expected:
    """What the scan must report for the six changes."""

    rule_group: str  # the service security group that got an extra ingress rule (sg id)
    rule_group_address: str
    rule_id: str  # the sgr- id of the extra rule
    tagged_address: str  # the resource whose tag changed
    tag_path: str
    deleted_address: str  # the log group deleted
    scaled_address: str  # the service scaled by hand
    new_group: str  # the security group created with the platform's tags
    instance: str  # the untagged instance in the platform's VPC


def _one(instances: list[StateInstance], address: str) -> StateInstance:
    found = [i for i in instances if i.address == address]
    assert len(found) == 1, f"{address} is not in the state of envs/dev"
    return found[0]


def _first(instances: list[StateInstance], tf_type: str, prefix: str) -> StateInstance:
    found = sorted((i for i in instances if i.type == tf_type and i.address.startswith(prefix)),
                   key=lambda i: i.address)
    assert found, f"no {tf_type} {prefix}* in the state of envs/dev"
    return found[0]


def make_changes(clients: Any, states: Mapping[str, list[StateInstance]]) -> Expected:
    """Make the six changes through the AWS API; return what the scan must find."""
    dev = states["envs/dev"]
    ec2, ecs, logs = clients.client("ec2"), clients.client("ecs"), clients.client("logs")

    # 1. an extra ingress rule on the ECS services' security group ("for a minute", never removed)
    group = _one(dev, 'module.security_groups.aws_security_group.this["ecs"]')
    rule = ec2.authorize_security_group_ingress(
        GroupId=group.attributes["id"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                        "IpRanges": [{"CidrIp": "203.0.113.0/24", "Description": "debug, remove me"}]}],
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]

    # 2. a changed tag on the VPC
    vpc = _one(dev, "module.vpc.aws_vpc.this")
    ec2.create_tags(Resources=[vpc.attributes["id"]], Tags=[{"Key": "Name", "Value": "renamed-in-the-console"}])

    # 3. a deleted log group (a service's)
    log_group = _first(dev, "aws_cloudwatch_log_group", "module.ecs.aws_cloudwatch_log_group.service[")
    logs.delete_log_group(logGroupName=log_group.attributes["name"])

    # 4. a service scaled by hand
    service = _first(dev, "aws_ecs_service", "module.ecs.aws_ecs_service.")
    ecs.update_service(cluster=service.attributes["cluster"], service=service.attributes["name"],
                       desiredCount=int(service.attributes["desired_count"]) + 2)

    # 5. a new security group carrying the platform's tags, in its VPC
    tags = [{"Key": k, "Value": v} for k, v in PROJECT_TAGS.items()]
    new_group = ec2.create_security_group(
        GroupName="hand-made-debug", Description="made in the console", VpcId=vpc.attributes["id"],
        TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}],
    )["GroupId"]

    # 6. an untagged instance in the platform's VPC
    subnet = _first(dev, "aws_subnet", "module.vpc.aws_subnet.private_app[")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                 SubnetId=subnet.attributes["id"])["Instances"][0]["InstanceId"]
    return Expected(
        rule_group=group.attributes["id"], rule_group_address=group.address, rule_id=rule,
        tagged_address=vpc.address, tag_path="tags.Name", deleted_address=log_group.address,
        scaled_address=service.address, new_group=new_group, instance=instance,
    )


def remove_unmanaged(clients: Any, expected: Expected) -> None:
    """Remove what :func:`make_changes` created that no stack manages (the instance, the security group, the extra
    rule), as the console user would once told: a later ``down`` then destroys the environment as it would have."""
    ec2 = clients.client("ec2")
    ec2.terminate_instances(InstanceIds=[expected.instance])
    ec2.delete_security_group(GroupId=expected.new_group)
    ec2.revoke_security_group_ingress(GroupId=expected.rule_group, SecurityGroupRuleIds=[expected.rule_id])
