"""``popcornctl affected --base REF [--head REF]``: the stacks a change touches, with the reason for each.

Also the ``--changed`` scope of ``plan``/``up`` (:func:`changed_scope`), so both commands decide it the
same way. The analysis lives in the graph room (:mod:`popcornctl.graph.affected`); this module prints it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from popcornctl.commands.options import runtime
from popcornctl.console import make_console, print_json
from popcornctl.errors import PopcornError
from popcornctl.runtime import Runtime

app = typer.Typer()


@app.command(
    "affected",
    help=(
        "List the stacks a git change touches (modules, links, tfvars, dependents), with the reasons.\n\nWithout "
        "--head, uncommitted and untracked files count too (like Terramate's --changed); with it, exactly "
        "BASE...HEAD. --output json prints the documented shape. Exit 0; 2 on a git or usage error."
    ),
)
def affected_command(
    ctx: typer.Context,
    base: Annotated[
        str, typer.Option("--base", help="The ref the change is compared with, e.g. origin/main.", show_default=False)
    ],
    head: Annotated[
        str | None,
        typer.Option("--head", help="The change's last commit (default: HEAD plus the working tree).",
                     show_default=False),
    ] = None,
) -> int:
    # git and the stack graph only: no AWS
    return affected(runtime(ctx, aws=False), base=base, head=head)


def affected(rt: Runtime, *, base: str, head: str | None = None) -> int:
    """Print the affected stacks (text, or the JSON shape of :mod:`popcornctl.graph.affected`); exit 0."""
    from popcornctl.graph.affected import compute

    result = compute(rt.root, base, head)
    if rt.settings.output == "json":
        print_json(result.as_dict())
        return 0
    console = make_console(rt.settings)
    change = result.change
    assert change is not None
    console.print(
        f"{change.describe()}: {len(change.files)} file(s) changed, {len(result.stacks)} stack(s) affected",
        soft_wrap=True,
    )
    width = max((len(s) for s in result.stacks), default=0)
    for stack, reasons in result.stacks.items():
        envs = ", ".join(result.environments.get(stack, [])) or "no environment"
        console.print(f"  {stack.ljust(width)}  layer {result.layers[stack]}  ({envs})", soft_wrap=True)
        for reason in reasons:
            console.print(f"      {reason.text()}", soft_wrap=True)
    if result.why_not:
        console.print("Files that affect no stack:")
        for path, why in result.why_not.items():
            console.print(f"  {path}: {why}", soft_wrap=True)
    return 0


def changed_scope(rt: Runtime, *, command: str, env: str, base: str | None, only: list[str]) -> list[str]:
    """``plan/up ENV --changed``: the stacks to run (may be empty), explained on stderr.

    ENV's stacks the working tree changes against ``base`` (default: origin/main, else main), plus every
    stack they need that was never applied (:func:`popcornctl.graph.affected.changed_run`).
    """
    from popcornctl.graph.affected import compute
    from popcornctl.graph.changes import default_base
    from popcornctl.orchestrate.backend import S3StateProbe
    from popcornctl.orchestrate.select import changed_stacks

    if only:
        raise PopcornError(
            "--changed chooses the stacks itself and cannot be combined with --only",
            f"drop --only, or drop --changed (popcornctl {command} {env} --only STACK)",
        )
    rt.config.environment(env)  # an unknown ENV is named before git is asked anything
    result = compute(rt.root, base or default_base(rt.root), None)
    probe = S3StateProbe(rt.clients, rt.config.backend)
    chosen = changed_stacks(rt.config, rt.graph, env, result.stacks, probe)
    err = make_console(rt.settings, stderr=True)
    assert result.change is not None
    err.print(f"popcornctl {command} {env} --changed ({result.change.describe()}):", soft_wrap=True)
    for stack, why in chosen.items():
        first = result.stacks.get(stack)
        detail = f" — {first[0].text()}" if first else ""
        err.print(f"  runs {stack}: {why}{detail}", soft_wrap=True)
    env_stack = rt.config.environment(env).stack
    if env_stack in rt.graph.stacks:
        for stack in sorted(rt.graph.closure([env_stack]) - set(chosen)):
            err.print(f"  leaves out {stack}: not affected by the change", soft_wrap=True)
    if not chosen:
        err.print(f"  nothing to {command}: the change affects no stack of the {env} run", soft_wrap=True)
    return sorted(chosen)


def nothing_changed(rt: Runtime, *, command: str, env: str, report_file: Path | None) -> int:
    """The outcome of a ``--changed`` run with nothing to run: exit 0, and an empty report when one is asked."""
    doc = {"command": command, "env": env, "changed": True, "exit_code": 0, "stacks": [],
           "reason": f"the change affects no stack of the {env} run"}
    if report_file is not None:
        try:
            report_file.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise PopcornError(f"cannot write {report_file} ({exc.strerror})", "pass a writable --report") from None
    if rt.settings.output == "json":
        print_json(doc)
    return 0
