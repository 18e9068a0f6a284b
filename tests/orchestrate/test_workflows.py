"""Lint the GitHub workflows: valid YAML, every `popcornctl` command and option they run exists, paths exist; the
plan jobs consume `ci github`'s matrix and the apply jobs' `needs` follow the stack graph's rollout layers."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github/workflows").glob("*.yml"))


def _load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), f"{path.name} is not a YAML mapping"
    return data


def _triggers(data: dict[Any, Any]) -> dict[str, Any]:
    on = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` key as true
    assert isinstance(on, dict)
    return on


def _steps(data: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in data["jobs"].values() for step in job.get("steps", [])]


def _runs(job: dict[str, Any]) -> str:
    return " ".join(str(s.get("run", "")) for s in job.get("steps", []))


def _popcornctl_calls(run: str) -> list[list[str]]:
    text = re.sub(r"\$\{\{[^}]*\}\}", "X", run.replace("\\\n", " "))
    calls = []
    for line in text.splitlines():
        if "popcornctl" not in line:
            continue
        words = shlex.split(line.split("|")[0])
        start = words.index("popcornctl")
        calls.append(words[start + 1 :])
    return calls


def _click_commands() -> dict[str, Any]:
    from popcornctl.commands.app import build_command

    return dict(build_command().commands)


def _options(command: Any) -> set[str]:
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


def _graph() -> tuple[Any, Any]:
    from popcornctl.config import load_config
    from popcornctl.graph import StackGraph

    config = load_config(REPO)
    return config, StackGraph.load(config)


def _apply_jobs(data: dict[Any, Any]) -> dict[int, dict[str, Any]]:
    return {int(name.split("-")[1]): job for name, job in data["jobs"].items() if re.fullmatch(r"apply-\d+", name)}


def _matrix_keys(job: dict[str, Any]) -> set[str]:
    return set(re.findall(r"matrix\.(\w+)", yaml.safe_dump(job)))


def test_there_is_a_plan_and_an_apply_workflow() -> None:
    assert {p.name for p in WORKFLOWS} >= {"plan.yml", "apply.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid_and_runs_only_existing_commands(path: Path) -> None:
    from popcornctl.cli import COMMANDS
    from popcornctl.commands.app import build_command

    data = _load(path)
    assert data.get("name") and data.get("jobs"), f"{path.name}: needs a name and jobs"
    triggers = _triggers(data)
    commands = _click_commands()
    known = {name for name, _ in COMMANDS}
    global_opts = {opt for param in build_command().params for opt in param.opts} | {"--no-color", "-v"}
    seen = 0
    for step in _steps(data):
        assert "uses" in step or "run" in step, f"{path.name}: step {step.get('name')} does nothing"
        if "uses" in step:
            action = str(step["uses"])
            assert re.match(r"^[\w.-]+/[\w./-]+@v\d+", action), f"{path.name}: pin {action} to a major version"
        for words in _popcornctl_calls(str(step.get("run", ""))):
            call = list(words)
            while call and call[0].startswith("-"):
                assert call[0] in global_opts, f"{path.name}: unknown global option {call[0]}"
                call = call[1:]
            assert call and call[0] in known, f"{path.name}: `popcornctl {call[:1]}` is not in cli.COMMANDS"
            command = commands[call[0]]
            rest = call[1:]
            if hasattr(command, "commands"):  # a group (sandbox, diagnose, ci): its sub-command owns the options
                assert rest and rest[0] in command.commands, f"{path.name}: `popcornctl {call[0]} {rest[:1]}`?"
                command, rest = command.commands[rest[0]], rest[1:]
            used = {w.split("=")[0] for w in rest if w.startswith("--")}
            missing = used - _options(command)
            assert not missing, f"{path.name}: `popcornctl {' '.join(call[:2])}` has no option(s) {sorted(missing)}"
            seen += 1
    assert seen, f"{path.name} runs no popcornctl command"
    # Paths the triggers filter on exist in the repository (a typo would silently never trigger).
    for trigger in triggers.values():
        for pattern in (trigger or {}).get("paths", []) if isinstance(trigger, dict) else []:
            prefix = pattern.split("*")[0].rstrip("/")
            assert (REPO / prefix).exists(), f"{path.name}: paths filter {pattern!r} names nothing"


def test_plan_jobs_consume_the_ci_github_matrix() -> None:
    from popcornctl.graph.ci_files import Job

    data = _load(REPO / ".github/workflows/plan.yml")
    setup, plan = data["jobs"]["setup"], data["jobs"]["plan"]
    assert setup["outputs"]["matrix"] == "${{ steps.jobs.outputs.matrix }}"
    producer = next(s for s in setup["steps"] if s.get("id") == "jobs")
    [call] = _popcornctl_calls(producer["run"])
    assert call[1:3] == ["ci", "github"] and "--github-output" in call and "--head" in call
    assert plan["needs"] == "setup" and plan["strategy"]["matrix"] == "${{ fromJSON(needs.setup.outputs.matrix) }}"
    assert plan["strategy"]["fail-fast"] is False and "count" in plan["if"]
    keys = set(Job("envs/dev", "dev", 2, False).as_dict())
    assert _matrix_keys(plan) <= keys, "every matrix field the plan job reads is one ci github writes"
    [plan_call] = _popcornctl_calls(_runs(plan))
    assert plan_call[1] == "plan" and "--only" in plan_call and "--out-dir" in plan_call
    assert plan["env"] == {"ENV_NAME": "${{ matrix.env }}", "STACK": "${{ matrix.stack }}",
                           "OUT": "plans/${{ matrix.env }}/${{ matrix.slug }}"}
    # the fetch depth lets git find the merge base with the target branch
    assert setup["steps"][0]["with"]["fetch-depth"] == 0
    assert "ci atlantis --check" in _runs(setup)


def test_the_combined_policy_check_runs_over_the_per_stack_plan_artifacts() -> None:
    data = _load(REPO / ".github/workflows/plan.yml")
    plan, policy = data["jobs"]["plan"], data["jobs"]["policy"]
    upload = next(s for s in plan["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert upload["with"]["name"] == "plan-${{ matrix.env }}-${{ matrix.slug }}"
    assert "combined.json" in upload["with"]["path"] and upload["with"]["retention-days"] == 1
    assert policy["needs"] == ["setup", "plan"]
    assert policy["strategy"]["matrix"]["env"] == "${{ fromJSON(needs.setup.outputs.envs) }}"
    download = next(s for s in policy["steps"] if str(s.get("uses", "")).startswith("actions/download-artifact@"))
    assert download["with"]["pattern"] == "plan-${{ matrix.env }}-*" and download["with"]["path"] == "plans"
    [check] = _popcornctl_calls(_runs(policy))
    assert check[1] == "policy-check" and check[2] == "plans/*/combined.json", "one gate over every stack plan"
    assert "--env" in check and "--output" in check and "sarif" in check
    uploads = [s for s in policy["steps"] if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]
    assert uploads and uploads[0]["with"]["sarif_file"] == "policy.sarif"
    assert data["permissions"]["security-events"] == "write" and data["permissions"]["id-token"] == "write"
    oidc = [s for s in _steps(data) if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")]
    assert oidc and "role-to-assume" in oidc[0]["with"] and "aws-access-key-id" not in oidc[0]["with"]
    result = data["jobs"]["plan-result"]
    assert set(result["needs"]) == {"setup", "plan", "policy"} and result["if"] == "always()"


def test_apply_needs_follow_the_rollout_layers() -> None:
    from popcornctl.graph.ci_files import Job, rollout_layers

    config, graph = _graph()
    layers = rollout_layers(graph, config)
    data = _load(REPO / ".github/workflows/apply.yml")
    apply = _apply_jobs(data)
    assert sorted(apply) == list(range(len(layers))), "one apply job per rollout layer of the stack graph"
    setup = data["jobs"]["setup"]
    [call] = _popcornctl_calls(_runs(setup))
    assert call[1:3] == ["ci", "github"] and call[call.index("--apply-layers") + 1] == str(len(layers))
    for n, job in apply.items():
        expected_needs = ["setup"] if n == 0 else ["setup", f"apply-{n - 1}"]
        assert job["needs"] == expected_needs, f"apply-{n} starts after the layer before it"
        assert job["strategy"]["matrix"] == f"${{{{ fromJSON(needs.setup.outputs.layer_{n}) }}}}"
        assert setup["outputs"][f"layer_{n}"] == f"${{{{ steps.jobs.outputs.layer_{n} }}}}"
        assert f"needs.setup.outputs.has_layer_{n} == 'true'" in job["if"]
        assert "!failure()" in job["if"] and "!cancelled()" in job["if"], "a failed layer stops the later ones"
        assert job["environment"] == "${{ matrix.env }}", "each stack is gated by its environment's reviewers"
        assert _matrix_keys(job) <= set(Job("envs/dev", "dev", 2, False).as_dict())
        [up] = _popcornctl_calls(_runs(job))
        assert up[1] == "up" and "--only" in up and "--auto-approve" in up


def test_a_full_rollout_on_the_workflow_orders_every_stack_after_what_it_depends_on() -> None:
    """Schedule `ci github --all`'s jobs the way GitHub would (layer_<n> -> apply-<n>, then `needs`)."""
    from popcornctl.graph.ci_files import github_document, github_outputs, jobs

    config, graph = _graph()
    outputs = github_outputs(github_document(graph, config, jobs(graph, config, graph.stacks)))
    data = _load(REPO / ".github/workflows/apply.yml")
    apply = _apply_jobs(data)
    job_of: dict[str, str] = {}
    for n in apply:
        for entry in yaml.safe_load(outputs[f"layer_{n}"])["include"]:
            job_of[entry["stack"]] = f"apply-{n}"
    assert set(job_of) == set(graph.stacks), "every stack has a job in a full rollout"

    def before(name: str) -> set[str]:
        needs = data["jobs"][name].get("needs", [])
        direct = {needs} if isinstance(needs, str) else set(needs)
        return direct.union(*(before(n) for n in direct)) if direct else set()

    for stack, job in job_of.items():
        for dep in graph.stacks[stack].depends_on:
            assert job_of[dep] in before(job), f"{stack} ({job}) must start after {dep} ({job_of[dep]})"
    assert job_of["envs/dev"] in before(job_of["envs/prod"]), "prod is applied after dev"


def test_apply_is_one_run_at_a_time_and_gated_by_environments() -> None:
    data = _load(REPO / ".github/workflows/apply.yml")
    assert data["permissions"]["id-token"] == "write" and data["permissions"]["actions"] == "read"
    assert data["concurrency"] == {"group": "apply", "cancel-in-progress": False}, "never two applies at once"
    triggers = _triggers(data)
    assert triggers["push"]["branches"] == ["main"] and "allow_destroy" in triggers["workflow_dispatch"]["inputs"]
    for n, job in _apply_jobs(data).items():
        oidc = [s for s in job["steps"] if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")]
        assert oidc and "role-to-assume" in oidc[0]["with"], f"apply-{n}"
        assert "aws-secret-access-key" not in oidc[0]["with"]
        assert "popcornctl --no-color up" in _runs(job) and "$ALLOW_DESTROY" in _runs(job)
    setup = data["jobs"]["setup"]
    assert setup["steps"][0]["with"]["fetch-depth"] == 0
    base = next(s for s in setup["steps"] if s.get("id") == "base")
    assert "--status success" in base["run"] and "--event push" in base["run"], "the base is the last applied commit"
