"""The unmanaged inventory: the platform's resources in AWS that no stack's state holds.

:func:`take_inventory` reads every stack's state (:mod:`popcornctl.drift.state`), derives the platform's scope
from the run's stacks (:func:`scope_of`: their Environment tags, VPCs, managed security groups, route tables,
roles and clusters, plus the environment's name prefix), runs every registered lister (:data:`LISTERS`; one module
per AWS area: :mod:`.tagged`, :mod:`.ec2`, :mod:`.iam`, :mod:`.services`), merges what several listers found under
one key, and keeps what no state claims (:mod:`.claims`). A lister that fails (no permission, an API the sandbox
lacks) is recorded in the coverage with its error and makes the inventory partial; the others still report.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from popcornctl.drift.inventory import ec2, iam, services, tagged  # noqa: F401  (registers the listers)
from popcornctl.drift.inventory.base import LISTERS, ApiCounter, CloudResource, ListContext, Lister, Scope
from popcornctl.drift.inventory.claims import Claims, collect
from popcornctl.drift.model import Coverage, Inventory, UnmanagedResource
from popcornctl.drift.state import StateInstance

if TYPE_CHECKING:
    from popcornctl.aws import Clients

__all__ = ["LISTERS", "CloudResource", "Lister", "Scope", "coverage_rows", "scope_of", "take_inventory"]

# Concurrent listers against real AWS; the sandbox answers one request at a time anyway.
WORKERS = 4


def scope_of(states: Mapping[str, list[StateInstance]], run_stacks: list[str], *, project: str, env: str) -> Scope:
    """The platform's scope for ``env``: from the run's stacks' states, the project and the name prefix."""
    environments = {env}
    vpcs: set[str] = set()
    groups: set[str] = set()
    tables: set[str] = set()
    roles: set[str] = set()
    clusters: set[str] = set()
    for stack in run_stacks:
        for instance in states.get(stack, []):
            attrs = instance.attributes
            tags = attrs.get("tags_all") or attrs.get("tags") or {}
            if isinstance(tags, dict) and tags.get("Project") == project and tags.get("Environment"):
                environments.add(str(tags["Environment"]))
            identifier = attrs.get("id")
            if not isinstance(identifier, str):
                continue
            if instance.type == "aws_vpc":
                vpcs.add(identifier)
            elif instance.type in ("aws_security_group", "aws_default_security_group"):
                groups.add(identifier)
            elif instance.type in ("aws_route_table", "aws_default_route_table"):
                tables.add(identifier)
            elif instance.type == "aws_iam_role":
                roles.add(str(attrs.get("name") or identifier))
            elif instance.type == "aws_ecs_cluster":
                clusters.add(str(attrs.get("arn") or identifier))
    return Scope(
        project=project, environments=frozenset(environments), name_prefix=f"{project}-{env}",
        vpc_ids=frozenset(vpcs), security_groups=frozenset(groups),
        route_tables=frozenset(tables), roles=frozenset(roles), clusters=frozenset(clusters),
    )


def coverage_rows() -> list[tuple[str, str]]:
    """(type, how) of every registered lister: what the inventory covers."""
    return [(item.type, item.how) for item in LISTERS]


def _merge(found: list[CloudResource]) -> list[CloudResource]:
    """One resource per key; a resource several listers found keeps the most specific type and every way."""
    merged: dict[str, CloudResource] = {}
    alias: dict[str, str] = {}
    for resource in found:
        primary = next((alias[k] for k in resource.identities() if k in alias), None)
        if primary is None:
            merged[resource.key] = resource
            for key in resource.identities():
                alias[key] = resource.key
            continue
        kept = merged[primary]
        kept.found_by = list(dict.fromkeys([*kept.found_by, *resource.found_by]))
        kept.keys |= resource.identities() - {kept.key}
        for key in resource.identities():
            alias.setdefault(key, primary)
        if kept.found_by[0] == "tags" and resource.found_by[0] != "tags":
            kept.type, kept.detail = resource.type, resource.detail or kept.detail
            kept.parent = resource.parent or kept.parent
        kept.tags = kept.tags or resource.tags
        kept.arn = kept.arn or resource.arn
        kept.name = kept.name or resource.name
    return list(merged.values())


def _parent_text(parent: str | None, claims: Claims) -> str | None:
    if not parent:
        return None
    name = parent.split("/", 1)[-1] if "/" in parent else parent
    owner = claims.owners.get(parent)
    return f"{name} ({owner})" if owner else name


def take_inventory(
    clients: Clients,
    states: Mapping[str, list[StateInstance]],
    run_stacks: list[str],
    *,
    project: str,
    env: str,
    listers: list[Lister] | None = None,
) -> Inventory:
    """List the platform's resources and keep the unmanaged ones (see the module docstring)."""
    started = time.monotonic()
    claims = collect(states)
    scope = scope_of(states, run_stacks, project=project, env=env)
    counter = ApiCounter()
    ctx = ListContext(scope=scope, clients=clients, counter=counter)
    chosen = LISTERS if listers is None else listers
    for service in ("resourcegroupstaggingapi", "ec2", "iam", "logs", "ecs", "elbv2"):
        clients.client(service)  # created up front: building boto3 clients is not thread-safe

    def run(item: Lister) -> tuple[Lister, list[CloudResource], str | None]:
        try:
            return item, list(item.list(ctx)), None
        except Exception as exc:  # one lister's failure (AccessDenied, NotImplemented) leaves the others
            return item, [], _error_text(exc)

    workers = 1 if clients.target.is_sandbox else WORKERS
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="popcorn-inventory") as pool:
        results = list(pool.map(run, chosen))
    coverage = [Coverage(type=item.type, how=item.how, listed=len(found), error=error)
                for item, found, error in results]
    everything = _merge([r for _, found, _ in results for r in found])
    unmanaged = []
    for resource in everything:
        if claims.owner(resource.identities()) is not None:
            continue
        unmanaged.append(UnmanagedResource(
            type=resource.type, id=resource.id, found_by=resource.found_by, arn=resource.arn, name=resource.name,
            detail=resource.detail, parent=_parent_text(resource.parent, claims), tags=resource.tags,
        ))
    unmanaged.sort(key=lambda r: (r.type, r.id))
    failed = [c for c in coverage if c.error]
    status = "complete" if not failed else ("failed" if len(failed) == len(coverage) else "partial")
    reason = "; ".join(f"{c.type}: {c.error}" for c in failed)
    return Inventory(
        status=status, reason=reason,
        scope={"project": scope.project, "environments": sorted(scope.environments),
               "name_prefix": scope.name_prefix, "vpcs": sorted(scope.vpc_ids),
               "states": sorted(states)},
        coverage=coverage, resources=unmanaged, api_calls=counter.calls, duration=time.monotonic() - started,
    )


def _error_text(exc: Exception) -> str:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip().rstrip(":")
    return f"{type(exc).__name__}: {exc}"

