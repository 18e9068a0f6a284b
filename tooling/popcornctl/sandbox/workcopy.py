"""Sandbox runs' working copies: Terraform runs outside the repository, so a sandbox run writes nothing into it.

Terraform writes into its working directory whatever ``TF_DATA_DIR`` does not cover: the dependency lock file
``.terraform.lock.hcl`` (at ``init``; it has no setting for another place) and ``errored.tfstate`` (when it cannot
save its state). A sandbox engine therefore runs each command in a *working copy* of the folder under the
sandbox's data dir, ``<state dir>/sandbox-data/work/<slug>/``: the repository mirrored with symbolic links (every
entry beside the path to the folder is a link to the real one, so relative module sources and ``path.module``
files resolve exactly as in the tree), the folder itself holding links to its files. Terraform's own files stay in
the copy: its lock file (seeded from the folder's committed one, if any) and any ``errored.tfstate``. Real runs do
not use working copies: Terraform behaves as it always does.

The copy is synchronised before every command without being rebuilt (links added, replaced or removed one by
one), so a command running in it from another popcornctl is never pulled from under it. ``sandbox reset`` and
``sandbox stop`` delete it with the rest of the sandbox's data.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

LOCK_FILE = ".terraform.lock.hcl"
# Never linked into a copy: Terraform's own files in the real folder (a real run's), which the copy keeps apart.
_NOT_LINKED = (".terraform", LOCK_FILE, "errored.tfstate")


def _is_terraform_folder(path: Path) -> bool:
    return path.is_dir() and (any(path.glob("*.tf")) or any(path.glob("*.tf.json")))


def _link(dst: Path, target: Path) -> None:
    """Make ``dst`` a symbolic link to ``target``, replacing atomically whatever link is there."""
    with contextlib.suppress(OSError):
        if dst.is_symlink() and dst.readlink() == target:
            return
    tmp = dst.with_name(f".{dst.name}.popcorn-link-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target)
    tmp.replace(dst)


def _sync_links(src: Path, dst: Path, *, skip: set[str]) -> None:
    """Link every entry of ``src`` (but ``skip``) into ``dst``; drop links whose entry is gone."""
    dst.mkdir(parents=True, exist_ok=True, mode=0o700)
    names = {entry.name for entry in src.iterdir()} - skip
    for name in names:
        _link(dst / name, src / name)
    for entry in dst.iterdir():
        if entry.is_symlink() and entry.name not in names and ".popcorn-link-" not in entry.name:
            entry.unlink(missing_ok=True)


def working_copy(workdir: Path, *, root: Path, base: Path) -> Path:
    """Where a sandbox command for ``workdir`` runs: its working copy under ``base`` (created or brought up to date).

    ``workdir`` itself when it is not a Terraform folder inside the repository at ``root`` (the repository root,
    a folder under ``base`` such as bootstrap's own shadow, or anywhere else).
    """
    real_root = root.resolve()
    real = workdir.resolve()
    try:
        rel = real.relative_to(real_root)
    except ValueError:
        return workdir
    base_real = base.resolve()
    if not rel.parts or real == base_real or base_real in real.parents or not _is_terraform_folder(real):
        return workdir
    copy_root = base / "-".join(rel.parts)
    src, dst = real_root, copy_root
    for part in rel.parts:
        _sync_links(src, dst, skip={part})
        if (dst / part).is_symlink():
            (dst / part).unlink()
        src, dst = src / part, dst / part
    _sync_links(src, dst, skip=set(_NOT_LINKED))
    lock = dst / LOCK_FILE
    if not lock.exists() and (src / LOCK_FILE).is_file():
        shutil.copyfile(src / LOCK_FILE, lock)  # the folder's own provider selections, if it has them
    return dst
