"""``popcornctl ci github``: the job matrix of a change (one job per affected stack, through its environment,
with its rollout layer), the $GITHUB_OUTPUT lines the workflows read, and its refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gitrepos import commit, platform_repo, write

from clirunner import run_cli
from popcornctl.config import load_config
from popcornctl.graph import StackGraph
from popcornctl.graph.ci_files import jobs, rollout_layers


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    return run_cli(args, prefix=["--repo", str(root), "--no-color"])


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Path, str]:
    root = tmp_path / "repo"
    return root, platform_repo(root)


def matrix(root: Path, *args: str) -> dict[str, Any]:
    code, out, err = cli(root, "ci", "github", *args)
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc


def entries(doc: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(e["stack"], e["env"], e["layer"]) for e in doc["matrix"]["include"]]


def test_rollout_layers_are_the_graph_plus_promotion(demo: tuple[Path, str]) -> None:
    root, _ = demo
    config = load_config(root)
    assert rollout_layers(StackGraph.load(config), config) == [
        ["bootstrap"], ["global/dns", "global/ecr"], ["envs/dev"], ["envs/prod"],
    ]


def test_a_module_change_gives_one_job_per_affected_stack_through_its_environment(demo: tuple[Path, str]) -> None:
    root, base = demo
    write(root, {"modules/registry/main.tf": "# registry v2\n"})
    commit(root, "registry")
    doc = matrix(root, "--base", base, "--head", "HEAD")
    # global/ecr is read by prod's run too, so it runs through prod (its reviewers, its destroy protection)
    assert entries(doc) == [("global/ecr", "prod", 1), ("envs/dev", "dev", 2), ("envs/prod", "prod", 3)]
    assert doc["count"] == 3 and doc["layers"] == [1, 2, 3] and doc["layer_count"] == 4 and doc["envs"] == ["dev", "prod"]
    assert doc["matrix"]["include"][0] == {"stack": "global/ecr", "env": "prod", "slug": "global-ecr", "layer": 1,
                                           "protected": True, "name": "global/ecr (prod)"}
    assert doc["by_layer"]["0"] == {"include": []}
    assert [e["stack"] for e in doc["by_layer"]["3"]["include"]] == ["envs/prod"]


def test_a_tfvars_change_gives_one_job(demo: tuple[Path, str]) -> None:
    root, base = demo
    write(root, {"envs/dev/terraform.tfvars": 'size = "m"\n'})
    commit(root, "dev size")
    assert entries(matrix(root, "--base", base, "--head", "HEAD")) == [("envs/dev", "dev", 2)]


def test_a_change_to_nothing_gives_an_empty_matrix(demo: tuple[Path, str], tmp_path: Path) -> None:
    root, base = demo
    write(root, {"docs/guide.txt": "v2\n"})
    commit(root, "docs")
    out = tmp_path / "github_output"
    code, stdout, _ = cli(root, "ci", "github", "--base", base, "--head", "HEAD", "--github-output", str(out))
    assert code == 0 and "0 job(s)" in stdout
    lines = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert lines["count"] == "0" and json.loads(lines["matrix"]) == {"include": []}
    assert all(lines[f"has_layer_{i}"] == "false" for i in range(4))


def test_github_output_lines_are_what_the_workflows_read(demo: tuple[Path, str], tmp_path: Path) -> None:
    root, base = demo
    write(root, {"envs/_shared/variables.tf": 'variable "size" {\n  type = number\n}\n'})
    commit(root, "shared")
    out = tmp_path / "github_output"
    out.write_text("earlier=kept\n")
    code, stdout, _ = cli(root, "ci", "github", "--base", base, "--head", "HEAD", "--apply-layers", "4",
                          "--github-output", str(out))
    assert code == 0 and "layer 2  envs/dev (dev)" in stdout
    lines = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert lines["earlier"] == "kept", "appended, as $GITHUB_OUTPUT needs"
    assert set(lines) == {"earlier", "matrix", "count", "envs", "layers", "layer_count",
                          *(f"layer_{i}" for i in range(4)), *(f"has_layer_{i}" for i in range(4))}
    assert [e["stack"] for e in json.loads(lines["matrix"])["include"]] == ["envs/dev", "envs/prod"]
    assert json.loads(lines["envs"]) == ["dev", "prod"] and json.loads(lines["layers"]) == [2, 3]
    assert [lines[f"has_layer_{i}"] for i in range(4)] == ["false", "false", "true", "true"]
    assert json.loads(lines["layer_3"])["include"][0]["env"] == "prod"
    assert all("\n" not in v for v in lines.values())


def test_all_and_env_narrow_the_environments(demo: tuple[Path, str]) -> None:
    root, _ = demo
    every = matrix(root, "--all")
    assert entries(every) == [
        ("bootstrap", "prod", 0), ("global/ecr", "prod", 1), ("envs/dev", "dev", 2), ("envs/prod", "prod", 3),
    ]
    assert every["left_out"] == ["global/dns"]  # no environment's run includes it (nobody reads it)
    code, _, err = cli(root, "ci", "github", "--all")
    assert code == 0
    assert "warning: global/dns is in no selected environment's run" in err
    # only dev's run: the shared stacks run through dev, prod's stack is left out
    dev = matrix(root, "--all", "--env", "dev")
    assert entries(dev) == [("bootstrap", "dev", 0), ("global/ecr", "dev", 1), ("envs/dev", "dev", 2)]
    assert dev["left_out"] == ["envs/prod", "global/dns"]


def test_every_job_follows_its_dependencies_and_prod_follows_dev(demo: tuple[Path, str]) -> None:
    root, _ = demo
    config = load_config(root)
    graph = StackGraph.load(config)
    selected = {j.stack: j for j in jobs(graph, config, graph.stacks)}
    for job in selected.values():
        for dep in graph.stacks[job.stack].depends_on:
            assert selected[dep].layer < job.layer, (job.stack, dep)
    assert selected["envs/dev"].layer < selected["envs/prod"].layer


def test_refusals_are_exit_2(demo: tuple[Path, str]) -> None:
    root, base = demo
    code, _, err = cli(root, "ci", "github", "--all", "--apply-layers", "3")
    assert code == 2 and "4 rollout layers" in err and "apply-3" in err
    assert cli(root, "ci", "github")[0] == 2  # neither --base nor --all
    assert cli(root, "ci", "github", "--all", "--base", base)[0] == 2
    code, _, err = cli(root, "ci", "github", "--all", "--env", "staging")
    assert code == 2 and "unknown environment 'staging'" in err
