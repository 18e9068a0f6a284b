"""The stack graph: discovery, inferred dependencies, layers, reverse order, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from popcornctl.config import load_config
from popcornctl.errors import PopcornError
from popcornctl.graph import StackGraph

TOML = """
[project]
name = "demo"
region = "ap-northeast-2"
[backend]
bucket = "demo-state"
lock_table = "demo-locks"
[environments.dev]
stack = "envs/dev"
"""


def remote_state(name: str, key: str) -> str:
    return f"""
data "terraform_remote_state" "{name}" {{
  backend = "s3"
  config = {{
    bucket = "demo-state"
    key    = "{key}"
    region = "ap-northeast-2"
  }}
}}
"""


def make_repo(root: Path, stacks: dict[str, str], extra_toml: str = "") -> Path:
    (root / "popcorn.toml").write_text(TOML + extra_toml)
    for path, body in stacks.items():
        d = root / path
        d.mkdir(parents=True)
        (d / "main.tf").write_text(body or 'resource "terraform_data" "x" {}\n')
    return root


def test_underscore_folders_are_shared_files_not_stacks(tmp_path: Path) -> None:
    """envs/_shared holds the files both environments link to; its remote state still makes envs/dev depend."""
    make_repo(tmp_path, {"bootstrap": "", "global/dns": "", "envs/_shared": remote_state("dns", "global/dns/terraform.tfstate")})
    (tmp_path / "envs/dev").mkdir()
    (tmp_path / "envs/dev/main.tf").symlink_to("../_shared/main.tf")
    graph = StackGraph.load(load_config(tmp_path))
    assert set(graph.stacks) == {"bootstrap", "global/dns", "envs/dev"}
    assert graph.stacks["envs/dev"].depends_on == {"bootstrap", "global/dns"}


def test_layers_follow_remote_state_and_bootstrap(tmp_path: Path) -> None:
    make_repo(tmp_path, {
        "bootstrap": "",
        "global/dns": "",
        "global/ecr": "",
        "envs/dev": remote_state("dns", "global/dns/terraform.tfstate")
        + remote_state("ecr", "global/ecr/terraform.tfstate"),
        "envs/prod": remote_state("dns", "global/dns/terraform.tfstate"),
    })
    graph = StackGraph.load(load_config(tmp_path))
    assert set(graph.stacks) == {"bootstrap", "global/dns", "global/ecr", "envs/dev", "envs/prod"}
    assert graph.stacks["envs/dev"].depends_on == {"bootstrap", "global/dns", "global/ecr"}
    assert "main.tf:" in graph.stacks["envs/dev"].reasons["global/dns"]
    wanted = graph.closure(["envs/dev"])
    assert wanted == {"bootstrap", "global/dns", "global/ecr", "envs/dev"}
    assert graph.layers(wanted) == [["bootstrap"], ["global/dns", "global/ecr"], ["envs/dev"]]
    assert graph.reverse_layers(wanted) == [["envs/dev"], ["global/dns", "global/ecr"], ["bootstrap"]]
    assert graph.dependents("global/dns") == {"envs/dev", "envs/prod"}


def test_explicit_dependency_from_config(tmp_path: Path) -> None:
    make_repo(tmp_path, {"bootstrap": "", "global/a": "", "global/b": ""},
              '[dependencies]\n"global/b" = ["global/a"]\n')
    graph = StackGraph.load(load_config(tmp_path))
    assert graph.layers(graph.stacks) == [["bootstrap"], ["global/a"], ["global/b"]]
    assert graph.stacks["global/b"].reasons["global/a"] == "popcorn.toml [dependencies]"


def test_cycle_is_one_clear_error(tmp_path: Path) -> None:
    make_repo(tmp_path, {
        "global/a": remote_state("b", "global/b/terraform.tfstate"),
        "global/b": remote_state("a", "global/a/terraform.tfstate"),
    })
    with pytest.raises(PopcornError) as err:
        StackGraph.load(load_config(tmp_path))
    assert "dependency cycle between stacks: global/a -> global/b -> global/a" in err.value.line()


def test_remote_state_of_unknown_stack(tmp_path: Path) -> None:
    make_repo(tmp_path, {"envs/dev": remote_state("x", "global/nope/terraform.tfstate")})
    with pytest.raises(PopcornError) as err:
        StackGraph.load(load_config(tmp_path))
    assert "envs/dev/main.tf:2" in err.value.problem
    assert "global/nope" in err.value.line()


def test_config_dependency_on_unknown_stack(tmp_path: Path) -> None:
    make_repo(tmp_path, {"global/a": ""}, '[dependencies]\n"global/a" = ["global/zzz"]\n')
    with pytest.raises(PopcornError, match="depends on unknown stack 'global/zzz'"):
        StackGraph.load(load_config(tmp_path))


def test_real_tree_order(repo: Path) -> None:
    if not (repo / "envs/dev").is_dir() or not (repo / "envs/prod").is_dir():
        pytest.skip("envs/dev and envs/prod are not composed yet")
    graph = StackGraph.load(load_config(repo))
    layers = graph.layers(graph.closure(["envs/dev"]))
    assert layers == [["bootstrap"], ["global/account", "global/ecr", "global/route53-acm"], ["envs/dev"]]
    assert {"global/ecr", "global/route53-acm"} <= graph.stacks["envs/prod"].depends_on


@pytest.mark.parametrize("value", ["my-key", "alias/aws/s3", "arn:aws:s3:::bucket", 7])
def test_a_backend_kms_key_that_is_not_a_key_is_refused(tmp_path: Path, value: object) -> None:
    shown = f'"{value}"' if isinstance(value, str) else value
    make_repo(tmp_path, {"bootstrap": ""}, extra_toml="").joinpath("popcorn.toml").write_text(
        TOML.replace('lock_table = "demo-locks"', f'lock_table = "demo-locks"\nkms_key_id = {shown}')
    )
    with pytest.raises(PopcornError) as err:
        load_config(tmp_path)
    assert "kms_key_id" in err.value.problem and "alias/<project>-tfstate" in err.value.fix


def test_a_backend_kms_key_reaches_the_backend_config(tmp_path: Path) -> None:
    arn = "arn:aws:kms:ap-northeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    (tmp_path / "popcorn.toml").write_text(TOML.replace('lock_table = "demo-locks"', f'lock_table = "demo-locks"\nkms_key_id = "{arn}"'))
    assert load_config(tmp_path).backend.backend_config("envs/dev")["kms_key_id"] == arn
    (tmp_path / "popcorn.toml").write_text(TOML)
    assert "kms_key_id" not in load_config(tmp_path).backend.backend_config("envs/dev")


def test_every_committed_backend_matches_popcorn_toml(repo: Path) -> None:
    """Plain `terraform init` users and popcornctl must agree on bucket, key, table and lockfile."""
    from popcornctl.hcl import first, load_dir

    config = load_config(repo)
    graph = StackGraph.load(config)
    if not graph.stacks:
        pytest.skip("no stacks yet")
    for path, stack in graph.stacks.items():
        backends = [
            first(tf.get("backend"))
            for f in load_dir(stack.directory)
            for tf in f.body.get("terraform", [])
            if tf.get("backend")
        ]
        assert len(backends) == 1, f"{path} must declare exactly one backend"
        s3 = first(backends[0]["s3"])
        expected = config.backend.backend_config(path)
        assert first(s3["bucket"]) == expected["bucket"], path
        assert first(s3["key"]) == expected["key"], path
        assert first(s3["region"]) == expected["region"], path
        assert first(s3["dynamodb_table"]) == expected["dynamodb_table"], path
        assert first(s3["use_lockfile"]) is True, path
        assert first(s3["encrypt"]) is True, path
        assert first(s3.get("kms_key_id")) == expected.get("kms_key_id"), path


def test_reads_are_the_data_edges_and_bootstrap_is_ordering_only(tmp_path: Path) -> None:
    """Readers follow terraform_remote_state and [dependencies]; every stack depends on bootstrap, none reads it."""
    make_repo(tmp_path, {
        "bootstrap": "",
        "global/dns": "",
        "global/ecr": "",
        "global/cdn": remote_state("dns", "global/dns/terraform.tfstate"),
        "envs/dev": remote_state("cdn", "global/cdn/terraform.tfstate"),
    }, '[dependencies]\n"envs/dev" = ["global/ecr"]\n')
    graph = StackGraph.load(load_config(tmp_path))
    assert graph.stacks["envs/dev"].depends_on == {"bootstrap", "global/cdn", "global/ecr"}
    assert graph.stacks["envs/dev"].reads == {"global/cdn", "global/ecr"}
    assert graph.readers("global/dns") == {"global/cdn", "envs/dev"}  # transitively
    assert graph.readers("global/ecr") == {"envs/dev"}
    assert graph.readers("bootstrap") == set()
    assert graph.dependents("bootstrap") == {"global/dns", "global/ecr", "global/cdn", "envs/dev"}


def test_topo_layers_of_any_map_and_its_cycle_error() -> None:
    from popcornctl.graph import topo_layers

    assert topo_layers({"c": {"a", "b"}, "a": set(), "b": {"a"}}) == [["a"], ["b"], ["c"]]
    with pytest.raises(PopcornError, match="a -> b -> a"):
        topo_layers({"a": {"b"}, "b": {"a"}})
