"""The CLI shell: it only wires arguments to the command modules under ``popcornctl.commands``.

``popcornctl`` and ``popcornctl --help`` are answered from :data:`COMMANDS` without importing Typer or
Rich, so the tool starts fast; everything else goes through the Typer app built below. A test keeps
the fast help and the Typer app in agreement.
"""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from popcornctl.errors import PopcornError

if TYPE_CHECKING:
    import typer

    from popcornctl.runtime import Runtime

# (name, one-line summary): the single list of top-level commands, for the fast help and the app.
COMMANDS: list[tuple[str, str]] = [
    ("up", "Apply an environment's stacks in dependency order: gated, confirmed, parallel, resumable."),
    ("plan", "Plan an environment's stacks without applying: plan JSON per stack plus one combined plan."),
    ("down", "Destroy an environment's stack (global/bootstrap only when asked), dependents first."),
    ("doctor", "Check what a run needs: Python, Terraform, provider, credentials, Checkov, backend."),
    ("sandbox", "Start, inspect, reset or stop the local AWS emulator on 127.0.0.1."),
    ("unlock", "List Terraform state locks held on stacks and safely release a stale one."),
    ("policy-check", "Gate plans: our severity-ranked policies plus Checkov, waivers; table/json/sarif/junit."),
    ("diagnose", "Explain what is wrong with an environment's ECS services or RDS database, and how to fix it."),
    ("affected", "List the stacks a git change touches (modules, links, tfvars, dependents), with the reasons."),
    ("ci", "Drive GitHub Actions (job matrix) or Atlantis (atlantis.yaml) from the stack graph."),
]

GLOBAL_OPTIONS: list[tuple[str, str]] = [
    ("--repo PATH", "Repository root (default: walk up to popcorn.toml)."),
    ("--output [text|json]", "Output format (default: text)."),
    ("--terraform PATH", "Use this terraform binary instead of the embedded engine [env: POPCORN_TERRAFORM]."),
    ("-v, --verbose", "Show tracebacks and Terraform output in full."),
    ("--no-color", "Plain output [env: NO_COLOR]."),
    ("--version", "Print the version and exit."),
    ("-h, --help", "Show this message and exit."),
]


def fast_help() -> str:
    """The top-level help text, rendered without Typer."""
    width = max(len(n) for n, _ in COMMANDS + GLOBAL_OPTIONS) + 2
    lines = [
        "Usage: popcornctl [OPTIONS] COMMAND [ARGS]...",
        "",
        "  Operate the Popcorn MSA platform's Terraform stacks: ordered applies, policy gate,",
        "  lock recovery, diagnostics. Add --sandbox to a command to use the local AWS emulator.",
        "",
        "Options:",
        *[f"  {name.ljust(width)}{text}" for name, text in GLOBAL_OPTIONS],
        "",
        "Commands:",
        *[f"  {name.ljust(width)}{text}" for name, text in COMMANDS],
        "",
        "Run `popcornctl COMMAND --help` for a command's options.",
    ]
    return "\n".join(lines) + "\n"


def _summary(name: str) -> str:
    return dict(COMMANDS)[name]


def build_app() -> "typer.Typer":
    """The Typer application: global options, then one thin wrapper per command."""
    import typer

    from popcornctl.settings import Settings

    app = typer.Typer(
        name="popcornctl",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    def runtime(ctx: typer.Context, sandbox: bool = False) -> "Runtime":
        from popcornctl.runtime import Runtime

        settings: Settings = ctx.obj
        return Runtime(settings=settings, sandbox=sandbox)

    @app.callback()
    def _global(
        ctx: typer.Context,
        repo: Annotated[Path | None, typer.Option("--repo", help="Repository root.")] = None,
        output: Annotated[str, typer.Option("--output", help="text or json.")] = "text",
        terraform: Annotated[
            str | None, typer.Option("--terraform", envvar="POPCORN_TERRAFORM", help="terraform binary.")
        ] = None,
        verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Tracebacks and full output.")] = False,
        no_color: Annotated[bool, typer.Option("--no-color", help="Plain output.")] = False,
    ) -> None:
        """Operate the Popcorn MSA platform's Terraform stacks."""
        if output not in ("text", "json"):
            raise PopcornError(f"--output {output!r} is not a format", "use --output text or --output json")
        ctx.obj = Settings(repo=repo, output=output, verbose=verbose, color=not no_color, terraform=terraform)

    sandbox_opt = typer.Option("--sandbox", help="Use the local AWS emulator (started if needed).")

    # -- doctor --------------------------------------------------------------------------------
    @app.command(help=_summary("doctor"))
    def doctor(
        ctx: typer.Context,
        env: Annotated[str | None, typer.Option("--env", help="Also check this environment's backend.")] = None,
        sandbox: Annotated[bool, sandbox_opt] = False,
    ) -> int:
        from popcornctl.commands import doctor as cmd

        return cmd.doctor(runtime(ctx, sandbox), env=env)

    # -- sandbox -------------------------------------------------------------------------------
    sandbox_app = typer.Typer(help=_summary("sandbox"), no_args_is_help=True)
    app.add_typer(sandbox_app, name="sandbox")

    @sandbox_app.command("start", help="Start the emulator on a free 127.0.0.1 port (or report it).")
    def sandbox_start(
        ctx: typer.Context,
        port: Annotated[int | None, typer.Option("--port", help="Port to listen on (default: a free one).")] = None,
    ) -> int:
        from popcornctl.commands import sandbox as cmd

        return cmd.start(runtime(ctx), port=port)

    @sandbox_app.command("status", help="Say whether the emulator runs (exit 1 if not).")
    def sandbox_status(ctx: typer.Context) -> int:
        from popcornctl.commands import sandbox as cmd

        return cmd.status(runtime(ctx))

    @sandbox_app.command("stop", help="Stop the emulator and wipe its working data.")
    def sandbox_stop(ctx: typer.Context) -> int:
        from popcornctl.commands import sandbox as cmd

        return cmd.stop(runtime(ctx))

    @sandbox_app.command("reset", help="Remove every emulated resource and sandbox Terraform data.")
    def sandbox_reset(ctx: typer.Context) -> int:
        from popcornctl.commands import sandbox as cmd

        return cmd.reset(runtime(ctx))

    # -- unlock --------------------------------------------------------------------------------
    @app.command(
        help=_summary("unlock")
        + " Exit 0: listed or released; 1: declined, or the lock changed before release (nothing deleted);"
        " 2: refused (young lock without --force, no terminal without --yes) or an error."
    )
    def unlock(
        ctx: typer.Context,
        env: Annotated[str | None, typer.Option("--env", help="The environment's stack and its dependencies.")] = None,
        stack: Annotated[str | None, typer.Option("--stack", help="One stack by path, e.g. envs/dev.")] = None,
        all_stacks: Annotated[
            bool, typer.Option("--all", help="Every lock in the lock table and the state bucket.")
        ] = False,
        lock_id: Annotated[str | None, typer.Option("--lock-id", help="Release the lock with this ID.")] = None,
        older_than: Annotated[
            str, typer.Option("--older-than", help="Refuse locks younger than this (90s, 15m, 2h, 1d).")
        ] = "15m",
        force: Annotated[bool, typer.Option("--force", help="Release a lock younger than --older-than.")] = False,
        yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (needed without a terminal).")] = False,
        via_terraform: Annotated[
            bool, typer.Option("--via-terraform", help="Run terraform force-unlock ID in the stack instead.")
        ] = False,
        sandbox: Annotated[
            bool, typer.Option("--sandbox", help="Use the local AWS emulator (must be running: it holds the locks).")
        ] = False,
    ) -> int:
        from popcornctl.commands import unlock as cmd
        from popcornctl.runtime import Runtime

        # A sandbox that is not running holds no locks: never start one just to look.
        rt = Runtime(settings=ctx.obj, sandbox=sandbox, start_sandbox=False)
        return cmd.unlock(
            rt, env=env, stack=stack, all_stacks=all_stacks, lock_id=lock_id, older_than=older_than,
            force=force, yes=yes, via_terraform=via_terraform,
        )

    # -- up / plan / down (orchestrate) ---------------------------------------------------------
    only_opt = typer.Option("--only", help="Run only this stack (repeatable); dependencies must be applied.")
    exclude_opt = typer.Option("--exclude", help="Leave this stack out (repeatable); checked, never silent.")
    target_opt = typer.Option(
        "--target", help="Pass -target ADDRESS (or STACK::ADDRESS) through; for exceptions only (repeatable)."
    )
    parallelism_opt = typer.Option("--parallelism", help="Stacks at once (default: as many as can run).")
    fail_fast_opt = typer.Option("--fail-fast", help="Stop everything after the first failed stack.")
    retries_opt = typer.Option("--retries", help="Attempts for known transient errors.")
    retry_delay_opt = typer.Option("--retry-delay", help="Seconds before the first retry (doubles after).")
    report_opt = typer.Option("--report", help="Also write the run report as JSON to this file.")
    changed_opt = typer.Option(
        "--changed", help="Only the stacks the change touches (working tree vs --base), plus unapplied dependencies."
    )
    base_opt = typer.Option("--base", help="With --changed: the ref to compare with (default: origin/main, else main).")

    @app.command(
        help=_summary("up")
        + " Exit 0: every stack applied or up to date; 1: a stack failed, was blocked or not approved;"
        " 2: usage error (nothing applied)."
    )
    def up(
        ctx: typer.Context,
        env: Annotated[str, typer.Argument(help="Environment name from popcorn.toml, e.g. dev.")],
        only: Annotated[list[str] | None, only_opt] = None,
        exclude: Annotated[list[str] | None, exclude_opt] = None,
        target: Annotated[list[str] | None, target_opt] = None,
        parallelism: Annotated[int | None, parallelism_opt] = None,
        fail_fast: Annotated[bool, fail_fast_opt] = False,
        auto_approve: Annotated[
            bool, typer.Option("--auto-approve", help="Do not ask (automation; needed without a terminal).")
        ] = False,
        allow_destroy: Annotated[
            bool, typer.Option("--allow-destroy", help="Allow plans that destroy resources in a protected env.")
        ] = False,
        skip_policy: Annotated[
            bool, typer.Option("--skip-policy", help="Do not gate on policy findings (needs --reason; recorded).")
        ] = False,
        reason: Annotated[str | None, typer.Option("--reason", help="Why the policy gate is skipped.")] = None,
        fail_on: Annotated[
            str, typer.Option("--fail-on", help="Block at this severity or above: critical|high|medium|low.")
        ] = "high",
        checkov: Annotated[
            bool, typer.Option("--checkov/--no-checkov", help="Include Checkov in the policy gate.")
        ] = True,
        retries: Annotated[int, retries_opt] = 3,
        retry_delay: Annotated[float, retry_delay_opt] = 5.0,
        report: Annotated[Path | None, report_opt] = None,
        changed: Annotated[bool, changed_opt] = False,
        base: Annotated[str | None, base_opt] = None,
        sandbox: Annotated[bool, sandbox_opt] = False,
    ) -> int:
        from popcornctl.commands import up as cmd

        return cmd.up(
            runtime(ctx, sandbox), env=env, only=only or [], exclude=exclude or [], targets=target or [],
            parallelism=parallelism, fail_fast=fail_fast, auto_approve=auto_approve, allow_destroy=allow_destroy,
            skip_policy=skip_policy, reason=reason, fail_on=fail_on, checkov=checkov, retries=retries,
            retry_delay=retry_delay, report_file=report, changed=changed, base=base,
        )

    @app.command(
        help=_summary("plan")
        + " Stacks whose dependencies are not applied yet are reported as waiting. Exit 0: planned;"
        " 1: a stack failed to plan; 2: usage error."
    )
    def plan(
        ctx: typer.Context,
        env: Annotated[str, typer.Argument(help="Environment name from popcorn.toml, e.g. dev.")],
        out_dir: Annotated[
            Path | None, typer.Option("--out-dir", help="Write <stack>.json per stack and combined.json here.")
        ] = None,
        only: Annotated[list[str] | None, only_opt] = None,
        exclude: Annotated[list[str] | None, exclude_opt] = None,
        target: Annotated[list[str] | None, target_opt] = None,
        parallelism: Annotated[int | None, parallelism_opt] = None,
        fail_fast: Annotated[bool, fail_fast_opt] = False,
        retries: Annotated[int, retries_opt] = 3,
        retry_delay: Annotated[float, retry_delay_opt] = 5.0,
        report: Annotated[Path | None, report_opt] = None,
        changed: Annotated[bool, changed_opt] = False,
        base: Annotated[str | None, base_opt] = None,
        sandbox: Annotated[bool, sandbox_opt] = False,
    ) -> int:
        from popcornctl.commands import plan as cmd

        return cmd.plan(
            runtime(ctx, sandbox), env=env, only=only or [], exclude=exclude or [], targets=target or [],
            parallelism=parallelism, fail_fast=fail_fast, out_dir=out_dir, retries=retries,
            retry_delay=retry_delay, report_file=report, changed=changed, base=base,
        )

    @app.command(
        help=_summary("down")
        + " A protected environment needs --allow-destroy and its name typed; deletion protection refuses."
        " Exit 0: destroyed; 1: a stack failed, was refused or not approved; 2: usage error."
    )
    def down(
        ctx: typer.Context,
        env: Annotated[str, typer.Argument(help="Environment name from popcorn.toml, e.g. dev.")],
        include_global: Annotated[
            bool, typer.Option("--include-global", help="Also destroy the global stacks ENV uses.")
        ] = False,
        include_bootstrap: Annotated[
            bool, typer.Option("--include-bootstrap", help="Also destroy bootstrap (the state bucket), last.")
        ] = False,
        only: Annotated[list[str] | None, only_opt] = None,
        exclude: Annotated[list[str] | None, exclude_opt] = None,
        parallelism: Annotated[int | None, parallelism_opt] = None,
        fail_fast: Annotated[bool, fail_fast_opt] = False,
        auto_approve: Annotated[
            bool, typer.Option("--auto-approve", help="Do not ask (not for protected environments).")
        ] = False,
        allow_destroy: Annotated[
            bool, typer.Option("--allow-destroy", help="Required to destroy a protected environment.")
        ] = False,
        retries: Annotated[int, retries_opt] = 3,
        retry_delay: Annotated[float, retry_delay_opt] = 5.0,
        report: Annotated[Path | None, report_opt] = None,
        sandbox: Annotated[bool, sandbox_opt] = False,
    ) -> int:
        from popcornctl.commands import down as cmd

        return cmd.down(
            runtime(ctx, sandbox), env=env, include_global=include_global, include_bootstrap=include_bootstrap,
            only=only or [], exclude=exclude or [], parallelism=parallelism, fail_fast=fail_fast,
            auto_approve=auto_approve, allow_destroy=allow_destroy, retries=retries, retry_delay=retry_delay,
            report_file=report,
        )

    # -- policy-check --------------------------------------------------------------------------
    @app.command(
        "policy-check",
        help=_summary("policy-check")
        + " Inputs: PLAN.json files (terraform show -json; one stack's or a combined plan), a Terraform folder"
        " (static scan), or --env ENV to plan the environment's stack first. Exit 0 pass; 1 findings at or above"
        " --fail-on, a policy error or an expired waiver; 2 input error.",
    )
    def policy_check(
        ctx: typer.Context,
        inputs: Annotated[
            list[Path] | None,
            typer.Argument(help="Plan JSON files, or one Terraform folder.", metavar="[PLAN.json...|DIR]",
                           show_default=False),
        ] = None,
        env: Annotated[
            str | None, typer.Option("--env", help="Plan this environment's stack (no inputs), or evaluate for it.")
        ] = None,
        fmt: Annotated[
            str | None, typer.Option("--format", help="table, json, sarif or junit (default: table).")
        ] = None,
        output_file: Annotated[
            Path | None, typer.Option("--output-file", "-o", help="Write the report here instead of stdout.")
        ] = None,
        fail_on: Annotated[
            str, typer.Option("--fail-on", help="Lowest severity that fails: critical, high, medium or low.")
        ] = "high",
        no_checkov: Annotated[bool, typer.Option("--no-checkov", help="Run our policies alone.")] = False,
        waivers: Annotated[
            Path | None, typer.Option("--waivers", help="Waivers file (default: policies/waivers.toml).")
        ] = None,
        root: Annotated[
            Path | None, typer.Option("--root", help="The stack folder the plan was made from (default: detected).")
        ] = None,
        sandbox: Annotated[bool, sandbox_opt] = False,
    ) -> int:
        from popcornctl.commands import policy_check as cmd

        return cmd.policy_check(
            runtime(ctx, sandbox), inputs=list(inputs or []), env=env, fmt=fmt, output_file=output_file,
            fail_on=fail_on, run_checkov=not no_checkov, waivers=waivers, root=root,
        )

    # -- diagnose ------------------------------------------------------------------------------
    diagnose_app = typer.Typer(
        help=_summary("diagnose") + " Exit 0: all checks OK; 1: a WARN or FAIL finding; 2: usage, credentials or "
        "emulator error.",
        no_args_is_help=True,
    )
    app.add_typer(diagnose_app, name="diagnose")
    since_opt = typer.Option(
        "--since", help="Look back this far for stopped tasks, events and metrics (90s, 15m, 1h, 2d)."
    )
    timeout_opt = typer.Option(
        "--timeout", help="Give up (exit 2) when AWS has not answered the whole diagnosis within this (60s, 2m)."
    )

    @diagnose_app.command(
        "ecs",
        help="Cluster summary, then per service: tasks, deployments, events, stopped-task causes, task definition, "
        "load balancer, alarms, ECS Exec. Names: --cluster/--service, else the env stack's Terraform outputs, else "
        "<project>-<env>-cluster.",
    )
    def diagnose_ecs(
        ctx: typer.Context,
        env: Annotated[str | None, typer.Option("--env", help="The environment (dev, prod).")] = None,
        cluster: Annotated[str | None, typer.Option("--cluster", help="The ECS cluster name.")] = None,
        service: Annotated[
            list[str] | None,
            typer.Option("--service", help="A service name or key (repeatable; default: every service)."),
        ] = None,
        since: Annotated[str, since_opt] = "1h",
        timeout: Annotated[str, timeout_opt] = "60s",
        sandbox: Annotated[bool, sandbox_opt] = False,
    ) -> int:
        from popcornctl.commands import diagnose as cmd
        from popcornctl.runtime import Runtime

        # Diagnosing an emulator that is not running means nothing: never start one just to look.
        rt = Runtime(settings=ctx.obj, sandbox=sandbox, start_sandbox=False)
        return cmd.ecs(rt, env=env, cluster=cluster, services=list(service or []), since=since, timeout=timeout)

    @diagnose_app.command(
        "rds",
        help="Status, endpoint, exposure (public flag vs route tables), who can reach the port and whether the ECS "
        "services can, AZs, Multi-AZ, storage headroom, CPU/connections/latency, events, backups, Performance "
        "Insights, parameter group, master secret, alarms. Name: --instance, else outputs, else "
        "<project>-<env>-postgres.",
    )
    def diagnose_rds(
        ctx: typer.Context,
        env: Annotated[str | None, typer.Option("--env", help="The environment (dev, prod).")] = None,
        instance: Annotated[str | None, typer.Option("--instance", help="The DB instance identifier.")] = None,
        ecs_security_group: Annotated[
            list[str] | None,
            typer.Option("--ecs-security-group", help="The ECS services' security group (repeatable; default: found)."),
        ] = None,
        since: Annotated[str, since_opt] = "1h",
        timeout: Annotated[str, timeout_opt] = "60s",
        sandbox: Annotated[bool, sandbox_opt] = False,
    ) -> int:
        from popcornctl.commands import diagnose as cmd
        from popcornctl.runtime import Runtime

        rt = Runtime(settings=ctx.obj, sandbox=sandbox, start_sandbox=False)
        return cmd.rds(
            rt, env=env, instance=instance, ecs_security_groups=list(ecs_security_group or []), since=since,
            timeout=timeout,
        )

    # -- affected ------------------------------------------------------------------------------
    @app.command(
        help=_summary("affected")
        + " Without --head, uncommitted and untracked files count too (like Terramate's --changed); with it,"
        " exactly BASE...HEAD. --output json prints the documented shape. Exit 0; 2 on a git or usage error.",
    )
    def affected(
        ctx: typer.Context,
        base: Annotated[str, typer.Option("--base", help="The ref the change is compared with, e.g. origin/main.")],
        head: Annotated[
            str | None, typer.Option("--head", help="The change's last commit (default: HEAD plus the working tree).")
        ] = None,
    ) -> int:
        from popcornctl.commands import affected as cmd

        return cmd.affected(runtime(ctx), base=base, head=head)

    # -- ci ------------------------------------------------------------------------------------
    ci_app = typer.Typer(help=_summary("ci"), no_args_is_help=True)
    app.add_typer(ci_app, name="ci")

    @ci_app.command(
        "github",
        help="JSON job matrix for GitHub Actions: one job per affected stack through its environment, with its "
        "rollout layer (matrix, layer_<n>, count, envs, layers). Exit 0; 2 on a usage or git error.",
    )
    def ci_github(
        ctx: typer.Context,
        base: Annotated[str | None, typer.Option("--base", help="The ref the change is compared with.")] = None,
        head: Annotated[str | None, typer.Option("--head", help="The change's last commit (CI: HEAD).")] = None,
        all_stacks: Annotated[bool, typer.Option("--all", help="Every stack, not only the affected ones.")] = False,
        env: Annotated[
            list[str] | None, typer.Option("--env", help="Only this environment's run (repeatable).")
        ] = None,
        github_output: Annotated[
            Path | None, typer.Option("--github-output", help="Append name=value lines to this file ($GITHUB_OUTPUT).")
        ] = None,
        apply_layers: Annotated[
            int | None, typer.Option("--apply-layers", help="The workflow's apply-<n> job count; refuse more layers.")
        ] = None,
    ) -> int:
        from popcornctl.commands import ci as cmd

        return cmd.github(
            runtime(ctx), base=base, head=head, all_stacks=all_stacks, envs=list(env or []),
            github_output=github_output, apply_layers=apply_layers,
        )

    @ci_app.command(
        "atlantis",
        help="Write atlantis.yaml (version 3) from the stack graph: one project per stack, depends_on, "
        "execution_order_group, when_modified, the policy-check workflow. --check: exit 1 when it is out of date.",
    )
    def ci_atlantis(
        ctx: typer.Context,
        check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if the file differs.")] = False,
        file: Annotated[
            Path | None, typer.Option("--file", help="Where the file lives (default: atlantis.yaml at the repo root).")
        ] = None,
    ) -> int:
        from popcornctl.commands import ci as cmd

        return cmd.atlantis(runtime(ctx), check=check, file=file)

    return app


def _report(exc: PopcornError, verbose: bool) -> None:
    if verbose:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    sys.stderr.write(f"popcornctl: error: {exc.line()}\n")
    if exc.detail:
        sys.stderr.write(exc.detail.rstrip() + "\n")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry: fast help, else the Typer app; user errors become one line and exit 2."""
    args = sys.argv[1:] if argv is None else argv
    if args in ([], ["--help"], ["-h"]):
        sys.stdout.write(fast_help())
        raise SystemExit(0)
    if args == ["--version"]:
        from popcornctl import __version__

        sys.stdout.write(f"popcornctl {__version__}\n")
        raise SystemExit(0)
    import typer
    from typer.exceptions import TyperException

    verbose = "-v" in args or "--verbose" in args
    try:
        result: Any = build_app()(args=args, prog_name="popcornctl", standalone_mode=False)
    except PopcornError as exc:
        _report(exc, verbose)
        raise SystemExit(exc.exit_code) from None
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        sys.stderr.write("popcornctl: aborted\n")
        raise SystemExit(130) from None
    except TyperException as exc:  # usage errors: click's message with the usage line, exit 2
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            sys.stderr.write(f"popcornctl: error: {exc}\n")
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        sys.stderr.write("popcornctl: interrupted\n")
        raise SystemExit(130) from None
    raise SystemExit(result if isinstance(result, int) else 0)
