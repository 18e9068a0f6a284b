"""The combined plan JSON of `plan --out-dir`."""

from __future__ import annotations

from pathlib import Path

from orch_support import plan_doc


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
