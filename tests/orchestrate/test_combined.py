"""The combined plan JSON of `plan --out-dir`."""

from __future__ import annotations

from pathlib import Path

from orch_support import plan_doc

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


def test_combined_plan_shape(tmp_path: Path) -> None:
    from popcornctl.orchestrate.combined import combine

    a = plan_doc(("module.rds.aws_db_instance.this", "aws_db_instance", ["create"]))
    a["planned_values"] = {
        "root_module": {
            "resources": [{"address": "aws_vpc.v"}],
            "child_modules": [{"address": "module.rds", "resources": [{"address": "module.rds.aws_db_instance.this"}]}],
        }
    }
    a["variables"] = {"environment": {"value": "dev"}}
    b = plan_doc(("aws_ecr_repository.r", "aws_ecr_repository", ["no-op"]))
    doc = combine(
        {"envs/dev": a, "global/ecr": b},
        env="dev",
        env_stack="envs/dev",
        stacks=[{"stack": "envs/dev", "status": "planned"}],
    )
    assert "format_version" not in doc, "not mistaken for one stack's plan"
    assert [rc["address"] for rc in doc["resource_changes"]] == [
        "envs/dev::module.rds.aws_db_instance.this",
        "global/ecr::aws_ecr_repository.r",
    ]
    assert doc["resource_changes"][0]["popcorn_address"] == "module.rds.aws_db_instance.this"
    assert doc["resource_changes"][0]["popcorn_stack"] == "envs/dev"
    pv = doc["planned_values"]["root_module"]
    assert pv["resources"][0]["address"] == "envs/dev::aws_vpc.v"
    assert pv["child_modules"][0]["resources"][0]["address"] == "envs/dev::module.rds.aws_db_instance.this"
    assert doc["variables"] == {"environment": {"value": "dev"}}
    assert [s["stack"] for s in doc["stacks"]] == ["envs/dev", "global/ecr"]
    assert doc["stacks"][0]["plan"] is a or doc["stacks"][0]["plan"] == a
    assert a["resource_changes"][0]["address"] == "module.rds.aws_db_instance.this", "inputs not mutated"
