"""The repository's quality gates run as tests, so CI enforces them: ruff everywhere, mypy --strict on tooling/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_ruff_is_clean() -> None:
    targets = [p for p in ("tooling", "policies", "tests", "bench", "scripts") if (REPO / p).exists()]
    res = subprocess.run([sys.executable, "-m", "ruff", "check", *targets], cwd=REPO, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr


def test_mypy_strict_on_tooling_is_clean() -> None:
    res = subprocess.run([sys.executable, "-m", "mypy", "--strict", "tooling"], cwd=REPO, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
