"""docs/CI_ENGINES.md says what the code does: its example, output names, layers and Atlantis keys are checked."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from popcornctl.config import load_config
from popcornctl.graph.affected import ChangeMap
from popcornctl.graph.ci_files import (
    atlantis_yaml,
    github_document,
    github_outputs,
    jobs,
    policy_command,
    rollout_layers,
)

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "CI_ENGINES.md").read_text(encoding="utf-8")


def _unlined(text: str) -> str:
    return re.sub(r"\.tf:\d+\)", ".tf:N)", text)


def test_the_affected_example_is_what_the_repository_gives() -> None:
    example = DOC.split("$ popcornctl affected --base origin/main\n", 1)[1].split("```", 1)[0]
    cmap = ChangeMap.load(load_config(REPO))
    files = re.findall(r"^  (\S+): ", example.split("Files that affect no stack:")[1], re.MULTILINE)
    changed = ["modules/rds/main.tf", *files]
    result = cmap.affected(changed)
    assert f"{len(changed)} file(s) changed, {len(result.stacks)} stack(s) affected" in example
    for stack, reasons in result.stacks.items():
        envs = ", ".join(result.environments[stack])
        assert re.search(rf"^  {re.escape(stack)}\s+layer {result.layers[stack]}  \({envs}\)$", example, re.MULTILINE)
        for reason in reasons:
            # The line a module is called from moves with every edit of the composition; the rest must match.
            assert _unlined(f"      {reason.text()}") in _unlined(example), reason.text()
    for path, why in result.why_not.items():
        assert f"  {path}: {why}" in example


def test_every_github_output_is_documented_and_the_layers_are_the_graph_s() -> None:
    config = load_config(REPO)
    cmap = ChangeMap.load(config)
    outputs = github_outputs(github_document(cmap.graph, config, jobs(cmap.graph, config, cmap.graph.stacks)))
    for name in outputs:
        generic = re.sub(r"_\d+$", "_<n>", name)
        assert f"`{generic}`" in DOC, name
    layers = rollout_layers(cmap.graph, config)
    flat = " ".join(DOC.split())
    described = ", ".join(
        f"{'`global/*`' if all(s.startswith('global/') for s in layer) else f'`{layer[0]}`'} ({i})"
        for i, layer in enumerate(layers)
    )
    assert all(len(layer) == 1 or all(s.startswith("global/") for s in layer) for layer in layers)
    assert f"Today: {described}." in flat, described
    assert f"Jobs `apply-0` … `apply-{len(layers) - 1}` follow the rollout layers" in flat
    assert f"--apply-layers {len(layers)}" in DOC


def test_the_atlantis_section_names_the_generated_keys() -> None:
    data = yaml.safe_load(atlantis_yaml(ChangeMap.load(load_config(REPO))))
    for key in ("depends_on", "execution_order_group", "when_modified", "apply_requirements", "parallel_plan",
                "parallel_apply", "abort_on_execution_order_fail"):
        assert f"`{key}" in DOC, key
        assert key in yaml.safe_dump(data)
    assert policy_command("<env>").split(" ||")[0] in DOC
    assert "allowed_overrides: [workflow, apply_requirements]" in DOC and "allow_custom_workflows: true" in DOC
