"""Policy tests: real plans of tests/policy/fixtures/<case>/ (generated once per session), and fixtures."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from policy_support import TfRunner, load_generator

from popcornctl.policy import prepare
from popcornctl.policy.pipeline import Setup
from tfhelpers import REPO, Tf

_PLANS: dict[str, dict[str, Any]] = {}


@pytest.fixture
def policy_plans(tf: Tf, sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Plan JSON of every fixture case, by real Terraform against the sandbox — generated once per session."""
    if not _PLANS:
        gen = load_generator()
        work = tmp_path_factory.mktemp("policy-fixture-plans")
        _PLANS.update(gen.generate(gen.CASES.values(), TfRunner(tf, sandbox), work, parallel=2))
    return _PLANS


@pytest.fixture(scope="session")
def setup() -> Setup:
    """The repository's policies, Checkov table and (committed) waivers."""
    return prepare(REPO)


@pytest.fixture
def write_plan(tmp_path: Path) -> Callable[..., Path]:
    """Write a plan dict to a JSON file in tmp_path; returns its path."""

    def write(plan: dict[str, Any], name: str = "plan.json") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(plan), encoding="utf-8")
        return path

    return write
