"""``popcornctl diagnose ecs|rds``: what is unhealthy, the evidence, the likely cause and the fix.

Exit codes: 0 every check OK; 1 a WARN or FAIL finding; 2 usage, credentials or emulator errors, and AWS not
answering within ``--timeout`` (raised as PopcornError before anything is printed).
"""

from __future__ import annotations

from typing import Annotated

import typer

from popcornctl.commands.options import SandboxRunning, Since, runtime
from popcornctl.console import make_console, print_json
from popcornctl.diagnose import (
    DEFAULT_TIMEOUT,
    Deadline,
    Names,
    Report,
    Window,
    diagnose_ecs,
    diagnose_rds,
    parse_since,
    parse_timeout,
)
from popcornctl.diagnose.names import resolve_ecs, resolve_rds
from popcornctl.runtime import Runtime

app = typer.Typer(
    help="Explain what is wrong with an environment's ECS services or RDS database, and how to fix it.\n\n"
    "Exit 0: all checks OK; 1: a WARN or FAIL finding; 2: usage, credentials or emulator error.",
    no_args_is_help=True,
)

Env = Annotated[str | None, typer.Option("--env", help="The environment (dev, prod).", show_default=False)]
Timeout = Annotated[
    str, typer.Option("--timeout", help="Give up (exit 2) when AWS has not answered the whole diagnosis within this "
                      "(60s, 2m).")
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
        names=Names(source=resolved.source, notes=resolved.notes),
        environment=env,
        where=rt.target.describe(ident["account"]),
        deadline=deadline,
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
        names=Names(source=resolved.source, notes=resolved.notes),
        environment=env,
        prod=prod,
        prefix=resolved.prefix,
        ecs_cluster=resolved.cluster,
        ecs_security_groups=resolved.ecs_security_groups,
        ecs_subnets=resolved.ecs_subnets,
        where=rt.target.describe(ident["account"]),
        deadline=deadline,
    )
    return _emit(rt, report)


def _emit(rt: Runtime, report: Report) -> int:
    if rt.settings.output == "json":
        print_json(report.to_dict())
    else:
        from popcornctl.diagnose.render import render

        render(report, make_console(rt.settings), verbose=rt.settings.verbose)
    return report.exit_code
