"""The Application Auto Scaling extensions of the sandbox emulator, exercised the way provider 5.100 registers and
reads back modules/ecs's scalable targets (aws_appautoscaling_target) and target-tracking policies."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

REGION = "ap-northeast-2"
CLUSTER, SERVICE = "popcorn-test-cluster", "popcorn-test-api"
RESOURCE = f"service/{CLUSTER}/{SERVICE}"
DIMENSION = "ecs:service:DesiredCount"

pytestmark = pytest.mark.sandbox


@pytest.fixture
def aas(sandbox: Any) -> Any:
    """An ECS service to scale (AWS and moto refuse a target for a service that does not exist)."""
    ecs = sandbox.client("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    ecs.register_task_definition(
        family=SERVICE, containerDefinitions=[{"name": "api", "image": "nginx", "memory": 512}]
    )
    ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition=SERVICE, desiredCount=1)
    return sandbox.client("application-autoscaling")


def register(aas: Any) -> str:
    """RegisterScalableTarget as the provider creates aws_appautoscaling_target (tags included), then the ARN
    from its read (DescribeScalableTargets)."""
    aas.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=RESOURCE,
        ScalableDimension=DIMENSION,
        MinCapacity=1,
        MaxCapacity=4,
        Tags={"Project": "popcorn", "Environment": "dev"},
    )
    targets = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[RESOURCE])["ScalableTargets"]
    return str(targets[0]["ScalableTargetARN"])


def test_applicationautoscaling_tags(aas: Any) -> None:
    """applicationautoscaling.tags: the registration's tags read back; TagResource/UntagResource change them."""
    arn = register(aas)
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Project": "popcorn", "Environment": "dev"}
    aas.tag_resource(ResourceARN=arn, Tags={"Owner": "platform"})
    aas.untag_resource(ResourceARN=arn, TagKeys=["Environment"])
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Project": "popcorn", "Owner": "platform"}

    # Registering again (the provider's update) keeps the target and its tags.
    aas.register_scalable_target(
        ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIMENSION, MinCapacity=2, MaxCapacity=6
    )
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Project": "popcorn", "Owner": "platform"}

    aas.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIMENSION)
    with pytest.raises(ClientError) as gone:
        aas.list_tags_for_resource(ResourceARN=arn)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_applicationautoscaling_target_tracking_policy_reads_back(aas: Any) -> None:
    """applicationautoscaling.tags: with the target readable, the CPU target-tracking policy applies and reads
    back as the provider wrote it."""
    register(aas)
    config = {
        "TargetValue": 70.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
        "ScaleInCooldown": 300,
        "ScaleOutCooldown": 60,
        "DisableScaleIn": False,
    }
    aas.put_scaling_policy(
        PolicyName=f"{SERVICE}-cpu",
        ServiceNamespace="ecs",
        ResourceId=RESOURCE,
        ScalableDimension=DIMENSION,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration=config,
    )
    policies = aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=RESOURCE)["ScalingPolicies"]
    assert [p["PolicyName"] for p in policies] == [f"{SERVICE}-cpu"]
    assert policies[0]["TargetTrackingScalingPolicyConfiguration"] == config


def test_applicationautoscaling_service_linked_role(aas: Any) -> None:
    """applicationautoscaling.service_linked_role: an ECS target without RoleARN reads back with AWS's role."""
    register(aas)
    target = aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"][0]
    assert target["RoleARN"] == (
        "arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/"
        "AWSServiceRoleForApplicationAutoScaling_ECSService"
    )


def test_applicationautoscaling_policy_filters(sandbox: Any, aas: Any) -> None:
    """applicationautoscaling.policy_filters: the provider's read (PolicyNames + ResourceId) finds one policy, and
    a service whose name extends another's does not see its policies."""
    ecs = sandbox.client("ecs")
    ecs.create_service(cluster=CLUSTER, serviceName=f"{SERVICE}-gateway", taskDefinition=SERVICE, desiredCount=1)
    config = {
        "TargetValue": 70.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
    }
    for resource in (RESOURCE, f"{RESOURCE}-gateway"):
        aas.register_scalable_target(
            ServiceNamespace="ecs", ResourceId=resource, ScalableDimension=DIMENSION, MinCapacity=1, MaxCapacity=4
        )
        for kind in ("cpu", "memory"):
            aas.put_scaling_policy(
                PolicyName=f"{resource.rsplit('/', 1)[1]}-{kind}",
                ServiceNamespace="ecs",
                ResourceId=resource,
                ScalableDimension=DIMENSION,
                PolicyType="TargetTrackingScaling",
                TargetTrackingScalingPolicyConfiguration=config,
            )
    gateway = aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=f"{RESOURCE}-gateway")
    assert sorted(p["PolicyName"] for p in gateway["ScalingPolicies"]) == [
        f"{SERVICE}-gateway-cpu",
        f"{SERVICE}-gateway-memory",
    ]
    one = aas.describe_scaling_policies(
        ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIMENSION, PolicyNames=[f"{SERVICE}-cpu"]
    )["ScalingPolicies"]
    assert [p["PolicyName"] for p in one] == [f"{SERVICE}-cpu"]
