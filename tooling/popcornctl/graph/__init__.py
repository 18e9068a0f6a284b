"""The stack graph room: which stacks exist, what each depends on, and in what order they run.

Stacks are discovered from the tree (``bootstrap/``, ``global/*/``, ``envs/*/``). A stack depends on
another when it reads that stack's state through ``terraform_remote_state`` (its ``key`` names the
stack, since every key is ``<stack path>/terraform.tfstate``), or when ``popcorn.toml`` says so under
``[dependencies]``. Every stack but the bootstrap stack depends on the bootstrap stack (it holds the
state bucket); that edge orders runs but carries no data, so it is not a *read* (:attr:`Stack.reads`).

The room's other modules (imported on demand): :mod:`.changes` (the files a git change touches),
:mod:`.modules` (where each stack's configuration comes from: its folder, linked files, local modules),
:mod:`.affected` (change → stacks, with a reason each) and :mod:`.ci_files` (the graph rendered for the CI
systems a team runs: GitHub Actions job matrices and ``atlantis.yaml``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from popcornctl.config import ProjectConfig
from popcornctl.errors import PopcornError
from popcornctl.hcl import blocks, first, load_dir

STACK_PATTERNS = ("bootstrap", "global/*", "envs/*")
STATE_SUFFIX = "/terraform.tfstate"


@dataclass
class Stack:
    """One Terraform root module with its own state."""

    path: str  # relative to the repo root, e.g. "global/ecr"
    directory: Path
    depends_on: set[str] = field(default_factory=set)
    reasons: dict[str, str] = field(default_factory=dict)  # dependency -> why (file:line or config)
    # The dependencies whose state this stack reads (terraform_remote_state, popcorn.toml [dependencies]):
    # a change to one of them can change this stack's plan. The bootstrap edge alone is ordering only.
    reads: set[str] = field(default_factory=set)

    @property
    def slug(self) -> str:
        """A file-name-safe form of the path (``global/ecr`` -> ``global-ecr``)."""
        return self.path.replace("/", "-")


def discover(root: Path) -> dict[str, Path]:
    """Stack path -> directory for every stack folder in the tree that holds ``.tf`` files."""
    found: dict[str, Path] = {}
    for pattern in STACK_PATTERNS:
        for directory in sorted(root.glob(pattern)):
            # ``_name`` folders hold shared files, not stacks (envs/_shared; Terragrunt's ``_envcommon`` habit).
            if directory.is_dir() and not directory.name.startswith(("_", ".")) and any(directory.glob("*.tf")):
                found[directory.relative_to(root).as_posix()] = directory
    return found


def _remote_state_deps(directory: Path, root: Path) -> dict[str, str]:
    """Keys read through ``terraform_remote_state`` -> ``file:line`` where they are read."""
    keys: dict[str, str] = {}
    for hcl_file, rtype, _name, body in blocks(load_dir(directory), "data"):
        if rtype != "terraform_remote_state":
            continue
        config = first(body.get("config")) or {}
        key = first(config.get("key")) if isinstance(config, dict) else None
        if isinstance(key, str) and "${" not in key:
            where = f"{hcl_file.path.relative_to(root).as_posix()}:{body.get('__start_line__', '?')}"
            keys[key] = where
    return keys


class StackGraph:
    """The dependency graph of the repository's stacks."""

    def __init__(self, stacks: dict[str, Stack]) -> None:
        self.stacks = stacks
        self._check()

    @classmethod
    def load(cls, config: ProjectConfig) -> StackGraph:
        """Discover the stacks under the repo root and infer their dependencies."""
        root = config.root
        stacks = {path: Stack(path, directory) for path, directory in discover(root).items()}
        by_key = {config.backend.key_for(path): path for path in stacks}
        for stack in stacks.values():
            for key, where in _remote_state_deps(stack.directory, root).items():
                target = by_key.get(key)
                if target is None:
                    wanted = key.removesuffix(STATE_SUFFIX)
                    raise PopcornError(
                        f"{where}: terraform_remote_state reads {key!r}, which is no stack in this repository",
                        f"create the stack {wanted}/ or fix the key (keys are '<stack path>{STATE_SUFFIX}')",
                    )
                if target != stack.path:
                    stack.depends_on.add(target)
                    stack.reads.add(target)
                    stack.reasons[target] = f"terraform_remote_state at {where}"
            if config.bootstrap_stack in stacks and stack.path != config.bootstrap_stack:
                stack.depends_on.add(config.bootstrap_stack)
                stack.reasons.setdefault(config.bootstrap_stack, "holds the state bucket and lock table")
        for path, targets in config.dependencies.items():
            if path not in stacks:
                raise PopcornError(
                    f"popcorn.toml [dependencies] names unknown stack {path!r}",
                    f"use one of: {', '.join(sorted(stacks))}",
                )
            for dep in targets:
                stacks[path].depends_on.add(dep)
                stacks[path].reads.add(dep)
                stacks[path].reasons.setdefault(dep, "popcorn.toml [dependencies]")
        return cls(stacks)

    def _check(self) -> None:
        for stack in self.stacks.values():
            for dep in sorted(stack.depends_on):
                if dep not in self.stacks:
                    raise PopcornError(
                        f"stack {stack.path} depends on unknown stack {dep!r} ({stack.reasons.get(dep, '')})",
                        f"use one of: {', '.join(sorted(self.stacks))}",
                    )
        self.layers(self.stacks)  # raises on a cycle

    def closure(self, paths: Iterable[str]) -> set[str]:
        """The given stacks and everything they depend on, transitively."""
        wanted: set[str] = set()
        todo = list(paths)
        while todo:
            path = todo.pop()
            if path in wanted:
                continue
            if path not in self.stacks:
                raise PopcornError(f"unknown stack {path!r}", f"use one of: {', '.join(sorted(self.stacks))}")
            wanted.add(path)
            todo.extend(self.stacks[path].depends_on)
        return wanted

    def dependents(self, path: str) -> set[str]:
        """Every stack that depends on ``path``, transitively."""
        out: set[str] = set()
        todo = [path]
        while todo:
            current = todo.pop()
            for stack in self.stacks.values():
                if current in stack.depends_on and stack.path not in out:
                    out.add(stack.path)
                    todo.append(stack.path)
        return out

    def readers(self, path: str) -> set[str]:
        """Every stack that reads ``path``'s state, directly or through other readers."""
        out: set[str] = set()
        todo = [path]
        while todo:
            current = todo.pop()
            for stack in self.stacks.values():
                if current in stack.reads and stack.path not in out:
                    out.add(stack.path)
                    todo.append(stack.path)
        return out

    def layers(self, paths: Iterable[str]) -> list[list[str]]:
        """Topological layers of ``paths``: each layer's stacks depend only on earlier layers.

        Dependencies outside ``paths`` are treated as satisfied. A cycle is a one-line error naming it.
        """
        wanted = set(paths)
        return topo_layers({p: set(self.stacks[p].depends_on) & wanted for p in wanted})

    def reverse_layers(self, paths: Iterable[str]) -> list[list[str]]:
        """The destroy order: dependents first."""
        return list(reversed(self.layers(paths)))


def topo_layers(edges: dict[str, set[str]]) -> list[list[str]]:
    """Layers of a dependency map (node -> nodes it waits for, all keys of the map), each layer sorted."""
    remaining = {node: set(deps) for node, deps in edges.items()}
    ordered: list[list[str]] = []
    while remaining:
        ready = sorted(p for p, deps in remaining.items() if not deps)
        if not ready:
            raise PopcornError(
                f"dependency cycle between stacks: {' -> '.join(_cycle(remaining))}",
                "remove one of these terraform_remote_state reads or popcorn.toml dependencies",
            )
        ordered.append(ready)
        for p in ready:
            del remaining[p]
        for deps in remaining.values():
            deps.difference_update(ready)
    return ordered


def _cycle(remaining: dict[str, set[str]]) -> list[str]:
    start = sorted(remaining)[0]
    path = [start]
    current = start
    while True:
        current = sorted(remaining[current])[0]
        if current in path:
            return [*path[path.index(current) :], current]
        path.append(current)
