"""``popcornctl sandbox start|status|stop|reset``: the local AWS emulator's lifecycle."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from popcornctl.commands.options import runtime
from popcornctl.console import make_console, print_json
from popcornctl.runtime import Runtime
from popcornctl.sandbox import SandboxInfo

app = typer.Typer(help="Start, inspect, reset or stop the local AWS emulator on 127.0.0.1.", no_args_is_help=True)


def _runtime(ctx: typer.Context) -> Runtime:
    # The emulator's lifecycle needs neither the repository nor AWS.
    return runtime(ctx, repo=False, aws=False, terraform=False)


@app.command("start", help="Start the emulator on a free 127.0.0.1 port (or report it).")
def start_command(
    ctx: typer.Context,
    port: Annotated[
        int | None, typer.Option("--port", help="Port to listen on (default: a free one).", show_default=False)
    ] = None,
) -> int:
    return start(_runtime(ctx), port=port)


@app.command("status", help="Say whether the emulator runs (exit 1 if not).")
def status_command(ctx: typer.Context) -> int:
    return status(_runtime(ctx))


@app.command("stop", help="Stop the emulator and wipe its working data.")
def stop_command(ctx: typer.Context) -> int:
    return stop(_runtime(ctx))


@app.command("reset", help="Remove every emulated resource and sandbox Terraform data.")
def reset_command(ctx: typer.Context) -> int:
    return reset(_runtime(ctx))


def _describe(info: SandboxInfo | None, state: str) -> dict[str, object]:
    if info is None:
        return {"state": state}
    return {
        "state": state,
        "pid": info.pid,
        "port": info.port,
        "endpoint": info.endpoint,
        "uptime_seconds": round(time.time() - info.started, 1),
    }


def _emit(rt: Runtime, data: dict[str, object], text: str) -> None:
    if rt.settings.output == "json":
        print_json(data)
    else:
        make_console(rt.settings).print(text)


def start(rt: Runtime, port: int | None = None) -> int:
    """Start the sandbox (or report the running one)."""
    manager = rt.sandbox_manager
    before, _ = manager.status()
    info = manager.start(port=port)
    verb = "already running" if before == "running" else "started"
    _emit(rt, _describe(info, "running"), f"sandbox {verb} at {info.endpoint} (pid {info.pid})")
    return 0


def status(rt: Runtime) -> int:
    """Report the sandbox's state; exit 1 when it is not running."""
    state, info = rt.sandbox_manager.status()
    text = {
        "running": f"sandbox running at {info.endpoint} (pid {info.pid})" if info else "",
        "unresponsive": (f"an emulator (pid {info.pid}) holds the sandbox but does not answer" if info
                         else "a process holds the sandbox lock but does not answer")
        + " — stop it with: popcornctl sandbox stop",
        "stale": "sandbox is down but left a pid file — `popcornctl sandbox start` cleans it up",
        "stopped": "sandbox is not running — start it with: popcornctl sandbox start",
    }[state]
    _emit(rt, _describe(info, state), text)
    return 0 if state == "running" else 1


def stop(rt: Runtime) -> int:
    """Stop the sandbox and wipe its working data."""
    was_running = rt.sandbox_manager.stop()
    _emit(rt, {"state": "stopped", "was_running": was_running},
          "sandbox stopped" if was_running else "sandbox was not running")
    return 0


def reset(rt: Runtime) -> int:
    """Empty the running sandbox (all emulated resources and sandbox Terraform data)."""
    info = rt.sandbox_manager.reset()
    _emit(rt, _describe(info, "running"), f"sandbox at {info.endpoint} reset: every emulated resource removed")
    return 0
