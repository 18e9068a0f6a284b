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
    ("doctor", "Check what a run needs: Python, Terraform, provider, credentials, Checkov, backend."),
    ("sandbox", "Start, inspect, reset or stop the local AWS emulator on 127.0.0.1."),
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
