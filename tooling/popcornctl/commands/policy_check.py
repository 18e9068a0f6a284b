"""``popcornctl policy-check``: our policies plus Checkov on plans (or configuration), one report, one verdict.

Three ways in: plan JSON files (one stack's, or a combined plan), ``--env ENV`` (plan the environment's
stack first, with ``--sandbox`` against the emulator), or a directory (static scan). Exit 0 pass,
1 findings at or above ``--fail-on`` (or a policy error, or an expired waiver), 2 input error.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from popcornctl.commands.options import ReportFormat, SandboxStarts, renamed, runtime
from popcornctl.console import make_console
from popcornctl.errors import PopcornError
from popcornctl.runtime import Runtime

if TYPE_CHECKING:
    from popcornctl.policy.planjson import PlanInput



class CheckFailOn(StrEnum):
    """``--fail-on`` of policy-check: a severity, or ``unknown`` (low, and anything not evaluated blocks too)."""

    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    unknown = "unknown"


SANDBOX_WAIVERS = "sandbox-waivers.toml"

app = typer.Typer()


@app.command(
    "policy-check",
    help=(
        "Gate plans: our severity-ranked policies plus Checkov, waivers; table/json/sarif/junit.\n\nInputs: "
        "PLAN.json files (terraform show -json; one stack's or a combined plan), a Terraform folder (static "
        "scan), or --env ENV to plan the environment's stack first. Exit 0 pass; 1 findings at or above "
        "--fail-on, a policy error or an expired waiver; 2 input error."
    ),
)
def policy_check_command(
    ctx: typer.Context,
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(help="Plan JSON files, or one Terraform folder.", metavar="[PLAN.json...|DIR]",
                       show_default=False),
    ] = None,
    env: Annotated[
        str | None,
        typer.Option("--env", help="Plan this environment's stack (no inputs), or evaluate for it.",
                     show_default=False),
    ] = None,
    output: Annotated[
        ReportFormat | None,
        typer.Option("--output", help="Report format; table and text are the same (default: table, or json with "
                     "the global --output json).", show_default=False),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the report to this file instead of stdout.", show_default=False),
    ] = None,
    fail_on: Annotated[
        CheckFailOn,
        typer.Option("--fail-on", help="Block at this severity or above; unknown: low, and anything not evaluated."),
    ] = CheckFailOn.high,
    no_checkov: Annotated[bool, typer.Option("--no-checkov", help="Run our policies alone.")] = False,
    waivers: Annotated[
        Path | None,
        typer.Option("--waivers", help="Waivers file (default: policies/waivers.toml).", show_default=False),
    ] = None,
    root: Annotated[
        Path | None,
        typer.Option("--root", help="The stack folder the plan was made from (default: detected).", show_default=False),
    ] = None,
    sandbox: SandboxStarts = False,
    format_: Annotated[ReportFormat | None, typer.Option("--format", hidden=True)] = None,
    output_file: Annotated[Path | None, typer.Option("--output-file", "-o", hidden=True)] = None,
) -> int:
    chosen = renamed("--format", "--output", format_, output)
    report_file = renamed("--output-file/-o", "--out", output_file, out)
    planning = not inputs and env is not None
    rt = runtime(ctx, sandbox=sandbox, aws=planning)
    fmt = None if chosen is None else ("table" if chosen is ReportFormat.text else chosen.value)
    return policy_check(
        rt, inputs=list(inputs or []), env=env, fmt=fmt, output_file=report_file, fail_on=fail_on.value,
        run_checkov=not no_checkov, waivers=waivers, root=root,
    )


# -- planning for --env: the same planner as `popcornctl plan` (popcornctl.orchestrate.planner) --
def plan_environment_stack(rt: Runtime, env_name: str) -> PlanInput:
    """Plan ENV's stack (``envs/ENV``) to a saved plan and return it as a :class:`PlanInput`.

    One stack only: the stacks it depends on (bootstrap, global/*) must already be applied, since their
    remote state is read. In the sandbox, the environment's ``sandbox_var_file`` is added. The saved plan and
    its JSON live in the state directory (``policy-plans/``), never in the source tree.
    """
    from popcornctl.orchestrate.planner import plan_one_stack
    from popcornctl.policy.planjson import PlanInput, validate_plan

    environment = rt.config.environment(env_name)
    stack = environment.stack.strip("/")
    stack_dir = rt.root / stack
    if not stack_dir.is_dir() or not any(stack_dir.glob("*.tf")):
        raise PopcornError(f"environment {env_name}'s stack {stack}/ has no .tf files", "create the stack first")
    sandbox = rt.target.is_sandbox
    if sandbox and environment.sandbox_var_file:
        var_file = stack_dir / environment.sandbox_var_file
        if not var_file.is_file():
            raise PopcornError(f"{var_file} does not exist", f"create it (sandbox profile of {env_name})")
    err = make_console(rt.settings, stderr=True)
    err.print(f"policy-check: planning {stack} on {rt.target.describe()} …")
    out_dir = rt.settings.ensure_state_dir() / "policy-plans"
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"{stack.replace('/', '-')}{'-sandbox' if sandbox else ''}"
    plan = plan_one_stack(rt, env_name, stack, out_dir, name, command="policy-check --env")
    where = "sandbox" if sandbox else "AWS"
    return PlanInput(
        source=f"{stack} (planned against {where})",
        plan=validate_plan(plan.doc, str(plan.plan_json)),
        stack=stack,
        root=stack_dir,
        plan_path=plan.plan_json,
    )


# -- the command -------------------------------------------------------------------------------------
def _distinct_inputs(inputs: list[Path]) -> tuple[list[Path], list[str]]:
    """``inputs`` without repeats (the same file twice, or two files with the same bytes), and what was dropped."""
    import hashlib

    kept: list[Path] = []
    seen: dict[object, Path] = {}
    notes: list[str] = []
    for path in inputs:
        keys: list[object] = []
        try:
            st = path.stat()
            keys.append(("inode", st.st_dev, st.st_ino))
            if path.is_file():
                keys.append(("bytes", hashlib.sha256(path.read_bytes()).hexdigest()))
        except OSError:
            keys.append(("path", str(path)))  # read_plan_file reports it properly
        first = next((seen[k] for k in keys if k in seen), None)
        if first is not None:
            same = "the same file as" if keys[0] in seen else "identical to"
            notes.append(f"{path} is {same} {first}: evaluated once")
            continue
        for key in keys:
            seen[key] = path
        kept.append(path)
    return kept, notes


def policy_check(
    rt: Runtime,
    *,
    inputs: list[Path],
    env: str | None = None,
    fmt: str | None = None,
    output_file: Path | None = None,
    fail_on: str = "high",
    run_checkov: bool = True,
    waivers: Path | None = None,
    root: Path | None = None,
) -> int:
    """Run the gate and print/write the report; returns the exit code (0 pass, 1 blocked)."""
    from popcornctl.common.files import check_destination, write_text
    from popcornctl.policy import evaluate_directory, evaluate_inputs, prepare
    from popcornctl.policy.planjson import normalise_env
    from popcornctl.policy.reporters import print_table, render

    fmt = fmt or ("json" if rt.settings.output == "json" else "table")
    inputs, repeated = _distinct_inputs(inputs)
    if root is not None and not root.is_dir():
        raise PopcornError(f"--root {root} is not a folder", "pass the stack folder the plan was made from")
    directories = [p for p in inputs if p.is_dir()]
    if directories and len(inputs) > 1:
        raise PopcornError("a directory cannot be checked together with other inputs", "pass one folder alone")
    if not inputs and not env:
        raise PopcornError("nothing to check", "pass PLAN.json files, a Terraform folder, or --env ENV")
    repo = rt.root
    # Against the sandbox, what the sandbox profile switches off on purpose is waived (policies/sandbox-waivers.toml).
    sandbox_waivers = repo / "policies" / SANDBOX_WAIVERS
    planning_in_sandbox = not inputs and env is not None and rt.sandbox
    extra = [sandbox_waivers] if planning_in_sandbox and sandbox_waivers.is_file() else []
    # Where the report goes is checked before anything runs, and may never be one of the inputs.
    destination = None
    if output_file is not None:
        protected = [*inputs, *([waivers] if waivers else []), repo / "policies" / "waivers.toml", *extra]
        destination = check_destination(output_file, flag="--out", inputs=protected)
    setup = prepare(repo, waivers_path=waivers, extra_waivers=extra)
    wanted_env = normalise_env(env) if env else None
    if directories:
        report = evaluate_directory(directories[0], setup, env=wanted_env, run_checkov=run_checkov)
    else:
        if inputs:
            plans, empty = _read_plans(inputs, repo, root)
        else:
            assert env is not None
            empty = []
            plans = [plan_environment_stack(rt, env)]
        report = evaluate_inputs(plans, setup, env=wanted_env, run_checkov=run_checkov)
        report.warnings.extend(empty)
    report.warnings.extend(repeated)
    code = report.exit_code(fail_on)
    if destination is not None:
        write_text(destination, render(report, fmt, fail_on))
        blocking = len(report.blocking(fail_on))
        verdict = f"FAIL ({blocking} blocking at --fail-on {fail_on})" if code else "PASS"
        sys.stderr.write(f"policy-check: {verdict}; {fmt} report written to {output_file}\n")
    elif fmt == "table":
        console = make_console(rt.settings)
        if not console.is_terminal and "COLUMNS" not in os.environ:
            console.width = 160  # CI logs: no terminal to fit, and wrapped addresses are hard to read
        print_table(report, fail_on, console)
    else:
        sys.stdout.write(render(report, fmt, fail_on))
        sys.stdout.flush()
    return code


def _read_plans(inputs: list[Path], repo: Path, root: Path | None) -> tuple[list[PlanInput], list[str]]:
    """The plans in the input files, each with the stack folder it was made from; and the empty inputs."""
    from popcornctl.policy import read_plan_file
    from popcornctl.policy.pipeline import detect_root

    plans: list[PlanInput] = []
    empty: list[str] = []
    for path in inputs:
        items = read_plan_file(path)
        if not items:
            empty.append(f"{path} is a combined plan with no stack plans in it: nothing was evaluated")
        for item in items:
            if root is not None:
                item.root = root
            elif item.stack and (repo / item.stack).is_dir():
                item.root = repo / item.stack
            else:
                item.root = detect_root(item.plan, repo, path.parent)
            if item.stack is None and item.root is not None:
                try:
                    item.stack = item.root.resolve().relative_to(repo.resolve()).as_posix()
                except ValueError:
                    item.stack = None
            plans.append(item)
    return plans, empty
