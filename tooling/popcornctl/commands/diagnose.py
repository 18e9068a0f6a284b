"""``popcornctl diagnose ecs|rds|alb|cache|kafka|network|all``: what is unhealthy, the evidence, the likely cause
and the fix.

Exit codes: 0 every check OK; 1 a WARN or FAIL finding; 2 usage, credentials or emulator errors, and AWS not
answering within ``--timeout`` (raised as PopcornError before anything is printed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from popcornctl.commands.options import SandboxRunning, Since, runtime
from popcornctl.console import make_console, print_json
from popcornctl.diagnose import (
    DEFAULT_TIMEOUT,
    Deadline,
    DiagnosisReport,
    Names,
    RunLabels,
    Window,
    diagnose_alb,
    diagnose_all,
    diagnose_cache,
    diagnose_ecs,
    diagnose_kafka,
    diagnose_network,
    diagnose_rds,
    parse_since,
    parse_timeout,
)
from popcornctl.diagnose.names import (
    Resolved,
    resolve_alb,
    resolve_all,
    resolve_cache,
    resolve_ecs,
    resolve_kafka,
    resolve_network,
    resolve_rds,
)
from popcornctl.errors import PopcornError
from popcornctl.runtime import Runtime

app = typer.Typer(
    help="Explain what is wrong with an environment (ECS services, RDS database, load balancer, cache, Kafka, "
    "network), and how to fix it.\n\n"
    "Exit 0: all checks OK; 1: a WARN or FAIL finding; 2: usage, credentials or emulator error.",
    no_args_is_help=True,
)

Env = Annotated[str | None, typer.Option("--env", help="The environment (dev, prod).", show_default=False)]
Timeout = Annotated[
    str, typer.Option("--timeout", help="Give up (exit 2) when AWS has not answered the whole diagnosis within this "
                      "(60s, 2m).")
]
EcsGroups = Annotated[
    list[str] | None,
    typer.Option("--ecs-security-group", help="The ECS services' security group (repeatable; default: found).",
                 show_default=False),
]


@app.command(
    "ecs",
    help=(
        "Cluster summary, then per service: tasks, deployments, events, stopped-task causes, task definition, "
        "load balancer, alarms, ECS Exec.\n\nNames: --cluster/--service, else the env stack's Terraform "
        "outputs, else <project>-<env>-cluster."
    ),
)
def ecs_command(
    ctx: typer.Context,
    env: Env = None,
    cluster: Annotated[str | None, typer.Option("--cluster", help="The ECS cluster name.", show_default=False)] = None,
    service: Annotated[
        list[str] | None,
        typer.Option("--service", help="A service name or key (repeatable; default: every service).",
                     show_default=False),
    ] = None,
    since: Since = "1h",
    timeout: Timeout = DEFAULT_TIMEOUT,
    sandbox: SandboxRunning = False,
) -> int:
    # Diagnosing an emulator that is not running means nothing: never start one just to look.
    rt = runtime(ctx, sandbox=sandbox, start_sandbox=False)
    return ecs(rt, env=env, cluster=cluster, services=list(service or []), since=since, timeout=timeout)


@app.command(
    "rds",
    help=(
        "Status, endpoint, exposure (public flag vs route tables), who can reach the port and whether the ECS "
        "services can, AZs, Multi-AZ, storage headroom, CPU/connections/latency, events, backups, Performance "
        "Insights, parameter group, master secret, alarms.\n\nName: --instance, else outputs, else "
        "<project>-<env>-postgres."
    ),
)
def rds_command(
    ctx: typer.Context,
    env: Env = None,
    instance: Annotated[
        str | None, typer.Option("--instance", help="The DB instance identifier.", show_default=False)
    ] = None,
    ecs_security_group: Annotated[
        list[str] | None,
        typer.Option("--ecs-security-group", help="The ECS services' security group (repeatable; default: found).",
                     show_default=False),
    ] = None,
    since: Since = "1h",
    timeout: Timeout = DEFAULT_TIMEOUT,
    sandbox: SandboxRunning = False,
) -> int:
    rt = runtime(ctx, sandbox=sandbox, start_sandbox=False)
    return rds(
        rt, env=env, instance=instance, ecs_security_groups=list(ecs_security_group or []), since=since,
        timeout=timeout,
    )


@app.command(
    "alb",
    help=(
        "The load balancer: state, listeners and TLS policy, HTTP to HTTPS redirect, certificates' expiry, 5xx and "
        "p99 latency against the alarms, WAF blocks, access-log delivery; then every target group: targets with "
        "AWS's reason codes explained, health check against the container's port, 5xx and latency.\n\nName: "
        "--load-balancer, else outputs (alb_arn_suffix), else <project>-<env>-alb."
    ),
)
def alb_command(
    ctx: typer.Context,
    env: Env = None,
    load_balancer: Annotated[
        str | None, typer.Option("--load-balancer", help="The load balancer's name (or ARN).", show_default=False)
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option("--cluster", help="The ECS cluster whose services register into the target groups.",
                     show_default=False),
    ] = None,
    since: Since = "1h",
    timeout: Timeout = DEFAULT_TIMEOUT,
    sandbox: SandboxRunning = False,
) -> int:
    rt = runtime(ctx, sandbox=sandbox, start_sandbox=False)
    return alb(rt, env=env, load_balancer=load_balancer, cluster=cluster, since=since, timeout=timeout)


@app.command(
    "cache",
    help=(
        "The Valkey replication group: status, failover readiness and recent failovers, engine CPU, memory, "
        "evictions and connections against the alarms, TLS/AUTH/endpoint as the services are configured, "
        "reachability from the services' security group, events.\n\nName: --replication-group, else outputs "
        "(elasticache_cluster_id), else <project>-<env>-valkey."
    ),
)
def cache_command(
    ctx: typer.Context,
    env: Env = None,
    replication_group: Annotated[
        str | None, typer.Option("--replication-group", help="The replication group id.", show_default=False)
    ] = None,
    ecs_security_group: EcsGroups = None,
    since: Since = "1h",
    timeout: Timeout = DEFAULT_TIMEOUT,
    sandbox: SandboxRunning = False,
) -> int:
    rt = runtime(ctx, sandbox=sandbox, start_sandbox=False)
    return cache(rt, env=env, group=replication_group, ecs_security_groups=list(ecs_security_group or []),
                 since=since, timeout=timeout)


@app.command(
    "kafka",
    help=(
        "The KRaft controller quorum and the listeners' reachability, then every broker: instance and system "
        "status checks, CloudWatch agent memory and data-disk usage, data volume, DNS record against its "
        "address.\n\nNames: --instance, else outputs (kafka_instance_ids), else instances named "
        "<project>-<env>-kafka-*."
    ),
)
def kafka_command(
    ctx: typer.Context,
    env: Env = None,
    instance: Annotated[
        list[str] | None, typer.Option("--instance", help="A broker's instance id (repeatable).", show_default=False)
    ] = None,
    ecs_security_group: EcsGroups = None,
    since: Since = "1h",
    timeout: Timeout = DEFAULT_TIMEOUT,
    sandbox: SandboxRunning = False,
) -> int:
    rt = runtime(ctx, sandbox=sandbox, start_sandbox=False)
    return kafka(rt, env=env, instances=list(instance or []), ecs_security_groups=list(ecs_security_group or []),
                 since=since, timeout=timeout)


@app.command(
    "network",
    help=(
        "The VPC: NAT gateways and every private route table's default route per AZ, VPC endpoints, NAT "
        "port-allocation errors and dropped packets, the top REJECTed flows (flow logs, Logs Insights), subnets "
        "running out of addresses.\n\nName: --vpc, else outputs (vpc_id), else the VPC named <project>-<env>."
    ),
)
def network_command(
    ctx: typer.Context,
    env: Env = None,
    vpc: Annotated[str | None, typer.Option("--vpc", help="The VPC id.", show_default=False)] = None,
    since: Since = "1h",
    timeout: Timeout = DEFAULT_TIMEOUT,
    sandbox: SandboxRunning = False,
) -> int:
    rt = runtime(ctx, sandbox=sandbox, start_sandbox=False)
    return network(rt, env=env, vpc=vpc, since=since, timeout=timeout)


@app.command(
    "all",
    help=(
        "Every target of the environment (ecs, rds, alb, cache, kafka, network) in one run: one summary table, "
        "then every target worst first. A target that cannot be found is a finding, not an error; one the "
        "outputs switch off (a null elasticache_cluster_id) is skipped with a note."
    ),
)
def all_command(
    ctx: typer.Context,
    env: Env = None,
    since: Since = "1h",
    timeout: Timeout = DEFAULT_TIMEOUT,
    sandbox: SandboxRunning = False,
) -> int:
    rt = runtime(ctx, sandbox=sandbox, start_sandbox=False)
    return everything(rt, env=env, since=since, timeout=timeout)


def ecs(
    rt: Runtime,
    *,
    env: str | None,
    cluster: str | None,
    services: list[str],
    since: str,
    timeout: str = DEFAULT_TIMEOUT,
) -> int:
    """Diagnose the environment's ECS cluster and services; print text or JSON; return the exit code."""
    window = Window.ending_now(parse_since(since))
    seconds = parse_timeout(timeout)
    resolved = resolve_ecs(rt, env, cluster, services)
    assert resolved.cluster is not None
    deadline = Deadline(seconds, rt.target.describe())  # identity and the whole diagnosis share it
    ident = deadline.call(rt.clients.caller_identity)
    report = diagnose_ecs(
        rt.clients,
        cluster=resolved.cluster,
        services=resolved.services,
        window=window,
        run=RunLabels(names=_names(resolved), environment=env, where=rt.target.describe(ident["account"]),
                      deadline=deadline),
    )
    return _emit(rt, report)


def rds(
    rt: Runtime,
    *,
    env: str | None,
    instance: str | None,
    ecs_security_groups: list[str],
    since: str,
    timeout: str = DEFAULT_TIMEOUT,
) -> int:
    """Diagnose the environment's RDS instance; print text or JSON; return the exit code."""
    window = Window.ending_now(parse_since(since))
    seconds = parse_timeout(timeout)
    resolved = resolve_rds(rt, env, instance, ecs_security_groups)
    assert resolved.instance is not None
    prod = bool(env) and (env == "prod" or rt.config.environment(str(env)).protected)
    deadline = Deadline(seconds, rt.target.describe())
    ident = deadline.call(rt.clients.caller_identity)
    report = diagnose_rds(
        rt.clients,
        instance=resolved.instance,
        window=window,
        prod=prod,
        prefix=resolved.prefix,
        ecs_cluster=resolved.cluster,
        ecs_security_groups=resolved.ecs_security_groups,
        ecs_subnets=resolved.ecs_subnets,
        run=RunLabels(names=_names(resolved), environment=env, where=rt.target.describe(ident["account"]),
                      deadline=deadline),
    )
    return _emit(rt, report)


def _prod(rt: Runtime, env: str | None) -> bool:
    return bool(env) and (env == "prod" or rt.config.environment(str(env)).protected)


def _names(resolved: Resolved) -> Names:
    return Names(source=resolved.source, notes=resolved.notes)


def _usage(since: str, timeout: str) -> tuple[Window, float]:
    """The window and the timeout in seconds (bad values are usage errors, before any name is resolved)."""
    return Window.ending_now(parse_since(since)), parse_timeout(timeout)


def _run(
    rt: Runtime, window: Window, seconds: float, diagnose: Callable[[Window, Deadline, str], DiagnosisReport]
) -> int:
    """Check the identity within the deadline, diagnose within what is left, print; the exit code."""
    deadline = Deadline(seconds, rt.target.describe())
    ident = deadline.call(rt.clients.caller_identity)
    return _emit(rt, diagnose(window, deadline, rt.target.describe(ident["account"])))


def alb(rt: Runtime, *, env: str | None, load_balancer: str | None, cluster: str | None, since: str,
        timeout: str = DEFAULT_TIMEOUT) -> int:
    """Diagnose the environment's load balancer and target groups; print text or JSON; return the exit code."""
    window, seconds = _usage(since, timeout)
    resolved = resolve_alb(rt, env, load_balancer, cluster)
    from popcornctl.diagnose.alb.facts import Expected

    return _run(rt, window, seconds, lambda window, deadline, where: diagnose_alb(
        rt.clients, load_balancer=str(resolved.load_balancer), window=window, cluster=resolved.cluster,
        expected=Expected(resolved.waf, resolved.access_logs),
        run=RunLabels(names=_names(resolved), environment=env, where=where, deadline=deadline)))


def cache(rt: Runtime, *, env: str | None, group: str | None, ecs_security_groups: list[str], since: str,
          timeout: str = DEFAULT_TIMEOUT) -> int:
    """Diagnose the environment's Valkey replication group; print text or JSON; return the exit code."""
    window, seconds = _usage(since, timeout)
    resolved = resolve_cache(rt, env, group, ecs_security_groups)
    return _run(rt, window, seconds, lambda window, deadline, where: diagnose_cache(
        rt.clients, group=str(resolved.cache), window=window, prod=_prod(rt, env), cluster=resolved.cluster,
        ecs_security_groups=resolved.ecs_security_groups,
        run=RunLabels(names=_names(resolved), environment=env, where=where, deadline=deadline)))


def kafka(rt: Runtime, *, env: str | None, instances: list[str], ecs_security_groups: list[str], since: str,
          timeout: str = DEFAULT_TIMEOUT) -> int:
    """Diagnose the environment's Kafka brokers; print text or JSON; return the exit code."""
    window, seconds = _usage(since, timeout)
    resolved = resolve_kafka(rt, env, instances, ecs_security_groups)
    from popcornctl.diagnose.kafka.convert import layout

    shape = layout(resolved.kafka_bootstrap, resolved.kafka_voters, resolved.prefix, "outputs")
    return _run(rt, window, seconds, lambda window, deadline, where: diagnose_kafka(
        rt.clients, window=window, layout=shape, instance_ids=resolved.kafka_instances, prefix=resolved.prefix,
        cluster=resolved.cluster, ecs_security_groups=resolved.ecs_security_groups,
        run=RunLabels(names=_names(resolved), environment=env, where=where, deadline=deadline)))


def network(rt: Runtime, *, env: str | None, vpc: str | None, since: str, timeout: str = DEFAULT_TIMEOUT) -> int:
    """Diagnose the environment's VPC; print text or JSON; return the exit code."""
    window, seconds = _usage(since, timeout)
    resolved = resolve_network(rt, env, vpc)
    return _run(rt, window, seconds, lambda window, deadline, where: diagnose_network(
        rt.clients, window=window, vpc=resolved.vpc, name=resolved.vpc_name, flow_log_group=resolved.flow_log_group,
        ecs_subnets=resolved.ecs_subnets,
        run=RunLabels(names=_names(resolved), environment=env, where=where, deadline=deadline)))


def everything(rt: Runtime, *, env: str | None, since: str, timeout: str = DEFAULT_TIMEOUT) -> int:
    """Diagnose every target of the environment in one run; print text or JSON; return the exit code."""
    window, seconds = _usage(since, timeout)
    if env is None:
        known = ", ".join(sorted(rt.config.environments)) or "dev"
        raise PopcornError("diagnose all needs an environment", f"pass --env ({known})")
    resolved = resolve_all(rt, env)
    resolved.notes += [f"{target} skipped: {why}" for target, why in resolved.skipped.items()]
    return _run(rt, window, seconds, lambda window, deadline, where: diagnose_all(
        rt.clients, resolved=resolved, window=window, prod=_prod(rt, env),
        run=RunLabels(names=_names(resolved), environment=env, where=where, deadline=deadline)))


def _emit(rt: Runtime, report: DiagnosisReport) -> int:
    if rt.settings.output == "json":
        print_json(report.to_dict())
    else:
        from popcornctl.diagnose.render import render

        render(report, make_console(rt.settings), verbose=rt.settings.verbose)
    return report.exit_code
