"""X-Ray: sampling rules, groups, the encryption configuration and their tags.

moto 5.2.5 serves only X-Ray's trace and telemetry calls; every other path answers 404, so the provider can neither
create ``aws_xray_sampling_rule`` / ``aws_xray_group`` nor set ``aws_xray_encryption_config``. These extensions add
the operations to moto's ``XRayResponse`` (routed through ``moto.xray.urls``) and keep their state on the region's
``XRayBackend``, so ``/moto-api/reset`` empties it like any moto state. Answers follow the X-Ray API reference: the
``Default`` rule and group always exist, group ARNs carry a random suffix, errors are ``InvalidRequestException``
(400) or ``ResourceNotFoundException`` (404) with AWS's messages where the provider matches on them.
"""

from __future__ import annotations

import json
import secrets
import string
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from popcornctl.sandbox.extensions import Kind, extension

_MISSING = "5.2.5"  # the moto version measured without these operations


@dataclass
class _XRayState:
    """What these extensions keep per account and region (on moto's XRayBackend, so a reset clears it)."""

    rules: dict[str, dict[str, Any]] = field(default_factory=dict)  # rule name -> SamplingRuleRecord
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # group name -> Group
    encryption: dict[str, Any] = field(default_factory=lambda: {"Type": "NONE", "Status": "ACTIVE"})
    tags: dict[str, dict[str, str]] = field(default_factory=dict)  # resource ARN -> tags


def _state(response: Any) -> _XRayState:
    backend = response.xray_backend
    state = getattr(backend, "_popcorn_state", None)
    if state is None:
        state = _XRayState()
        backend._popcorn_state = state
    return state


class _Errors:
    """AWS's X-Ray error codes as moto service exceptions (built on first use: importing this module loads no moto)."""

    _classes: ClassVar[dict[str, type[Exception]]] = {}

    @classmethod
    def make(cls, code: str, message: str) -> Exception:
        if code not in cls._classes:
            from moto.core.exceptions import ServiceException

            cls._classes[code] = type(code, (ServiceException,), {"code": code})
        return cls._classes[code](message)


def InvalidRequest(message: str) -> Exception:
    return _Errors.make("InvalidRequestException", message)


def ResourceNotFound(message: str) -> Exception:
    return _Errors.make("ResourceNotFoundException", message)


def _arn(response: Any, resource: str) -> str:
    from moto.utilities.utils import get_partition

    return f"arn:{get_partition(response.region)}:xray:{response.region}:{response.current_account}:{resource}"


def _params(response: Any) -> dict[str, Any]:
    params = response.request_params
    return params if isinstance(params, dict) else {}


Answer = tuple[str, dict[str, str]]


def _json(body: dict[str, Any]) -> Answer:
    """A JSON answer with AWS's content type (moto's own X-Ray answers go out as text/html)."""
    return json.dumps(body), {"Content-Type": "application/json"}


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def _route(*operations: str) -> None:
    """Route X-Ray request paths (``/CreateGroup`` ...) to ``XRayResponse.dispatch`` in the emulator."""
    from moto.xray import urls
    from moto.xray.responses import XRayResponse

    for path in operations:
        urls.url_paths[f"{{0}}/{path}$"] = XRayResponse.dispatch


def _add(name: str, method: Any) -> None:
    from moto.xray.responses import XRayResponse

    setattr(XRayResponse, name, method)


# -- tags (shared by rules and groups) ----------------------------------------------------------------------------


def _tagged(response: Any, arn: str) -> dict[str, str]:
    state = _state(response)
    if arn not in state.tags:
        raise ResourceNotFound(f"Resource {arn} not found")
    return state.tags[arn]


def _tag_resource(self: Any) -> Answer:
    params = _params(self)
    _tagged(self, params.get("ResourceARN", "")).update({t["Key"]: t["Value"] for t in params.get("Tags", [])})
    return _json({})


def _untag_resource(self: Any) -> Answer:
    params = _params(self)
    tags = _tagged(self, params.get("ResourceARN", ""))
    for key in params.get("TagKeys", []):
        tags.pop(key, None)
    return _json({})


def _list_tags_for_resource(self: Any) -> Answer:
    return _json({"Tags": _tag_list(_tagged(self, _params(self).get("ResourceARN", "")))})


@extension(
    "xray.tags",
    kind=Kind.OPERATION,
    summary="TagResource, UntagResource and ListTagsForResource on X-Ray sampling rules and groups",
    moto_lacks=_MISSING,
)
def install_tags() -> None:
    """Serve X-Ray's tag operations for the rules and groups created through these extensions."""
    _route("TagResource", "UntagResource", "ListTagsForResource")
    _add("tag_resource", _tag_resource)
    _add("untag_resource", _untag_resource)
    _add("list_tags_for_resource", _list_tags_for_resource)


# -- sampling rules -------------------------------------------------------------------------------------------------

_RULE_FIELDS = (
    "ResourceARN",
    "Priority",
    "FixedRate",
    "ReservoirSize",
    "ServiceName",
    "ServiceType",
    "Host",
    "HTTPMethod",
    "URLPath",
    "Attributes",
)
_REQUIRED_RULE_FIELDS = (
    "RuleName",
    "ResourceARN",
    "Priority",
    "FixedRate",
    "ReservoirSize",
    "ServiceName",
    "ServiceType",
    "Host",
    "HTTPMethod",
    "URLPath",
    "Version",
)
DEFAULT_RULE = "Default"


def _default_rule(response: Any) -> dict[str, Any]:
    """AWS's catch-all rule: present in every account and region, lowest priority, never deletable."""
    return {
        "SamplingRule": {
            "RuleName": DEFAULT_RULE,
            "RuleARN": _arn(response, f"sampling-rule/{DEFAULT_RULE}"),
            "ResourceARN": "*",
            "Priority": 10000,
            "FixedRate": 0.05,
            "ReservoirSize": 1,
            "ServiceName": "*",
            "ServiceType": "*",
            "Host": "*",
            "HTTPMethod": "*",
            "URLPath": "*",
            "Version": 1,
            "Attributes": {},
        },
        "CreatedAt": 0.0,
        "ModifiedAt": 0.0,
    }


def _rules(response: Any) -> dict[str, dict[str, Any]]:
    rules = _state(response).rules
    if DEFAULT_RULE not in rules:
        rules[DEFAULT_RULE] = _default_rule(response)
    return rules


def _check_rule(rule: dict[str, Any]) -> None:
    if "Priority" in rule and not 1 <= int(rule["Priority"]) <= 9999 and rule.get("RuleName") != DEFAULT_RULE:
        raise InvalidRequest("Priority must be between 1 and 9999")
    if "FixedRate" in rule and not 0 <= float(rule["FixedRate"]) <= 1:
        raise InvalidRequest("FixedRate must be between 0 and 1")
    if "ReservoirSize" in rule and int(rule["ReservoirSize"]) < 0:
        raise InvalidRequest("ReservoirSize must be non-negative")


def _find_rule(response: Any, name: str | None, arn: str | None) -> dict[str, Any]:
    rules = _rules(response)
    for record in rules.values():
        rule = record["SamplingRule"]
        if (name and rule["RuleName"] == name) or (arn and rule["RuleARN"] == arn):
            return record
    raise InvalidRequest("Sampling rule does not exist")


def _create_sampling_rule(self: Any) -> Answer:
    params = _params(self)
    rule = dict(params.get("SamplingRule") or {})
    missing = [f for f in _REQUIRED_RULE_FIELDS if f not in rule]
    if missing:
        raise InvalidRequest(f"Missing required parameter(s) in SamplingRule: {', '.join(missing)}")
    if rule["Version"] != 1:
        raise InvalidRequest("Version must be 1")
    _check_rule(rule)
    rules = _rules(self)
    name = rule["RuleName"]
    if name in rules:
        raise InvalidRequest("Sampling rule already exists")
    rule.setdefault("Attributes", {})
    rule["RuleARN"] = _arn(self, f"sampling-rule/{name}")
    now = time.time()
    rules[name] = {"SamplingRule": rule, "CreatedAt": now, "ModifiedAt": now}
    _state(self).tags[rule["RuleARN"]] = {t["Key"]: t["Value"] for t in params.get("Tags", [])}
    return _json({"SamplingRuleRecord": rules[name]})


def _get_sampling_rules(self: Any) -> Answer:
    records = sorted(
        _rules(self).values(), key=lambda r: (r["SamplingRule"]["Priority"], r["SamplingRule"]["RuleName"])
    )
    return _json({"SamplingRuleRecords": records})


def _update_sampling_rule(self: Any) -> Answer:
    update = dict(_params(self).get("SamplingRuleUpdate") or {})
    record = _find_rule(self, update.get("RuleName"), update.get("RuleARN"))
    changes = {k: v for k, v in update.items() if k in _RULE_FIELDS}
    _check_rule({**changes, "RuleName": record["SamplingRule"]["RuleName"]})
    record["SamplingRule"].update(changes)
    record["ModifiedAt"] = time.time()
    return _json({"SamplingRuleRecord": record})


def _delete_sampling_rule(self: Any) -> Answer:
    params = _params(self)
    record = _find_rule(self, params.get("RuleName"), params.get("RuleARN"))
    rule = record["SamplingRule"]
    if rule["RuleName"] == DEFAULT_RULE:
        raise InvalidRequest("Cannot delete the default sampling rule")
    del _rules(self)[rule["RuleName"]]
    _state(self).tags.pop(rule["RuleARN"], None)
    return _json({"SamplingRuleRecord": record})


@extension(
    "xray.sampling_rules",
    kind=Kind.OPERATION,
    summary="CreateSamplingRule, GetSamplingRules, UpdateSamplingRule and DeleteSamplingRule (with AWS's Default rule)",
    moto_lacks=_MISSING,
)
def install_sampling_rules() -> None:
    """Serve sampling rules as ``aws_xray_sampling_rule`` creates, reads (by listing), updates and deletes them."""
    _route("CreateSamplingRule", "GetSamplingRules", "UpdateSamplingRule", "DeleteSamplingRule")
    _add("create_sampling_rule", _create_sampling_rule)
    _add("get_sampling_rules", _get_sampling_rules)
    _add("update_sampling_rule", _update_sampling_rule)
    _add("delete_sampling_rule", _delete_sampling_rule)


# -- groups ---------------------------------------------------------------------------------------------------------

DEFAULT_GROUP = "Default"
_ARN_SUFFIX = string.ascii_uppercase + string.digits


def _groups(response: Any) -> dict[str, dict[str, Any]]:
    groups = _state(response).groups
    if DEFAULT_GROUP not in groups:
        groups[DEFAULT_GROUP] = {
            "GroupName": DEFAULT_GROUP,
            "GroupARN": _arn(response, f"group/{DEFAULT_GROUP}"),
            "InsightsConfiguration": {"InsightsEnabled": False, "NotificationsEnabled": False},
        }
    return groups


def _insights(given: dict[str, Any] | None, current: dict[str, Any]) -> dict[str, Any]:
    merged = {**current, **{k: bool(v) for k, v in (given or {}).items() if v is not None}}
    if merged.get("NotificationsEnabled") and not merged.get("InsightsEnabled"):
        raise InvalidRequest("Notifications can only be enabled on a group with InsightsEnabled set to true.")
    return merged


def _find_group(response: Any, name: str | None, arn: str | None) -> dict[str, Any]:
    for group in _groups(response).values():
        if (name and group["GroupName"] == name) or (arn and group["GroupARN"] == arn):
            return group
    raise InvalidRequest("Group not found")


def _create_group(self: Any) -> Answer:
    params = _params(self)
    name = params.get("GroupName") or ""
    if not name or len(name) > 32:
        raise InvalidRequest("GroupName must be 1 to 32 characters")
    groups = _groups(self)
    if name in groups:
        raise InvalidRequest("Group already exists")
    suffix = "".join(secrets.choice(_ARN_SUFFIX) for _ in range(52))
    group: dict[str, Any] = {
        "GroupName": name,
        "GroupARN": _arn(self, f"group/{name}/{suffix}"),
        "InsightsConfiguration": _insights(
            params.get("InsightsConfiguration"), {"InsightsEnabled": False, "NotificationsEnabled": False}
        ),
    }
    if params.get("FilterExpression"):
        group["FilterExpression"] = params["FilterExpression"]
    groups[name] = group
    _state(self).tags[group["GroupARN"]] = {t["Key"]: t["Value"] for t in params.get("Tags", [])}
    return _json({"Group": group})


def _get_group(self: Any) -> Answer:
    params = _params(self)
    return _json({"Group": _find_group(self, params.get("GroupName"), params.get("GroupARN"))})


def _get_groups(self: Any) -> Answer:
    return _json({"Groups": sorted(_groups(self).values(), key=lambda g: g["GroupName"])})


def _update_group(self: Any) -> Answer:
    params = _params(self)
    group = _find_group(self, params.get("GroupName"), params.get("GroupARN"))
    if params.get("FilterExpression"):
        group["FilterExpression"] = params["FilterExpression"]
    group["InsightsConfiguration"] = _insights(params.get("InsightsConfiguration"), group["InsightsConfiguration"])
    return _json({"Group": group})


def _delete_group(self: Any) -> Answer:
    params = _params(self)
    group = _find_group(self, params.get("GroupName"), params.get("GroupARN"))
    if group["GroupName"] == DEFAULT_GROUP:
        raise InvalidRequest("Cannot delete the Default group")
    del _groups(self)[group["GroupName"]]
    _state(self).tags.pop(group["GroupARN"], None)
    return _json({})


@extension(
    "xray.groups",
    kind=Kind.OPERATION,
    summary="CreateGroup, GetGroup, GetGroups, UpdateGroup and DeleteGroup with the Insights configuration",
    moto_lacks=_MISSING,
)
def install_groups() -> None:
    """Serve X-Ray groups as ``aws_xray_group`` creates, reads (by ARN), updates and deletes them."""
    # GetGroups is POST /Groups: its action name is "groups".
    _route("CreateGroup", "GetGroup", "Groups", "UpdateGroup", "DeleteGroup")
    _add("create_group", _create_group)
    _add("get_group", _get_group)
    _add("groups", _get_groups)
    _add("update_group", _update_group)
    _add("delete_group", _delete_group)


# -- encryption configuration ---------------------------------------------------------------------------------------


def _key_exists(response: Any, key_id: str) -> bool:
    from moto.kms.models import kms_backends

    kms = kms_backends[response.current_account][response.region]
    try:
        kms.describe_key(key_id)
    except (KeyError, TypeError, AttributeError):
        return False
    return True


def _put_encryption_config(self: Any) -> Answer:
    params = _params(self)
    kind = params.get("Type")
    if kind not in ("NONE", "KMS"):
        raise InvalidRequest(f"Invalid encryption type: {kind}")
    config: dict[str, Any] = {"Type": kind, "Status": "ACTIVE"}
    key_id = params.get("KeyId")
    if kind == "KMS" and key_id:
        if not _key_exists(self, key_id):
            raise InvalidRequest(f"KMS key {key_id} is not valid or not accessible")
        config["KeyId"] = key_id
    _state(self).encryption = config
    # AWS answers UPDATING while the new key is rolled out; GetEncryptionConfig reports ACTIVE when done (at once here).
    return _json({"EncryptionConfig": {**config, "Status": "UPDATING"}})


def _get_encryption_config(self: Any) -> Answer:
    return _json({"EncryptionConfig": _state(self).encryption})


@extension(
    "xray.encryption_config",
    kind=Kind.OPERATION,
    summary="PutEncryptionConfig and GetEncryptionConfig (NONE by default; a KMS key must exist)",
    moto_lacks=_MISSING,
)
def install_encryption_config() -> None:
    """Serve the account and region's X-Ray encryption setting as ``aws_xray_encryption_config`` sets and reads it."""
    # GetEncryptionConfig is POST /EncryptionConfig: its action name is "encryption_config".
    _route("PutEncryptionConfig", "EncryptionConfig")
    _add("put_encryption_config", _put_encryption_config)
    _add("encryption_config", _get_encryption_config)
