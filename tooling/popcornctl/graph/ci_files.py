"""The stack graph rendered for the CI systems a team already runs: GitHub Actions job matrices, ``atlantis.yaml``.

**Rollout order.** The stack graph, plus promotion: an environment's own stack waits for the own stacks of
the environments promoted before it (unprotected before protected, then popcorn.toml order), so dev is
applied before prod as ``apply-dev``/``apply-prod`` always were. :func:`rollout_layers` numbers the layers
of the whole repository, so the numbers are stable whatever a change touches (the apply workflow has one
job per layer).

**One job per stack.** Each stack runs once, through its *owner*: the last environment, in promotion order,
whose run includes it (:func:`owner`). Shared stacks (bootstrap, ``global/*``) are therefore planned and
applied through the strictest environment that reads them (prod): its reviewers, its destroy protection,
its policies. ``--env`` narrows the environments considered, so ``--env dev`` runs them through dev.

**Atlantis.** One project per stack (``envs/dev`` and ``envs/prod`` are separate folders, so already one per
environment); ``depends_on`` = the stack's dependencies; ``execution_order_group`` = its rollout layer;
``autoplan.when_modified`` = every file that affects it (:mod:`popcornctl.graph.affected`: its folder, its
links, its modules, the stacks it reads, popcorn.toml, policies/) as globs relative to the project folder,
documentation and unused module examples excluded; workflow ``popcorn-<owner env>`` whose plan stage gates
the plan with ``popcornctl policy-check``; ``apply_requirements`` for every stack a protected environment's
run includes.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from popcornctl.config import Environment, ProjectConfig
from popcornctl.errors import PopcornError
from popcornctl.graph import StackGraph, topo_layers
from popcornctl.graph.affected import POLICIES_DIR, ChangeMap
from popcornctl.graph.modules import is_docs, under
from popcornctl.settings import REPO_MARKER

ATLANTIS_FILE = "atlantis.yaml"
PROTECTED_REQUIREMENTS = ("approved", "mergeable", "undiverged")
WORKFLOW_PREFIX = "popcorn"
GITHUB_VERSION = 1


def promotion_order(config: ProjectConfig) -> list[Environment]:
    """Environments in the order changes reach them: unprotected first, then popcorn.toml order."""
    envs = list(config.environments.values())
    return sorted(envs, key=lambda e: (e.protected, envs.index(e)))


def rollout_edges(graph: StackGraph, config: ProjectConfig) -> dict[str, set[str]]:
    """Stack -> what it waits for: its dependencies, plus the environment stacks promoted before it."""
    edges = {path: set(stack.depends_on) for path, stack in graph.stacks.items()}
    earlier: list[str] = []
    for env in promotion_order(config):
        if env.stack not in graph.stacks:
            continue
        for before in earlier:
            if env.stack not in graph.closure([before]):  # never against the graph (that would be a cycle)
                edges[env.stack].add(before)
        earlier.append(env.stack)
    return edges


def rollout_layers(graph: StackGraph, config: ProjectConfig) -> list[list[str]]:
    """The layers of every stack in rollout order (see the module docstring)."""
    return topo_layers(rollout_edges(graph, config))


def _selected(config: ProjectConfig, envs: Iterable[str] | None) -> list[Environment]:
    order = promotion_order(config)
    if envs is None:
        return order
    wanted = list(envs)
    for name in wanted:
        config.environment(name)  # an unknown name is a one-line error
    return [e for e in order if e.name in wanted]


def owner(graph: StackGraph, config: ProjectConfig, stack: str, envs: Iterable[str] | None = None) -> str | None:
    """The environment a stack runs through: the last one, in promotion order, whose run includes it."""
    found: str | None = None
    for env in _selected(config, envs):
        if env.stack in graph.stacks and stack in graph.closure([env.stack]):
            found = env.name
    return found


@dataclass(frozen=True)
class Job:
    """One stack run through one environment, in one rollout layer."""

    stack: str
    env: str
    layer: int
    protected: bool

    def as_dict(self) -> dict[str, Any]:
        """A GitHub Actions matrix entry."""
        return {
            "stack": self.stack,
            "env": self.env,
            "slug": self.stack.replace("/", "-"),
            "layer": self.layer,
            "protected": self.protected,
            "name": f"{self.stack} ({self.env})",
        }


def jobs(
    graph: StackGraph, config: ProjectConfig, stacks: Iterable[str], envs: Iterable[str] | None = None
) -> list[Job]:
    """One job per stack (through its owner environment), in rollout order; stacks no environment runs are left
    out."""
    chosen = list(envs) if envs is not None else None
    layer_of = {s: i for i, layer in enumerate(rollout_layers(graph, config)) for s in layer}
    out: list[Job] = []
    for stack in set(stacks):
        env = owner(graph, config, stack, chosen)
        if env is not None:
            out.append(Job(stack, env, layer_of[stack], config.environments[env].protected))
    return sorted(out, key=lambda j: (j.layer, j.stack))


def github_document(
    graph: StackGraph, config: ProjectConfig, selected: list[Job], *, apply_layers: int | None = None
) -> dict[str, Any]:
    """What ``popcornctl ci github`` prints: the plan matrix, one matrix per rollout layer, and counts.

    ``apply_layers`` is the number of ``apply-<layer>`` jobs the calling workflow has: a graph with more
    layers is refused, so a stack in a layer without a job is never silently left unapplied.
    """
    total = len(rollout_layers(graph, config))
    if apply_layers is not None and total > apply_layers:
        raise PopcornError(
            f"the stack graph has {total} rollout layers but the workflow has apply jobs for {apply_layers}",
            f"add apply-{apply_layers}..apply-{total - 1} jobs to .github/workflows/apply.yml (see docs/CI_ENGINES.md)",
        )
    order = [e.name for e in promotion_order(config)]
    return {
        "version": GITHUB_VERSION,
        "count": len(selected),
        "layer_count": total,
        "layers": sorted({j.layer for j in selected}),
        "envs": [e for e in order if any(j.env == e for j in selected)],
        "matrix": {"include": [j.as_dict() for j in selected]},
        "by_layer": {str(i): {"include": [j.as_dict() for j in selected if j.layer == i]} for i in range(total)},
    }


def github_outputs(document: dict[str, Any]) -> dict[str, str]:
    """``$GITHUB_OUTPUT`` lines (name -> one-line value): matrix, count, envs, layers, layer_count, and per
    rollout layer ``layer_<i>`` (its matrix) and ``has_layer_<i>`` (``true``/``false``, for a job's ``if``)."""
    def compact(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), sort_keys=True)

    out = {
        "matrix": compact(document["matrix"]),
        "count": str(document["count"]),
        "envs": compact(document["envs"]),
        "layers": compact(document["layers"]),
        "layer_count": str(document["layer_count"]),
    }
    for index, matrix in document["by_layer"].items():
        out[f"layer_{index}"] = compact(matrix)
        out[f"has_layer_{index}"] = "true" if matrix["include"] else "false"
    return out


# -- Atlantis ------------------------------------------------------------------------------------------------------
def _rel(path: str, project: str) -> str:
    return os.path.relpath(path, project).replace(os.sep, "/")


def upstream(graph: StackGraph, stack: str) -> list[str]:
    """The stacks whose state ``stack`` reads, transitively (their changes re-plan it)."""
    seen: set[str] = set()
    todo = [stack]
    while todo:
        for dep in graph.stacks[todo.pop()].reads:
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return sorted(seen)


def when_modified(cmap: ChangeMap, stack: str) -> list[str]:
    """Atlantis ``when_modified`` globs (relative to the stack folder) for every file that affects ``stack``.

    Includes first, exclusions (``!``) last: Atlantis matches .dockerignore-style, the last match wins.
    """
    origins = [o for s in [stack, *upstream(cmap.graph, stack)] for o in cmap.sources[s].origins]
    includes: list[str] = []
    excludes: list[str] = []
    for origin in origins:
        if origin.path == stack:
            includes.append("**")
            excludes.append("!**/*.md")
        elif origin.is_dir:
            rel = _rel(origin.path, stack)
            includes.append(f"{rel}/**")
            excludes.append(f"!{rel}/**/*.md")
        elif not is_docs(origin.path):
            includes.append(_rel(origin.path, stack))
        if origin.is_dir:
            excludes.extend(
                f"!{_rel(u, stack)}/**" for u in cmap.unused if under(u, origin.path) and u != origin.path
            )
    includes += [_rel(REPO_MARKER, stack), f"{_rel(POLICIES_DIR, stack)}/**"]
    excludes.append(f"!{_rel(POLICIES_DIR, stack)}/**/*.md")
    return list(dict.fromkeys(includes)) + sorted(set(excludes))


def policy_command(env: str | None) -> str:
    """The plan-stage gate: policy-check on Atlantis's plan JSON; a failed gate deletes the plan (never applied)."""
    scope = f" --env {env}" if env else ""
    return f'popcornctl --no-color policy-check "$SHOWFILE" --root .{scope} || {{ rm -f "$PLANFILE"; exit 1; }}'


def atlantis_config(cmap: ChangeMap) -> dict[str, Any]:
    """``atlantis.yaml`` (version 3) as data, in rollout order."""
    graph, config = cmap.graph, cmap.config
    protected_runs: set[str] = set()
    for environment in config.environments.values():
        if environment.protected and environment.stack in graph.stacks:
            protected_runs |= graph.closure([environment.stack])
    projects: list[dict[str, Any]] = []
    workflows: dict[str, Any] = {}
    for group, layer in enumerate(rollout_layers(graph, config)):
        for stack in layer:
            env = owner(graph, config, stack)
            workflow = f"{WORKFLOW_PREFIX}-{env}" if env else WORKFLOW_PREFIX
            project: dict[str, Any] = {"name": stack, "dir": stack, "workspace": "default", "workflow": workflow,
                                       "execution_order_group": group}
            deps = sorted(graph.stacks[stack].depends_on)
            if deps:
                project["depends_on"] = deps
            project["autoplan"] = {"enabled": True, "when_modified": when_modified(cmap, stack)}
            if stack in protected_runs:
                project["apply_requirements"] = list(PROTECTED_REQUIREMENTS)
            projects.append(project)
            workflows[workflow] = {
                "plan": {"steps": ["init", "plan", "show", {"run": policy_command(env)}]},
                "apply": {"steps": ["apply"]},
            }
    return {
        "version": 3,
        "automerge": False,
        "parallel_plan": True,
        "parallel_apply": True,
        "abort_on_execution_order_fail": True,
        "projects": projects,
        "workflows": dict(sorted(workflows.items())),
    }


ATLANTIS_HEADER = """\
# Atlantis repo config, generated from the stack graph by `popcornctl ci atlantis`: do not edit by hand.
# Regenerate after adding a stack, a module call, a link or a remote-state read; CI and pre-commit run
# `popcornctl ci atlantis --check`. The server must allow it (repos.yaml): allow_custom_workflows: true and
# allowed_overrides: [workflow, apply_requirements]. See docs/CI_ENGINES.md.
"""


# -- a small YAML writer (pyyaml is not a runtime dependency; this file's shapes are simple) -----------------------
_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./-]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED and not re.match(r"^[0-9.+-]", text):
        return text
    return json.dumps(text)  # a JSON string is a valid YAML double-quoted scalar


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML for dicts, lists and scalars (keys are plain identifiers)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines.append(to_yaml(item, indent + 2 if isinstance(item, dict) else indent))
            else:
                lines.append(f"{pad}{key}: {_scalar(item) if not isinstance(item, (dict, list)) else json.dumps(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                body = to_yaml(item, indent + 2)
                lines.append(f"{pad}- {body[indent + 2:]}")
            elif isinstance(item, list) and item:
                lines.append(f"{pad}-")
                lines.append(to_yaml(item, indent + 2))
            else:
                lines.append(f"{pad}- {_scalar(item) if not isinstance(item, (dict, list)) else json.dumps(item)}")
    else:
        lines.append(f"{pad}{_scalar(value)}")
    return "\n".join(lines)


def atlantis_yaml(cmap: ChangeMap) -> str:
    """The full ``atlantis.yaml`` text."""
    return ATLANTIS_HEADER + to_yaml(atlantis_config(cmap)) + "\n"
