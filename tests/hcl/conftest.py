"""Fixtures shared by the stack plan tests (bootstrap, global/*): copies with a local backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from hclsupport import portable_copy

from tfhelpers import REPO


@pytest.fixture(scope="session")
def stack_copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("stacks")
    return {
        name: portable_copy(REPO / name, root / name.replace("/", "_"), local_backend=True)
        for name in ("bootstrap", "global/route53-acm", "global/ecr")
    }
