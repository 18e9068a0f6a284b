"""Fixtures for the orchestrator tests (helpers live in orch_support.py, fixture repos in fixture_repo.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fixture_repo import create_backend, diamond
from orch_support import Fx


@pytest.fixture
def fx_factory(tmp_path: Path, sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Fx]:
    """Build a fixture repository (diamond by default) on the emptied emulator."""

    def make(*, backend: bool = True, **diamond_kwargs: Any) -> Fx:
        root, marks = tmp_path / "repo", tmp_path / "marks"
        diamond(root, marks, **diamond_kwargs)
        if backend:
            create_backend(sandbox.endpoint)
        return Fx(root=root, marks=marks, endpoint=sandbox.endpoint, monkeypatch=monkeypatch)

    return make


@pytest.fixture
def fx(fx_factory: Callable[..., Fx]) -> Fx:
    """The diamond with its backend created (no sleeps)."""
    return fx_factory()
