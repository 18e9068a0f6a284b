"""ElastiCache RBAC user groups (the module's IAM auth mode)."""

from __future__ import annotations

from typing import Any

from popcornctl.sandbox.extensions import Kind, extension
from popcornctl.sandbox.extensions.elasticache.base import (
    MOTO,
    _action,
    _arn,
    _fault,
    _result,
    _state,
)

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
