"""The files a change touches, from git, and the tree to read the stacks from.

Two modes, decided like Terramate's ``--changed``:

- ``--head REF`` given: exactly the committed range, ``git diff --name-only BASE...HEAD`` (three dots: from
  the merge base of BASE and HEAD, so what a pull request adds, not what the base gained meanwhile). The
  stacks and modules are read from HEAD's tree (exported from git when the checkout is elsewhere or dirty).
- no ``--head``: that range up to the checked-out ``HEAD``, plus what is not committed yet (staged,
  unstaged, and untracked files git does not ignore), read from the working tree. ``plan --changed``
  plans the files on disk, so a local edit must count; CI passes ``--head`` and gets the committed diff.

Renames count as a deletion plus an addition (``--no-renames``): both paths matter. Paths are relative to
the repository root (the folder holding ``popcorn.toml``, which may sit below git's top level).
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from popcornctl.errors import PopcornError

DEFAULT_BASES = ("origin/main", "main")


@dataclass(frozen=True)
class Change:
    """What git says changed between a base and a head."""

    base: str  # as asked, e.g. "origin/main"
    head: str | None  # as asked; None: HEAD plus the working tree
    merge_base: str  # the commit the diff starts from
    head_commit: str  # the commit HEAD (or --head) points to
    files: tuple[str, ...]  # repository-relative POSIX paths, sorted, unique

    @property
    def working_tree(self) -> bool:
        """True when uncommitted and untracked files are part of the change."""
        return self.head is None

    def describe(self) -> str:
        """One line: the range and what it includes."""
        if self.head is None:
            return f"{self.base}...HEAD plus uncommitted and untracked files"
        return f"{self.base}...{self.head}"


class _GitFailed(Exception):
    """A git command failed (its last stderr line is the message)."""


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise PopcornError("git is not installed", "install git: change detection reads the history") from None
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["git failed"])[-1]
        raise _GitFailed(message)
    return done.stdout


def _paths(output: str) -> list[str]:
    return [p for p in output.split("\0") if p]


def _commit(root: Path, ref: str, flag: str) -> str:
    try:
        return _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").strip()
    except _GitFailed:
        raise PopcornError(
            f"{flag} {ref!r} is no commit git knows here",
            "fetch it first (e.g. git fetch origin main) or pass a branch, tag or commit that exists",
        ) from None


def _check_repo(root: Path) -> None:
    try:
        _git(root, "rev-parse", "--git-dir")
    except _GitFailed:
        raise PopcornError(
            f"{root} is not inside a git repository", "run change detection from a clone of the repository"
        ) from None


def default_base(root: Path) -> str:
    """The first of ``origin/main``, ``main`` that exists (what ``--base`` means when not given)."""
    _check_repo(root)
    for ref in DEFAULT_BASES:
        try:
            _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        except _GitFailed:
            continue
        return ref
    raise PopcornError(
        f"no default base: none of {', '.join(DEFAULT_BASES)} exists", "pass --base REF (the branch you merge into)"
    )


def changed_files(root: Path, base: str, head: str | None = None) -> Change:
    """The files changed from ``base`` to ``head`` (or to the working tree); see the module docstring."""
    _check_repo(root)
    base_commit = _commit(root, base, "--base")
    head_commit = _commit(root, head if head is not None else "HEAD", "--head")
    try:
        merge_base = _git(root, "merge-base", base_commit, head_commit).strip()
    except _GitFailed:
        raise PopcornError(
            f"{base} and {head or 'HEAD'} share no history (is this a shallow clone?)",
            "fetch the full history (actions/checkout with fetch-depth: 0, or git fetch --unshallow)",
        ) from None
    diff = ["diff", "--name-only", "-z", "--no-renames", "--relative"]
    try:
        if head is None:
            # merge base -> working tree covers committed, staged and unstaged changes of tracked files
            files = set(_paths(_git(root, *diff, merge_base, "--")))
            files.update(_paths(_git(root, "ls-files", "-z", "--others", "--exclude-standard")))
        else:
            files = set(_paths(_git(root, *diff, merge_base, head_commit, "--")))
    except _GitFailed as exc:
        raise PopcornError(f"git diff failed: {exc}", "check the repository with git status") from None
    return Change(base=base, head=head, merge_base=merge_base, head_commit=head_commit, files=tuple(sorted(files)))


@contextmanager
def tree_at(root: Path, change: Change) -> Iterator[Path]:
    """The folder to read the stacks from: the working tree, or HEAD's tree exported from git.

    With ``--head``, the checkout is used only when it is that commit and clean; otherwise the commit's
    tree (below this repository root) is extracted into a temporary folder, symlinks included.
    """
    if change.head is None:
        yield root
        return
    current = _git(root, "rev-parse", "HEAD").strip()
    dirty = _git(root, "status", "--porcelain", "-z", "--untracked-files=normal", "--", ".")
    if current == change.head_commit and not dirty:
        yield root
        return
    prefix = _git(root, "rev-parse", "--show-prefix").strip()
    try:
        data = subprocess.run(
            ["git", "-C", str(root), "archive", "--format=tar", f"{change.head_commit}:{prefix}"],
            capture_output=True, check=True,
        ).stdout
    except subprocess.CalledProcessError as exc:
        raise PopcornError(
            f"cannot export {change.head} from git: {exc.stderr.decode(errors='replace').strip()}",
            "check out the head commit and rerun",
        ) from None
    with tempfile.TemporaryDirectory(prefix="popcorn-head-") as tmp:
        try:
            with tarfile.open(fileobj=io.BytesIO(data)) as archive:
                archive.extractall(tmp, filter="data")  # refuses links that leave the tree
        except (tarfile.TarError, OSError) as exc:
            raise PopcornError(
                f"cannot read {change.head}'s tree from git ({exc})", "check out the head commit and rerun"
            ) from None
        yield Path(tmp)
