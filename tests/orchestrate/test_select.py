"""Which stacks a run selects, in which order."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixture_repo import diamond

from popcornctl.errors import PopcornError

SAMPLES = {
    "throttling": "Error: creating IAM Role: ThrottlingException: Rate exceeded",
    "no-such-bucket-after-create": "Error: putting S3 policy: NoSuchBucket: The specified bucket does not exist",
    "invalid-parameter-after-create": "InvalidParameterValueException: The role defined for the task cannot be assumed",
    "iam-not-propagated": "Error: Unable to assume role arn:aws:iam::1:role/x",
    "send-request-failed": "RequestError: send request failed\ncaused by: Post https://sts",
    "tls-handshake-timeout": "Error: Failed to load backend: net/http: TLS handshake timeout",
    "tcp-timeout-or-reset": "dial tcp 52.1.1.1:443: i/o timeout",
    "client-timeout": "(Client.Timeout exceeded while awaiting headers)",
    "alarm-update-in-progress": "Creating metric alarm failed: request to update this alarm is in progress",
    "ssm-too-many-updates": "Error creating SSM parameter: TooManyUpdates: too many updates",
    "conflicting-operation": "OperationAborted: A conflicting conditional operation is currently in progress",
    "service-unavailable": "api error ServiceUnavailable: Service Unavailable",
    "provider-install-network": 'Error installing provider "aws": the request returned 429 after timeout',
}


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
