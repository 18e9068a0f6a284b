"""ElastiCache parameter groups as AWS keeps them."""

from __future__ import annotations

from typing import Any

from popcornctl.sandbox.extensions import Kind, extension
from popcornctl.sandbox.extensions.elasticache.base import (
    FAMILY_DEFAULTS,
    MOTO,
    _action,
    _arn,
    _empty,
    _family_of_default,
    _fault,
    _groups_using,
    _parameter_group,
    _public,
    _result,
    _state,
)


@extension(
    "elasticache.parameter_groups",
    kind=Kind.OPERATION,
    summary="Create/Describe/Modify/Reset/DeleteCacheParameterGroup and DescribeCacheParameters (user and system "
    "sources, AWS's defaults for the parameters we set; a group in use cannot be deleted)",
    moto_lacks=MOTO,
)
def install_parameter_groups() -> None:
    """AWS keeps a parameter group's overrides with Source "user" next to the family's defaults ("system"); the
    provider writes its parameters with ModifyCacheParameterGroup (20 at a time), reads them back with
    DescribeCacheParameters(Source="user") and removes one with ResetCacheParameterGroup."""
    _action("create_cache_parameter_group")(_parameter_group_create)
    _action("describe_cache_parameter_groups")(_parameter_group_describe)
    _action("describe_cache_parameters")(_parameter_group_parameters)
    _action("modify_cache_parameter_group")(_parameter_group_modify)
    _action("reset_cache_parameter_group")(_parameter_group_reset)
    _action("delete_cache_parameter_group")(_parameter_group_delete)


def _parameter_group_create(self: Any) -> Any:
    backend = self.elasticache_backend
    groups: dict[str, dict[str, Any]] = _state(backend, "_popcorn_parameter_groups", dict)
    name = self._get_param("CacheParameterGroupName")
    if name in groups or _family_of_default(name):
        raise _fault("CacheParameterGroupAlreadyExists", f"Parameter group {name} already exists.")
    family = self._get_param("CacheParameterGroupFamily")
    group = {
        "CacheParameterGroupName": name,
        "CacheParameterGroupFamily": family,
        "Description": self._get_param("Description"),
        "IsGlobal": False,
        "ARN": _arn(backend, "parametergroup", name),
        "_parameters": {},
    }
    groups[name] = group
    tags = self._get_param("Tags", [])
    if tags:
        backend.tagging_service.tag_resource(group["ARN"], tags)
    return _result({"CacheParameterGroup": _public(group)})


def _parameter_group_describe(self: Any) -> Any:
    backend = self.elasticache_backend
    name = self._get_param("CacheParameterGroupName")
    if name:
        found = [_parameter_group(backend, name)]
    else:
        found = list(_state(backend, "_popcorn_parameter_groups", dict).values())
    return _result({"CacheParameterGroups": [_public(g) for g in found]})


def _parameter_group_parameters(self: Any) -> Any:
    group = _parameter_group(self.elasticache_backend, self._get_param("CacheParameterGroupName"))
    source = self._get_param("Source")
    user: dict[str, str] = group["_parameters"]
    rows = [_parameter(n, v, "user") for n, v in sorted(user.items())]
    rows += [_parameter(n, v, "system") for n, v in sorted(FAMILY_DEFAULTS.items()) if n not in user]
    if source:
        rows = [r for r in rows if r["Source"] == source]
    return _result({"Parameters": rows})


def _parameter_group_modify(self: Any) -> Any:
    name = self._get_param("CacheParameterGroupName")
    group = _parameter_group(self.elasticache_backend, name)
    if _family_of_default(name):
        raise _fault("InvalidParameterValue", "Default parameter groups cannot be modified.")
    values = self._get_param("ParameterNameValues", [])
    if not values:
        raise _fault("InvalidParameterValue", "At least one parameter must be specified.")
    for pair in values:
        group["_parameters"][pair["ParameterName"]] = pair.get("ParameterValue", "")
    return _result({"CacheParameterGroupName": name})


def _parameter_group_reset(self: Any) -> Any:
    name = self._get_param("CacheParameterGroupName")
    group = _parameter_group(self.elasticache_backend, name)
    if self._get_bool_param("ResetAllParameters"):
        group["_parameters"].clear()
    for pair in self._get_param("ParameterNameValues", []):
        group["_parameters"].pop(pair["ParameterName"], None)
    return _result({"CacheParameterGroupName": name})


def _parameter_group_delete(self: Any) -> Any:
    backend = self.elasticache_backend
    name = self._get_param("CacheParameterGroupName")
    _parameter_group(backend, name)
    if _family_of_default(name):
        raise _fault("InvalidCacheParameterGroupState", "Default parameter groups cannot be deleted.")
    if _groups_using(backend, name):
        raise _fault(
            "InvalidCacheParameterGroupState",
            f"One or more cache clusters are still members of this parameter group {name}, so the "
            "group cannot be deleted.",
        )
    group = _state(backend, "_popcorn_parameter_groups", dict).pop(name)
    backend.tagging_service.delete_all_tags_for_resource(group["ARN"])
    return _empty()


def _parameter(name: str, value: str, source: str) -> dict[str, Any]:
    return {
        "ParameterName": name,
        "ParameterValue": value,
        "Source": source,
        "DataType": "string",
        "IsModifiable": True,
        "MinimumEngineVersion": "7.2.0",
        "ChangeType": "immediate",
    }
