"""The environments with the lowest Terraform the stacks declare (the system binary when it is that version; the
tests skip with the reason otherwise): each environment plans, to the same changes as with the embedded engine, and
`popcornctl --terraform <binary> plan dev --sandbox` works end to end (bootstrap and the global stacks applied with
it by `up`, then every stack of dev planned).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from envsupport import ENVS, env_dir, seed_sandbox

from tfhelpers import REPO, Tf, declared_floor, floor_terraform

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]


@pytest.fixture(scope="module")
def floor_binary() -> str:
    binary, why = floor_terraform()
    if binary is None:
        pytest.skip(why)
    return binary


def _changes(plan: dict[str, Any]) -> set[tuple[str, tuple[str, ...]]]:
    return {(rc["address"], tuple(rc["change"]["actions"])) for rc in plan["resource_changes"]}


@pytest.mark.parametrize("env", ENVS)
def test_the_environment_plans_with_the_floor_version(
    env: str, floor_binary: str, tf_session: Tf, moto_server: Any, tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> None:
    embedded = request.getfixturevalue(f"{env}_plan")
    floor = Tf(mirror=tf_session.mirror, state_dir=tmp_path_factory.mktemp("floor-state"),
               data_root=tmp_path_factory.mktemp("floor-data"), terraform=floor_binary)
    moto_server.reset()
    seed_sandbox(moto_server.endpoint)
    plan = floor.plan_json(env_dir(env), sandbox=moto_server, backend=True)
    assert plan["terraform_version"].startswith(declared_floor() + "."), plan["terraform_version"]
    assert not embedded["terraform_version"].startswith(declared_floor() + "."), "two different engines"
    assert _changes(plan) == _changes(embedded), (
        f"only with {plan['terraform_version']}: {sorted(_changes(plan) - _changes(embedded))[:10]}; "
        f"only with {embedded['terraform_version']}: {sorted(_changes(embedded) - _changes(plan))[:10]}")


def _popcornctl(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "popcornctl", "--no-color", "--repo", str(REPO), *args],
                          capture_output=True, text=True, timeout=3000, env=env, check=False)


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_popcornctl_plans_dev_end_to_end_with_the_floor_binary(floor_binary: str, tmp_path: Path) -> None:
    up = _popcornctl("--terraform", floor_binary, "up", "dev", "--sandbox", "--auto-approve", "--no-checkov",
                     "--exclude", "envs/dev", "--report", str(tmp_path / "up.json"))
    assert up.returncode == 0, up.stdout[-4000:] + up.stderr[-2000:]
    out = tmp_path / "plans"
    res = _popcornctl("--terraform", floor_binary, "plan", "dev", "--sandbox", "--out-dir", str(out),
                      "--report", str(tmp_path / "plan.json"))
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    report = json.loads((tmp_path / "plan.json").read_text())
    results = {s["stack"]: s["result"] for s in report["stacks"]}
    assert results["envs/dev"] == "planned", results
    assert set(results) == {"bootstrap", "global/account", "global/ecr", "global/route53-acm", "envs/dev"}
    # What `up` applied with the same binary plans no change: bootstrap and every global stack are up to date.
    assert {s: r for s, r in results.items() if s != "envs/dev"} == dict.fromkeys(set(results) - {"envs/dev"},
                                                                                  "up_to_date"), results
    plans = [json.loads(p.read_text()) for p in out.glob("*.json") if p.name != "combined.json"]
    dev = [p for p in plans if (p.get("variables") or {}).get("environment", {}).get("value") == "dev"]
    assert dev and dev[0]["terraform_version"].startswith(declared_floor() + ".")
    assert len(dev[0]["resource_changes"]) > 150
