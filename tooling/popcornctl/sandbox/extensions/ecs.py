"""ECS: services keep what CreateService was given, and CreateService/UpdateService check what AWS checks."""

from __future__ import annotations

from typing import Any

from popcornctl.sandbox.extensions import Kind, extension

# CreateService request members moto 5.2.5 drops, and the Service attribute its serializer reads each one from.
KEPT_SETTINGS = {
    "capacityProviderStrategy": "capacity_provider_strategy",
    "enableExecuteCommand": "enable_execute_command",
    "enableECSManagedTags": "enable_ecs_managed_tags",
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
    "deploymentConfiguration": "deployment_configuration",
    "placementConstraints": "placement_constraints",
    "placementStrategy": "placement_strategy",
    "availabilityZoneRebalancing": "availability_zone_rebalancing",
}


def _keep_settings(service: Any, params: dict[str, Any]) -> None:
    for member, attribute in KEPT_SETTINGS.items():
        if member in params and params[member] is not None:
            setattr(service, attribute, params[member])
    if params.get("capacityProviderStrategy"):
        # AWS: a service placed by a capacity provider strategy has no launch type; moto defaults it to EC2.
        service.launch_type = None
        for deployment in service.deployments:
            deployment["launchType"] = None
            deployment["capacityProviderStrategy"] = params["capacityProviderStrategy"]


@extension(
    "ecs.service_settings",
    kind=Kind.READBACK,
    summary="CreateService keeps capacityProviderStrategy (no launchType then), enableExecuteCommand, "
    "enableECSManagedTags, healthCheckGracePeriodSeconds, deploymentConfiguration and placement settings",
    moto_lacks="5.2.5",
)
def install_service_settings() -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse

    create, update = EC2ContainerServiceResponse.create_service, EC2ContainerServiceResponse.update_service

    def create_service(self: EC2ContainerServiceResponse) -> Any:
        result = create(self)
        service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
        _keep_settings(service, self._get_params())
        return result

    def update_service(self: EC2ContainerServiceResponse) -> Any:
        params = self._get_params()
        result = update(self)
        service = self.ecs_backend._get_service(params.get("cluster", "default"), params["service"].split("/")[-1])
        _keep_settings(service, params)
        return result

    EC2ContainerServiceResponse.create_service = create_service  # type: ignore[method-assign]
    EC2ContainerServiceResponse.update_service = update_service  # type: ignore[method-assign]


def _check_before(operation: str, check: Any) -> None:
    """Run ``check(response, params)`` before moto handles ``operation``; it raises AWS's error to reject."""
    from moto.ecs.responses import EC2ContainerServiceResponse

    handle = getattr(EC2ContainerServiceResponse, operation)

    def checked(self: EC2ContainerServiceResponse) -> Any:
        check(self, self._get_params())
        return handle(self)

    setattr(EC2ContainerServiceResponse, operation, checked)


def _target_groups_without_load_balancer(response: Any, params: dict[str, Any]) -> None:
    from moto.ecs.exceptions import InvalidParameterException
    from moto.elbv2.models import elbv2_backends

    target_groups = elbv2_backends[response.current_account][response.region].target_groups
    for entry in params.get("loadBalancers") or []:
        arn = entry.get("targetGroupArn")
        group = target_groups.get(arn) if arn else None
        if group is not None and not group.load_balancer_arns:
            raise InvalidParameterException(
                f"The target group with targetGroupArn {arn} does not have an associated load balancer."
            )


@extension(
    "ecs.target_group_has_load_balancer",
    kind=Kind.STRICT,
    summary="CreateService/UpdateService reject a target group no listener or rule forwards to "
    "(InvalidParameterException), as AWS does on a first apply that creates the service before the rule",
    moto_lacks="5.2.5",
)
def install_target_group_check() -> None:
    _check_before("create_service", _target_groups_without_load_balancer)
    _check_before("update_service", _target_groups_without_load_balancer)


def _strategy_outside_cluster(response: Any, params: dict[str, Any]) -> None:
    from moto.ecs.exceptions import InvalidParameterException

    strategy = params.get("capacityProviderStrategy") or []
    if not strategy:
        return
    cluster = response.ecs_backend._get_cluster(params.get("cluster", "default"))
    associated = set(cluster.capacity_providers or [])
    if any(item.get("capacityProvider") not in associated for item in strategy):
        raise InvalidParameterException(
            "The specified capacity provider strategy cannot contain a capacity provider that is not associated "
            "with the cluster. Associate the capacity provider with the cluster or specify a valid capacity "
            "provider and try again."
        )


@extension(
    "ecs.strategy_providers_on_cluster",
    kind=Kind.STRICT,
    summary="CreateService/UpdateService reject a capacity provider strategy naming a provider the cluster does "
    "not have (InvalidParameterException), as AWS does before PutClusterCapacityProviders",
    moto_lacks="5.2.5",
)
def install_strategy_check() -> None:
    _check_before("create_service", _strategy_outside_cluster)
    _check_before("update_service", _strategy_outside_cluster)


@extension(
    "ecs.task_definition_family_status",
    kind=Kind.READBACK,
    summary="ListTaskDefinitionFamilies honours status: ACTIVE lists families with an active revision, INACTIVE "
    "families whose revisions are all deregistered, ALL both (moto ignores the filter)",
    moto_lacks="5.2.5",
)
def install_task_definition_family_status() -> None:
    """After a destroy deregisters every revision, AWS no longer lists the family as ACTIVE; moto did, so a family
    looked alive after ``down``."""
    from moto.core.responses import ActionResult
    from moto.ecs.responses import EC2ContainerServiceResponse

    def list_task_definition_families(self: Any) -> Any:
        prefix = self._get_param("familyPrefix") or ""
        status = self._get_param("status") or "ACTIVE"
        families = []
        for family, revisions in self.ecs_backend.task_definitions.items():
            active = any(r.status == "ACTIVE" for r in revisions.values())
            if family.startswith(prefix) and (status == "ALL" or active == (status == "ACTIVE")):
                families.append(family)
        return ActionResult({"families": families})

    EC2ContainerServiceResponse.list_task_definition_families = list_task_definition_families  # type: ignore[method-assign]
