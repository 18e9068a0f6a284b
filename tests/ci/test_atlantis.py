"""``popcornctl ci atlantis``: atlantis.yaml from the graph, valid by Atlantis's rules, current, and in step with
``affected`` (the projects Atlantis autoplans for a file are exactly the stacks ``affected`` names)."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from atlantis_rules import matches_or_parent_matches, triggers, validate
from gitrepos import platform_repo, write

from clirunner import run_cli
from popcornctl.config import load_config
from popcornctl.graph.affected import ChangeMap
from popcornctl.graph.ci_files import atlantis_yaml, rollout_layers

REPO = Path(__file__).resolve().parents[2]


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    return run_cli(args, prefix=["--repo", str(root), "--no-color"])


def generated(root: Path) -> dict[str, Any]:
    data = yaml.safe_load(atlantis_yaml(ChangeMap.load(load_config(root))))
    assert isinstance(data, dict)
    return data


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    platform_repo(root)
    return root


# -- the validator itself must be able to fail -------------------------------------------------------------------------
def _mutations() -> list[tuple[str, Any, str]]:
    def unknown_key(d: dict[str, Any]) -> None:
        d["projects"][0]["when_changed"] = ["**"]

    def missing_dep(d: dict[str, Any]) -> None:
        d["projects"][1]["depends_on"] = ["global/nope"]

    def cycle(d: dict[str, Any]) -> None:
        by = {p["name"]: p for p in d["projects"]}
        by["bootstrap"]["depends_on"] = ["envs/dev"]

    def bad_requirement(d: dict[str, Any]) -> None:
        d["projects"][0]["apply_requirements"] = ["approved", "reviewed"]

    def undefined_workflow(d: dict[str, Any]) -> None:
        d["projects"][0]["workflow"] = "custom"

    def duplicate_name(d: dict[str, Any]) -> None:
        d["projects"][1]["name"] = d["projects"][0]["name"]

    def dotdot_dir(d: dict[str, Any]) -> None:
        d["projects"][0]["dir"] = "envs/../bootstrap"

    def bad_step(d: dict[str, Any]) -> None:
        d["workflows"][next(iter(d["workflows"]))]["plan"]["steps"].append("terraform plan")

    def string_group(d: dict[str, Any]) -> None:
        d["projects"][0]["execution_order_group"] = "1"

    def version_2_5(d: dict[str, Any]) -> None:
        d["version"] = 4

    def dependency_in_a_later_group(d: dict[str, Any]) -> None:
        by = {p["name"]: p for p in d["projects"]}
        by["bootstrap"]["execution_order_group"] = 9

    return [
        ("unknown key", unknown_key, "unknown key 'when_changed'"),
        ("missing dependency", missing_dep, "'global/nope', which is no project"),
        ("cycle", cycle, "depends_on cycle"),
        ("requirement", bad_requirement, "only approved, mergeable and undiverged"),
        ("workflow", undefined_workflow, "'custom' is not defined"),
        ("duplicate", duplicate_name, "two or more projects with name"),
        ("dotdot", dotdot_dir, "cannot contain '..'"),
        ("step", bad_step, "'terraform plan' is not a valid step type"),
        ("group type", string_group, "execution_order_group: must be an integer"),
        ("version", version_2_5, "only versions 2 and 3"),
        ("group order", dependency_in_a_later_group, "does not run in an earlier execution_order_group"),
    ]


@pytest.mark.parametrize(("case", "mutate", "message"), _mutations(), ids=[m[0] for m in _mutations()])
def test_the_rules_catch_what_atlantis_rejects(demo: Path, case: str, mutate: Any, message: str) -> None:
    data = generated(demo)
    assert validate(data, demo) == []
    broken = copy.deepcopy(data)
    mutate(broken)
    assert any(message in e for e in validate(broken, demo)), (case, validate(broken, demo))


# -- the generated file -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["repository", "demo"])
def test_generated_file_is_valid_and_mirrors_the_graph(where: str, demo: Path) -> None:
    root = REPO if where == "repository" else demo
    cmap = ChangeMap.load(load_config(root))
    data = generated(root)
    assert validate(data, root) == []
    assert data["version"] == 3
    projects = {p["name"]: p for p in data["projects"]}
    assert set(projects) == set(cmap.graph.stacks), "one project per stack"
    group = {s: i for i, layer in enumerate(rollout_layers(cmap.graph, cmap.config)) for s in layer}
    protected = set().union(*(cmap.graph.closure([e.stack]) for e in cmap.config.environments.values() if e.protected))
    for name, project in projects.items():
        assert project["dir"] == name
        assert set(project.get("depends_on", [])) == cmap.graph.stacks[name].depends_on
        assert project["execution_order_group"] == group[name]
        assert (project.get("apply_requirements") == ["approved", "mergeable", "undiverged"]) == (name in protected)
        steps = data["workflows"][project["workflow"]]["plan"]["steps"]
        gate = [s["run"] for s in steps if isinstance(s, dict) and "run" in s]
        assert steps[:3] == ["init", "plan", "show"] and len(gate) == 1
        assert gate[0].startswith('popcornctl --no-color policy-check "$SHOWFILE"') and 'rm -f "$PLANFILE"' in gate[0]
    # environments' stacks are gated for their environment; prod's run is approved before apply
    assert "--env dev" in data["workflows"][projects["envs/dev"]["workflow"]]["plan"]["steps"][3]["run"]
    assert "--env prod" in data["workflows"][projects["envs/prod"]["workflow"]]["plan"]["steps"][3]["run"]
    assert "apply_requirements" not in projects["envs/dev"]


def _paths(root: Path) -> list[str]:
    listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True, text=True, check=False)
    tracked = [p for p in listed.stdout.split("\0") if p] if listed.returncode == 0 else []
    if not tracked:
        tracked = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink()]
    synthetic = [
        "modules/new-module/main.tf", "envs/_shared/new.tf", "global/new/main.tf", "docs/new.md",
        "policies/new_policy.py", "envs/dev/new.auto.tfvars",
    ]
    return sorted({*tracked, *synthetic} - {p for p in tracked if "/.terraform/" in p})


@pytest.mark.parametrize("where", ["repository", "demo"])
def test_when_modified_selects_exactly_the_stacks_affected_names(where: str, demo: Path) -> None:
    """For every file in the tree (and a few new ones), Atlantis's matching of the generated patterns and
    `popcornctl affected` agree on the stacks a change to that file plans."""
    root = REPO if where == "repository" else demo
    cmap = ChangeMap.load(load_config(root))
    projects = generated(root)["projects"]
    paths = _paths(root)
    assert len(paths) > 20
    disagreements = []
    for path in paths:
        expected = set(cmap.affected([path]).stacks)
        autoplanned = {p["name"] for p in projects if triggers(p, path)}
        if expected != autoplanned:
            disagreements.append((path, sorted(expected), sorted(autoplanned)))
    assert disagreements == []


def test_the_matcher_follows_dockerignore_rules() -> None:
    assert matches_or_parent_matches(["modules/vpc/**"], "modules/vpc/a/b.tf")
    assert not matches_or_parent_matches(["modules/vpc/**"], "modules/vpc2/main.tf")
    assert matches_or_parent_matches(["envs/dev/*.tf"], "envs/dev/main.tf")
    assert not matches_or_parent_matches(["envs/dev/*.tf"], "envs/dev/sub/main.tf")
    assert not matches_or_parent_matches(["modules/**", "!modules/**/*.md"], "modules/vpc/README.md")
    assert matches_or_parent_matches(["modules/**", "!modules/**/*.md", "modules/vpc/README.md"],
                                     "modules/vpc/README.md")  # the last match wins
    assert matches_or_parent_matches(["envs/dev"], "envs/dev/main.tf")  # a parent folder matches


# -- --check ---------------------------------------------------------------------------------------------------------------
def test_the_committed_atlantis_yaml_is_current() -> None:
    code, out, err = cli(REPO, "ci", "atlantis", "--check")
    assert code == 0, out + err


def test_check_fails_after_a_stack_is_added_and_passes_after_regeneration(demo: Path) -> None:
    assert cli(demo, "ci", "atlantis", "--check")[0] == 1  # no file yet
    code, out, _ = cli(demo, "ci", "atlantis")
    assert code == 0 and "wrote" in out
    assert cli(demo, "ci", "atlantis", "--check")[0] == 0
    write(demo, {"global/cdn/main.tf": 'resource "terraform_data" "cdn" {}\n'})
    code, out, err = cli(demo, "ci", "atlantis", "--check")
    assert code == 1
    assert "+- name: global/cdn" in out and "atlantis.yaml is out of date" in err
    assert "global/cdn" not in (demo / "atlantis.yaml").read_text(), "--check writes nothing"
    assert cli(demo, "ci", "atlantis")[0] == 0
    assert cli(demo, "ci", "atlantis", "--check")[0] == 0
    assert validate(yaml.safe_load((demo / "atlantis.yaml").read_text()), demo) == []


def test_check_fails_after_a_new_module_call(demo: Path) -> None:
    assert cli(demo, "ci", "atlantis")[0] == 0
    write(demo, {"global/dns/main.tf": 'module "orphan" {\n  source = "../../modules/orphan"\n}\n'})
    code, out, _ = cli(demo, "ci", "atlantis", "--check")
    assert code == 1 and '+    - "../../modules/orphan/**"' in out


def test_a_missing_folder_for_the_file_is_exit_2(demo: Path) -> None:
    code, _, err = cli(demo, "ci", "atlantis", "--file", str(demo / "nope" / "atlantis.yaml"))
    assert code == 2 and "does not exist" in err
