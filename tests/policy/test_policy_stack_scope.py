"""Our policies pass on our own code, and a policy knows a stack's scope.

`popcornctl up dev` gates bootstrap and the global stacks with `env="dev"`; those stacks serve every environment and
are tagged `Environment = global`. The policy room treats a stack popcorn.toml gives to no environment as shared:
its environment is its own, whatever the run's. Here each shared stack of the tree is planned for real (sandbox,
real provider) and evaluated as `up dev` and `up prod` evaluate it; the environments' own plans are checked in
tests/envs/test_envs_plan.py (test_plans_pass_the_policy_gate_without_any_finding).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from popcornctl.graph import discover
from popcornctl.policy import evaluate_plan
from popcornctl.policy.pipeline import prepare
from tfhelpers import REPO, Tf

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

SHARED = sorted(prepare(REPO).shared_stacks)


def test_the_shared_stacks_are_every_stack_no_environment_owns() -> None:
    assert set(SHARED) == set(discover(REPO)) - {"envs/dev", "envs/prod"}
    assert {"bootstrap", "global/ecr", "global/route53-acm", "global/account"} <= set(SHARED)


def _local_copy(stack: str, dest: Path) -> Path:
    folder = REPO / stack
    dest.mkdir(parents=True, exist_ok=True)
    for path in folder.iterdir():
        if path.suffix in {".tf", ".tfvars"} and path.name != "backend.tf":
            text = re.sub(r'(source\s*=\s*")(\.{1,2}/[^"]*)(")',
                          lambda m: m.group(1) + (folder / m.group(2)).resolve().as_posix() + m.group(3),
                          path.read_text())
            (dest / path.name).write_text(text)
    (dest / "backend.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    return dest


_PLANS: dict[tuple[str, str], dict[str, Any]] = {}
SANDBOX_WAIVERS = REPO / "policies" / "sandbox-waivers.toml"


@pytest.fixture
def shared_plan(tf: Tf, sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The real plan of a shared stack, with its committed defaults (what a real `up` plans) or with its sandbox
    profile as well (what `up --sandbox` plans), made on the sandbox."""

    def get(stack: str, profile: str = "real") -> dict[str, Any]:
        if (stack, profile) not in _PLANS:
            work = _local_copy(stack, tmp_path_factory.mktemp(stack.replace("/", "-")))
            var_files = (work / "sandbox.tfvars",) if profile == "sandbox" and (work / "sandbox.tfvars").is_file() else ()
            _PLANS[(stack, profile)] = tf.plan_json(work, sandbox=sandbox, backend=True, var_files=var_files)
        return _PLANS[(stack, profile)]

    return get


@pytest.mark.parametrize("profile", ["real", "sandbox"])
@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize("stack", SHARED)
def test_shared_stacks_have_no_finding_in_any_environments_run(
    shared_plan: Any, stack: str, env: str, profile: str
) -> None:
    """As `up <env>` and `up <env> --sandbox` gate them (the sandbox run adds policies/sandbox-waivers.toml)."""
    plan = shared_plan(stack, profile)
    extra = (SANDBOX_WAIVERS,) if profile == "sandbox" else ()
    report = evaluate_plan(copy.deepcopy(plan), root=REPO / stack, env=env, run_checkov=False, extra_waivers=extra)
    assert [i.environment for i in report.inputs] == ["global"], "judged by the stack's own scope"
    findings = [f"{f.id} {f.address}: {f.status} {f.message}" for f in report.findings if f.status != "waived"]
    assert not findings, "\n".join(findings)
    waived = [f.waiver or {} for f in report.findings if f.status == "waived"]
    assert all(w.get("reason") and w.get("expires") for w in waived), waived
    tagged = [r for r in report.results if r.id == "POP-TAG-001"]
    assert not tagged, "every taggable resource carries the four tags"


def test_an_environments_stack_still_gets_the_runs_environment(shared_plan: Any) -> None:
    """The same plan, presented as an environment's stack, is judged by that environment: the global tag fails."""
    plan = copy.deepcopy(shared_plan("global/ecr"))
    report = evaluate_plan(plan, root=REPO / "global/ecr", stack="envs/dev", env="dev", run_checkov=False)
    assert [i.environment for i in report.inputs] == ["dev"]
    mismatched = [f for f in report.findings if f.id == "POP-TAG-001"]
    assert mismatched and all("'global'" in f.message and "'dev'" in f.message for f in mismatched)
