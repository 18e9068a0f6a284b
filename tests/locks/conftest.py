"""Fixtures for the locks room (helpers live in locks_support.py, a name no other test folder uses)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from locks_support import REGION, World, make_repo, new_world

from popcornctl.target import Target


@pytest.fixture
def world(moto_server: Any) -> World:
    """A fresh state bucket and lock table on the run's emulator.

    Not the resetting ``sandbox`` fixture: with MOTO_IAM_LOAD_MANAGED_POLICIES=true every reset costs ~3.5 s
    (moto reloads the AWS managed policies); unique names isolate the tests just as well.
    """
    return new_world(moto_server.endpoint)


@pytest.fixture
def repo_dir(tmp_path: Path, world: World) -> Path:
    return make_repo(tmp_path / "repo", world.backend)


@pytest.fixture
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich tables unfolded, so lock IDs stay on one line in captured output."""
    monkeypatch.setenv("COLUMNS", "300")


@pytest.fixture
def on_sandbox(monkeypatch: pytest.MonkeyPatch, world: World, wide_terminal: None) -> Iterator[World]:
    """``--sandbox`` runs aimed at the test's emulator (the session moto server) instead of a started one."""
    from popcornctl.runtime import Runtime

    def target(self: Runtime) -> Target:
        return world.target if self.sandbox else Target(REGION)

    monkeypatch.setattr(Runtime, "target", property(target))
    yield world
