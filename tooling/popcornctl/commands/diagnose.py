"""``popcornctl diagnose ecs|rds``: what is unhealthy, the evidence, the likely cause and the fix.

Exit codes: 0 every check OK; 1 a WARN or FAIL finding; 2 usage, credentials or emulator errors, and AWS not
answering within ``--timeout`` (raised as PopcornError before anything is printed).
"""

from __future__ import annotations

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
