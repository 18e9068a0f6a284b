"""Application Auto Scaling as the AWS provider registers and reads back the ECS services' scalable targets.

moto 5.2.5 registers scalable targets and target-tracking policies but has no tagging: it ignores the Tags of
RegisterScalableTarget and answers ListTagsForResource (which the provider calls after every create and read of
an ``aws_appautoscaling_target``) with a 500, so the apply fails. It also leaves RoleARN empty where AWS fills in
the service-linked role.
"""

from __future__ import annotations

import json
from typing import Any

from popcornctl.sandbox.extensions import Kind, extension

MOTO = "5.2.5"

# Where AWS puts the service-linked role of a scalable target registered without RoleARN, by namespace.
SERVICE_LINKED_ROLES = {
    "ecs": "ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
    "dynamodb": "dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
    "rds": "rds.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_RDSCluster",
}


def _backend_cls() -> Any:
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend

    return ApplicationAutoscalingBackend


def _response_cls() -> Any:
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    return ApplicationAutoScalingResponse


def _tags(backend: Any) -> dict[str, dict[str, str]]:
    """ARN -> tags of this backend's scalable targets (reset with the backend)."""
    if not hasattr(backend, "_popcorn_tags"):
        backend._popcorn_tags = {}
    found: dict[str, dict[str, str]] = backend._popcorn_tags
    return found


def _target_arns(backend: Any) -> set[str]:
    return {t.arn for by_id in backend.targets.values() for t in by_id.values()}


def _known(backend: Any, arn: str) -> None:
    from moto.core.exceptions import JsonRESTError

    if arn not in _target_arns(backend):
        raise JsonRESTError("ResourceNotFoundException", f"No scalable target found for ARN {arn}")


@extension(
    "applicationautoscaling.tags",
    kind=Kind.OPERATION,
    summary="ListTagsForResource/TagResource/UntagResource on scalable targets, and the Tags of "
    "RegisterScalableTarget (moto answers 500 and drops them)",
    moto_lacks=MOTO,
)
def install_tags() -> None:
    """AWS tags scalable targets by their ScalableTargetARN: tags given to RegisterScalableTarget apply to a new
    target, TagResource/UntagResource change them, deregistering the target drops them, and an ARN of no target is
    ResourceNotFoundException."""
    backend_cls, response_cls = _backend_cls(), _response_cls()
    register, deregister = backend_cls.register_scalable_target, backend_cls.deregister_scalable_target

    def register_scalable_target(
        self: Any, namespace: str, r_id: str, dimension: str, *args: Any, **kwargs: Any
    ) -> Any:
        new = not self._scalable_target_exists(r_id, dimension)
        target = register(self, namespace, r_id, dimension, *args, **kwargs)
        if new:
            _tags(self)[target.arn] = dict(getattr(self, "_popcorn_pending_tags", None) or {})
        return target

    def deregister_scalable_target(self: Any, namespace: str, r_id: str, dimension: str) -> None:
        target = self.targets.get(dimension, {}).get(r_id)
        deregister(self, namespace, r_id, dimension)
        if target is not None:
            _tags(self).pop(target.arn, None)

    backend_cls.register_scalable_target = register_scalable_target
    backend_cls.deregister_scalable_target = deregister_scalable_target

    respond_register = response_cls.register_scalable_target

    def register_response(self: Any) -> str:
        # The backend signature has no tags: hand them over for the duration of this (serialized) request.
        backend = self.applicationautoscaling_backend
        backend._popcorn_pending_tags = self._get_param("Tags") or {}
        try:
            return str(respond_register(self))
        finally:
            backend._popcorn_pending_tags = None

    def list_tags_for_resource(self: Any) -> str:
        backend = self.applicationautoscaling_backend
        arn = self._get_param("ResourceARN")
        _known(backend, arn)
        return json.dumps({"Tags": _tags(backend).get(arn, {})})

    def tag_resource(self: Any) -> str:
        backend = self.applicationautoscaling_backend
        arn = self._get_param("ResourceARN")
        _known(backend, arn)
        _tags(backend).setdefault(arn, {}).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self: Any) -> str:
        backend = self.applicationautoscaling_backend
        arn = self._get_param("ResourceARN")
        _known(backend, arn)
        for key in self._get_param("TagKeys") or []:
            _tags(backend).get(arn, {}).pop(key, None)
        return "{}"

    response_cls.register_scalable_target = register_response
    response_cls.list_tags_for_resource = list_tags_for_resource
    response_cls.tag_resource = tag_resource
    response_cls.untag_resource = untag_resource


@extension(
    "applicationautoscaling.service_linked_role",
    kind=Kind.READBACK,
    summary="a scalable target registered without RoleARN reads back with the namespace's service-linked role",
    moto_lacks=MOTO,
)
def install_service_linked_role() -> None:
    """AWS registers ECS (and DynamoDB, RDS) targets with the service-linked role
    AWSServiceRoleForApplicationAutoScaling_<service> when no RoleARN is given, and DescribeScalableTargets
    returns it; moto 5.2.5 returns no RoleARN."""
    backend_cls = _backend_cls()
    register = backend_cls.register_scalable_target

    def register_scalable_target(
        self: Any, namespace: str, r_id: str, dimension: str, *args: Any, **kwargs: Any
    ) -> Any:
        target = register(self, namespace, r_id, dimension, *args, **kwargs)
        if not target.role_arn and namespace in SERVICE_LINKED_ROLES:
            target.role_arn = f"arn:aws:iam::{self.account_id}:role/aws-service-role/{SERVICE_LINKED_ROLES[namespace]}"
        return target

    backend_cls.register_scalable_target = register_scalable_target


@extension(
    "applicationautoscaling.policy_filters",
    kind=Kind.READBACK,
    summary="DescribeScalingPolicies honours PolicyNames and matches ResourceId exactly (moto ignores the names "
    "and matches the id as a substring, so service/c/api-gateway also lists service/c/api's policies)",
    moto_lacks=MOTO,
)
def install_policy_filters() -> None:
    """AWS filters DescribeScalingPolicies by namespace, exact ResourceId, ScalableDimension and PolicyNames, then
    pages the result (MaxResults, NextToken)."""
    from moto.applicationautoscaling.responses import _build_policy

    def describe_scaling_policies(self: Any) -> str:
        backend = self.applicationautoscaling_backend
        namespace, resource = self._get_param("ServiceNamespace"), self._get_param("ResourceId")
        dimension, names = self._get_param("ScalableDimension"), self._get_param("PolicyNames")
        found = [
            p
            for p in backend.policies.values()
            if p.service_namespace == namespace
            and (not resource or p.resource_id == resource)
            and (not dimension or p.scalable_dimension == dimension)
            and (not names or p.policy_name in names)
        ]
        start = int(self._get_param("NextToken") or 0)
        size = self._get_int_param("MaxResults") or 50
        page: dict[str, Any] = {"ScalingPolicies": [_build_policy(p) for p in found[start : start + size]]}
        if start + size < len(found):
            page["NextToken"] = str(start + size)
        return json.dumps(page)

    _response_cls().describe_scaling_policies = describe_scaling_policies
