"""Which stacks a run touches, in which order, and what it relies on outside itself.

- ``up ENV`` / ``plan ENV``: the environment's stack and everything it depends on (bootstrap, the global
  stacks it reads, …), dependencies first.
- ``down ENV``: only ``envs/ENV`` by default; ``--include-global`` adds the other stacks ENV depends on
  (except bootstrap), ``--include-bootstrap`` adds bootstrap; dependents first.
- ``--only STACK`` / ``--exclude STACK`` narrow it; ``--target ADDR`` (or ``STACK::ADDR``) limits the run to the
  stacks it names (an unqualified address belongs to the environment's stack).

Nothing is silently skipped: a stack left out of a run that a selected stack depends on must already be
applied (``up``; ``plan`` reports "waiting" per stack instead), and ``down`` refuses to destroy a stack that
a stack outside the run still reads. Those checks need the backend (:meth:`Selection.check_outside`).

- ``up/plan ENV --changed``: :func:`changed_stacks` picks the stack set (the graph room decides it:
  :func:`popcornctl.graph.affected.changed_run`) and the run is narrowed to it like ``--only``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from popcornctl.config import Environment, ProjectConfig
from popcornctl.errors import PopcornError
from popcornctl.graph import StackGraph
from popcornctl.orchestrate.backend import StateProbe

TARGET_SEPARATOR = "::"


@dataclass
class Selection:
    """The stacks of one run."""

    command: str
    env: Environment
    stacks: list[str]  # dependency order (reverse for down)
    prerequisites: dict[str, set[str]]  # stack -> stacks of this run that must finish first
    outside: dict[str, list[str]]  # stack -> stacks outside the run it relies on (deps; dependents for down)
    targets: dict[str, list[str]] = field(default_factory=dict)
    missing_outside: dict[str, list[str]] = field(default_factory=dict)  # filled by check_outside (plan)

    def width(self) -> int:
        """The largest number of stacks that can run at once (the default --parallelism)."""
        depth: dict[str, int] = {}
        for stack in self.stacks:  # prerequisites always come earlier in self.stacks
            depth[stack] = 1 + max((depth[p] for p in self.prerequisites[stack]), default=0)
        counts: dict[int, int] = {}
        for value in depth.values():
            counts[value] = counts.get(value, 0) + 1
        return max(counts.values(), default=1)

    def check_outside(self, probe: StateProbe, bootstrap: str, bucket: str) -> None:
        """Check what the run relies on outside itself (see the module docstring)."""
        applied = applied_check(probe, bootstrap)
        for stack, others in self.outside.items():
            if self.command == "down":
                still = [o for o in others if o != bootstrap and applied(o)]
                if still:
                    raise PopcornError(
                        f"cannot destroy {stack}: {', '.join(still)} still read(s) its state and is not part "
                        "of this run",
                        f"destroy {still[0]} first (popcornctl down …), or leave {stack} out of this run",
                    )
                continue
            missing = [o for o in others if not applied(o)]
            if not missing:
                continue
            if self.command == "plan":
                self.missing_outside[stack] = missing
                continue
            first = missing[0]
            why = f"the state bucket {bucket!r} does not exist" if first == bootstrap else "it has no state yet"
            raise PopcornError(
                f"{stack} depends on {first}, which is not part of this run and was never applied ({why})",
                f"run it too (drop --only/--exclude/--target for {first}), e.g. popcornctl up {self.env.name}",
            )


def applied_check(probe: StateProbe, bootstrap: str) -> Callable[[str], bool]:
    """Has a stack been applied? (bootstrap: its bucket exists; others: their state holds resources), cached."""
    cache: dict[str, bool] = {}

    def applied(stack: str) -> bool:
        if stack not in cache:
            cache[stack] = probe.bucket_exists() if stack == bootstrap else probe.state(stack).applied
        return cache[stack]

    return applied


def changed_stacks(
    config: ProjectConfig, graph: StackGraph, env_name: str, affected: Iterable[str], probe: StateProbe
) -> dict[str, str]:
    """``--changed``: ENV's affected stacks plus the never-applied stacks they need (stack -> why)."""
    from popcornctl.graph.affected import changed_run

    env = config.environment(env_name)
    if env.stack not in graph.stacks:
        return {}
    return changed_run(graph, env.stack, affected, applied_check(probe, config.bootstrap_stack))


def _parse_targets(raw: Iterable[str], env_stack: str, allowed: set[str]) -> dict[str, list[str]]:
    targets: dict[str, list[str]] = {}
    for item in raw:
        stack, sep, address = item.partition(TARGET_SEPARATOR)
        if not sep:
            stack, address = env_stack, item
        stack = stack.strip("/")
        if not address:
            raise PopcornError(f"--target {item!r} names no resource address", "use ADDRESS or STACK::ADDRESS")
        if stack not in allowed:
            raise PopcornError(
                f"--target {item!r}: stack {stack!r} is not part of this run",
                f"use one of: {', '.join(sorted(allowed))}",
            )
        targets.setdefault(stack, []).append(address)
    return targets


def _check_names(flag: str, names: Iterable[str], allowed: set[str], env: str) -> list[str]:
    out = [n.strip("/") for n in names]
    for name in out:
        if name not in allowed:
            raise PopcornError(
                f"{flag} {name!r} is not a stack of the {env} run",
                f"use one of: {', '.join(sorted(allowed))}",
            )
    return out


def select(
    config: ProjectConfig,
    graph: StackGraph,
    command: str,
    env_name: str,
    *,
    only: Iterable[str] = (),
    exclude: Iterable[str] = (),
    targets: Iterable[str] = (),
    include_global: bool = False,
    include_bootstrap: bool = False,
) -> Selection:
    """The stacks of ``command ENV`` with the narrowing options (usage errors are PopcornError)."""
    env = config.environment(env_name)
    if env.stack not in graph.stacks:
        raise PopcornError(
            f"environment {env.name!r} has no stack: {env.stack}/ holds no .tf files",
            f"create {env.stack}/ or fix [environments.{env.name}] stack in popcorn.toml",
        )
    closure = graph.closure([env.stack])
    bootstrap = config.bootstrap_stack
    if command == "down":
        base = {env.stack}
        if include_global:
            base |= {s for s in closure if s not in (env.stack, bootstrap)}
        if include_bootstrap and bootstrap in graph.stacks:
            base.add(bootstrap)
    else:
        base = set(closure)
    only_list = _check_names("--only", only, base, env.name)
    exclude_list = _check_names("--exclude", exclude, base, env.name)
    chosen = set(only_list) if only_list else set(base)
    chosen -= set(exclude_list)
    target_map = _parse_targets(targets, env.stack, chosen)
    if target_map:
        chosen &= set(target_map)
    if not chosen:
        raise PopcornError("nothing to run: --only/--exclude/--target left no stack", "select at least one stack")
    layers = graph.reverse_layers(chosen) if command == "down" else graph.layers(chosen)
    ordered = [s for layer in layers for s in layer]
    prerequisites: dict[str, set[str]] = {}
    outside: dict[str, list[str]] = {}
    for stack in ordered:
        related = graph.dependents(stack) if command == "down" else graph.closure([stack]) - {stack}
        prerequisites[stack] = related & chosen
        direct = graph.dependents(stack) if command == "down" else graph.stacks[stack].depends_on
        left_out = sorted(set(direct) - chosen)
        if left_out:
            outside[stack] = left_out
    return Selection(
        command=command,
        env=env,
        stacks=ordered,
        prerequisites=prerequisites,
        outside=outside,
        targets=target_map,
    )
