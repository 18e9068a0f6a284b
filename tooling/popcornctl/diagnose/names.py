"""Which cluster, services, database, load balancer, cache, brokers and VPC to diagnose.

Precedence, per name: an explicit flag; else the env stack's Terraform outputs (``ecs_cluster_name``,
``ecs_service_names``, ``rds_instance_id``, ``ecs_security_group_id``, ``ecs_subnet_ids``, ``alb_arn_suffix``,
``waf_web_acl_arn``, ``alb_access_logs_bucket``, ``elasticache_cluster_id``, ``kafka_instance_ids``,
``kafka_bootstrap_servers``, ``kafka_controller_quorum_voters``, ``vpc_id``, ``vpc_flow_log_group_name``) when the
stack is initialised here; else the naming convention ``<project>-<env>-cluster``, ``<project>-<env>-<service>``,
``<project>-<env>-postgres``, ``<project>-<env>-alb``, ``<project>-<env>-valkey``, instances named
``<project>-<env>-kafka-*``, the VPC named ``<project>-<env>``, with the project name from popcorn.toml. Reading
outputs is best effort: any failure becomes a note and the convention is used. An output that is present but null
(``elasticache_cluster_id`` with enable_elasticache = false) means the part is off: ``diagnose all`` skips it.
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
ALB_OUTPUT = "alb_arn_suffix"  # app/<name>/<id>
WAF_OUTPUT = "waf_web_acl_arn"
ACCESS_LOGS_OUTPUT = "alb_access_logs_bucket"
CACHE_OUTPUT = "elasticache_cluster_id"
KAFKA_IDS_OUTPUT = "kafka_instance_ids"
KAFKA_BOOTSTRAP_OUTPUT = "kafka_bootstrap_servers"
KAFKA_VOTERS_OUTPUT = "kafka_controller_quorum_voters"
VPC_OUTPUT = "vpc_id"
FLOW_LOGS_OUTPUT = "vpc_flow_log_group_name"


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
    load_balancer: str | None = None
    waf: bool | None = None  # the outputs say WAF is on (True) or off (False); None: unknown
    access_logs: bool | None = None
    cache: str | None = None  # replication group id
    kafka_instances: list[str] = field(default_factory=list)
    kafka_bootstrap: str | None = None
    kafka_voters: str | None = None
    vpc: str | None = None  # VPC id (outputs or flag)
    vpc_name: str | None = None  # the VPC's Name tag (convention)
    flow_log_group: str | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # target -> why the outputs switch it off
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


def _need(rt: Runtime, env: str | None, flag: str | None, what: str, option: str) -> None:
    if env is None and not flag:
        raise PopcornError(
            f"no environment or {what} to diagnose",
            f"pass --env ({', '.join(sorted(rt.config.environments)) or 'dev'}) or {option}",
        )


def _text(outputs: dict[str, Any], key: str) -> str | None:
    value = outputs.get(key)
    return str(value) if isinstance(value, str) and value else None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, dict):
        return [str(value[k]) for k in sorted(value)]
    return []


def _ecs_side(resolved: Resolved, outputs: dict[str, Any], ecs_security_groups: list[str]) -> None:
    """The ECS cluster and its services' security groups and subnets (the client side of a data store)."""
    if ecs_security_groups:
        resolved.ecs_security_groups, resolved.sources["ecs_security_groups"] = list(ecs_security_groups), "flags"
    else:
        for key in ECS_SG_OUTPUTS:
            groups = _strings(outputs.get(key))
            if groups:
                resolved.ecs_security_groups, resolved.sources["ecs_security_groups"] = groups, "outputs"
                break
    resolved.ecs_subnets = _strings(outputs.get(ECS_SUBNETS_OUTPUT))
    if resolved.prefix:
        resolved.cluster = str(outputs.get(CLUSTER_OUTPUT) or f"{resolved.prefix}-cluster")


def _alb(resolved: Resolved, outputs: dict[str, Any], load_balancer: str | None) -> None:
    suffix = _text(outputs, ALB_OUTPUT)
    if load_balancer:
        resolved.load_balancer, resolved.sources["load_balancer"] = load_balancer, "flags"
    elif suffix and suffix.count("/") == 2:
        resolved.load_balancer, resolved.sources["load_balancer"] = suffix.split("/")[1], "outputs"
    else:
        resolved.load_balancer, resolved.sources["load_balancer"] = f"{resolved.prefix}-alb", "convention"
    if WAF_OUTPUT in outputs:
        resolved.waf = bool(outputs[WAF_OUTPUT])
    if ACCESS_LOGS_OUTPUT in outputs:
        resolved.access_logs = bool(outputs[ACCESS_LOGS_OUTPUT])


def _cache(resolved: Resolved, outputs: dict[str, Any], group: str | None) -> None:
    if group:
        resolved.cache, resolved.sources["cache"] = group, "flags"
    elif _text(outputs, CACHE_OUTPUT):
        resolved.cache, resolved.sources["cache"] = _text(outputs, CACHE_OUTPUT), "outputs"
    elif CACHE_OUTPUT in outputs:
        resolved.skipped["cache"] = f"{CACHE_OUTPUT} is null: the environment has no cache (enable_elasticache = false)"
    else:
        resolved.cache, resolved.sources["cache"] = f"{resolved.prefix}-valkey", "convention"


def _kafka(resolved: Resolved, outputs: dict[str, Any], instances: list[str]) -> None:
    if instances:
        resolved.kafka_instances, resolved.sources["kafka"] = list(instances), "flags"
    elif _strings(outputs.get(KAFKA_IDS_OUTPUT)):
        resolved.kafka_instances, resolved.sources["kafka"] = _strings(outputs[KAFKA_IDS_OUTPUT]), "outputs"
    else:
        resolved.sources["kafka"] = "convention"  # the instances named <prefix>-kafka-*
    resolved.kafka_bootstrap = _text(outputs, KAFKA_BOOTSTRAP_OUTPUT)
    resolved.kafka_voters = _text(outputs, KAFKA_VOTERS_OUTPUT)


def _network(resolved: Resolved, outputs: dict[str, Any], vpc: str | None) -> None:
    if vpc:
        resolved.vpc, resolved.sources["vpc"] = vpc, "flags"
    elif _text(outputs, VPC_OUTPUT):
        resolved.vpc, resolved.sources["vpc"] = _text(outputs, VPC_OUTPUT), "outputs"
    else:
        resolved.vpc_name, resolved.sources["vpc"] = resolved.prefix, "convention"
    resolved.flow_log_group = _text(outputs, FLOW_LOGS_OUTPUT)
    resolved.ecs_subnets = resolved.ecs_subnets or _strings(outputs.get(ECS_SUBNETS_OUTPUT))


def resolve_alb(rt: Runtime, env: str | None, load_balancer: str | None, cluster: str | None = None) -> Resolved:
    """The load balancer (and the ECS cluster whose services register into it) for ``diagnose alb``."""
    _need(rt, env, load_balancer, "load balancer", "--load-balancer NAME")
    resolved, outputs = _base(rt, env)
    _alb(resolved, outputs, load_balancer)
    _ecs_side(resolved, outputs, [])
    if cluster:
        resolved.cluster, resolved.sources["cluster"] = cluster, "flags"
    return resolved


def resolve_cache(rt: Runtime, env: str | None, group: str | None, ecs_security_groups: list[str]) -> Resolved:
    """The replication group and the services' side for ``diagnose cache``."""
    _need(rt, env, group, "replication group", "--replication-group ID")
    resolved, outputs = _base(rt, env)
    _cache(resolved, outputs, group)
    if "cache" in resolved.skipped:
        raise PopcornError(f"{env} has no cache to diagnose: {resolved.skipped['cache']}",
                           "pass --replication-group ID, or enable the cache in the environment")
    _ecs_side(resolved, outputs, ecs_security_groups)
    return resolved


def resolve_kafka(rt: Runtime, env: str | None, instances: list[str], ecs_security_groups: list[str]) -> Resolved:
    """The broker instances, their layout and the services' side for ``diagnose kafka``."""
    _need(rt, env, ",".join(instances), "Kafka broker", "--instance i-... (repeatable)")
    resolved, outputs = _base(rt, env)
    _kafka(resolved, outputs, instances)
    _ecs_side(resolved, outputs, ecs_security_groups)
    return resolved


def resolve_network(rt: Runtime, env: str | None, vpc: str | None) -> Resolved:
    """The VPC (and the ECS subnets, to weigh a broken route) for ``diagnose network``."""
    _need(rt, env, vpc, "VPC", "--vpc vpc-...")
    resolved, outputs = _base(rt, env)
    _network(resolved, outputs, vpc)
    return resolved


def resolve_all(rt: Runtime, env: str) -> Resolved:
    """Every name of the environment, from one read of its outputs, for ``diagnose all``."""
    resolved, outputs = _base(rt, env)
    if isinstance(outputs.get(CLUSTER_OUTPUT), str):
        resolved.cluster, resolved.sources["cluster"] = str(outputs[CLUSTER_OUTPUT]), "outputs"
    else:
        resolved.cluster, resolved.sources["cluster"] = f"{resolved.prefix}-cluster", "convention"
    if resolved.sources["cluster"] == "outputs" and _service_map(outputs):
        resolved.services = sorted(_service_map(outputs).values())
    if isinstance(outputs.get(RDS_OUTPUT), str):
        resolved.instance, resolved.sources["instance"] = str(outputs[RDS_OUTPUT]), "outputs"
    else:
        resolved.instance, resolved.sources["instance"] = f"{resolved.prefix}-postgres", "convention"
    _ecs_side(resolved, outputs, [])
    _alb(resolved, outputs, None)
    _cache(resolved, outputs, None)
    _kafka(resolved, outputs, [])
    _network(resolved, outputs, None)
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
