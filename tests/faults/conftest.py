"""Fixtures of the fault-injection suite (the kit itself is faultkit.py, a name no other test folder uses)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from faultkit import Backend, Emulator, Popcornctl, backend, spawn


@pytest.fixture
def state_dir() -> Path:
    """The test's popcornctl state dir (isolated_home points POPCORN_STATE_DIR at it)."""
    return Path(os.environ["POPCORN_STATE_DIR"])


@pytest.fixture
def emulator(state_dir: Path) -> Iterator[Emulator]:
    """A sandbox emulator process of this test's own (stall it, kill it: nothing else uses it)."""
    emu = Emulator(state_dir)
    yield emu
    emu.stop()


@pytest.fixture
def store(emulator: Emulator) -> Backend:
    """A state bucket and lock table on the test's emulator."""
    return backend(emulator.endpoint)


@pytest.fixture
def launch() -> Iterator[Callable[..., Popcornctl]]:
    """``launch(args, tty=False)``: popcornctl in the background; whatever it started is ended at teardown."""
    started: list[Popcornctl] = []

    def run(args: list[str], **kwargs: object) -> Popcornctl:
        proc = spawn(args, **kwargs)  # type: ignore[arg-type]
        started.append(proc)
        return proc

    yield run
    for proc in started:
        proc.stop()
