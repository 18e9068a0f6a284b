"""scripts/ wrappers: argument checks and what they hand to popcornctl."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def fake_popcornctl(tmp_path: Path) -> Path:
    fake = tmp_path / "popcornctl"
    fake.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n')
    fake.chmod(0o755)
    return fake


def run(script: str, *args: str, fake: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "POPCORNCTL": str(fake)}
    return subprocess.run(["bash", str(REPO / "scripts" / script), *args], capture_output=True, text=True, env=env, check=False)


@pytest.mark.parametrize("script", ["ecs-status.sh", "rds-status.sh", "unlock-state.sh", "logs.sh", "alarms.sh"])
def test_bad_environment_is_a_usage_error(script: str, fake_popcornctl: Path) -> None:
    res = run(script, "staging", fake=fake_popcornctl)
    assert res.returncode == 2 and res.stderr.startswith("usage:") and len(res.stderr.splitlines()) == 1


def test_ecs_status_maps_services_and_sandbox(fake_popcornctl: Path) -> None:
    res = run("ecs-status.sh", "dev", "api-gateway", "order", "--sandbox", fake=fake_popcornctl)
    assert res.returncode == 0
    assert res.stdout.split() == ["diagnose", "ecs", "--env", "dev", "--service", "api-gateway",
                                  "--service", "order", "--sandbox"]


def test_unlock_maps_lock_id(fake_popcornctl: Path) -> None:
    res = run("unlock-state.sh", "prod", "0f6c-lock", "--yes", fake=fake_popcornctl)
    assert res.stdout.split() == ["unlock", "--env", "prod", "--lock-id", "0f6c-lock", "--yes"]


def test_rds_status(fake_popcornctl: Path) -> None:
    res = run("rds-status.sh", "dev", "--sandbox", fake=fake_popcornctl)
    assert res.stdout.split() == ["diagnose", "rds", "--env", "dev", "--sandbox"]
