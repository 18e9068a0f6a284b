"""Where a stack's configuration comes from: its folder, links, local modules (nested), unused roots."""

from __future__ import annotations

from pathlib import Path

from gitrepos import platform_repo, write

from popcornctl.config import load_config
from popcornctl.graph import StackGraph
from popcornctl.graph.affected import ChangeMap
from popcornctl.graph.modules import SourceReader, is_docs, under


def test_sources_follow_links_and_nested_local_modules(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    platform_repo(root)
    sources = SourceReader(root).sources("envs/dev")
    by_kind = {(o.kind, o.path) for o in sources.origins}
    assert by_kind == {
        ("stack", "envs/dev"),
        ("link", "envs/_shared/main.tf"),
        ("link", "envs/_shared/variables.tf"),
        ("module", "modules/app"),
        ("module", "modules/db"),  # called by modules/app, not by the stack
        ("module", "modules/net"),
    }
    via = {o.path: o.via for o in sources.origins}
    assert via["envs/_shared/main.tf"] == "link envs/dev/main.tf"
    assert via["modules/app"].startswith('module "app" (envs/dev/main.tf:') and via["modules/db"] == (
        'module "db" (modules/app/main.tf:1)'
    )


def test_remote_sources_cycles_and_sources_leaving_the_repo_are_not_followed(tmp_path: Path) -> None:
    write(tmp_path, {
        "stack/main.tf": 'module "reg" {\n  source  = "terraform-aws-modules/vpc/aws"\n  version = "5.0.0"\n}\n'
        'module "git" {\n  source = "git::https://example.invalid/m.git?ref=v1"\n}\n'
        'module "out" {\n  source = "../../elsewhere"\n}\n'
        'module "a" {\n  source = "../mods/a"\n}\n',
        "mods/a/main.tf": 'module "b" {\n  source = "../b"\n}\n',
        "mods/b/main.tf": 'module "a" {\n  source = "../a"\n}\n',  # a cycle Terraform would reject; never loops here
    })
    origins = SourceReader(tmp_path).sources("stack").origins
    assert [(o.kind, o.path) for o in origins] == [("stack", "stack"), ("module", "mods/a"), ("module", "mods/b")]


def test_an_absolute_link_inside_the_repo_is_a_link_and_one_outside_is_ignored(tmp_path: Path) -> None:
    write(tmp_path, {"shared/main.tf": 'resource "terraform_data" "x" {}\n', "stack/own.tf": "\n"})
    (tmp_path / "stack/main.tf").symlink_to(tmp_path / "shared/main.tf")
    (tmp_path / "stack/outside.tf").symlink_to("/etc/hostname")
    origins = SourceReader(tmp_path).sources("stack").origins
    assert [(o.kind, o.path) for o in origins] == [("stack", "stack"), ("link", "shared/main.tf")]


def test_unused_roots_are_module_examples_and_unused_folders_only(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    platform_repo(root)
    cmap = ChangeMap.load(load_config(root))
    assert cmap.unused == ["modules/net/examples/basic"]  # modules/orphan is called by nobody, but no stack reads it


def test_a_module_called_from_a_stack_subfolder_is_not_an_unused_root(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    platform_repo(root)
    write(root, {"global/dns/main.tf": 'module "local" {\n  source = "./local"\n}\n',
                 "global/dns/local/main.tf": 'resource "terraform_data" "x" {}\n',
                 "global/dns/scratch/main.tf": 'resource "terraform_data" "y" {}\n'})
    cmap = ChangeMap.load(load_config(root), StackGraph.load(load_config(root)))
    assert "global/dns/local" not in cmap.unused and "global/dns/scratch" in cmap.unused
    assert set(cmap.direct("global/dns/local/main.tf")) == {"global/dns"}
    assert cmap.direct("global/dns/scratch/main.tf") == {}


def test_path_helpers() -> None:
    assert under("modules/vpc/main.tf", "modules/vpc") and not under("modules/vpc2/main.tf", "modules/vpc")
    assert is_docs("modules/vpc/README.md") and is_docs("docs/X.MD") and not is_docs("modules/vpc/main.tf")

