"""The policy room: the gate between a Terraform plan and AWS.

Our policies (Python modules in the repository's ``policies/`` folder, see ``policies/README.md``) and
Checkov (offline) run on the same plan; their findings become one severity-ranked :class:`PolicyReport`
with waivers applied, rendered as a table, JSON (schema version 1, docs/POLICIES.md), SARIF 2.1.0 or
JUnit XML.

Library entry point for the ``up`` orchestrator — one stack's plan dict::

    from popcornctl.policy import evaluate_plan

    report = evaluate_plan(
        plan,                      # dict: `terraform show -json PLANFILE` of one stack
        root=stack_dir,            # the stack's folder (its .tf files): file:line mapping, Checkov enrichment
        env="prod",                # or None: read from the plan (variable `environment`/`env`, default tags),
                                   #   else popcorn.toml's environment of the stack; a stack no environment
                                   #   owns (bootstrap, global/*) is judged by its own scope, whatever env says
        run_checkov=True,          # Checkov runs concurrently with our evaluator (a child process)
        plan_path=plan_json_file,  # optional: a file holding exactly this plan JSON (else a temp copy for Checkov)
    )
    blocking = report.blocking("high")  # list[Result]; empty = the gate passes
    for finding in report.findings:     # Result: id, severity, status, address, title, message, waived,
        ...                             #   file, line, remediation (unknown-until-apply ones: report.unknowns)

- ``root`` may also be the repository root (a folder holding popcorn.toml and no .tf files): the stack is then
  recognised from the plan's configuration. The repository (policies/, waivers, popcorn.toml) is found by
  walking up from ``root``; pass ``repo=`` to say it explicitly. Optional keyword arguments: ``repo``,
  ``stack``, ``waivers_path`` (replaces policies/waivers.toml), ``extra_waivers`` (added to it: pass
  ``[repo / "policies/sandbox-waivers.toml"]`` for sandbox runs, whose profile turns deletion protection off on
  purpose — without it a prod sandbox plan blocks on POP-RDS-004), ``policies_dir``. Waivers are judged as of
  today (:func:`evaluate_inputs` takes ``today=``).
- Blocking: failed findings at or above ``fail_on``, every policy error (a policy that raised: fail closed)
  and every expired waiver. Unknown-until-apply results, ``unrated`` Checkov checks and waived findings
  never block.
- Errors the user can fix (bad plan JSON, broken policy module, invalid waivers file, Checkov missing or
  crashing) raise :class:`popcornctl.errors.PopcornError`.
- Cost: policies load once per process (cached by file mtime); our evaluator takes well under a second for
  thousands of resource changes; Checkov dominates the wall time (``run_checkov=False`` skips it).
"""

from __future__ import annotations

from popcornctl.policy.pipeline import evaluate_directory, evaluate_inputs, evaluate_plan, prepare
from popcornctl.policy.planjson import PlanInput, read_plan_file, validate_plan
from popcornctl.policy.results import PolicyReport, Result

__all__ = [
    "PlanInput",
    "PolicyReport",
    "Result",
    "evaluate_directory",
    "evaluate_inputs",
    "evaluate_plan",
    "prepare",
    "read_plan_file",
    "validate_plan",
]
