"""Bootstrap's chicken-and-egg: the stack that creates the state bucket cannot keep its state there at first.

Design (verified with real Terraform against the S3 backend on the emulator):

1. **Local phase.** While the bucket does not exist, bootstrap runs in a *shadow tree* under popcornctl's
   state directory: the repository mirrored with symlinks (so relative module sources and ``path.module``
   files resolve as in the real tree), with the bootstrap folder itself rebuilt as symlinks to its files plus
   one generated ``popcorn_local_backend_override.tf`` that swaps the backend for
   ``backend "local" { path = "<state dir>/…/terraform.tfstate" }``. The override exists only in the shadow;
   nothing is ever written into the user's tree (no override file, no local state file).
2. **Migration.** After the local apply created the bucket, ``terraform init -migrate-state -force-copy``
   runs in the *real* bootstrap folder with the *shadow's* ``TF_DATA_DIR``: Terraform sees the backend
   change from the recorded ``local`` to the committed ``s3`` and copies the state into the bucket. The local
   file is then archived (``terraform.tfstate.migrated-<time>``) and the shadow removed.
3. **Later runs** find the bucket and bootstrap's state object and use the remote state directly (the normal
   pipeline, ``init`` against S3). A run interrupted between apply and migration resumes: bucket present,
   no remote state, local state present → migrate first.

``down --include-bootstrap`` runs the mirror image: the remote state is copied to the local phase
(``init`` in the real folder with a fresh shadow data dir, then ``init -migrate-state`` in the shadow), the
destroy runs there, and the local copy is *authoritative* until the bucket exists again (marker file) —
so a destroy that fails half-way is resumed from the right state by the next ``up``.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from popcornctl.engine import ProcessEngine, TfResult

OVERRIDE_FILE = "popcorn_local_backend_override.tf"
LOCK_FILE = ".terraform.lock.hcl"
_NOT_MIRRORED = (".terraform", OVERRIDE_FILE)


@dataclass(frozen=True)
class LocalPhase:
    """Where bootstrap's local-state phase lives for one target (never inside the repository)."""

    base: Path

    @property
    def state_file(self) -> Path:
        """The local state file while the bucket does not exist."""
        return self.base / "terraform.tfstate"

    @property
    def shadow_root(self) -> Path:
        """The mirrored repository."""
        return self.base / "shadow"

    @property
    def data_dir(self) -> Path:
        """``TF_DATA_DIR`` of the local phase (its backend record is what the migration reads)."""
        return self.base / "tfdata"

    @property
    def marker(self) -> Path:
        """Present while the local state is authoritative (after a reverse migration for ``down``)."""
        return self.base / "LOCAL_STATE_IS_AUTHORITATIVE"

    def has_state(self) -> bool:
        """True when a local state file with at least one resource exists."""
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return bool(data.get("resources"))

    @property
    def authoritative(self) -> bool:
        """True when the local state, not the bucket's, is the truth."""
        return self.marker.exists()

    def archive(self) -> Path | None:
        """Move the local state file aside (kept as a backup) and return its new path."""
        if not self.state_file.exists():
            return None
        target = self.base / f"terraform.tfstate.migrated-{time.strftime('%Y%m%d-%H%M%S')}"
        self.state_file.rename(target)
        backup = self.base / "terraform.tfstate.backup"
        backup.unlink(missing_ok=True)
        return target

    def clean_workspace(self) -> None:
        """Remove the shadow tree and its data dir (the state files stay)."""
        shutil.rmtree(self.shadow_root, ignore_errors=True)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def override_text(state_file: Path) -> str:
    """The backend override written into the shadow only."""
    return (
        "# Written by popcornctl into its shadow copy of the bootstrap stack (never into the repository):\n"
        "# the state bucket does not exist yet, so bootstrap keeps local state until it is migrated.\n"
        "terraform {\n"
        '  backend "local" {\n'
        f"    path = {json.dumps(state_file.as_posix())}\n"
        "  }\n"
        "}\n"
    )


def build_shadow(root: Path, stack_path: str, phase: LocalPhase) -> Path:
    """Mirror ``root`` under ``phase.shadow_root`` with symlinks; return the shadow of ``stack_path``.

    Every entry on the way to the stack is a symlink to the real one except the folders on the stack's
    path; the stack folder holds symlinks to its files (not ``.terraform``, local state files or an old
    override), a copy of the provider lock file, and the local-backend override.
    """
    parts = PurePosixPath(stack_path.strip("/")).parts
    kept_lock: bytes | None = None
    previous_lock = phase.shadow_root.joinpath(*parts) / LOCK_FILE
    if previous_lock.is_file() and not previous_lock.is_symlink():
        kept_lock = previous_lock.read_bytes()
    shutil.rmtree(phase.shadow_root, ignore_errors=True)
    src, dst = root, phase.shadow_root
    for part in parts:
        dst.mkdir(parents=True, exist_ok=True, mode=0o700)
        for entry in src.iterdir():
            if entry.name != part:
                (dst / entry.name).symlink_to(entry)
        src, dst = src / part, dst / part
    dst.mkdir(parents=True, exist_ok=True)
    for entry in src.iterdir():
        name = entry.name
        if name in _NOT_MIRRORED or name == LOCK_FILE or name.startswith("terraform.tfstate"):
            continue
        (dst / name).symlink_to(entry)
    real_lock = src / LOCK_FILE
    if kept_lock is not None:
        (dst / LOCK_FILE).write_bytes(kept_lock)
    elif real_lock.is_file():
        shutil.copyfile(real_lock, dst / LOCK_FILE)
    (dst / OVERRIDE_FILE).write_text(override_text(phase.state_file), encoding="utf-8")
    return dst


def migrate_to_remote(
    engine: ProcessEngine,
    real_dir: Path,
    phase: LocalPhase,
    backend_config: Mapping[str, str],
    env: Mapping[str, str],
) -> TfResult:
    """``init -migrate-state -force-copy`` in the real folder with the local phase's data dir."""
    return engine.init(
        real_dir,
        backend_config=backend_config,
        migrate_state=True,
        env={**env, "TF_DATA_DIR": str(phase.data_dir)},
    )


def migrate_to_local(
    engine: ProcessEngine,
    real_dir: Path,
    shadow_dir: Path,
    phase: LocalPhase,
    backend_config: Mapping[str, str],
    env: Mapping[str, str],
) -> TfResult:
    """Copy the remote state into the local phase: init the real folder, then migrate in the shadow."""
    shutil.rmtree(phase.data_dir, ignore_errors=True)
    data_env = {**env, "TF_DATA_DIR": str(phase.data_dir)}
    first = engine.init(real_dir, backend_config=backend_config, env=data_env)
    if not first.ok:
        return first
    return engine.init(shadow_dir, migrate_state=True, env=data_env)
