"""The ECS extensions, called as the AWS provider calls them (boto3 against the sandbox's emulator).

ecs.service_settings: CreateService's settings come back from DescribeServices (the provider's read), and a
service placed by a capacity provider strategy has no launch type, so `diagnose ecs` sees a Fargate service.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.sandbox]

STRATEGY = [
    {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
    {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0},
]


def fargate_cluster(sandbox: Any) -> dict[str, Any]:
    """A cluster with the Fargate capacity providers, a task definition and a network, as envs/dev has them."""
    ecs, ec2 = sandbox.client("ecs"), sandbox.client("ec2")
    ecs.create_cluster(clusterName="c")
    ecs.put_cluster_capacity_providers(
        cluster="c",
        capacityProviders=["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
    )
    task = ecs.register_task_definition(
        family="t",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {"name": "app", "image": "nginx", "essential": True, "portMappings": [{"containerPort": 8080}]}
        ],
    )
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"ap-northeast-2{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in ((1, "a"), (2, "c"))
    ]
    group = ec2.create_security_group(GroupName="svc", Description="svc", VpcId=vpc)["GroupId"]
    return {"task": task["taskDefinition"]["taskDefinitionArn"], "vpc": vpc, "subnets": subnets, "group": group}


def create_service(sandbox: Any, net: dict[str, Any], name: str = "s", **extra: Any) -> dict[str, Any]:
    """CreateService with the members the provider sends for modules/ecs' services."""
    request = {
        "cluster": "c",
        "serviceName": name,
        "taskDefinition": net["task"],
        "desiredCount": 1,
        "capacityProviderStrategy": STRATEGY,
        "platformVersion": "LATEST",
        "schedulingStrategy": "REPLICA",
        "enableExecuteCommand": True,
        "enableECSManagedTags": True,
        "propagateTags": "SERVICE",
        "healthCheckGracePeriodSeconds": 60,
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        },
        "deploymentController": {"type": "ECS"},
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": net["subnets"],
                "securityGroups": [net["group"]],
                "assignPublicIp": "DISABLED",
            }
        },
        **extra,
    }
    service: dict[str, Any] = sandbox.client("ecs").create_service(**request)["service"]
    return service


def test_ecs_service_settings_are_kept_and_a_strategy_means_no_launch_type(sandbox: Any) -> None:
    """ecs.service_settings"""
    net = fargate_cluster(sandbox)
    created = create_service(sandbox, net)
    (read,) = sandbox.client("ecs").describe_services(cluster="c", services=["s"], include=["TAGS"])["services"]
    for service in (created, read):
        assert service["capacityProviderStrategy"] == STRATEGY
        assert service["enableExecuteCommand"] is True
        assert service["enableECSManagedTags"] is True
        assert service["healthCheckGracePeriodSeconds"] == 60
        assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
        assert "launchType" not in service, "AWS: a strategy, not a launch type"
        assert "launchType" not in service["deployments"][0]


def test_ecs_service_settings_follow_update_service(sandbox: Any) -> None:
    """ecs.service_settings: UpdateService (the provider's in-place change) replaces what it names."""
    net = fargate_cluster(sandbox)
    create_service(sandbox, net)
    ecs = sandbox.client("ecs")
    ecs.update_service(
        cluster="c",
        service="s",
        enableExecuteCommand=False,
        healthCheckGracePeriodSeconds=120,
        capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1, "base": 0}],
        forceNewDeployment=True,
    )
    (read,) = ecs.describe_services(cluster="c", services=["s"])["services"]
    assert read["enableExecuteCommand"] is False and read["healthCheckGracePeriodSeconds"] == 120
    assert read["capacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]
    assert read["enableECSManagedTags"] is True and "launchType" not in read


def test_a_launch_type_service_keeps_its_launch_type(sandbox: Any) -> None:
    """ecs.service_settings changes nothing for a service created with launchType."""
    net = fargate_cluster(sandbox)
    service = create_service(sandbox, net, capacityProviderStrategy=[], launchType="FARGATE")
    assert service["launchType"] == "FARGATE" and not service.get("capacityProviderStrategy")


def test_ecs_task_definition_family_status_after_deregistering(sandbox: Any) -> None:
    """ecs.task_definition_family_status: a family whose revisions are all deregistered (what a destroy does) is
    INACTIVE, not ACTIVE; one with a live revision is ACTIVE."""
    ecs = sandbox.client("ecs")
    container = [{"name": "app", "image": "nginx", "memory": 128}]
    gone = ecs.register_task_definition(family="gone", containerDefinitions=container)["taskDefinition"]
    ecs.register_task_definition(family="kept", containerDefinitions=container)
    ecs.deregister_task_definition(taskDefinition=gone["taskDefinitionArn"])

    def families(status: str) -> list[str]:
        return sorted(ecs.list_task_definition_families(status=status)["families"])

    assert families("ACTIVE") == ["kept"]
    assert families("INACTIVE") == ["gone"]
    assert families("ALL") == ["gone", "kept"]
    assert sorted(ecs.list_task_definition_families()["families"]) == ["kept"]  # ACTIVE is AWS's default
