"""ElastiCache subnet groups and tags."""

from __future__ import annotations

from typing import Any

from popcornctl.sandbox.extensions import Kind, extension
from popcornctl.sandbox.extensions.elasticache.base import (
    MOTO,
    _action,
    _backend_cls,
    _empty,
    _fault,
    _parameter_group,
    _result,
    _state,
)

# -- subnet groups ----------------------------------------------------------------------------------------------


@extension(
    "elasticache.subnet_groups",
    kind=Kind.OPERATION,
    summary="DeleteCacheSubnetGroup (refused while a replication group uses it) and ModifyCacheSubnetGroup",
    moto_lacks=MOTO,
)
def install_subnet_groups() -> None:
    """AWS deletes an unused cache subnet group (CacheSubnetGroupInUse otherwise) and changes its description and
    subnets in place; moto 5.2.5 has neither operation, so `terraform destroy` fails on the subnet group."""

    @_action("delete_cache_subnet_group")
    def delete(self: Any) -> Any:
        backend = self.elasticache_backend
        name = self._get_param("CacheSubnetGroupName")
        if name not in backend.cache_subnet_groups:
            raise _fault("CacheSubnetGroupNotFoundFault", f"CacheSubnetGroup {name} not found.")
        if any(g.cache_subnet_group_name == name for g in backend.replication_groups.values()):
            raise _fault("CacheSubnetGroupInUse", f"Cache subnet group {name} is currently in use by a cache cluster.")
        group = backend.cache_subnet_groups.pop(name)
        backend.tagging_service.delete_all_tags_for_resource(group.arn)
        return _empty()

    @_action("modify_cache_subnet_group")
    def modify(self: Any) -> Any:
        from moto.elasticache.models import CacheSubnetGroup

        backend = self.elasticache_backend
        name = self._get_param("CacheSubnetGroupName")
        if name not in backend.cache_subnet_groups:
            raise _fault("CacheSubnetGroupNotFoundFault", f"CacheSubnetGroup {name} not found.")
        old = backend.cache_subnet_groups[name]
        group = CacheSubnetGroup(
            account_id=backend.account_id,
            region_name=backend.region_name,
            cache_subnet_group_name=name,
            cache_subnet_group_description=self._get_param("CacheSubnetGroupDescription")
            or old.cache_subnet_group_description,
            subnet_ids=self._get_param("SubnetIds") or old.subnet_ids,
            tags=old.tags,
        )
        backend.cache_subnet_groups[name] = group
        return _result({"CacheSubnetGroup": group})


# -- tags -------------------------------------------------------------------------------------------------------


_TAGGABLE = {
    "cluster": "cache_clusters",
    "subnetgroup": "cache_subnet_groups",
    "replicationgroup": "replication_groups",
    "snapshot": "snapshots",
    "user": "users",
    "usergroup": "_popcorn_user_groups",
}
_NOT_FOUND = {
    "cluster": ("CacheClusterNotFound", "Cache cluster {} not found."),
    "subnetgroup": ("CacheSubnetGroupNotFoundFault", "CacheSubnetGroup {} not found."),
    "replicationgroup": ("ReplicationGroupNotFoundFault", "Replication group {} not found."),
    "snapshot": ("SnapshotNotFoundFault", "Snapshot {} not found."),
    "user": ("UserNotFound", "User {} not found."),
    "parametergroup": ("CacheParameterGroupNotFound", "CacheParameterGroup {} not found."),
    "usergroup": ("UserGroupNotFound", "User group {} not found."),
}


def _check_taggable(backend: Any, arn: str) -> None:
    """An ARN of a resource that exists, or AWS's InvalidARN / <resource>NotFound fault."""
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "elasticache" or parts[5] not in _NOT_FOUND:
        raise _fault("InvalidARN", f"ARN {arn} is invalid.")
    kind, name = parts[5], ":".join(parts[6:])
    if kind == "parametergroup":
        _parameter_group(backend, name)
        return
    if name not in getattr(backend, _TAGGABLE[kind], {}):
        code, message = _NOT_FOUND[kind]
        raise _fault(code, message.format(name))


@extension(
    "elasticache.tags",
    kind=Kind.READBACK,
    summary="ListTagsForResource/AddTagsToResource/RemoveTagsFromResource on every taggable resource (parameter "
    "groups too, also listed by the Resource Groups Tagging API), answered with the resulting TagList; an unknown "
    "resource is its NotFound fault",
    moto_lacks=MOTO,
)
def install_tags() -> None:
    """AWS tags clusters, replication groups, subnet and parameter groups, snapshots and users by ARN, and both
    AddTagsToResource and RemoveTagsFromResource answer with the resource's tags after the change; moto 5.2.5
    rejects parameter-group ARNs, leaves them out of GetResources and answers the two writes with nothing."""
    from moto.core.resource_tagging import TaggedResource

    backend_cls = _backend_cls()
    iter_tagged = backend_cls.iter_tagged_resources

    def iter_tagged_resources(self: Any) -> Any:
        yield from iter_tagged(self)
        for group in _state(self, "_popcorn_parameter_groups", dict).values():
            yield TaggedResource(
                arn=group["ARN"],
                tags=self.tagging_service.get_tag_dict_for_resource(group["ARN"]),
                resource_type="elasticache:parametergroup",
                extra={"include_untagged": True},
            )

    backend_cls.iter_tagged_resources = iter_tagged_resources

    @_action("list_tags_for_resource")
    def list_tags(self: Any) -> Any:
        backend = self.elasticache_backend
        arn = self._get_param("ResourceName")
        _check_taggable(backend, arn)
        return _result({"TagList": backend.tagging_service.list_tags_for_resource(arn)["Tags"]})

    @_action("add_tags_to_resource")
    def add_tags(self: Any) -> Any:
        backend = self.elasticache_backend
        arn = self._get_param("ResourceName")
        _check_taggable(backend, arn)
        backend.tagging_service.tag_resource(arn, self._get_param("Tags", []))
        return _result({"TagList": backend.tagging_service.list_tags_for_resource(arn)["Tags"]})

    @_action("remove_tags_from_resource")
    def remove_tags(self: Any) -> Any:
        backend = self.elasticache_backend
        arn = self._get_param("ResourceName")
        _check_taggable(backend, arn)
        backend.tagging_service.untag_resource_using_names(arn, self._get_param("TagKeys", []))
        return _result({"TagList": backend.tagging_service.list_tags_for_resource(arn)["Tags"]})
