"""Which cluster, services and database to diagnose.

Precedence, per name: an explicit flag; else the env stack's Terraform outputs (``ecs_cluster_name``,
``ecs_service_names``, ``rds_instance_id``, ``ecs_security_group_id``, ``ecs_subnet_ids``) when the stack is
initialised here;
else the naming convention ``<project>-<env>-cluster``, ``<project>-<env>-<service>``,
``<project>-<env>-postgres`` with the project name from popcorn.toml. Reading outputs is best effort:
any failure becomes a note and the convention is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from popcornctl.errors import PopcornError

if TYPE_CHECKING:
    from popcornctl.runtime import Runtime

CLUSTER_OUTPUT = "ecs_cluster_name"
SERVICES_OUTPUT = "ecs_service_names"
RDS_OUTPUT = "rds_instance_id"
ECS_SG_OUTPUTS = ("ecs_security_group_id", "ecs_security_group_ids")
ECS_SUBNETS_OUTPUT = "ecs_subnet_ids"


@dataclass
class Resolved:
    """Names to diagnose and where each came from."""

    environment: str | None
    prefix: str | None  # "<project>-<env>" when an environment is known
    cluster: str | None = None
    services: list[str] | None = None  # None: every service of the cluster
    instance: str | None = None
    ecs_security_groups: list[str] = field(default_factory=list)
    ecs_subnets: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # "cluster" -> "outputs" | "convention" | "flag"
    notes: list[str] = field(default_factory=list)

    @property
    def source(self) -> str:
        """Where the names came from, e.g. 'outputs', 'flags+convention'."""
        kinds: list[str] = []
        for value in self.sources.values():
            if value not in kinds:
                kinds.append(value)
        return "+".join(kinds) or "flags"


def stack_outputs(rt: Runtime, env: str) -> tuple[dict[str, Any] | None, str]:
    """The env stack's Terraform outputs, or None with a note saying why they are not used."""
    try:
        from popcornctl.graph import Stack

        environment = rt.config.environment(env)
        stack = Stack(environment.stack, rt.root / environment.stack)
        if not stack.directory.is_dir():
            return None, f"{stack.path}/ does not exist yet: names follow the naming convention"
        data_dir = rt.data_dir(stack.slug) or stack.directory / ".terraform"
        if not data_dir.is_dir():
            return None, f"{stack.path} is not initialised on this machine: names follow the naming convention"
        outputs = rt.engine.output(stack.directory, env=rt.stack_env(stack.slug))
    except PopcornError as exc:
        return None, f"Terraform outputs unavailable ({exc.problem}): names follow the naming convention"
    except Exception as exc:
        return None, f"Terraform outputs unavailable ({type(exc).__name__}: {exc}): names follow the naming convention"
    if not outputs:
        return None, f"{stack.path} has no outputs yet (not applied?): names follow the naming convention"
    return outputs, f"names from the Terraform outputs of {stack.path}"


def _base(rt: Runtime, env: str | None) -> tuple[Resolved, dict[str, Any]]:
    if env is None:
        return Resolved(environment=None, prefix=None), {}
    rt.config.environment(env)  # unknown environment -> one-line error listing the known ones
    resolved = Resolved(environment=env, prefix=f"{rt.config.name}-{env}")
    outputs, note = stack_outputs(rt, env)
    resolved.notes.append(note)
    return resolved, outputs or {}


def _service_map(outputs: dict[str, Any]) -> dict[str, str]:
    value = outputs.get(SERVICES_OUTPUT)
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, list):
        return {str(v): str(v) for v in value}
    return {}


def resolve_ecs(rt: Runtime, env: str | None, cluster: str | None, services: list[str]) -> Resolved:
    """Cluster and service names for ``diagnose ecs``."""
    if env is None and cluster is None:
        raise PopcornError(
            "no environment or cluster to diagnose",
            f"pass --env ({', '.join(sorted(rt.config.environments)) or 'dev'}) or --cluster NAME",
        )
    resolved, outputs = _base(rt, env)
    if cluster:
        resolved.cluster, resolved.sources["cluster"] = cluster, "flags"
    elif isinstance(outputs.get(CLUSTER_OUTPUT), str):
        resolved.cluster, resolved.sources["cluster"] = str(outputs[CLUSTER_OUTPUT]), "outputs"
    else:
        resolved.cluster, resolved.sources["cluster"] = f"{resolved.prefix}-cluster", "convention"
    by_key = _service_map(outputs)
    if services:
        names = []
        for svc in services:
            if svc in by_key:
                names.append(by_key[svc])
            elif resolved.prefix and not svc.startswith(f"{rt.config.name}-") and svc not in by_key.values():
                names.append(f"{resolved.prefix}-{svc}")  # a short key: api -> goorm-popcorn-dev-api
            else:
                names.append(svc)
        resolved.services, resolved.sources["services"] = names, "flags"
    elif by_key and resolved.sources["cluster"] == "outputs":
        resolved.services, resolved.sources["services"] = sorted(by_key.values()), "outputs"
    return resolved


def resolve_rds(rt: Runtime, env: str | None, instance: str | None, ecs_security_groups: list[str]) -> Resolved:
    """The DB instance identifier (and the ECS security groups, if known) for ``diagnose rds``."""
    if env is None and instance is None:
        raise PopcornError(
            "no environment or DB instance to diagnose",
            f"pass --env ({', '.join(sorted(rt.config.environments)) or 'dev'}) or --instance ID",
        )
    resolved, outputs = _base(rt, env)
    if instance:
        resolved.instance, resolved.sources["instance"] = instance, "flags"
    elif isinstance(outputs.get(RDS_OUTPUT), str):
        resolved.instance, resolved.sources["instance"] = str(outputs[RDS_OUTPUT]), "outputs"
    else:
        resolved.instance, resolved.sources["instance"] = f"{resolved.prefix}-postgres", "convention"
    if ecs_security_groups:
        resolved.ecs_security_groups, resolved.sources["ecs_security_groups"] = list(ecs_security_groups), "flags"
    else:
        for key in ECS_SG_OUTPUTS:
            value = outputs.get(key)
            groups = [value] if isinstance(value, str) else [str(v) for v in value] if isinstance(value, list) else []
            if groups:
                resolved.ecs_security_groups, resolved.sources["ecs_security_groups"] = groups, "outputs"
                break
        if not resolved.ecs_security_groups and isinstance(outputs.get("security_group_ids"), dict):
            ecs_sg = outputs["security_group_ids"].get("ecs")
            if ecs_sg:
                resolved.ecs_security_groups, resolved.sources["ecs_security_groups"] = [str(ecs_sg)], "outputs"
    subnets = outputs.get(ECS_SUBNETS_OUTPUT)
    if isinstance(subnets, list):
        resolved.ecs_subnets = [str(s) for s in subnets]
    if resolved.prefix:
        # the ECS side of the reachability check: the env's cluster (its services' security groups)
        resolved.cluster = str(outputs.get(CLUSTER_OUTPUT) or f"{resolved.prefix}-cluster")
    return resolved
