"""ElastiCache as the AWS provider creates, reads back and deletes our Valkey cache (modules/elasticache).

moto 5.2.5 has replication groups, subnet groups, snapshots and users, but no parameter groups, no user groups,
no DeleteCacheSubnetGroup, no DescribeEvents and no TestFailover; a replication group gets one member whatever
NumCacheClusters says, no member cache cluster exists (so DescribeCacheClusters cannot answer the provider's read
of a member), ModifyReplicationGroup ignores most of its arguments and a deleted group never goes away (the
provider waits 40 minutes for it). Each extension below adds one of these the way AWS does it; shared state
lives on moto's ``ElastiCacheBackend`` instance, so ``/moto-api/reset`` empties it with the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from popcornctl.sandbox.extensions import Kind, extension

MOTO = "5.2.5"

# Defaults of the Valkey/Redis OSS parameter families for the parameters our modules set (DescribeCacheParameters
# lists them with Source "system" until a group overrides them; ResetCacheParameterGroup returns to them).
FAMILY_DEFAULTS = {
    "maxmemory-policy": "volatile-lru",
    "slowlog-log-slower-than": "10000",
    "slowlog-max-len": "128",
    "timeout": "0",
    "tcp-keepalive": "300",
    "notify-keyspace-events": "",
    "reserved-memory-percent": "25",
}


def _backend_cls() -> Any:
    from moto.elasticache.models import ElastiCacheBackend

    return ElastiCacheBackend


def _response_cls() -> Any:
    from moto.elasticache.responses import ElastiCacheResponse

    return ElastiCacheResponse


def _fault(code: str, message: str) -> Exception:
    from moto.elasticache.exceptions import ElastiCacheException

    return ElastiCacheException(code, message)


def _state(backend: Any, name: str, factory: Callable[[], Any]) -> Any:
    """Per-backend state of an extension (reset with the backend)."""
    if not hasattr(backend, name):
        setattr(backend, name, factory())
    return getattr(backend, name)


def _record_event(backend: Any, source_type: str, source_id: str, message: str) -> None:
    """Remember an event for DescribeEvents (recorded whether or not that extension is installed)."""
    events: list[dict[str, Any]] = _state(backend, "_popcorn_events", list)
    events.append(
        {"SourceIdentifier": source_id, "SourceType": source_type, "Message": message, "Date": datetime.now(UTC)}
    )


def _action(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add (or replace) the response method that serves the API action ``name`` (snake_case)."""

    def add(method: Callable[..., Any]) -> Callable[..., Any]:
        setattr(_response_cls(), name, method)
        return method

    return add


def _result(value: object) -> Any:
    from moto.core.responses import ActionResult

    return ActionResult(value)


def _empty() -> Any:
    from moto.core.responses import EmptyResult

    return EmptyResult()


# -- parameter groups -------------------------------------------------------------------------------------


def _family_of_default(name: str) -> str | None:
    """``default.valkey8`` -> ``valkey8``: AWS's default groups exist for every family."""
    return name.removeprefix("default.") if name.startswith("default.") else None


def _parameter_group(backend: Any, name: str) -> dict[str, Any]:
    groups: dict[str, dict[str, Any]] = _state(backend, "_popcorn_parameter_groups", dict)
    if name in groups:
        return groups[name]
    family = _family_of_default(name)
    if family is None:
        raise _fault("CacheParameterGroupNotFound", f"CacheParameterGroup {name} not found.")
    return {
        "CacheParameterGroupName": name,
        "CacheParameterGroupFamily": family,
        "Description": f"Default parameter group for {family}",
        "IsGlobal": False,
        "ARN": _arn(backend, "parametergroup", name),
        "_parameters": {},
    }


def _arn(backend: Any, kind: str, name: str) -> str:
    return f"arn:aws:elasticache:{backend.region_name}:{backend.account_id}:{kind}:{name}"


def _public(group: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in group.items() if not k.startswith("_")}


def _groups_using(backend: Any, parameter_group: str) -> list[str]:
    return [
        g.replication_group_id
        for g in backend.replication_groups.values()
        if g.cache_parameter_group_name == parameter_group
    ]


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


# -- replication groups: members, read-back, modify, delete ---------------------------------------------------


class MemberCluster:
    """A node of a cluster-mode-disabled replication group, as DescribeCacheClusters lists it: its settings are
    the group's (AWS keeps them in step), read through at every describe."""

    def __init__(self, group: Any, cluster_id: str, az: str, backend: Any) -> None:
        self.group = group
        self.cache_cluster_id = cluster_id
        self.preferred_availability_zone = az
        self.arn = _arn(backend, "cluster", cluster_id)
        self.cache_cluster_create_time = datetime.now(UTC)
        self.cache_cluster_status = "available"
        self.num_cache_nodes = 1
        self.replication_group_id = group.replication_group_id
        self.cache_node_id = "0001"
        self.tags: list[dict[str, str]] = []

    def __getattr__(self, name: str) -> Any:
        # Everything the group also has (engine, node type, windows, encryption, subnet group...) is the group's.
        if name == "group":
            raise AttributeError(name)
        return getattr(self.group, name)

    def describe(self, show_nodes: bool) -> dict[str, Any]:
        g = self.group
        major = str(g.engine_version or "8").split(".")[0]
        parameter_group = g.cache_parameter_group_name or f"default.{g.engine}{major}"
        found: dict[str, Any] = {
            "CacheClusterId": self.cache_cluster_id,
            "CacheNodeType": g.cache_node_type,
            "Engine": g.engine,
            "EngineVersion": _full_version(g.engine_version),
            "CacheClusterStatus": self.cache_cluster_status,
            "NumCacheNodes": 1,
            "PreferredAvailabilityZone": self.preferred_availability_zone,
            "CacheClusterCreateTime": self.cache_cluster_create_time,
            "PreferredMaintenanceWindow": g.preferred_maintenance_window,
            "CacheSecurityGroups": [],
            "CacheParameterGroup": {
                "CacheParameterGroupName": parameter_group,
                "ParameterApplyStatus": "in-sync",
                "CacheNodeIdsToReboot": [],
            },
            "CacheSubnetGroupName": g.cache_subnet_group_name,
            "AutoMinorVersionUpgrade": g.auto_minor_version_upgrade is not False,
            "SecurityGroups": [{"SecurityGroupId": s, "Status": "active"} for s in g.security_group_ids or []],
            "ReplicationGroupId": g.replication_group_id,
            "SnapshotRetentionLimit": g.snapshot_retention_limit,
            "SnapshotWindow": g.snapshot_window,
            "AuthTokenEnabled": g.auth_token_enabled,
            "TransitEncryptionEnabled": g.transit_encryption_enabled,
            "AtRestEncryptionEnabled": g.at_rest_encryption_enabled,
            "ARN": self.arn,
            "ReplicationGroupLogDeliveryEnabled": bool(g.log_delivery_configurations),
            "LogDeliveryConfigurations": g.log_delivery_configurations,
            "NetworkType": g.network_type,
            "IpDiscovery": g.ip_discovery,
            "TransitEncryptionMode": g.transit_encryption_mode,
        }
        if g.notification_topic_arn:
            found["NotificationConfiguration"] = {"TopicArn": g.notification_topic_arn, "TopicStatus": "active"}
        if show_nodes:
            found["CacheNodes"] = [
                {
                    "CacheNodeId": "0001",
                    "CacheNodeStatus": "available",
                    "CacheNodeCreateTime": self.cache_cluster_create_time,
                    "Endpoint": {"Address": f"{self.cache_cluster_id}.{_domain(g)}", "Port": g.port},
                    "ParameterGroupStatus": "in-sync",
                    "CustomerAvailabilityZone": self.preferred_availability_zone,
                }
            ]
        return found


def _full_version(version: str | None) -> str:
    """ElastiCache runs the newest patch of the requested major.minor ("8.0" -> "8.0.1")."""
    if not version:
        return "8.0.1"
    return version if version.count(".") >= 2 else f"{version}.1"


def _domain(group: Any) -> str:
    return str(group.node_groups[0]["primary_endpoint_address"]).removeprefix("master.")


def _subnet_azs(backend: Any, subnet_group: str | None) -> list[str]:
    found = backend.cache_subnet_groups.get(subnet_group) if subnet_group else None
    azs = [s.get("subnet_availability_zone") for s in (found.subnets if found else [])]
    return sorted({a for a in azs if isinstance(a, str)}) or [f"{backend.region_name}a"]


def _place_members(backend: Any, group: Any, count: int, preferred: list[str]) -> None:
    """``count`` nodes named "<group>-001".., the first primary, spread over the subnet group's AZs (or the
    preferred AZs), each a DescribeCacheClusters-visible cache cluster."""
    azs = _subnet_azs(backend, group.cache_subnet_group_name)
    node_group = group.node_groups[0]
    members = []
    group.member_clusters.clear()
    for i in range(count):
        cluster_id = f"{group.replication_group_id}-{i + 1:03d}"
        az = preferred[i] if i < len(preferred) else azs[i % len(azs)]
        members.append(
            {
                "cache_cluster_id": cluster_id,
                "cache_node_id": "0001",
                "read_endpoint": {"address": f"{cluster_id}.{_domain(group)}", "port": group.port},
                "preferred_availability_zone": az,
                "current_role": "primary" if i == 0 else "replica",
            }
        )
        group.member_clusters.append(cluster_id)
        backend.cache_clusters[cluster_id] = MemberCluster(group, cluster_id, az, backend)
    node_group["node_group_members"] = members
    node_group["reader_endpoint"] = {"address": node_group["reader_endpoint_address"], "port": group.port}
    group.snapshotting_cluster_id = group.member_clusters[-1] if group.snapshot_retention_limit else None


@extension(
    "elasticache.replication_group_members",
    kind=Kind.READBACK,
    summary="a cluster-mode-disabled replication group has NumCacheClusters members (in the subnet group's AZs), "
    "each a cache cluster DescribeCacheClusters lists with the group's settings, its nodes and endpoints",
    moto_lacks=MOTO,
)
def install_replication_group_members() -> None:
    """AWS creates one cache cluster per node ("<group>-001" primary, then replicas), lists them in MemberClusters
    and NodeGroupMembers and answers DescribeCacheClusters for each (the provider reads the parameter group,
    security groups, maintenance window, notification topic and engine version from the first member). Transit
    encryption without a mode is "required"; an unknown parameter or subnet group is refused."""
    backend_cls = _backend_cls()
    original = backend_cls.create_replication_group

    def create_replication_group(self: Any, **kwargs: Any) -> Any:
        parameter_group = kwargs.get("cache_parameter_group_name")
        if parameter_group:
            _parameter_group(self, parameter_group)
        subnet_group = kwargs.get("cache_subnet_group_name")
        if subnet_group and subnet_group not in self.cache_subnet_groups:
            raise _fault("CacheSubnetGroupNotFoundFault", f"CacheSubnetGroup {subnet_group} not found.")
        if kwargs.get("transit_encryption_enabled") and not kwargs.get("transit_encryption_mode"):
            kwargs["transit_encryption_mode"] = "required"
        group = original(self, **kwargs)
        if group.cluster_mode != "enabled":
            count = kwargs.get("num_cache_clusters") or (kwargs.get("replicas_per_node_group") or 0) + 1
            _place_members(self, group, count, list(kwargs.get("preferred_cache_cluster_azs") or []))
            for member in group.member_clusters:
                _record_event(self, "cache-cluster", member, "Cache cluster created")
        return group

    backend_cls.create_replication_group = create_replication_group

    @_action("describe_cache_clusters")
    def describe_cache_clusters(self: Any) -> Any:
        backend = self.elasticache_backend
        show_nodes = bool(self._get_bool_param("ShowCacheNodeInfo"))
        outside_only = bool(self._get_bool_param("ShowCacheClustersNotInReplicationGroups"))
        found = backend.describe_cache_clusters(cache_cluster_id=self._get_param("CacheClusterId"))
        rows = [
            c.describe(show_nodes) if isinstance(c, MemberCluster) else c
            for c in found
            if not (outside_only and getattr(c, "replication_group_id", None))
        ]
        return _result({"CacheClusters": rows})


def _log_delivery(configs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The configurations as AWS reports them: enabled ones active, without the request-only Enabled flag."""
    return [
        {
            **{k: v for k, v in c.items() if k != "Enabled"},
            "Status": "active",
            "Message": "Log delivery configuration is active.",
        }
        for c in configs
        if c.get("Enabled", True) not in (False, "false")
    ]


@extension(
    "elasticache.replication_group_modify",
    kind=Kind.OPERATION,
    summary="ModifyReplicationGroup applies every setting the provider changes (windows, parameter and security "
    "groups, notification topic, AUTH token rotation, log delivery, engine version...), not only five",
    moto_lacks=MOTO,
)
def install_replication_group_modify() -> None:
    """AWS applies a ModifyReplicationGroup to the group and its members; moto 5.2.5 only takes the description,
    engine, node type, failover/Multi-AZ and snapshot retention. Changes apply at once here (AWS defers some to the
    maintenance window unless ApplyImmediately)."""

    @_action("modify_replication_group")
    def modify(self: Any) -> Any:
        backend = self.elasticache_backend
        group_id = self._get_param("ReplicationGroupId")
        if group_id not in backend.replication_groups:
            from moto.elasticache.exceptions import ReplicationGroupNotFound

            raise ReplicationGroupNotFound(group_id)
        group = backend.replication_groups[group_id]
        p = self._get_params()
        if (name := p.get("CacheParameterGroupName")) is not None:
            _parameter_group(backend, name)
            group.cache_parameter_group_name = name
        simple = {
            "ReplicationGroupDescription": "description",
            "PreferredMaintenanceWindow": "preferred_maintenance_window",
            "SnapshotWindow": "snapshot_window",
            "CacheNodeType": "cache_node_type",
            "EngineVersion": "engine_version",
            "Engine": "engine",
            "SecurityGroupIds": "security_group_ids",
            "IpDiscovery": "ip_discovery",
            "TransitEncryptionMode": "transit_encryption_mode",
        }
        for key, attr in simple.items():
            if p.get(key) is not None:
                setattr(group, attr, p[key])
        if p.get("NotificationTopicArn") is not None:
            group.notification_topic_arn = p["NotificationTopicArn"] or None
        for key, attr in (("AutomaticFailoverEnabled", "automatic_failover"), ("MultiAZEnabled", "multi_az")):
            if (flag := self._get_bool_param(key)) is not None:
                setattr(group, attr, "enabled" if flag else "disabled")
        for key, attr in (
            ("AutoMinorVersionUpgrade", "auto_minor_version_upgrade"),
            ("TransitEncryptionEnabled", "transit_encryption_enabled"),
        ):
            if (flag := self._get_bool_param(key)) is not None:
                setattr(group, attr, flag)
        if (limit := self._get_int_param("SnapshotRetentionLimit")) is not None:
            group.snapshot_retention_limit = limit
        if p.get("AuthToken") is not None or p.get("AuthTokenUpdateStrategy") is not None:
            group.auth_token_enabled = p.get("AuthTokenUpdateStrategy") != "DELETE"
            group.auth_token_last_modified_date = datetime.now(UTC)
        if p.get("LogDeliveryConfigurations") is not None:
            changed = {c["LogType"]: c for c in p["LogDeliveryConfigurations"]}
            kept = [c for c in group.log_delivery_configurations if c.get("LogType") not in changed]
            group.log_delivery_configurations = kept + _log_delivery(changed.values())
        return _result({"ReplicationGroup": group})


@extension(
    "elasticache.replication_group_delete",
    kind=Kind.OPERATION,
    summary="DeleteReplicationGroup removes the group and its member clusters (moto keeps it 'deleting' forever) "
    "and takes the FinalSnapshotIdentifier snapshot first",
    moto_lacks=MOTO,
)
def install_replication_group_delete() -> None:
    """AWS takes the final snapshot, deletes the members, then the group disappears from
    DescribeReplicationGroups (the provider waits for ReplicationGroupNotFoundFault)."""

    @_action("delete_replication_group")
    def delete(self: Any) -> Any:
        backend = self.elasticache_backend
        group_id = self._get_param("ReplicationGroupId")
        if group_id not in backend.replication_groups:
            from moto.elasticache.exceptions import ReplicationGroupNotFound

            raise ReplicationGroupNotFound(group_id)
        if final := self._get_param("FinalSnapshotIdentifier"):
            backend.create_snapshot(
                snapshot_name=final, replication_group_id=group_id, cache_cluster_id=None, kms_key_id=None, tags=None
            )
        group = backend.replication_groups.pop(group_id)
        for member in group.member_clusters:
            backend.cache_clusters.pop(member, None)
        backend.tagging_service.delete_all_tags_for_resource(group.arn)
        group.status = "deleting"
        _record_event(backend, "replication-group", group_id, f"Replication group {group_id} deleted")
        return _result({"ReplicationGroup": group})


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


# -- events and failover ----------------------------------------------------------------------------------------


@extension(
    "elasticache.events",
    kind=Kind.OPERATION,
    summary="DescribeEvents: the events of the emulator's own changes (cluster created, snapshot succeeded, "
    "failover, group deleted), filtered by source and time (the last hour by default), newest first",
    moto_lacks=MOTO,
)
def install_events() -> None:
    """AWS keeps 14 days of events per source and DescribeEvents returns the last hour unless StartTime, EndTime
    or Duration (minutes) says otherwise; snapshots add "Snapshot succeeded for snapshot with ID '<name>'"."""
    backend_cls = _backend_cls()
    original_snapshot = backend_cls.create_snapshot

    def create_snapshot(self: Any, **kwargs: Any) -> Any:
        snapshot = original_snapshot(self, **kwargs)
        source = (
            ("replication-group", kwargs["replication_group_id"])
            if kwargs.get("replication_group_id")
            else ("cache-cluster", kwargs.get("cache_cluster_id") or "")
        )
        _record_event(self, *source, f"Snapshot succeeded for snapshot with ID '{kwargs['snapshot_name']}'")
        return snapshot

    backend_cls.create_snapshot = create_snapshot

    @_action("describe_events")
    def describe_events(self: Any) -> Any:
        now = datetime.now(UTC)
        end = _aware(self._get_param("EndTime")) or now
        duration = self._get_int_param("Duration")
        start = _aware(self._get_param("StartTime")) or end - timedelta(minutes=duration or 60)
        source_id, source_type = self._get_param("SourceIdentifier"), self._get_param("SourceType")
        events: list[dict[str, Any]] = _state(self.elasticache_backend, "_popcorn_events", list)
        rows = [
            e
            for e in reversed(events)
            if start <= e["Date"] <= end
            and (not source_id or e["SourceIdentifier"] == source_id)
            and (not source_type or e["SourceType"] == source_type)
        ]
        offset = int(self._get_param("Marker") or 0)
        size = self._get_int_param("MaxRecords") or 100
        page = rows[offset : offset + size]
        result: dict[str, Any] = {"Events": page}
        if offset + size < len(rows):
            result["Marker"] = str(offset + size)
        return _result(result)


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    moment: datetime = value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@extension(
    "elasticache.test_failover",
    kind=Kind.OPERATION,
    summary="TestFailover promotes the first replica of a node group to primary and records AWS's failover events",
    moto_lacks=MOTO,
)
def install_test_failover() -> None:
    """AWS's TestFailover (automatic failover on, at least one replica) promotes a replica and emits "Test Failover
    API called for node group <id>" and "Failover from primary node <old> to replica node <new> completed". The
    old primary's "Recovering cache nodes"/"Finished recovery" pair, minutes later on AWS, is not emitted."""

    @_action("test_failover")
    def test_failover(self: Any) -> Any:
        backend = self.elasticache_backend
        group_id, node_group_id = self._get_param("ReplicationGroupId"), self._get_param("NodeGroupId")
        if group_id not in backend.replication_groups:
            from moto.elasticache.exceptions import ReplicationGroupNotFound

            raise ReplicationGroupNotFound(group_id)
        group = backend.replication_groups[group_id]
        node_group = next((n for n in group.node_groups if n["node_group_id"] == node_group_id), None)
        if node_group is None:
            raise _fault("NodeGroupNotFoundFault", f"NodeGroup {node_group_id} not found.")
        if group.automatic_failover != "enabled":
            raise _fault(
                "InvalidReplicationGroupState",
                f"Replication group {group_id} must have automatic failover enabled to test failover.",
            )
        members = node_group["node_group_members"]
        primary = next(m for m in members if m.get("current_role") == "primary")
        replica = next((m for m in members if m.get("current_role") == "replica"), None)
        if replica is None:
            raise _fault("InvalidReplicationGroupState", f"Node group {node_group_id} has no replica to fail over to.")
        primary["current_role"], replica["current_role"] = "replica", "primary"
        called = f"Test Failover API called for node group {node_group_id}"
        _record_event(backend, "replication-group", group_id, called)
        _record_event(
            backend,
            "cache-cluster",
            replica["cache_cluster_id"],
            f"Failover from primary node {primary['cache_cluster_id']} to replica node "
            f"{replica['cache_cluster_id']} completed",
        )
        return _result({"ReplicationGroup": group})


# -- user groups (auth_mode = "iam") ------------------------------------------------------------------------------


def _user_group(backend: Any, group_id: str) -> dict[str, Any]:
    groups: dict[str, dict[str, Any]] = _state(backend, "_popcorn_user_groups", dict)
    if group_id not in groups:
        raise _fault("UserGroupNotFound", f"User group {group_id} not found.")
    return groups[group_id]


def _check_members(backend: Any, user_ids: list[str]) -> None:
    """AWS's rules for a group's members: every user exists, names are unique, one is named "default"."""
    users = []
    for user_id in user_ids:
        if user_id not in backend.users:
            raise _fault("UserNotFound", f"User {user_id} not found.")
        users.append(backend.users[user_id])
    names = [u.name for u in users]
    if len(set(names)) != len(names):
        raise _fault("DuplicateUserName", "A user with this username already exists in the user group.")
    if "default" not in names:
        raise _fault("DefaultUserRequired", "User group needs to contain a user with the user name default.")


def _user_group_view(backend: Any, group: dict[str, Any]) -> dict[str, Any]:
    serving = [
        g.replication_group_id
        for g in backend.replication_groups.values()
        if group["UserGroupId"] in (g.user_group_ids or [])
    ]
    return {**group, "ReplicationGroups": serving}


@extension(
    "elasticache.user_groups",
    kind=Kind.OPERATION,
    summary="Create/Describe/Modify/DeleteUserGroup (members must exist, have unique names and include a user "
    "named default; a group a replication group uses cannot be deleted)",
    moto_lacks=MOTO,
)
def install_user_groups() -> None:
    """AWS's RBAC user groups (modules/elasticache's auth_mode = "iam"): CreateUserGroup refuses unknown users,
    duplicate user names and a group without a "default" user (DefaultUserRequired); a group is "active" at once
    here, lists the replication groups using it, and DeleteUserGroup refuses one still in use."""

    @_action("create_user_group")
    def create(self: Any) -> Any:
        backend = self.elasticache_backend
        groups: dict[str, dict[str, Any]] = _state(backend, "_popcorn_user_groups", dict)
        group_id = self._get_param("UserGroupId")
        if group_id in groups:
            raise _fault("UserGroupAlreadyExists", f"User group {group_id} already exists.")
        user_ids = list(self._get_param("UserIds", []))
        _check_members(backend, user_ids)
        group = {
            "UserGroupId": group_id,
            "Status": "active",
            "Engine": self._get_param("Engine"),
            "UserIds": user_ids,
            "MinimumEngineVersion": "7.2.0",
            "ARN": _arn(backend, "usergroup", group_id),
        }
        groups[group_id] = group
        if tags := self._get_param("Tags", []):
            backend.tagging_service.tag_resource(group["ARN"], tags)
        return _result(_user_group_view(backend, group))

    @_action("describe_user_groups")
    def describe(self: Any) -> Any:
        backend = self.elasticache_backend
        group_id = self._get_param("UserGroupId")
        found = (
            [_user_group(backend, group_id)]
            if group_id
            else list(_state(backend, "_popcorn_user_groups", dict).values())
        )
        return _result({"UserGroups": [_user_group_view(backend, g) for g in found]})

    @_action("modify_user_group")
    def modify(self: Any) -> Any:
        backend = self.elasticache_backend
        group = _user_group(backend, self._get_param("UserGroupId"))
        removed = set(self._get_param("UserIdsToRemove", []))
        user_ids = [u for u in group["UserIds"] if u not in removed]
        user_ids += [u for u in self._get_param("UserIdsToAdd", []) if u not in user_ids]
        _check_members(backend, user_ids)
        group["UserIds"] = user_ids
        return _result(_user_group_view(backend, group))

    @_action("delete_user_group")
    def delete(self: Any) -> Any:
        backend = self.elasticache_backend
        group = _user_group(backend, self._get_param("UserGroupId"))
        view = _user_group_view(backend, group)
        if view["ReplicationGroups"]:
            raise _fault(
                "InvalidUserGroupState", f"User group {group['UserGroupId']} is in use by a replication group."
            )
        _state(backend, "_popcorn_user_groups", dict).pop(group["UserGroupId"])
        backend.tagging_service.delete_all_tags_for_resource(group["ARN"])
        return _result({**view, "Status": "deleting"})
