"""Putting a run together: policies + Checkov (concurrently) + file:line + waivers → one :class:`PolicyReport`."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from popcornctl.common.repo import REPO_MARKER, find_repo
from popcornctl.common.severity import Severity
from popcornctl.errors import PopcornError
from popcornctl.policy.api import PolicyStatus
from popcornctl.policy.checkov import (
    CheckovJob,
    CheckovOutcome,
    Rating,
    load_ratings,
    start_dir_scan,
    start_plan_scan,
)
from popcornctl.policy.evaluator import Evaluation, build_context, run_policies
from popcornctl.policy.loader import LoadedPolicy, load_policies
from popcornctl.policy.planjson import PlanInput, normalise_env, split_inputs
from popcornctl.policy.results import NOTHING_EVALUATED, CheckovInfo, InputInfo, PolicyReport, PolicyRun, Result
from popcornctl.policy.sourcemap import SourceMap
from popcornctl.policy.waivers import Waiver, apply_waivers, load_waivers

POLICIES_DIR = "policies"
WAIVERS_FILE = "waivers.toml"


@dataclass
class Setup:
    """What every evaluation needs from the repository."""

    repo: Path
    policies: list[LoadedPolicy]
    ratings: dict[str, Rating]
    waivers: list[Waiver]
    state_bucket: str | None
    lock_table: str | None
    environments: dict[str, str]  # stack path -> environment name (popcorn.toml)
    # Stacks of the tree no environment owns (bootstrap, global/*): shared by every environment.
    shared_stacks: frozenset[str] = frozenset()


def _label(path: Path, repo: Path) -> str:
    try:
        return path.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        return str(path)


def prepare(
    repo: Path,
    *,
    waivers_path: Path | None = None,
    policies_dir: Path | None = None,
    extra_waivers: Sequence[Path] = (),
) -> Setup:
    """Load policies, the Checkov severity table, waivers and backend names of the repository.

    ``waivers_path`` replaces ``policies/waivers.toml``; ``extra_waivers`` are added to it (e.g.
    ``policies/sandbox-waivers.toml`` for runs against the sandbox profile).
    """
    pdir = policies_dir or repo / POLICIES_DIR
    policies = load_policies(pdir)
    ratings = load_ratings(pdir / "checkov.toml")
    wpath = waivers_path or pdir / WAIVERS_FILE
    waivers = load_waivers(wpath, required=waivers_path is not None, label=_label(wpath, repo))
    for extra in extra_waivers:
        waivers += load_waivers(extra, required=True, label=_label(extra, repo))
    state_bucket = lock_table = None
    environments: dict[str, str] = {}
    shared: frozenset[str] = frozenset()
    if (repo / REPO_MARKER).is_file():
        from popcornctl.config import load_config
        from popcornctl.graph import discover

        config = load_config(repo)
        state_bucket, lock_table = config.backend.bucket, config.backend.lock_table
        environments = {env.stack.strip("/"): name for name, env in config.environments.items()}
        shared = frozenset(set(discover(repo)) - set(environments))
    return Setup(repo, policies, ratings, waivers, state_bucket, lock_table, environments, shared)


def _tf_names(directory: Path) -> set[str]:
    from popcornctl.hcl import load_dir

    names: set[str] = set()
    try:
        files = load_dir(directory)
    except PopcornError:
        return names
    for hcl_file in files:
        for entry in hcl_file.body.get("resource", []):
            for rtype, named in entry.items():
                names.update(f"{rtype}.{n}" for n in named)
        for entry in hcl_file.body.get("module", []):
            names.update(f"module.{n}" for n in entry)
    return names


def detect_root(plan: Mapping[str, Any], repo: Path, hint: Path | None = None) -> Path | None:
    """The Terraform root module a plan was made from: the plan file's folder, or the best-matching stack."""
    if hint is not None and any(hint.glob("*.tf")):
        return hint
    root_module = (plan.get("configuration") or {}).get("root_module") or {}
    planned = {r.get("address") for r in root_module.get("resources") or [] if r.get("mode") == "managed"}
    planned |= {f"module.{n}" for n in root_module.get("module_calls") or {}}
    planned.discard(None)
    if not planned:
        return None
    from popcornctl.graph import discover

    best: tuple[float, Path | None] = (0.0, None)
    for directory in discover(repo).values():
        names = _tf_names(directory)
        if not names:
            continue
        score = len(planned & names) / len(planned | names)
        if score > best[0]:
            best = (score, directory)
    return best[1] if best[0] >= 0.5 else None


def _locate(result: Result, sourcemap: SourceMap | None) -> None:
    if sourcemap is None or result.file:
        return
    where = sourcemap.locate(result.address)
    if where:
        result.file, result.line = where


def _merge_checkov(
    outcome: CheckovOutcome,
    setup: Setup,
    evaluation: Evaluation,
    stack: str | None,
    root: Path | None,
    info: CheckovInfo,
) -> list[Result]:
    ours: dict[tuple[str, str], list[Result]] = {}
    for result in evaluation.results:
        ours.setdefault((result.id, result.address), []).append(result)
    merged: list[Result] = []
    info.failed += len(outcome.findings)
    for finding in outcome.findings:
        rating = setup.ratings.get(finding.check_id)
        equivalent = rating.equivalent if rating else None
        if equivalent and (equivalent, finding.address) in evaluation.evaluated:
            failing = [r for r in ours.get((equivalent, finding.address), []) if r.status in ("fail", "error")]
            if failing:
                for result in failing:
                    if finding.check_id not in result.also_reported_by:
                        result.also_reported_by.append(finding.check_id)
                verdict = "fail"
            else:
                unknown = any(r.status == "unknown" for r in ours.get((equivalent, finding.address), []))
                verdict = "unknown" if unknown else "pass"
            info.superseded.append(
                {"check_id": finding.check_id, "address": finding.address, "by": equivalent, "our_verdict": verdict}
            )
            continue
        file = line = None
        if finding.file and root is not None and not finding.file.endswith(".json"):
            candidate = (root / finding.file.lstrip("/")).resolve()
            if candidate.is_file():
                try:
                    file = candidate.relative_to(setup.repo.resolve()).as_posix()
                except ValueError:
                    file = candidate.as_posix()
                line = finding.line
        merged.append(
            Result(
                id=finding.check_id,
                title=finding.name,
                severity=rating.severity if rating else Severity.UNRATED,
                status=PolicyStatus.FAIL,
                address=finding.address,
                message=finding.name + (f" (note: {rating.note})" if rating and rating.note else ""),
                source="checkov",
                resource_type=finding.address.split(".")[-2] if "." in finding.address else None,
                stack=stack,
                file=file,
                line=line,
                remediation=f"See Checkov's {finding.check_id} guidance"
                + (f": {finding.guideline}" if finding.guideline else "; or skip it with #checkov:skip=ID:reason"),
                guideline=finding.guideline,
            )
        )
    info.merged += len(merged)
    return merged


def _aggregate_runs(runs: list[dict[str, PolicyRun]]) -> list[PolicyRun]:
    rank = {"ran": 4, "environment-unknown": 3, "needs-plan": 2, "other-environment": 1, "not-applicable": 0}
    total: dict[str, PolicyRun] = {}
    for per_input in runs:
        for pid, run in per_input.items():
            if pid not in total:
                total[pid] = PolicyRun(**{**run.__dict__})
                continue
            agg = total[pid]
            agg.evaluated += run.evaluated
            agg.failed += run.failed
            agg.unknown += run.unknown
            if rank[run.status] > rank[agg.status]:
                agg.status = run.status
    return [total[k] for k in sorted(total)]


def evaluate_inputs(
    inputs: list[PlanInput],
    setup: Setup,
    *,
    env: str | None,
    run_checkov: bool,
    today: dt.date | None = None,
    static: bool = False,
    static_dirs: list[Path] | None = None,
) -> PolicyReport:
    """Evaluate plans (or static would-be plans) with our policies and, concurrently, Checkov."""
    report = PolicyReport(static=static)
    jobs: list[CheckovJob | None] = []
    tmp = tempfile.TemporaryDirectory(prefix="popcornctl-policy-")
    try:
        if run_checkov:
            _start_checkov(jobs, inputs, static_dirs if static else None, Path(tmp.name))
        else:
            report.checkov.reason = "--no-checkov"
        evaluations = [_evaluate_input(item, setup, env, static, report) for item in inputs]
        checkov_results: list[list[Result]] = [[] for _ in inputs]
        if run_checkov:
            report.checkov.ran = True
            for number, job in enumerate(jobs):
                if job is not None:
                    evaluation = evaluations[number][0]
                    checkov_results[number] = _checkov_results(job, inputs[number], setup, evaluation, report)
    except BaseException:
        for job in jobs:
            if job is not None:
                job.cancel()
        raise
    finally:
        tmp.cleanup()
    for (evaluation, sourcemap), extra in zip(evaluations, checkov_results, strict=True):
        for result in [*evaluation.results, *extra]:
            _locate(result, sourcemap)
            report.results.append(result)
        report.checks.extend(evaluation.checks)
        if sourcemap is not None:
            report.warnings.extend(sourcemap.problems)
    report.policies = _aggregate_runs([evaluation.runs for evaluation, _ in evaluations])
    results, states, warnings = apply_waivers(report.results, setup.waivers, today or dt.date.today())
    report.results = results
    report.waivers = states
    report.warnings.extend(warnings)
    _warn_unevaluated(report)
    return report


def _start_checkov(
    jobs: list[CheckovJob | None], inputs: list[PlanInput], static_dirs: list[Path] | None, tmp: Path
) -> None:
    """Start one Checkov scan per input (per folder when static), appending to ``jobs`` as each starts, so the
    caller can cancel the ones already running if a later start fails."""
    if static_dirs is not None:
        jobs.extend(start_dir_scan(d) for d in static_dirs)
        return
    for number, item in enumerate(inputs):
        path = item.plan_path
        if path is None:
            path = tmp / f"plan-{number}.json"
            path.write_text(json.dumps(item.plan), encoding="utf-8")
        jobs.append(start_plan_scan(path, item.root))


def _evaluate_input(
    item: PlanInput, setup: Setup, env: str | None, static: bool, report: PolicyReport
) -> tuple[Evaluation, SourceMap | None]:
    """Our policies over one input; its InputInfo and warnings go to ``report``."""
    stack_env = setup.environments.get(item.stack) if item.stack else None
    fallback = (stack_env, f"popcorn.toml environment of stack {item.stack}") if stack_env else None
    # A stack every environment shares (bootstrap, global/*) keeps its own scope whatever --env says:
    # `up dev` gates the global stacks too, and their resources are not dev's.
    shared = item.stack in setup.shared_stacks
    context, warnings = build_context(
        item,
        environment=None if shared else env,
        fallback_environment=("shared", f"stack {item.stack} is shared by every environment") if shared else fallback,
        state_bucket=setup.state_bucket,
        lock_table=setup.lock_table,
        static=static,
        scope="shared" if shared else "environment",
    )
    report.warnings.extend(warnings)
    evaluation = run_policies(setup.policies, context)
    plan = item.plan
    report.inputs.append(
        InputInfo(
            source=item.source,
            kind="directory" if static else "plan",
            stack=item.stack,
            environment=context.environment,
            environment_source=context.environment_source,
            terraform_version=plan.get("terraform_version"),
            format_version=plan.get("format_version"),
            resource_changes=len(plan.get("resource_changes") or []),
        )
    )
    if item.root is None and not static:
        report.warnings.append(
            f"{item.source}: cannot tell which configuration it was planned from, so findings have no "
            "file:line (pass --root STACK_DIR)"
        )
    return evaluation, SourceMap(item.root, setup.repo) if item.root is not None else None


def _checkov_results(
    job: CheckovJob, item: PlanInput, setup: Setup, evaluation: Evaluation, report: PolicyReport
) -> list[Result]:
    """Wait for one Checkov scan; its findings that our policies do not already cover."""
    outcome = job.wait()
    report.checkov.version = report.checkov.version or outcome.version
    return _merge_checkov(outcome, setup, evaluation, item.stack, item.root, report.checkov)


def _warn_unevaluated(report: PolicyReport) -> None:
    unevaluated = len(report.unevaluated)
    if report.nothing_evaluated:
        report.warnings.append(
            f"{NOTHING_EVALUATED}: none of the {report.changes_total} resource change(s) has planned values "
            "(after: null), so no policy ran — this is no pass (--fail-on unknown fails it)"
        )
    elif unevaluated:
        report.warnings.append(
            f"{unevaluated} resource change(s) have no planned values (after: null) and were not evaluated"
        )


def _root_and_repo(root: Path, repo: Path | None, plan: Mapping[str, Any]) -> tuple[Path | None, Path]:
    found_repo = repo or find_repo(root)
    if found_repo is None:
        raise PopcornError(
            f"no popcorn.toml at or above {root}", "pass the stack folder of the popcorn-infra repository as root"
        )
    stack_root: Path | None = root
    if not any(root.glob("*.tf")):
        stack_root = detect_root(plan, found_repo)
    return stack_root, found_repo


def evaluate_plan(
    plan: dict[str, Any],
    *,
    root: Path,
    env: str | None,
    run_checkov: bool,
    plan_path: Path | None = None,
    repo: Path | None = None,
    stack: str | None = None,
    waivers_path: Path | None = None,
    policies_dir: Path | None = None,
    extra_waivers: Sequence[Path] = (),
) -> PolicyReport:
    """Evaluate one stack's plan dict (waivers judged as of today): see :mod:`popcornctl.policy` for the contract."""
    stack_root, found_repo = _root_and_repo(root, repo, plan)
    setup = prepare(found_repo, waivers_path=waivers_path, policies_dir=policies_dir, extra_waivers=extra_waivers)
    if stack is None and stack_root is not None:
        try:
            stack = stack_root.resolve().relative_to(found_repo.resolve()).as_posix()
        except ValueError:
            stack = None
    items = split_inputs(plan, f"plan of {stack or root}", plan_path=plan_path)
    for item in items:
        item.root = item.root or stack_root
        item.stack = item.stack or stack
    return evaluate_inputs(items, setup, env=normalise_env(env) if env else None, run_checkov=run_checkov)


def static_roots(directory: Path) -> list[Path]:
    """The Terraform root folders under ``directory``: itself when it holds .tf files, else each subfolder that does."""
    if any(directory.glob("*.tf")):
        return [directory]
    return sorted(
        d
        for d in directory.rglob("*")
        if d.is_dir()
        and any(d.glob("*.tf"))
        and not any(part.startswith(".") for part in d.relative_to(directory).parts)
    )


def evaluate_directory(
    directory: Path,
    setup: Setup,
    *,
    env: str | None,
    run_checkov: bool,
    today: dt.date | None = None,
) -> PolicyReport:
    """Static scan: Checkov on the configuration, and our policies on it where they can run without a plan."""
    from popcornctl.policy.static import static_plan

    if not directory.is_dir():
        raise PopcornError(f"{directory} is not a folder", "pass a Terraform folder or plan JSON files")
    roots = static_roots(directory)
    if not roots:
        raise PopcornError(f"{directory} holds no .tf files", "pass a Terraform root module folder, or plan JSON")
    inputs: list[PlanInput] = []
    for folder in roots:
        try:
            label = folder.resolve().relative_to(setup.repo.resolve()).as_posix()
        except ValueError:
            label = folder.as_posix()
        inputs.append(PlanInput(source=label, plan=static_plan(folder, setup.repo), stack=label, root=folder))
    return evaluate_inputs(
        inputs,
        setup,
        env=normalise_env(env) if env else None,
        run_checkov=run_checkov,
        today=today,
        static=True,
        static_dirs=roots,
    )
