"""Which stacks a run selects, in which order."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixture_repo import diamond

from popcornctl.errors import PopcornError


def test_selection_orders_and_narrows(tmp_path: Path) -> None:
    from popcornctl.config import load_config
    from popcornctl.graph import StackGraph
    from popcornctl.orchestrate.select import select

    root = diamond(tmp_path / "repo", tmp_path / "marks", prod=True)
    config = load_config(root)
    graph = StackGraph.load(config)
    up = select(config, graph, "up", "dev")
    assert up.stacks == ["bootstrap", "global/a", "global/b", "envs/dev"]
    assert up.prerequisites["envs/dev"] == {"bootstrap", "global/a", "global/b"}
    assert up.width() == 2
    down = select(config, graph, "down", "dev", include_global=True, include_bootstrap=True)
    assert down.stacks == ["envs/dev", "global/a", "global/b", "bootstrap"]
    assert down.prerequisites["bootstrap"] == {"envs/dev", "global/a", "global/b"}
    assert down.outside["global/a"] == ["envs/prod"], "prod still reads the global stacks"
    assert select(config, graph, "down", "dev").stacks == ["envs/dev"]
    targeted = select(config, graph, "up", "dev", targets=["module.monitoring", "global/a::terraform_data.work"])
    assert targeted.stacks == ["global/a", "envs/dev"]
    assert targeted.targets == {"envs/dev": ["module.monitoring"], "global/a": ["terraform_data.work"]}
    with pytest.raises(PopcornError, match="unknown environment 'qa'"):
        select(config, graph, "up", "qa")
    with pytest.raises(PopcornError, match="--exclude 'envs/prod' is not a stack of the dev run"):
        select(config, graph, "up", "dev", exclude=["envs/prod"])
    with pytest.raises(PopcornError, match="stack 'envs/prod' is not part of this run"):
        select(config, graph, "up", "dev", targets=["envs/prod::x.y"])
