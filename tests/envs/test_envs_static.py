"""envs/dev and envs/prod read as files: one composition for both, the profiles only in terraform.tfvars, the
sandbox profile made of toggles only, the remote-state wiring popcornctl's graph reads, and typed, described inputs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from envsupport import ENVS, env_dir, global_outputs

from popcornctl.hcl import blocks, first, load_dir, load_file
from tfhelpers import REPO

SHARED = ("main.tf", "variables.tf", "outputs.tf", "providers.tf", "versions.tf")
SEED_MONITORING_INPUTS = {
    "source": "../../modules/monitoring",
    "name": "${var.name}",
    "region": "${var.region}",
    "alert_email_addresses": "${var.alert_email_addresses}",
    "alb_arn_suffix": "${module.alb.alb_arn_suffix}",
    "rds_instance_id": "${module.rds.instance_id}",
    "elasticache_cluster_id": "${module.elasticache.cluster_id}",
    "tags": "${var.tags}",
}


def _flat(body: dict[str, Any]) -> dict[str, Any]:
    """Attributes of a block without the parser's one-element list wrapping."""
    return {k: first(v) for k, v in body.items()}


def _tfvars(path: Path) -> dict[str, Any]:
    import hcl2

    with path.open() as fh:
        return {k: first(v) for k, v in hcl2.load(fh).items()}  # type: ignore[attr-defined]


def _variables(env: str) -> dict[str, dict[str, Any]]:
    body = load_file(env_dir(env) / "variables.tf").body
    return {name: spec for entry in body.get("variable", []) for name, spec in entry.items()}


def test_both_environments_share_one_composition() -> None:
    """The environments differ only in terraform.tfvars and the backend key: every other file is a link into
    envs/_shared, which is not a stack of its own."""
    from popcornctl.graph import discover

    shared = REPO / "envs/_shared"
    assert {p.name for p in shared.glob("*.tf")} == set(SHARED)
    for env in ENVS:
        folder = env_dir(env)
        assert {p.name for p in folder.glob("*.tf")} == {*SHARED, "backend.tf"}
        for name in (*SHARED, "sandbox.tfvars"):
            link = folder / name
            assert link.is_symlink(), f"envs/{env}/{name} must link to envs/_shared/{name}"
            assert link.readlink().as_posix() == f"../_shared/{name}", "relative, so a clone anywhere resolves it"
            assert link.resolve() == (shared / name).resolve()
        for own in ("backend.tf", "terraform.tfvars"):
            assert (folder / own).is_file() and not (folder / own).is_symlink(), f"envs/{env}/{own} is its own"
    assert "envs/_shared" not in discover(REPO)
    assert {"envs/dev", "envs/prod"} <= set(discover(REPO))


@pytest.mark.parametrize("env", ENVS)
def test_backend_is_the_s3_backend_of_popcorn_toml(env: str) -> None:
    from popcornctl.config import load_config

    backend = load_config(REPO).backend
    (entry,) = load_file(env_dir(env) / "backend.tf").body["terraform"]
    s3 = _flat(first(first(entry["backend"])["s3"]))
    assert s3 == {
        "bucket": backend.bucket, "key": f"envs/{env}/terraform.tfstate", "region": "ap-northeast-2",
        "encrypt": True, "kms_key_id": backend.kms_key_id, "dynamodb_table": backend.lock_table, "use_lockfile": True,
    }
    assert backend.kms_key_id == "alias/goorm-popcorn-tfstate", "state objects use bootstrap's customer key"


@pytest.mark.parametrize("env", ENVS)
def test_remote_state_reads_the_global_stacks_and_the_graph_sees_it(env: str) -> None:
    from popcornctl.config import load_config
    from popcornctl.graph import StackGraph

    config = load_config(REPO)
    remote = {name: _flat(first(body["config"])) for _f, kind, name, body in blocks(load_dir(env_dir(env)), "data")
              if kind == "terraform_remote_state"}
    assert {r["key"] for r in remote.values()} == {
        "global/route53-acm/terraform.tfstate", "global/ecr/terraform.tfstate", "global/account/terraform.tfstate"}
    assert all(r["bucket"] == config.backend.bucket and r["region"] == config.region for r in remote.values())
    stack = StackGraph.load(config).stacks[f"envs/{env}"]
    assert stack.depends_on == {"bootstrap", "global/route53-acm", "global/ecr", "global/account"}


def test_outputs_read_from_the_global_stacks_exist_and_are_seeded() -> None:
    """Every `data.terraform_remote_state.X.outputs.Y` the environments use is an output of that stack, and the
    plan tests' seeded state (envsupport.global_outputs) holds exactly the stacks' outputs."""
    text = (env_dir("dev") / "main.tf").read_text()
    used = set(re.findall(r"data\.terraform_remote_state\.(\w+)\.outputs\.(\w+)", text))
    assert used, "the environments read the global stacks"
    stacks = {"route53_acm": "global/route53-acm", "ecr": "global/ecr", "account": "global/account"}
    seeded = global_outputs()
    for alias, output in used:
        stack = stacks[alias]
        declared = {n for e in load_file(REPO / stack / "outputs.tf").body["output"] for n in e}
        assert output in declared, f"{stack} declares no output {output!r}"
    for stack in stacks.values():
        declared = {n for e in load_file(REPO / stack / "outputs.tf").body["output"] for n in e}
        assert set(seeded[f"{stack}/terraform.tfstate"]) == declared, stack


def test_every_variable_is_typed_described_and_every_output_described() -> None:
    for name, spec in _variables("dev").items():
        assert "type" in spec and first(spec.get("description")), f"variable {name} needs a type and a description"
    body = load_file(env_dir("dev") / "outputs.tf").body
    for entry in body["output"]:
        for name, spec in entry.items():
            assert first(spec.get("description")), f"output {name} needs a description"


@pytest.mark.parametrize("env", ENVS)
def test_tfvars_set_only_declared_variables_and_no_secrets(env: str) -> None:
    declared = _variables(env)
    for file in ("terraform.tfvars", "sandbox.tfvars"):
        values = _tfvars(env_dir(env) / file)
        assert set(values) <= set(declared), f"{file}: undeclared {sorted(set(values) - set(declared))}"
        text = (env_dir(env) / file).read_text().lower()
        assert not re.search(r"(password|secret|token|private_key|access_key)\s*=", text), file
    values = _tfvars(env_dir(env) / "terraform.tfvars")
    assert values["environment"] == env and values["name"] == f"goorm-popcorn-{env}"
    assert values["image_tag"] != "latest"
    assert values["alert_email_addresses"], "the seed's alert_email_addresses is set"


def test_sandbox_profile_only_switches_things_off() -> None:
    """sandbox.tfvars: boolean toggles only (enable_* off; disposable on), never sizes, names or HCL changes."""
    values = _tfvars(env_dir("dev") / "sandbox.tfvars")
    declared = _variables("dev")
    for name, value in values.items():
        assert isinstance(value, bool), f"{name}: the sandbox profile sets toggles only"
        assert first(declared[name]["type"]) == "${bool}" or "bool" in str(declared[name]["type"]), name
        if name == "disposable":
            assert value is True
        else:
            assert name.startswith("enable_") and value is False, f"{name} = {value}"
    # Every feature of the profiles is created in the sandbox (the emulator's extensions, tests/sandbox/): the
    # profile switches off no feature at all, only what a throw-away environment must not keep.
    assert set(values) <= {"disposable", "enable_deletion_protection"}, sorted(values)
    doc = (REPO / "docs/SANDBOX_PROFILE.md").read_text()
    for name in values:
        assert f"`{name}`" in doc, f"docs/SANDBOX_PROFILE.md does not explain {name}"


def test_monitoring_is_wired_as_the_seed_snippet_shows() -> None:
    modules = {name: spec for e in load_file(env_dir("dev") / "main.tf").body["module"] for name, spec in e.items()}
    call = {k: first(v) for k, v in modules["monitoring"].items() if k in SEED_MONITORING_INPUTS}
    assert call == SEED_MONITORING_INPUTS
    declared = _variables("dev")
    for switch in ("alert_email_addresses", "enable_alb_access_logs", "enable_vpc_flow_logs"):
        assert switch in declared, f"the seed's switch {switch} is a variable"


def test_the_environments_are_validated_by_the_tree_wide_test() -> None:
    """`terraform fmt -check` and `validate` of envs/dev and envs/prod run in tests/hcl/test_static.py (every
    Terraform folder of the tree); this keeps the environments in that list."""
    from tfhelpers import terraform_dirs

    found = {d.relative_to(REPO).as_posix() for d in terraform_dirs(REPO)}
    assert {"envs/dev", "envs/prod"} <= found


def test_alarm_threshold_keys_are_the_monitoring_modules_fields() -> None:
    text = (REPO / "modules/monitoring/variables.tf").read_text()
    block = text[text.index('variable "thresholds"'):]
    fields = set(re.findall(r"^\s*(\w+)\s*=\s*optional\(number", block[:block.index("validation")], re.M))
    env = (env_dir("dev") / "variables.tf").read_text()
    env_block = env[env.index('variable "alarm_thresholds"'):]
    allowed = set(re.findall(r'"([a-z0-9_]+)"', env_block[env_block.index("setsubtract"):env_block.index("== 0")]))
    assert allowed == fields
