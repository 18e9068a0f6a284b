"""A change -> the stacks it affects, with the reason for each, and the files that affect nothing.

A changed file affects a stack *directly* when it is

- in the stack's folder (``own``; ``tfvars`` for its variables files),
- a file the stack folder links to (``link``; ``tfvars`` when the link is a variables file),
- in a local module the stack calls, nested calls included (``module``),
- ``popcorn.toml`` (``config``: backend and environments of every stack), or under ``policies/``
  (``policies``: the gate every plan passes) -- these two affect every stack.

Then the stacks that read an affected stack's state (``terraform_remote_state``, popcorn.toml
``[dependencies]``) are affected too (``dependency``), transitively: a change to ``global/ecr`` plans the
environments. The bootstrap edge is not followed (it orders runs; no stack reads bootstrap's outputs).
Documentation (``*.md``) affects nothing. See :mod:`popcornctl.graph.modules` for what a stack reads.

JSON shape of :meth:`Affected.as_dict` (``popcornctl affected --output json``), version 1::

    {"version": 1,
     "base": "origin/main", "head": "HEAD" | null, "merge_base": "<sha>", "head_commit": "<sha>",
     "working_tree": true,                 # uncommitted and untracked files included (no --head)
     "stacks": [                           # affected stacks, in dependency order
       {"stack": "envs/dev", "layer": 2,   # layer: index in the whole graph's layers (0 = no dependencies)
        "direct": true,                    # false when affected only through a dependency
        "environments": ["dev"],           # environments whose run includes the stack
        "reasons": [{"kind": "own" | "tfvars" | "link" | "module" | "config" | "policies" | "dependency",
                     "file": "modules/vpc/main.tf" | null,    # the changed file (null for dependency)
                     "stack": "global/ecr" | null,            # dependency: the affected stack it reads
                     "detail": "...", "text": "one line"}]}],
     "files": [{"path": "README.md", "stacks": [], "why": "documentation: Terraform never reads it"},
               {"path": "modules/vpc/main.tf", "stacks": ["envs/dev", "envs/prod"], "why": null}]}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from popcornctl.config import ProjectConfig, load_config
from popcornctl.graph import STACK_PATTERNS, StackGraph
from popcornctl.graph.changes import Change, changed_files, tree_at
from popcornctl.graph.modules import Origin, StackSources, is_docs, read_all, under, unused_roots
from popcornctl.settings import REPO_MARKER

AFFECTED_VERSION = 1
POLICIES_DIR = "policies"
TFVARS_SUFFIXES = (".tfvars", ".tfvars.json")
REASON_KINDS = ("own", "tfvars", "link", "module", "config", "policies", "dependency")


@dataclass(frozen=True)
class Reason:
    """Why one stack is affected."""

    kind: str  # one of REASON_KINDS
    detail: str
    file: str | None = None  # the changed file
    stack: str | None = None  # dependency: the affected stack whose state is read

    def text(self) -> str:
        """One line for people."""
        if self.kind == "dependency":
            return f"reads the state of {self.stack} ({self.detail})"
        return f"{self.file}: {self.detail}"

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"kind": self.kind, "file": self.file, "stack": self.stack, "detail": self.detail, "text": self.text()}


@dataclass
class Affected:
    """The stacks a change affects, and what every changed file did."""

    stacks: dict[str, list[Reason]]  # in dependency order
    layers: dict[str, int]  # stack -> layer in the whole graph
    environments: dict[str, list[str]]  # stack -> environments whose run includes it
    files: dict[str, list[str]]  # changed file -> stacks it affects directly
    why_not: dict[str, str]  # changed file -> why it affects no stack
    change: Change | None = None

    def direct(self, stack: str) -> bool:
        """True when a changed file reaches the stack itself (not only through a dependency)."""
        return any(r.kind != "dependency" for r in self.stacks.get(stack, []))

    def as_dict(self) -> dict[str, Any]:
        """The documented JSON shape (see the module docstring)."""
        change = self.change
        return {
            "version": AFFECTED_VERSION,
            "base": change.base if change else None,
            "head": change.head if change else None,
            "merge_base": change.merge_base if change else None,
            "head_commit": change.head_commit if change else None,
            "working_tree": change.working_tree if change else False,
            "stacks": [
                {
                    "stack": stack,
                    "layer": self.layers[stack],
                    "direct": self.direct(stack),
                    "environments": self.environments.get(stack, []),
                    "reasons": [r.as_dict() for r in reasons],
                }
                for stack, reasons in self.stacks.items()
            ],
            "files": [
                {"path": path, "stacks": self.files.get(path, []), "why": self.why_not.get(path)}
                for path in sorted({*self.files, *self.why_not})
            ],
        }


@dataclass
class ChangeMap:
    """Which stacks each file reaches: the repository's stacks, their sources and the unused roots."""

    config: ProjectConfig
    graph: StackGraph
    sources: dict[str, StackSources]
    unused: list[str] = field(default_factory=list)  # Terraform folders no stack uses (module examples)

    @classmethod
    def load(cls, config: ProjectConfig, graph: StackGraph | None = None) -> ChangeMap:
        """Read the stack graph and every stack's sources from ``config.root``."""
        graph = graph or StackGraph.load(config)
        sources = read_all(config.root, sorted(graph.stacks))
        used = set(graph.stacks) | {d for s in sources.values() for d in s.module_dirs()}
        origins = [o for s in sources.values() for o in s.origins]
        return cls(config, graph, sources, unused_roots(config.root, origins, used))

    def reaches(self, origin: Origin, path: str) -> bool:
        """True when a change to ``path`` is a change to ``origin``."""
        if not origin.is_dir:
            return path == origin.path
        if not under(path, origin.path):
            return False
        return not any(under(path, r) and not under(origin.path, r) for r in self.unused)

    def direct(self, path: str) -> dict[str, Reason]:
        """The stacks ``path`` affects directly, with the reason (the most specific origin wins)."""
        if is_docs(path):
            return {}
        if path == REPO_MARKER:
            reason = Reason("config", f"{REPO_MARKER} sets the backend and environments of every stack", path)
            return dict.fromkeys(self.graph.stacks, reason)
        if under(path, POLICIES_DIR):
            reason = Reason("policies", "the policy gate every plan passes", path)
            return dict.fromkeys(self.graph.stacks, reason)
        out: dict[str, Reason] = {}
        for stack, sources in self.sources.items():
            hits = [o for o in sources.origins if self.reaches(o, path)]
            if hits:
                best = max(hits, key=lambda o: len(o.path))
                out[stack] = _reason(best, path)
        return out

    def why_not(self, path: str) -> str:
        """Why a changed file affects no stack (only meaningful when :meth:`direct` is empty)."""
        if is_docs(path):
            return "documentation: Terraform never reads it"
        for folder in self.unused:
            if under(path, folder):
                return f"in {folder}/, a Terraform configuration no stack uses (a module example, or unused)"
        parts = path.split("/")
        for pattern in STACK_PATTERNS:
            depth = pattern.count("/") + 1
            prefix = "/".join(parts[:depth])
            if len(parts) > depth and fnmatch(prefix, pattern) and not parts[depth - 1].startswith(("_", ".")):
                return f"in {prefix}/, which holds no stack (no .tf files: removed, or not written yet)"
        return "outside every stack and everything a stack reads (links, local modules)"

    def environments(self, stack: str) -> list[str]:
        """The environments whose run includes ``stack``."""
        return [
            env.name
            for env in self.config.environments.values()
            if env.stack in self.graph.stacks and stack in self.graph.closure([env.stack])
        ]

    def affected(self, files: Iterable[str], change: Change | None = None) -> Affected:
        """The stacks ``files`` affect, dependents through state reads included."""
        reasons: dict[str, list[Reason]] = {}
        per_file: dict[str, list[str]] = {}
        why: dict[str, str] = {}
        for path in sorted(set(files)):
            hits = self.direct(path)
            if not hits:
                why[path] = self.why_not(path)
                continue
            per_file[path] = sorted(hits)
            for stack, reason in hits.items():
                reasons.setdefault(stack, []).append(reason)
        grown = True
        while grown:  # readers of affected stacks, until nothing new is reached
            grown = False
            for stack in sorted(self.graph.stacks):
                for dep in sorted(self.graph.stacks[stack].reads & set(reasons)):
                    where = self.graph.stacks[stack].reasons.get(dep, "reads its state")
                    reason = Reason("dependency", where, None, dep)
                    if reason not in reasons.get(stack, []):
                        reasons.setdefault(stack, []).append(reason)
                        grown = True
        all_layers = self.graph.layers(self.graph.stacks)
        layer_of = {s: i for i, layer in enumerate(all_layers) for s in layer}
        ordered = [s for layer in all_layers for s in layer if s in reasons]
        return Affected(
            stacks={s: reasons[s] for s in ordered},
            layers={s: layer_of[s] for s in ordered},
            environments={s: self.environments(s) for s in ordered},
            files=per_file,
            why_not=why,
            change=change,
        )


def _reason(origin: Origin, path: str) -> Reason:
    is_vars = path.endswith(TFVARS_SUFFIXES)
    if origin.kind == "stack":
        return Reason("tfvars" if is_vars else "own", "its variables file" if is_vars else "its own file", path)
    if origin.kind == "link":
        link = origin.via.removeprefix("link ")
        if is_vars:
            return Reason("tfvars", f"its variables file, linked as {link}", path)
        return Reason("link", f"shared file, linked as {link}", path)
    return Reason("module", f"module {origin.path}, called by {origin.via}", path)


def compute(root: Path, base: str, head: str | None = None) -> Affected:
    """``popcornctl affected``: git diff -> the stacks it affects, read from the head's tree."""
    change = changed_files(root, base, head)
    with tree_at(root, change) as tree:
        return ChangeMap.load(load_config(tree)).affected(change.files, change)


def changed_run(
    graph: StackGraph, env_stack: str, affected: Iterable[str], applied: Callable[[str], bool]
) -> dict[str, str]:
    """The stacks ``plan/up ENV --changed`` runs, with why: ENV's affected stacks, plus every stack they
    depend on (transitively) that was never applied -- a plan or apply needs its state, and only a stack
    that was never applied is known to be behind without planning it."""
    run = graph.closure([env_stack])
    chosen = dict.fromkeys(sorted(set(affected) & run), "affected by the change")
    todo = sorted(chosen)
    while todo:
        stack = todo.pop(0)
        for dep in sorted(graph.stacks[stack].depends_on):
            if dep not in chosen and not applied(dep):
                chosen[dep] = f"{stack} needs it and it was never applied"
                todo.append(dep)
    return chosen
