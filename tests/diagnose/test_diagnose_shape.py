"""The diagnose room stays in small pieces: no module over 500 lines, no function over cyclomatic complexity 15."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOM = Path(__file__).resolve().parents[2] / "tooling" / "popcornctl" / "diagnose"
MAX_LINES = 500
MAX_COMPLEXITY = 15


def test_no_module_over_500_lines() -> None:
    sizes = {str(p.relative_to(ROOM)): len(p.read_text(encoding="utf-8").splitlines()) for p in ROOM.rglob("*.py")}
    assert sizes
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_no_function_over_complexity_15() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "C901", "--config",
         f"lint.mccabe.max-complexity={MAX_COMPLEXITY}", "--output-format", "concise", str(ROOM)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
