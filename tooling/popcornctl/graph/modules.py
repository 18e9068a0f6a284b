"""Where each stack's configuration comes from: its folder, the files it links to, the local modules it calls.

- **Its folder** (``envs/dev/``): every file in it, tfvars included.
- **Linked files**: an entry of the stack folder that is a symlink stands for its target too
  (``envs/dev/main.tf`` -> ``envs/_shared/main.tf``): editing the shared file changes both environments.
- **Local modules**: a ``module`` block whose ``source`` starts with ``./`` or ``../`` is resolved against the
  calling folder (Terraform resolves it against the stack folder, not a symlink's target) and followed
  through the modules that module calls in turn. Registry and git sources are pinned in the stack's own
  files, so a version bump is a change to the stack. A module folder counts whole (templates read with
  ``templatefile`` included), except its sub-folders that are Terraform configurations nobody calls
  (``modules/vpc/examples/basic``): those are *unused roots*.

Documentation (``*.md``) is never read by Terraform, so it never makes a stack change (:func:`is_docs`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from popcornctl.hcl import first, load_file

LOCAL_SOURCE = ("./", "../")
_MODULE_BLOCK = re.compile(r'^\s*module\s+"', re.MULTILINE)
DOCS_SUFFIX = ".md"


@dataclass(frozen=True)
class Origin:
    """One place a stack's configuration is read from (a folder, or one linked file)."""

    kind: str  # "stack" (its own folder) | "link" (a symlink's target) | "module" (a local module's folder)
    path: str  # repository-relative, POSIX
    is_dir: bool
    via: str  # how the stack reaches it: "" | "link envs/dev/main.tf" | 'module "vpc" (envs/dev/main.tf:155)'


@dataclass
class StackSources:
    """Everything one stack's configuration is read from."""

    stack: str
    origins: list[Origin] = field(default_factory=list)

    def module_dirs(self) -> set[str]:
        """The local module folders the stack calls, nested calls included."""
        return {o.path for o in self.origins if o.kind == "module"}


def is_docs(path: str) -> bool:
    """True for documentation files (never read by Terraform)."""
    return path.lower().endswith(DOCS_SUFFIX)


def under(path: str, directory: str) -> bool:
    """True when ``path`` is inside ``directory`` (both repository-relative)."""
    return directory in ("", ".") or path.startswith(directory.rstrip("/") + "/")


def _rel(path: str) -> str | None:
    """Normalise a repository-relative path; None when it leaves the repository."""
    norm = os.path.normpath(path).replace(os.sep, "/")
    if norm == ".." or norm.startswith(("../", "/")):
        return None
    return norm


@dataclass(frozen=True)
class ModuleCall:
    """A ``module`` block with a local source."""

    name: str
    directory: str  # the folder it resolves to, repository-relative
    where: str  # file:line of the block, as seen from the calling folder


class SourceReader:
    """Reads module calls, caching parsed files by their real path (envs/dev and envs/prod share files)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._parsed: dict[Path, list[tuple[str, str, int]]] = {}

    def _calls_in(self, path: Path) -> list[tuple[str, str, int]]:
        real = path.resolve()
        if real not in self._parsed:
            found: list[tuple[str, str, int]] = []
            try:
                text = real.read_text(encoding="utf-8")
            except OSError:
                text = ""
            if _MODULE_BLOCK.search(text):  # parsing HCL is slow: only files that call modules
                for entry in load_file(path).body.get("module", []):
                    for name, body in entry.items():
                        source = first(body.get("source")) if isinstance(body, dict) else None
                        if isinstance(source, str):
                            found.append((name, source, int(body.get("__start_line__", 0) or 0)))
            self._parsed[real] = found
        return self._parsed[real]

    def calls(self, directory: str) -> list[ModuleCall]:
        """The local module calls in the ``.tf`` files directly in ``directory``."""
        folder = self.root / directory
        out: list[ModuleCall] = []
        for tf in sorted(folder.glob("*.tf")):
            if not tf.is_file():
                continue
            for name, source, line in self._calls_in(tf):
                if not source.startswith(LOCAL_SOURCE):
                    continue
                target = _rel(f"{directory}/{source}")
                if target is None or not (self.root / target).is_dir():
                    continue
                out.append(ModuleCall(name=name, directory=target, where=f"{directory}/{tf.name}:{line}"))
        return out

    def sources(self, stack: str) -> StackSources:
        """The origins of one stack: its folder, its links' targets, its local modules (nested)."""
        result = StackSources(stack, [Origin("stack", stack, True, "")])
        folder = self.root / stack
        for entry in sorted(folder.iterdir()):
            if not entry.is_symlink():
                continue
            link = entry.readlink()
            raw = os.path.relpath(link, folder) if link.is_absolute() else link.as_posix()
            target = _rel(f"{stack}/{raw}")
            if target is None or under(target, stack):
                continue
            result.origins.append(Origin("link", target, entry.is_dir(), f"link {stack}/{entry.name}"))
        seen = {stack}
        todo = [stack]
        while todo:
            caller = todo.pop(0)
            for call in self.calls(caller):
                if call.directory in seen:
                    continue
                seen.add(call.directory)
                result.origins.append(Origin("module", call.directory, True, f'module "{call.name}" ({call.where})'))
                todo.append(call.directory)
        return result


def unused_roots(root: Path, origins: list[Origin], used: set[str]) -> list[str]:
    """Sub-folders of the folder origins that hold ``.tf`` files but are no stack and no module a stack calls."""
    found: set[str] = set()
    for origin in origins:
        if not origin.is_dir:
            continue
        base = root / origin.path
        for current, dirs, files in os.walk(base):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            rel = Path(current).relative_to(root).as_posix()
            if rel != origin.path and rel not in used and any(f.endswith(".tf") for f in files):
                found.add(rel)
                dirs[:] = []  # everything below belongs to that configuration
    return sorted(found)


def read_all(root: Path, stacks: list[str]) -> dict[str, StackSources]:
    """The sources of every stack (one reader, so shared files are parsed once)."""
    reader = SourceReader(root)
    return {stack: reader.sources(stack) for stack in stacks}

