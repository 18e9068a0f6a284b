"""The test helpers themselves."""

from __future__ import annotations

import shutil
from pathlib import Path

from hclsupport import portable_copy

from tfhelpers import REPO


def test_portable_copy_rewrites_relative_sources(tmp_path: Path) -> None:
    copy = portable_copy(REPO / "modules/alb/examples/basic", tmp_path / "alb")
    text = (copy / "main.tf").read_text()
    assert f'source = "{(REPO / "modules/alb").as_posix()}"' in text
    assert f'"{(REPO / "modules/vpc").as_posix()}"' in text
    shutil.rmtree(copy)
