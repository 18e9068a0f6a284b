"""Helpers for the policy tests (imported by tests/policy/conftest.py and the test modules)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from popcornctl.policy import PlanInput, PolicyReport, evaluate_inputs
from popcornctl.policy.pipeline import Setup
from tfhelpers import REPO, Tf

FIXTURES = REPO / "tests" / "policy" / "fixtures"
TODAY = dt.date(2026, 11, 27)


def load_generator() -> ModuleType:
    """scripts/gen_policy_fixtures.py as a module."""
    name = "gen_policy_fixtures"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / "gen_policy_fixtures.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class TfRunner:
    """The generator's runner on the harness' `tf` fixture and the sandbox."""

    def __init__(self, tf: Tf, sandbox: Any) -> None:
        self.tf = tf
        self.sandbox = sandbox
        self.endpoint = sandbox.endpoint

    def plan_json(self, workdir: Path) -> dict[str, Any]:
        return self.tf.plan_json(workdir, sandbox=self.sandbox)

    def apply(self, workdir: Path) -> None:
        self.tf.apply(workdir, sandbox=self.sandbox)


def plan_input(case: str, plans: dict[str, dict[str, Any]]) -> PlanInput:
    """A fixture case's plan as an evaluation input (file:line mapped to its folder)."""
    return PlanInput(source=f"{case} fixture", plan=plans[case], root=FIXTURES / case)


def evaluate(
    case: str, plans: dict[str, dict[str, Any]], setup: Setup, *, env: str | None = None, run_checkov: bool = False
) -> PolicyReport:
    """Evaluate one case's plan with the repository's policies."""
    return evaluate_inputs([plan_input(case, plans)], setup, env=env, run_checkov=run_checkov, today=TODAY)
