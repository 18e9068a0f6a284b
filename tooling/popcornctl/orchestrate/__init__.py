"""The orchestrate room: ``popcornctl up`` / ``plan`` / ``down`` over the stack graph.

Public API (cheap to import: Rich, boto3 and Terraform load only when a run starts):

- :class:`RunOptions` — what the run was asked to do; :class:`Runner` ``(rt, options, view=, confirmer=, gate=,
  probe=, engine=, before_apply=)`` — ``prepare()`` (selection + checks, usage errors raise PopcornError) and
  ``run() -> RunReport``.
- :func:`execute` — what the command modules call: pick the view and confirmer, run, print the summary table
  (or the JSON report with ``--output json``), return the exit code (0 ok, 1 a stack failed or was blocked,
  128 + N when signal N interrupted the run: 130 for Ctrl-C, 143 for SIGTERM).
- Modules, in the order a run uses them: :mod:`.options` (:class:`RunOptions`), :mod:`.select` (stacks and
  order), :mod:`.runner` (prepare, run, report), :mod:`.schedule` (``graphlib`` order on a worker pool),
  :mod:`.control` (stopping, signals, prompts on the main thread), :mod:`.steps` (plan → gate → confirm → apply),
  :mod:`.planner` (init + plan + show JSON of one stack; also ``policy-check --env``), :mod:`.retry` (THE table of
  transient errors and THE retry loop), :mod:`.failures` (a failed step in words), :mod:`.bootstrap_strategy` and
  :mod:`.bootstrap` (local state → S3 migration), :mod:`.workspace`, :mod:`.fingerprint` (auto-init),
  :mod:`.summary` (change summary, deletion protection), :mod:`.policy_gate` (policy adapter, :class:`GateStatus`),
  :mod:`.lockinfo` (locks adapter), :mod:`.confirm`, :mod:`.view`, :mod:`.outcome` (:class:`Outcome`: each result's
  meaning and style), :mod:`.stack_run` (one stack's record and output block), :mod:`.run_report` (JSON schema,
  summary table), :mod:`.combined` (combined plan JSON).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from popcornctl.orchestrate.options import RunOptions
from popcornctl.orchestrate.runner import Runner, terminal_is_interactive

if TYPE_CHECKING:
    from popcornctl.orchestrate.confirm import Confirmer
    from popcornctl.runtime import Runtime

__all__ = ["RunOptions", "Runner", "execute", "terminal_is_interactive"]


def execute(rt: Runtime, options: RunOptions, *, confirmer: Confirmer | None = None) -> int:
    """Run ``options`` with the terminal UI (live view on a TTY, lines otherwise) and print the report."""
    import sys

    from popcornctl.console import make_console, print_json
    from popcornctl.orchestrate.run_report import render_table
    from popcornctl.orchestrate.view import ConsoleView

    json_out = rt.settings.output == "json"
    console = make_console(rt.settings, stderr=json_out)
    live = not json_out and sys.stdout.isatty() and not rt.settings.verbose
    runner = Runner(rt, options, view=ConsoleView(console, live=live), confirmer=confirmer)
    selection = runner.prepare()
    console.print(
        f"popcornctl {options.command} {options.env}: {rt.target.describe()} — stacks: {', '.join(selection.stacks)}",
        highlight=False,
        soft_wrap=True,
    )
    report = runner.run()
    if json_out:
        print_json(report.as_dict())
    else:
        render_table(console, report)
        if report.combined_plan is not None:
            console.print(f"plans written to {options.out_dir} (combined: {report.combined_plan})", highlight=False)
        if options.report_file is not None and runner.report_problem is None:
            console.print(f"report written to {options.report_file}", highlight=False)
    if runner.report_problem is not None:
        sys.stderr.write(f"popcornctl: warning: {runner.report_problem}\n")
    if runner.interrupted_by is not None:
        import signal

        name = signal.Signals(runner.interrupted_by).name
        sys.stderr.write(
            f"popcornctl: {options.command} {options.env} was interrupted ({name}); "
            f"report: {report.run_dir / 'report.json'}\n"
        )
        return 128 + int(runner.interrupted_by)
    return report.exit_code
