"""What the ElastiCache extensions share: moto's classes, faults, per-backend state, events, ARNs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

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
