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


PACKAGE = REPO / "tooling" / "popcornctl"
MAX_MODULE_LINES = 500


def test_no_module_over_500_lines() -> None:
    long = {
        str(p.relative_to(REPO)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"split these modules (at most {MAX_MODULE_LINES} lines): {long}"


def test_architecture_doc_names_every_room_and_only_paths_that_exist() -> None:
    import re

    doc = (REPO / "docs/ARCHITECTURE.md").read_text(encoding="utf-8")
    rooms = [f"{p.name}/" for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__")]
    rooms += [p.name for p in PACKAGE.glob("*.py") if not p.name.startswith("__")]
    assert rooms
    missing = [room for room in rooms if f"`{room}`" not in doc]
    assert not missing, f"docs/ARCHITECTURE.md does not name these rooms of tooling/popcornctl: {missing}"
    named = {m for m in re.findall(r"`([\w./-]+)`", doc) if m.endswith((".py", "/")) and "<" not in m}
    gone = [
        path for path in sorted(named)
        if not any((base / path).exists() for base in (PACKAGE, REPO, REPO / "tests", PACKAGE / "diagnose" / "ecs"))
    ]
    assert not gone, f"docs/ARCHITECTURE.md names paths that do not exist: {gone}"


def test_test_files_have_unique_names() -> None:
    """pytest imports test modules by their base name (no packages under tests/): two files of one name break
    collection of the whole suite."""
    from collections import Counter

    names = Counter(p.name for p in (REPO / "tests").rglob("test_*.py"))
    assert not [n for n, count in names.items() if count > 1], sorted(n for n, c in names.items() if c > 1)
