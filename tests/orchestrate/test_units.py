"""Pure pieces of the orchestrator: the retry table, summaries, fingerprints, selection, shadows, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixture_repo import diamond
from orch_support import plan_doc

from clirunner import run_cli
from popcornctl.errors import PopcornError
from popcornctl.orchestrate import bootstrap as boot
from popcornctl.orchestrate import fingerprint as fp
from popcornctl.orchestrate.retry import TRANSIENT_ERRORS, backoff, classify
from popcornctl.orchestrate.summary import deletion_protected, never_applied, summarize

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
    "provider-install-network": "Error installing provider \"aws\": the request returned 429 after timeout",
}


def test_every_transient_entry_has_a_sample_that_matches_it() -> None:
    assert {e.name for e in TRANSIENT_ERRORS} == set(SAMPLES)
    for name, text in SAMPLES.items():
        found = classify(text)
        assert found is not None and found.name == name, (name, found)


def test_real_errors_locks_and_stale_plans_are_not_transient() -> None:
    assert classify("Error: Invalid reference: A reference to a resource type must be followed by") is None
    assert classify("Error: creating RDS DB Instance: InvalidParameterCombination: oops") is None
    assert classify("Error acquiring the state lock\nStatusCode: 503 ServiceUnavailable") is None
    assert classify("Error: Saved plan is stale\nThrottlingException") is None
    assert [backoff(n, 5) for n in (1, 2, 3)] == [5, 10, 20]
    assert backoff(10, 5) == 60


def test_summary_counts_like_terraform_and_highlights_stateful_losses() -> None:
    plan = plan_doc(
        ("aws_s3_bucket.a", "aws_s3_bucket", ["create"]),
        ("aws_iam_role.r", "aws_iam_role", ["update"]),
        ("module.rds.aws_db_instance.this", "aws_db_instance", ["delete", "create"]),
        ("aws_ebs_volume.kafka[0]", "aws_ebs_volume", ["delete"]),
        ("aws_sns_topic.t", "aws_sns_topic", ["create", "delete"]),
        ("aws_vpc.v", "aws_vpc", ["no-op"]),
        ("data.aws_region.r", "aws_region", ["read"]),
    )
    plan["output_changes"] = {"x": {"actions": ["update"]}, "y": {"actions": ["no-op"]}}
    s = summarize(plan)
    assert (s.adds, s.changes, s.destroys) == (3, 1, 3)
    assert s.headline() == "3 to add, 1 to change, 3 to destroy"
    assert s.replacements == ["module.rds.aws_db_instance.this", "aws_sns_topic.t"]
    assert s.deletions == ["aws_ebs_volume.kafka[0]"]
    assert s.stateful_losses == ["module.rds.aws_db_instance.this", "aws_ebs_volume.kafka[0]"]
    assert s.outputs_changed == ["x"]
    lines = [text for _, text in s.lines()]
    assert lines[0].strip().startswith("-") and "stateful" in lines[0], "riskiest first"
    only_outputs = plan_doc(("aws_vpc.v", "aws_vpc", ["no-op"]))
    only_outputs["output_changes"] = {"vpc_id": {"actions": ["create"]}}
    assert summarize(only_outputs).has_changes, "new outputs must be applied: dependents read them"
    assert not summarize(plan_doc(("aws_vpc.v", "aws_vpc", ["no-op"]))).has_changes


def test_deletion_protection_and_never_applied() -> None:
    plan = plan_doc(("aws_db_instance.db", "aws_db_instance", ["delete"]), before={"deletion_protection": True})
    assert deletion_protected(plan) == [("aws_db_instance.db", "deletion_protection", "deletion_protection = false")]
    off = plan_doc(("aws_db_instance.db", "aws_db_instance", ["delete"]), before={"deletion_protection": False})
    assert deletion_protected(off) == []
    assert never_applied(plan_doc(prior=False)) and not never_applied(plan_doc())


def test_fingerprint_follows_backend_and_module_sources(tmp_path: Path) -> None:
    stack, module = tmp_path / "envs/dev", tmp_path / "modules/vpc"
    stack.mkdir(parents=True)
    module.mkdir(parents=True)
    (stack / "main.tf").write_text('module "vpc" {\n  source = "../../modules/vpc"\n  cidr = "10.0.0.0/16"\n}\n')
    (stack / "backend.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    (module / "main.tf").write_text('module "inner" {\n  source = "./inner"\n}\nresource "x" "y" {}\n')
    backend = {"bucket": "b", "key": "envs/dev/terraform.tfstate"}
    first = fp.fingerprint(stack, backend=backend)
    (stack / "main.tf").write_text((stack / "main.tf").read_text().replace("10.0.0.0/16", "10.1.0.0/16"))
    assert fp.fingerprint(stack, backend=backend) == first, "ordinary edits do not need init"
    assert fp.fingerprint(stack, backend={**backend, "bucket": "other"}) != first, "backend settings do"
    (module / "main.tf").write_text('module "inner" {\n  source = "./inner2"\n}\n')
    assert fp.fingerprint(stack, backend=backend) != first, "a module source change inside a module does"
    data = tmp_path / "data"
    assert not fp.is_current(data, first)
    fp.record(data, first)
    assert fp.is_current(data, first) and not fp.is_current(data, "other")


def test_shadow_mirrors_the_tree_and_never_touches_it(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "bootstrap").mkdir(parents=True)
    (root / "modules/kms").mkdir(parents=True)
    (root / "bootstrap/main.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    (root / "bootstrap/policy.json").write_text("{}")
    (root / "bootstrap/.terraform.lock.hcl").write_text("# lock\n")
    (root / "bootstrap/.terraform").mkdir()
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    phase = boot.LocalPhase(tmp_path / "state/bootstrap-local/bucket")
    shadow = boot.build_shadow(root, "bootstrap", phase)
    assert shadow == phase.shadow_root / "bootstrap"
    assert (shadow / "main.tf").is_symlink() and (shadow / "policy.json").is_symlink()
    assert (phase.shadow_root / "modules").is_symlink(), "relative module sources resolve"
    assert not (shadow / ".terraform").exists()
    assert (shadow / ".terraform.lock.hcl").read_text() == "# lock\n" and not (shadow / ".terraform.lock.hcl").is_symlink()
    override = (shadow / boot.OVERRIDE_FILE).read_text()
    assert 'backend "local"' in override and json.dumps(phase.state_file.as_posix()) in override
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == before, "the real tree is untouched"
    boot.build_shadow(root, "bootstrap", phase)  # idempotent rebuild
    assert (shadow / boot.OVERRIDE_FILE).exists()


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


def test_combined_plan_shape(tmp_path: Path) -> None:
    from popcornctl.orchestrate.combined import combine

    a = plan_doc(("module.rds.aws_db_instance.this", "aws_db_instance", ["create"]))
    a["planned_values"] = {"root_module": {"resources": [{"address": "aws_vpc.v"}], "child_modules": [
        {"address": "module.rds", "resources": [{"address": "module.rds.aws_db_instance.this"}]}]}}
    a["variables"] = {"environment": {"value": "dev"}}
    b = plan_doc(("aws_ecr_repository.r", "aws_ecr_repository", ["no-op"]))
    doc = combine({"envs/dev": a, "global/ecr": b}, env="dev", env_stack="envs/dev",
                  stacks=[{"stack": "envs/dev", "status": "planned"}])
    assert "format_version" not in doc, "not mistaken for one stack's plan"
    assert [rc["address"] for rc in doc["resource_changes"]] == [
        "envs/dev::module.rds.aws_db_instance.this", "global/ecr::aws_ecr_repository.r"]
    assert doc["resource_changes"][0]["popcorn_address"] == "module.rds.aws_db_instance.this"
    assert doc["resource_changes"][0]["popcorn_stack"] == "envs/dev"
    pv = doc["planned_values"]["root_module"]
    assert pv["resources"][0]["address"] == "envs/dev::aws_vpc.v"
    assert pv["child_modules"][0]["resources"][0]["address"] == "envs/dev::module.rds.aws_db_instance.this"
    assert doc["variables"] == {"environment": {"value": "dev"}}
    assert [s["stack"] for s in doc["stacks"]] == ["envs/dev", "global/ecr"]
    assert doc["stacks"][0]["plan"] is a or doc["stacks"][0]["plan"] == a
    assert a["resource_changes"][0]["address"] == "module.rds.aws_db_instance.this", "inputs not mutated"


def test_cli_lists_the_commands_and_refuses_bad_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from popcornctl import cli

    names = [n for n, _ in cli.COMMANDS]
    assert {"up", "plan", "down"} <= set(names)
    root = diamond(tmp_path / "repo", tmp_path / "marks")

    def run(*args: str) -> int:
        return run_cli(args, prefix=["--repo", str(root)])[0]

    assert run("up", "qa", "--auto-approve") == 2
    assert "unknown environment 'qa'" in capsys.readouterr().err
    assert run("up", "qa") == 2  # the unknown ENV is the error, not the missing terminal
    assert "unknown environment 'qa'" in capsys.readouterr().err
    assert run("up", "dev", "--auto-approve", "--fail-on", "severe") == 2
    assert "--fail-on 'severe' is not a severity" in capsys.readouterr().err
    assert run("up", "dev", "--auto-approve", "--reason", "x") == 2
    assert "--reason is only used with --skip-policy" in capsys.readouterr().err
    assert run("up", "dev") == 2  # pytest's stdin is not a terminal
    assert "no terminal to confirm on" in capsys.readouterr().err
    assert run("down", "dev") == 2
    assert "nothing was destroyed" in capsys.readouterr().err
    for command in ("up", "plan", "down"):
        assert run(command, "--help") == 0
    out = capsys.readouterr().out
    assert "--parallelism" in out and "--out-dir" in out and "--include-bootstrap" in out
