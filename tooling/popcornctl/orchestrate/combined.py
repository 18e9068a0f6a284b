"""The combined plan JSON of ``popcornctl plan ENV --out-dir DIR``: every stack's plan in one file.

One document serves both readers (Terragrunt users ask for exactly this: one file to hand to a scanner):

- ``popcornctl policy-check combined.json`` reads ``stacks``: a list of ``{"stack": "envs/dev", "plan":
  <that stack's terraform show -json>}`` (the policy room's combined-plan format), so every finding keeps
  its stack and maps back to the stack's ``.tf`` lines;
- Checkov (``-f combined.json --framework terraform_plan``) and humans read the top-level
  ``resource_changes`` / ``planned_values`` / ``output_changes`` / ``resource_drift``: all stacks together,
  every address qualified by its stack — ``envs/dev::module.rds.aws_db_instance.this`` — with
  ``popcorn_stack`` and ``popcorn_address`` (the stack-relative address) on each entry; ``module_address``
  stays stack-relative.

There is deliberately no top-level ``format_version`` (that would make it read as one stack's plan).
``variables`` are the environment stack's. ``popcorn`` lists every stack of the run with its status,
including stacks that could not be planned yet::

    {"popcorn": {"combined_plan": 1, "env": "dev", "environment_stack": "envs/dev",
                 "stacks": [{"stack": "envs/dev", "status": "planned" | "up_to_date" | "waiting" | "failed" | ...,
                             "reason": "...", "plan_json": "envs-dev.json" | null}]},
     "terraform_version": "1.15.5",
     "stacks": [{"stack": "bootstrap", "plan": {...}}, ...],
     "variables": {...}, "resource_changes": [...], "resource_drift": [...], "output_changes": {...},
     "planned_values": {"root_module": {"resources": [...], "child_modules": [...]}},
     "applyable": true, "complete": true, "errored": false}
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

SEPARATOR = "::"
COMBINED_VERSION = 1


def qualify(stack: str, address: str) -> str:
    """``envs/dev`` + ``module.x.aws_y.z`` → ``envs/dev::module.x.aws_y.z``."""
    return f"{stack}{SEPARATOR}{address}"


def _qualify_module(stack: str, module: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(module)
    if "address" in out:
        out["address"] = qualify(stack, str(out["address"]))
    out["resources"] = [
        {
            **r,
            "address": qualify(stack, str(r.get("address"))),
            "popcorn_stack": stack,
            "popcorn_address": r.get("address"),
        }
        for r in module.get("resources") or []
    ]
    out["child_modules"] = [_qualify_module(stack, c) for c in module.get("child_modules") or []]
    return out


def combine(
    plans: Mapping[str, Mapping[str, Any]],
    *,
    env: str,
    env_stack: str,
    stacks: list[dict[str, Any]],
) -> dict[str, Any]:
    """Merge per-stack plans (stack -> ``show -json``) into one plan-shaped document."""
    first: Mapping[str, Any] = next(iter(plans.values()), {})
    resource_changes: list[dict[str, Any]] = []
    drift: list[dict[str, Any]] = []
    outputs: dict[str, Any] = {}
    root_resources: list[dict[str, Any]] = []
    children: list[dict[str, Any]] = []
    for stack, plan in plans.items():
        for kind, sink in (("resource_changes", resource_changes), ("resource_drift", drift)):
            for rc in plan.get(kind) or []:
                item = copy.deepcopy(dict(rc))
                item["popcorn_address"] = rc.get("address")
                item["popcorn_stack"] = stack
                item["address"] = qualify(stack, str(rc.get("address")))
                if rc.get("previous_address"):
                    item["previous_address"] = qualify(stack, str(rc["previous_address"]))
                sink.append(item)
        for name, change in (plan.get("output_changes") or {}).items():
            outputs[qualify(stack, name)] = change
        root = ((plan.get("planned_values") or {}).get("root_module")) or {}
        qualified = _qualify_module(stack, root)
        root_resources.extend(qualified["resources"])
        children.extend(qualified["child_modules"])
    env_plan = plans.get(env_stack) or first
    return {
        "popcorn": {"combined_plan": COMBINED_VERSION, "env": env, "environment_stack": env_stack, "stacks": stacks},
        "terraform_version": first.get("terraform_version"),
        "plan_format_version": first.get("format_version"),
        "stacks": [{"stack": stack, "plan": plan} for stack, plan in plans.items()],
        "variables": copy.deepcopy(env_plan.get("variables") or {}),
        "resource_changes": resource_changes,
        "resource_drift": drift,
        "output_changes": outputs,
        "planned_values": {"root_module": {"resources": root_resources, "child_modules": children}},
        "applyable": any(bool(p.get("applyable", True)) for p in plans.values()) if plans else False,
        "complete": all(bool(p.get("complete", True)) for p in plans.values()),
        "errored": any(bool(p.get("errored", False)) for p in plans.values()),
    }
