"""The policy evaluator: every policy over every resource change of a plan, plan-aware.

- Changes are dispatched by resource type (``("*",)`` policies see every managed resource).
- A policy sees resources that exist after apply (creates, updates, no-ops, replacements); pure deletes
  only when it sets ``evaluates_deletes``. ``forget`` (``removed`` blocks) is never evaluated.
- Environment-scoped policies (``environments``) are skipped in other environments; when the plan's
  environment cannot be told, each such policy that had resources to look at reports that once.
- A policy that raises is reported as an ``error`` finding, which always blocks: the gate fails closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from popcornctl.common.severity import Severity
from popcornctl.policy.api import Change, Context, PolicyStatus, ReferenceIndex
from popcornctl.policy.loader import LoadedPolicy
from popcornctl.policy.planjson import PlanInput, normalise_env, plan_environment
from popcornctl.policy.refs import PlanReferences
from popcornctl.policy.results import UNEVALUATED_ID, PolicyRun, Result
from popcornctl.policy.values import merge_unknown


@dataclass
class Evaluation:
    """What the evaluator found in one plan."""

    results: list[Result] = field(default_factory=list)
    runs: dict[str, PolicyRun] = field(default_factory=dict)
    checks: list[tuple[str, str, str]] = field(default_factory=list)
    # (policy id, address) pairs each policy evaluated — used to fold Checkov's duplicates
    evaluated: set[tuple[str, str]] = field(default_factory=set)


def _data_sources(plan: Mapping[str, Any]) -> dict[str, Any]:
    """Data source values by address: read during plan (prior_state) or at apply (unknown parts)."""
    found: dict[str, Any] = {}

    def walk(module: Mapping[str, Any]) -> None:
        for res in module.get("resources") or []:
            if res.get("mode") == "data" and isinstance(res.get("address"), str):
                found[res["address"]] = res.get("values") or {}
        for child in module.get("child_modules") or []:
            walk(child)

    root = ((plan.get("prior_state") or {}).get("values") or {}).get("root_module")
    if isinstance(root, Mapping):
        walk(root)
    for rc in plan.get("resource_changes") or []:
        if rc.get("mode") == "data":
            change = rc.get("change") or {}
            found[rc["address"]] = merge_unknown(change.get("after") or {}, change.get("after_unknown") or {})
    return found


def build_context(
    plan_input: PlanInput,
    *,
    environment: str | None,
    fallback_environment: tuple[str, str] | None = None,
    state_bucket: str | None = None,
    lock_table: str | None = None,
    static: bool = False,
    index: ReferenceIndex | None = None,
    scope: str = "environment",
) -> tuple[Context, list[str]]:
    """The policy context for one plan, and warnings (e.g. --env disagreeing with the plan).

    The environment is ``environment`` (--env) when given, else what the plan says (variable or default
    tags), else ``fallback_environment`` (name, source) — the environment popcorn.toml gives the stack.
    ``scope`` is "shared" for a stack every environment uses (bootstrap, global/*): callers then pass no
    ``environment``, so the stack is judged by its own (e.g. its ``environment = "global"`` variable).
    """
    plan = plan_input.plan
    warnings: list[str] = []
    planned_env, source = plan_environment(plan)
    if environment:
        chosen = normalise_env(environment)
        if planned_env and planned_env != chosen:
            warnings.append(
                f"{plan_input.source}: --env {chosen} given, but the plan says {planned_env!r} ({source}); "
                f"using {chosen}"
            )
        env, env_source = chosen, "--env"
    elif planned_env:
        env, env_source = planned_env, source
    elif fallback_environment:
        env, env_source = fallback_environment
    else:
        env, env_source = None, source
    changes = [
        Change(rc, stack=plan_input.stack)
        for rc in plan.get("resource_changes") or []
        if rc.get("mode", "managed") == "managed"
    ]
    variables = {
        name: spec.get("value") for name, spec in (plan.get("variables") or {}).items() if isinstance(spec, Mapping)
    }
    context = Context(
        changes=changes,
        environment=env,
        environment_source=env_source,
        scope=scope,
        variables=variables,
        state_bucket=state_bucket,
        lock_table=lock_table,
        static=static,
        index=index if index is not None else PlanReferences(plan.get("configuration")),
        data_sources=_data_sources(plan),
    )
    return context, warnings


def _dispatch(policies: Iterable[LoadedPolicy]) -> tuple[dict[str, list[LoadedPolicy]], list[LoadedPolicy]]:
    by_type: dict[str, list[LoadedPolicy]] = {}
    wildcard: list[LoadedPolicy] = []
    for loaded in policies:
        if "*" in loaded.policy.resource_types:
            wildcard.append(loaded)
        else:
            for rtype in loaded.policy.resource_types:
                by_type.setdefault(rtype, []).append(loaded)
    return by_type, wildcard


def _result(
    loaded: LoadedPolicy,
    change: Change,
    status: PolicyStatus,
    message: str,
    attribute: str | None,
    address: str | None = None,
) -> Result:
    pol = loaded.policy
    return Result(
        id=pol.id,
        title=pol.title,
        severity=pol.severity,
        status=status,
        address=address or change.address,
        message=message,
        source="popcorn",
        resource_type=change.type,
        stack=change.stack,
        actions=change.actions,
        attribute=attribute,
        remediation=pol.remediation,
        rationale=pol.rationale,
    )


def _applicable(
    policies: list[LoadedPolicy], context: Context, out: Evaluation
) -> tuple[list[LoadedPolicy], list[LoadedPolicy]]:
    """(policies that run on this plan, environment-scoped ones whose environment cannot be told); the others'
    runs say why they do not run."""
    active: list[LoadedPolicy] = []
    env_unknown: list[LoadedPolicy] = []
    for loaded in policies:
        run = out.runs[loaded.id]
        if context.static and loaded.needs_plan:
            run.status = "needs-plan"
        elif loaded.environments and context.environment is None:
            env_unknown.append(loaded)
        elif loaded.environments and context.environment not in loaded.environments:
            run.status = "other-environment"
        else:
            active.append(loaded)
    return active, env_unknown


def run_policies(policies: list[LoadedPolicy], context: Context) -> Evaluation:
    """Evaluate ``policies`` over the context's changes."""
    out = Evaluation()
    for loaded in policies:
        pol = loaded.policy
        out.runs[pol.id] = PolicyRun(
            id=pol.id,
            title=pol.title,
            severity=pol.severity,
            resource_types=pol.resource_types,
            environments=loaded.environments,
            module=loaded.module,
            status="not-applicable",
        )
    active, env_unknown = _applicable(policies, context, out)
    by_type, wildcard = _dispatch(active)
    env_by_type, env_wildcard = _dispatch(env_unknown)
    reported_env: set[str] = set()
    for change in context.changes:
        if "forget" in change.actions or not change.actions:
            continue
        if _values_unknown(change):
            out.results.append(_unevaluated(change))
            continue
        exists = change.exists_after
        candidates = by_type.get(change.type, [])
        if wildcard:
            candidates = [*candidates, *wildcard]
        for loaded in candidates:
            if not exists and not (loaded.evaluates_deletes and change.destroys):
                continue
            _evaluate(loaded, change, context, out)
        for loaded in (*env_by_type.get(change.type, ()), *env_wildcard):
            if loaded.id in reported_env or not exists:
                continue
            reported_env.add(loaded.id)
            run = out.runs[loaded.id]
            run.status = "environment-unknown"
            run.unknown += 1
            envs = "/".join(loaded.environments)
            out.results.append(
                _result(
                    loaded,
                    change,
                    PolicyStatus.UNKNOWN,
                    f"applies to {envs} only, and the plan's environment cannot be told "
                    "(no --env, no `environment` variable, no Environment default tag): not evaluated",
                    None,
                    address=(change.stack and f"(stack {change.stack})") or "(plan)",
                )
            )
    return out


def _values_unknown(change: Change) -> bool:
    """A create/update whose planned object is missing (``after: null``): nothing about it can be checked."""
    if change.after is not None or change.is_delete:
        return False
    return any(action in ("create", "update") for action in change.actions)


def _unevaluated(change: Change) -> Result:
    mark = change.raw.get("change", {}).get("after_unknown") if isinstance(change.raw.get("change"), Mapping) else None
    why = "after: null, after_unknown: true" if mark is True else "after: null"
    return Result(
        id=UNEVALUATED_ID,
        title="Planned values unknown: not evaluated",
        severity=Severity.UNRATED,
        status=PolicyStatus.UNKNOWN,
        address=change.address,
        message=f"the plan has no planned values for this {'/'.join(change.actions)} ({why}), so no policy could "
        "evaluate it",
        source="popcorn",
        resource_type=change.type,
        stack=change.stack,
        actions=change.actions,
        remediation="plan again with Terraform (terraform show -json PLANFILE) and check the complete plan",
    )


def _evaluate(loaded: LoadedPolicy, change: Change, context: Context, out: Evaluation) -> None:
    pol = loaded.policy
    run = out.runs[pol.id]
    run.status = "ran"
    run.evaluated += 1
    out.evaluated.add((pol.id, change.address))
    outcome = "pass"
    try:
        findings = list(pol.evaluate(change, context) or ())
    except Exception as exc:  # a broken policy must not pass silently
        run.failed += 1
        message = f"policy raised {type(exc).__name__}: {exc}"
        out.results.append(_result(loaded, change, PolicyStatus.ERROR, message, None))
        out.checks.append((pol.id, change.address, "error"))
        return
    for finding in findings:
        status = PolicyStatus.UNKNOWN if finding.status == PolicyStatus.UNKNOWN else PolicyStatus.FAIL
        if status == PolicyStatus.FAIL:
            run.failed += 1
            outcome = "fail"
        else:
            run.unknown += 1
            outcome = "unknown" if outcome == "pass" else outcome
        out.results.append(_result(loaded, change, status, finding.message, finding.attribute, finding.address))
    out.checks.append((pol.id, change.address, outcome))
