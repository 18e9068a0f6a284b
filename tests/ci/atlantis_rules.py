"""Atlantis repo-config rules for ``atlantis.yaml`` (version 3), as a test helper.

Written from Atlantis's documentation (repo-level atlantis.yaml, custom workflows, command requirements) and
the checks its config parser makes (strict keys; version 2 or 3; a project needs ``dir`` without ``..``;
names URL-safe except ``/`` and unique; two projects on one dir/workspace must be named; requirements are
approved/mergeable/undiverged; a step is a built-in name, a built-in with only ``extra_args``, or a
``run``/``env``/``multienv`` step; a project's workflow must be defined). Added for what we generate:
``depends_on`` names existing projects, without cycles, and each dependency runs in an earlier
``execution_order_group``.

``when_modified`` matching follows Atlantis: each pattern is joined to the project folder (path-cleaned)
and the changed file is matched .dockerignore-style (moby's pattern matcher: ``**`` spans folders, ``*`` and
``?`` do not, ``!`` excludes, the last matching pattern wins, a pattern matching a parent folder matches).
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

TOP_KEYS = {
    "version", "projects", "workflows", "policies", "autodiscover", "automerge", "parallel_apply", "parallel_plan",
    "delete_source_branch_on_merge", "emoji_reaction", "allowed_regexp_prefixes", "abort_on_execution_order_fail",
    "repo_locks", "silence_pr_comments",
}
TOP_BOOLS = {"automerge", "parallel_apply", "parallel_plan", "delete_source_branch_on_merge",
             "abort_on_execution_order_fail"}
PROJECT_KEYS = {
    "name", "branch", "dir", "workspace", "workflow", "terraform_distribution", "terraform_version", "autoplan",
    "plan_requirements", "apply_requirements", "import_requirements", "depends_on", "delete_source_branch_on_merge",
    "repo_locking", "repo_locks", "execution_order_group", "policy_check", "custom_policy_check",
    "silence_pr_comments",
}
AUTOPLAN_KEYS = {"when_modified", "enabled"}
STAGES = {"plan", "apply", "policy_check", "import", "state_rm"}
STEP_NAMES = {"init", "plan", "apply", "env", "multienv", "show", "policy_check", "import", "state_rm"}
REQUIREMENTS = {"approved", "mergeable", "undiverged"}
GLOB = re.compile(r"[*?\[]")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _workspace_error(name: str) -> str | None:
    if any(c in name for c in "/\\"):
        return "cannot contain '/' or '\\'"
    if ".." in name or name == "." or name.startswith(("-", "~")) or "$" in name:
        return "is not a workspace name"
    if any(c.isspace() or not c.isprintable() for c in name):
        return "cannot contain whitespace or control characters"
    return None


def _step_errors(where: str, step: Any) -> list[str]:
    if isinstance(step, str):
        return [] if step in STEP_NAMES else [f"{where}: {step!r} is not a valid step type"]
    if not isinstance(step, dict) or len(step) != 1:
        return [f"{where}: a step is a name or a map with exactly one key"]
    (name, args), = step.items()
    if isinstance(args, str):
        return [] if name in ("run", "multienv") else [f"{where}: {name!r} takes no string"]
    if not isinstance(args, dict):
        return [f"{where}: {name!r} needs a string or a map"]
    if name in ("run", "multienv"):
        extra = set(args) - {"command", "output", "shell", "shellArgs"}
        bad = [f"{where}: {name} step has unknown keys {sorted(extra)}"] if extra else []
        return bad + ([] if isinstance(args.get("command"), str) else [f"{where}: {name} step needs a command"])
    if name == "env":
        errors = [] if "name" in args else [f"{where}: env steps must have a name"]
        if "value" in args and "command" in args:
            errors.append(f"{where}: env steps take value or command, not both")
        return errors
    if name in STEP_NAMES:
        if set(args) != {"extra_args"} or not _str_list(args["extra_args"]):
            return [f"{where}: built-in steps only support a single extra_args list"]
        return []
    return [f"{where}: {name!r} is not a valid step type"]


def validate(data: Any, repo: Path) -> list[str]:
    """Every rule ``data`` (parsed atlantis.yaml) breaks; empty when it is valid for ``repo``."""
    if not isinstance(data, dict):
        return ["the file is not a mapping"]
    errors = [f"unknown top-level key {k!r}" for k in sorted(set(data) - TOP_KEYS)]
    if not _is_int(data.get("version")) or data.get("version") not in (2, 3):
        errors.append("version: only versions 2 and 3 are supported")
    errors += [f"{k}: must be a boolean" for k in sorted(TOP_BOOLS & set(data)) if not isinstance(data[k], bool)]
    workflows = data.get("workflows", {})
    if not isinstance(workflows, dict):
        return [*errors, "workflows: must be a mapping"]
    for wname, workflow in workflows.items():
        if not isinstance(workflow, dict):
            errors.append(f"workflows.{wname}: must be a mapping")
            continue
        errors += [f"workflows.{wname}: unknown stage {k!r}" for k in sorted(set(workflow) - STAGES)]
        for stage, body in workflow.items():
            if not isinstance(body, dict) or set(body) - {"steps"} or not isinstance(body.get("steps", []), list):
                errors.append(f"workflows.{wname}.{stage}: a stage is a mapping with a steps list")
                continue
            for i, step in enumerate(body.get("steps", [])):
                errors += _step_errors(f"workflows.{wname}.{stage}.steps[{i}]", step)
    projects = data.get("projects", [])
    if not isinstance(projects, list) or not all(isinstance(p, dict) for p in projects):
        return [*errors, "projects: must be a list of mappings"]
    names: dict[str, dict[str, Any]] = {}
    dir_workspaces: dict[tuple[str, str], list[str | None]] = {}
    for i, project in enumerate(projects):
        where = f"projects[{i}]"
        errors += [f"{where}: unknown key {k!r}" for k in sorted(set(project) - PROJECT_KEYS)]
        directory = project.get("dir")
        if not isinstance(directory, str) or not directory:
            errors.append(f"{where}.dir: is required")
            continue
        if ".." in directory:
            errors.append(f"{where}.dir: cannot contain '..'")
        elif not any((repo / directory).glob("*.tf")):
            errors.append(f"{where}.dir: {directory} holds no Terraform files")
        name = project.get("name")
        if name is not None:
            if not isinstance(name, str) or not name:
                errors.append(f"{where}.name: if set cannot be empty")
            elif quote_plus(name.replace("/", "-")) != name.replace("/", "-") or GLOB.search(name):
                errors.append(f"{where}.name: {name!r} is not allowed: must contain only URL safe characters")
            elif name in names:
                errors.append(f"{where}.name: found two or more projects with name {name!r}")
            else:
                names[name] = project
        workspace = project.get("workspace", "default")
        problem = _workspace_error(workspace) if isinstance(workspace, str) else "must be a string"
        if problem:
            errors.append(f"{where}.workspace: {problem}")
        cleaned = posixpath.normpath("./" + directory)
        dir_workspaces.setdefault((cleaned, str(workspace)), []).append(name)
        for key in ("plan_requirements", "apply_requirements", "import_requirements"):
            if key in project and (not _str_list(project[key]) or set(project[key]) - REQUIREMENTS):
                errors.append(f"{where}.{key}: only approved, mergeable and undiverged are supported")
        if "execution_order_group" in project and not _is_int(project["execution_order_group"]):
            errors.append(f"{where}.execution_order_group: must be an integer")
        if "depends_on" in project and not _str_list(project["depends_on"]):
            errors.append(f"{where}.depends_on: must be a list of project names")
        if "workflow" in project and project["workflow"] not in workflows:
            errors.append(f"{where}.workflow: workflow {project['workflow']!r} is not defined anywhere")
        autoplan = project.get("autoplan", {})
        if not isinstance(autoplan, dict) or set(autoplan) - AUTOPLAN_KEYS:
            errors.append(f"{where}.autoplan: only when_modified and enabled")
        else:
            if "when_modified" in autoplan and (
                not _str_list(autoplan["when_modified"]) or "!" in [p.strip() for p in autoplan["when_modified"]]
            ):
                errors.append(f"{where}.autoplan.when_modified: must be a list of patterns")
            if "enabled" in autoplan and not isinstance(autoplan["enabled"], bool):
                errors.append(f"{where}.autoplan.enabled: must be a boolean")
    for (directory, workspace), named in dir_workspaces.items():
        if len(named) > 1 and None in named:
            errors.append(f"two or more projects with dir {directory!r} workspace {workspace!r} are not all named")
    errors += _dependency_errors(names)
    return errors


def _dependency_errors(names: dict[str, dict[str, Any]]) -> list[str]:
    errors: list[str] = []
    edges: dict[str, list[str]] = {}
    for name, project in names.items():
        deps = project.get("depends_on", [])
        if not _str_list(deps):
            continue
        edges[name] = deps
        for dep in deps:
            if dep == name:
                errors.append(f"{name}: depends on itself")
            elif dep not in names:
                errors.append(f"{name}: depends_on names {dep!r}, which is no project")
            elif _is_int(project.get("execution_order_group", 0)) and _is_int(
                names[dep].get("execution_order_group", 0)
            ) and names[dep].get("execution_order_group", 0) >= project.get("execution_order_group", 0):
                errors.append(f"{name}: its dependency {dep} does not run in an earlier execution_order_group")
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in edges.get(node, []):
            if dep not in names:
                continue
            if state.get(dep) == 1:
                errors.append(f"depends_on cycle: {' -> '.join([*path[path.index(dep):], dep])}")
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    return errors


# -- .dockerignore-style matching, as Atlantis does it for when_modified -----------------------------------------------
_ESCAPE = set(".+()|{}$")


def _compile(pattern: str) -> tuple[str, Any]:
    """(kind, data): exact / prefix / suffix / regexp, the way moby's matcher classifies a cleaned pattern."""
    regex, kind, i = "^", "exact", 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if i + 1 < len(pattern) and pattern[i + 1] == "*":
                i += 1
                if i + 1 < len(pattern) and pattern[i + 1] == "/":
                    i += 1
                if i + 1 >= len(pattern):
                    if kind == "exact":
                        kind = "prefix"
                    else:
                        regex += ".*"
                        kind = "regexp"
                else:
                    regex += "(.*/)?"
                    kind = "regexp"
                if i <= 2 and pattern.startswith("**"):
                    kind = "suffix"
            else:
                regex += "[^/]*"
                kind = "regexp"
        elif ch == "?":
            regex += "[^/]"
            kind = "regexp"
        elif ch in _ESCAPE:
            regex += "\\" + ch
        elif ch == "\\":
            i += 1
            regex += re.escape(pattern[i]) if i < len(pattern) else "\\\\"
            kind = "regexp"
        elif ch in "[]":
            regex += ch
            kind = "regexp"
        else:
            regex += ch
        i += 1
    if kind == "regexp":
        return kind, re.compile(regex + "$")
    return kind, pattern


def _match(compiled: tuple[str, Any], pattern: str, path: str) -> bool:
    kind, data = compiled
    if kind == "exact":
        return bool(path == pattern)
    if kind == "prefix":
        return path.startswith(pattern[:-2])
    if kind == "suffix":
        suffix = pattern[2:]
        return path.endswith(suffix) or (suffix.startswith("/") and path == suffix[1:])
    return bool(data.match(path))


def matches_or_parent_matches(patterns: list[str], path: str) -> bool:
    """moby's MatchesOrParentMatches: the last matching pattern decides; parents of ``path`` match too."""
    compiled = []
    for raw in patterns:
        text = raw.strip()
        if not text:
            continue
        exclusion = text.startswith("!")
        cleaned = posixpath.normpath(text[1:] if exclusion else text)
        compiled.append((exclusion, cleaned, _compile(cleaned)))
    parent = posixpath.dirname(path)
    parents = parent.split("/") if parent else []
    matched = False
    for exclusion, cleaned, pattern in compiled:
        if exclusion != matched:
            continue
        hit = _match(pattern, cleaned, path)
        if not hit and parents:
            hit = any(_match(pattern, cleaned, "/".join(parents[: i + 1])) for i in range(len(parents)))
        if hit:
            matched = not exclusion
    return matched


def triggers(project: dict[str, Any], path: str) -> bool:
    """Whether a change to ``path`` (repository-relative) autoplans ``project``."""
    patterns = []
    for raw in project.get("autoplan", {}).get("when_modified", []):
        text = raw.strip()
        exclusion = text.startswith("!")
        joined = posixpath.normpath(posixpath.join(project["dir"], text[1:] if exclusion else text))
        patterns.append(("!" if exclusion else "") + joined)
    return matches_or_parent_matches(patterns, path)
