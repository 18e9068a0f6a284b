"""``popcornctl ci github|atlantis``: drive the engines a team already runs from the stack graph.

- ``ci github``: the job matrix for GitHub Actions (one job per affected stack, through its environment,
  with its rollout layer), printed as JSON or appended to ``$GITHUB_OUTPUT`` (``--github-output``).
- ``ci atlantis``: writes ``atlantis.yaml``; ``--check`` exits 1 when the file on disk is not what the graph
  gives (CI and pre-commit), printing the difference.

What the documents contain: :mod:`popcornctl.graph.ci_files`; how to adopt them: docs/CI_ENGINES.md.
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from popcornctl.commands.options import runtime
from popcornctl.console import make_console
from popcornctl.errors import PopcornError
from popcornctl.runtime import Runtime

app = typer.Typer(
    help="Drive GitHub Actions (job matrix) or Atlantis (atlantis.yaml) from the stack graph.", no_args_is_help=True
)


@app.command(
    "github",
    help=(
        "JSON job matrix for GitHub Actions: one job per affected stack through its environment, with its rollout "
        "layer (matrix, layer_<n>, count, envs, layers). Exit 0; 2 on a usage or git error."
    ),
)
def github_command(
    ctx: typer.Context,
    base: Annotated[
        str | None, typer.Option("--base", help="The ref the change is compared with.", show_default=False)
    ] = None,
    head: Annotated[
        str | None, typer.Option("--head", help="The change's last commit (CI: HEAD).", show_default=False)
    ] = None,
    all_stacks: Annotated[bool, typer.Option("--all", help="Every stack, not only the affected ones.")] = False,
    env: Annotated[
        list[str] | None,
        typer.Option("--env", help="Only this environment's run (repeatable).", show_default=False),
    ] = None,
    github_output: Annotated[
        Path | None,
        typer.Option("--github-output", help="Append name=value lines to this file ($GITHUB_OUTPUT).",
                     show_default=False),
    ] = None,
    apply_layers: Annotated[
        int | None,
        typer.Option("--apply-layers", help="The workflow's apply-<n> job count; refuse more layers.",
                     show_default=False),
    ] = None,
) -> int:
    # git and the stack graph only: no AWS
    return github(
        runtime(ctx, aws=False), base=base, head=head, all_stacks=all_stacks, envs=list(env or []),
        github_output=github_output, apply_layers=apply_layers,
    )


@app.command(
    "atlantis",
    help=(
        "Write atlantis.yaml (version 3) from the stack graph: one project per stack, depends_on, "
        "execution_order_group, when_modified, the policy-check workflow. --check: exit 1 when it is out of date."
    ),
)
def atlantis_command(
    ctx: typer.Context,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if the file differs.")] = False,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Where the file lives (default: atlantis.yaml at the repo root).",
                     show_default=False),
    ] = None,
) -> int:
    return atlantis(runtime(ctx, aws=False), check=check, file=file)


def github(
    rt: Runtime,
    *,
    base: str | None,
    head: str | None,
    all_stacks: bool,
    envs: list[str],
    github_output: Path | None,
    apply_layers: int | None,
) -> int:
    """Print (or append to ``$GITHUB_OUTPUT``) the job matrix of the change, or of every stack with ``--all``."""
    from popcornctl.graph.ci_files import github_document, github_outputs, jobs

    if all_stacks and (base or head):
        raise PopcornError("--all runs every stack: --base/--head mean nothing with it", "drop --all or --base/--head")
    if not all_stacks and not base:
        raise PopcornError("no change to compute jobs for", "pass --base REF (and --head REF in CI), or --all")
    if apply_layers is not None and apply_layers < 1:
        raise PopcornError(f"--apply-layers {apply_layers} is not a number of jobs", "use 1 or more")
    config, graph = rt.config, rt.graph
    for name in envs:
        config.environment(name)
    change: dict[str, object] | None = None
    if all_stacks:
        stacks: list[str] = sorted(graph.stacks)
    else:
        from popcornctl.graph.affected import compute

        assert base is not None
        result = compute(rt.root, base, head)
        stacks = list(result.stacks)
        change = {"base": base, "head": head, "files": len(result.change.files) if result.change else 0}
        if result.change is not None and result.change.head is not None:
            # the jobs run on the checkout: stacks of the head that are not in it cannot run here
            stacks = [s for s in stacks if s in graph.stacks]
    selected = jobs(graph, config, stacks, envs or None)
    document = github_document(graph, config, selected, apply_layers=apply_layers)
    document["change"] = change
    # a stack no selected environment's run includes gets no job: say so rather than drop it silently
    document["left_out"] = sorted(set(stacks) - {j.stack for j in selected})
    for stack in document["left_out"]:
        make_console(rt.settings, stderr=True).print(
            f"popcornctl: warning: {stack} is in no selected environment's run, so no job runs it "
            "(popcorn.toml [dependencies] can attach it to an environment)", soft_wrap=True,
        )
    if github_output is None:
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return 0
    outputs = github_outputs(document)
    try:
        with github_output.open("a", encoding="utf-8") as handle:
            for name, value in outputs.items():
                handle.write(f"{name}={value}\n")
    except OSError as exc:
        raise PopcornError(f"cannot append to {github_output} ({exc.strerror})", "pass $GITHUB_OUTPUT") from None
    console = make_console(rt.settings)
    console.print(f"{len(selected)} job(s) in layer(s) {document['layers']} of {document['layer_count']}:",
                  soft_wrap=True)
    for job in selected:
        console.print(f"  layer {job.layer}  {job.stack} ({job.env})", soft_wrap=True)
    return 0


def atlantis(rt: Runtime, *, check: bool, file: Path | None = None) -> int:
    """Write ``atlantis.yaml`` from the graph; with ``check``, exit 1 when the file differs (nothing written)."""
    from popcornctl.graph.affected import ChangeMap
    from popcornctl.graph.ci_files import ATLANTIS_FILE, atlantis_yaml

    path = file if file is not None else rt.root / ATLANTIS_FILE
    if not path.parent.is_dir():
        raise PopcornError(f"cannot write {path}: {path.parent} does not exist", "create the folder first")
    text = atlantis_yaml(ChangeMap.load(rt.config, rt.graph))
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    console = make_console(rt.settings)
    if check:
        if current == text:
            console.print(f"{path.name} is up to date with the stack graph", soft_wrap=True)
            return 0
        sys.stdout.writelines(
            difflib.unified_diff(
                (current or "").splitlines(keepends=True), text.splitlines(keepends=True),
                f"{path.name} (on disk)", f"{path.name} (from the stack graph)",
            )
        )
        why = "does not exist" if current is None else "is out of date"
        make_console(rt.settings, stderr=True).print(
            f"popcornctl: {path.name} {why} — regenerate it with `popcornctl ci atlantis` and commit it", soft_wrap=True
        )
        return 1
    if current == text:
        console.print(f"{path.name} unchanged", soft_wrap=True)
        return 0
    from popcornctl.common.files import check_destination, write_text

    # The shared writer: the file keeps its mode (a committed file, not mkstemp's 0600), a link stays a link.
    write_text(check_destination(path, flag="--file"), text)
    console.print(f"wrote {path}", soft_wrap=True)
    return 0
