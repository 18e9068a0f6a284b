"""Change -> affected stacks, on small git repositories built here (layout: gitrepos.py): exact sets and reasons."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from gitrepos import commit, git, link, platform_repo, write

from clirunner import run_cli
from popcornctl.errors import PopcornError
from popcornctl.graph.affected import REASON_KINDS, Affected, compute
from popcornctl.graph.changes import changed_files, default_base

ALL = {"bootstrap", "global/dns", "global/ecr", "envs/dev", "envs/prod"}


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    root = tmp_path / "repo"
    return root, platform_repo(root)


def change(root: Path, base: str, files: dict[str, str], message: str = "change") -> Affected:
    write(root, files)
    commit(root, message)
    return compute(root, base, "HEAD")


def kinds(result: Affected, stack: str) -> set[str]:
    return {r.kind for r in result.stacks[stack]}


def test_a_nested_module_change_affects_exactly_the_stacks_that_call_it(repo: tuple[Path, str]) -> None:
    root, base = repo
    result = change(root, base, {"modules/db/main.tf": 'resource "terraform_data" "y" {}\n'})
    assert set(result.stacks) == {"envs/dev", "envs/prod"}
    reason = result.stacks["envs/dev"][0]
    assert reason.kind == "module" and reason.file == "modules/db/main.tf"
    assert 'module "db" (modules/app/main.tf:1)' in reason.detail  # found through modules/app
    assert result.files == {"modules/db/main.tf": ["envs/dev", "envs/prod"]} and result.why_not == {}


def test_a_module_template_counts_but_its_readme_and_example_do_not(repo: tuple[Path, str]) -> None:
    root, base = repo
    result = change(root, base, {
        "modules/net/templates/routes.tpl": "${cidr} via nat\n",
        "modules/net/README.md": "# net, documented\n",
        "modules/net/examples/basic/main.tf": 'module "net" {\n  source = "../.."\n}\n# more\n',
    })
    assert set(result.stacks) == {"envs/dev", "envs/prod"}
    assert result.files == {"modules/net/templates/routes.tpl": ["envs/dev", "envs/prod"]}
    assert result.why_not["modules/net/README.md"].startswith("documentation")
    assert "modules/net/examples/basic/" in result.why_not["modules/net/examples/basic/main.tf"]


def test_a_module_used_by_a_read_stack_affects_its_readers(repo: tuple[Path, str]) -> None:
    """global/ecr calls modules/registry; both environments read global/ecr's state."""
    root, base = repo
    result = change(root, base, {"modules/registry/main.tf": 'resource "terraform_data" "z" {}\n'})
    assert list(result.stacks) == ["global/ecr", "envs/dev", "envs/prod"]  # dependency order
    assert kinds(result, "global/ecr") == {"module"}
    assert kinds(result, "envs/dev") == {"dependency"} and not result.direct("envs/dev")
    assert result.stacks["envs/prod"][0].stack == "global/ecr"
    assert "terraform_remote_state at envs/prod/main.tf:" in result.stacks["envs/prod"][0].detail


def test_a_tfvars_file_affects_only_its_environment(repo: tuple[Path, str]) -> None:
    root, base = repo
    result = change(root, base, {"envs/dev/terraform.tfvars": 'size = "medium"\n'})
    assert set(result.stacks) == {"envs/dev"}
    assert kinds(result, "envs/dev") == {"tfvars"}


def test_a_shared_file_affects_every_environment_that_links_it(repo: tuple[Path, str]) -> None:
    root, base = repo
    result = change(root, base, {"envs/_shared/variables.tf": 'variable "size" {\n  type = number\n}\n',
                                 "envs/_shared/README.md": "# changed docs\n"})
    assert set(result.stacks) == {"envs/dev", "envs/prod"}
    assert result.stacks["envs/prod"][0].kind == "link"
    assert "linked as envs/prod/variables.tf" in result.stacks["envs/prod"][0].detail
    assert set(result.why_not) == {"envs/_shared/README.md"}


def test_popcorn_toml_affects_every_stack(repo: tuple[Path, str]) -> None:
    root, base = repo
    text = (root / "popcorn.toml").read_text().replace('lock_table = "demo-locks"', 'lock_table = "demo-locks2"')
    result = change(root, base, {"popcorn.toml": text})
    assert set(result.stacks) == ALL
    assert all(kinds(result, s) >= {"config"} for s in ALL)


def test_a_policy_affects_every_stack_and_its_readme_nothing(repo: tuple[Path, str]) -> None:
    root, base = repo
    result = change(root, base, {"policies/pop_x.py": "# stricter\n", "policies/README.md": "# more\n"})
    assert set(result.stacks) == ALL
    assert set(result.why_not) == {"policies/README.md"}


def test_files_outside_every_stack_affect_nothing_and_are_listed(repo: tuple[Path, str]) -> None:
    root, base = repo
    result = change(root, base, {"README.md": "# demo!\n", "docs/guide.txt": "how to, again\n",
                                 "modules/orphan/main.tf": "# unused\n"})
    assert result.stacks == {}
    assert set(result.why_not) == {"README.md", "docs/guide.txt", "modules/orphan/main.tf"}
    assert result.why_not["docs/guide.txt"].startswith("outside every stack")
    assert result.as_dict()["files"][1] == {"path": "docs/guide.txt", "stacks": [], "why": result.why_not["docs/guide.txt"]}


def test_bootstrap_changes_do_not_ripple_to_the_stacks_that_only_wait_for_it(repo: tuple[Path, str]) -> None:
    root, base = repo
    result = change(root, base, {"bootstrap/main.tf": 'resource "terraform_data" "bucket" {}\n'})
    assert set(result.stacks) == {"bootstrap"}


def test_a_stack_s_own_file_affects_it_and_its_readers(repo: tuple[Path, str]) -> None:
    root, base = repo
    result = change(root, base, {"global/dns/extra.tf": 'resource "terraform_data" "zone" {}\n'})
    assert set(result.stacks) == {"global/dns"}  # nobody reads global/dns
    second_base = git(root, "rev-parse", "HEAD").strip()
    result = change(root, second_base, {"global/ecr/extra.tf": 'resource "terraform_data" "repo" {}\n'})
    assert set(result.stacks) == {"global/ecr", "envs/dev", "envs/prod"}


def test_a_new_link_a_deletion_and_a_rename_count(repo: tuple[Path, str]) -> None:
    root, base = repo
    write(root, {"envs/_shared/outputs.tf": 'output "x" {\n  value = 1\n}\n'})
    link(root, "envs/dev/outputs.tf", "../_shared/outputs.tf")  # only dev links the new shared file (for now)
    (root / "modules/registry/main.tf").unlink()
    git(root, "mv", "modules/db/main.tf", "modules/db/database.tf")
    commit(root, "link, delete, rename")
    result = compute(root, base, "HEAD")
    assert set(result.stacks) == {"global/ecr", "envs/dev", "envs/prod"}
    assert result.files["envs/_shared/outputs.tf"] == ["envs/dev"]
    assert result.files["envs/dev/outputs.tf"] == ["envs/dev"]
    assert result.files["modules/registry/main.tf"] == ["global/ecr"]
    assert result.files["modules/db/main.tf"] == result.files["modules/db/database.tf"] == ["envs/dev", "envs/prod"]


def test_without_head_uncommitted_and_untracked_files_count(repo: tuple[Path, str]) -> None:
    root, base = repo
    write(root, {"envs/prod/terraform.tfvars": 'size = "xl"\n', "modules/net/new.tf": "# untracked\n"})
    git(root, "add", "envs/prod/terraform.tfvars")  # staged; new.tf stays untracked
    working = compute(root, base)
    assert set(working.stacks) == {"envs/dev", "envs/prod"}
    assert set(working.files) == {"envs/prod/terraform.tfvars", "modules/net/new.tf"}
    assert working.as_dict()["working_tree"] is True
    committed = compute(root, base, "HEAD")  # --head: exactly the commits, nothing local
    assert committed.stacks == {} and committed.files == {}


def test_git_ignored_files_never_count(repo: tuple[Path, str]) -> None:
    root, base = repo
    write(root, {".gitignore": ".terraform/\n", "envs/dev/.terraform/terraform.tfstate": "{}"})
    result = compute(root, base)
    assert result.stacks == {} and set(result.why_not) == {".gitignore"}


def test_the_diff_starts_at_the_merge_base_not_at_the_base_tip(repo: tuple[Path, str]) -> None:
    """Three dots: what the branch adds, not what main gained after the branch was cut."""
    root, _ = repo
    git(root, "switch", "-q", "-c", "feature")
    write(root, {"envs/dev/terraform.tfvars": 'size = "tiny"\n'})
    commit(root, "feature work")
    git(root, "switch", "-q", "main")
    write(root, {"global/dns/main.tf": 'resource "terraform_data" "moved" {}\n'})
    commit(root, "main moves on")
    git(root, "switch", "-q", "feature")
    assert set(compute(root, "main", "HEAD").stacks) == {"envs/dev"}


def test_head_elsewhere_is_read_from_git_not_from_the_checkout(repo: tuple[Path, str]) -> None:
    """A stack that exists only on the head commit is found although the checkout is main."""
    root, _ = repo
    git(root, "switch", "-q", "-c", "feature")
    write(root, {"global/cdn/main.tf": REMOTE_DNS, "global/cdn/README.md": "# cdn\n"})
    commit(root, "a new stack")
    git(root, "switch", "-q", "main")
    result = compute(root, "main", "feature")
    assert set(result.stacks) == {"global/cdn"}
    assert not (root / "global/cdn").exists(), "the checkout was not touched"


REMOTE_DNS = 'resource "terraform_data" "cdn" {}\n'


def test_removed_stack_files_are_explained(repo: tuple[Path, str]) -> None:
    root, base = repo
    shutil.rmtree(root / "global/dns")
    commit(root, "remove a stack")
    result = compute(root, base, "HEAD")
    assert result.stacks == {}
    assert "global/dns/" in result.why_not["global/dns/main.tf"] and "no stack" in result.why_not["global/dns/main.tf"]


def test_bad_refs_and_no_repository_are_one_line_errors(repo: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = repo
    with pytest.raises(PopcornError) as err:
        changed_files(root, "no-such-branch")
    assert "--base 'no-such-branch'" in err.value.line() and "fetch" in err.value.line()
    with pytest.raises(PopcornError, match="--head"):
        changed_files(root, "main", "nope")
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(PopcornError, match="not inside a git repository"):
        changed_files(plain, "main")
    assert default_base(root) == "main"  # no origin/main in this clone


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    return run_cli(args, prefix=["--repo", str(root)])


def test_cli_json_has_the_documented_shape(repo: tuple[Path, str]) -> None:
    root, base = repo
    change(root, base, {"modules/registry/main.tf": "# registry\n", "README.md": "# more\n"})
    code, out, _ = cli(root, "--output", "json", "affected", "--base", base, "--head", "HEAD")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"version", "base", "head", "merge_base", "head_commit", "working_tree", "stacks", "files"}
    assert (doc["version"], doc["base"], doc["head"], doc["working_tree"]) == (1, base, "HEAD", False)
    assert [s["stack"] for s in doc["stacks"]] == ["global/ecr", "envs/dev", "envs/prod"]
    for entry in doc["stacks"]:
        assert set(entry) == {"stack", "layer", "direct", "environments", "reasons"}
        for reason in entry["reasons"]:
            assert set(reason) == {"kind", "file", "stack", "detail", "text"} and reason["kind"] in REASON_KINDS
    assert doc["stacks"][0]["layer"] == 1 and doc["stacks"][1]["layer"] == 2
    assert doc["stacks"][0]["environments"] == ["dev", "prod"] and doc["stacks"][1]["environments"] == ["dev"]
    assert [s["direct"] for s in doc["stacks"]] == [True, False, False]
    assert doc["files"] == [
        {"path": "README.md", "stacks": [], "why": "documentation: Terraform never reads it"},
        {"path": "modules/registry/main.tf", "stacks": ["global/ecr"], "why": None},
    ]


def test_cli_text_lists_stacks_reasons_and_files_that_affect_nothing(repo: tuple[Path, str]) -> None:
    root, base = repo
    change(root, base, {"envs/dev/terraform.tfvars": 'size = "s"\n', "docs/guide.txt": "v2\n"})
    code, out, _ = cli(root, "--no-color", "affected", "--base", base, "--head", "HEAD")
    assert code == 0
    assert f"{base}...HEAD: 2 file(s) changed, 1 stack(s) affected" in out
    assert "envs/dev  layer 2  (dev)" in out and "envs/dev/terraform.tfvars: its variables file" in out
    assert "Files that affect no stack:\n  docs/guide.txt: outside every stack" in out


def test_cli_bad_base_is_exit_2_with_one_line(repo: tuple[Path, str]) -> None:
    root, _ = repo
    code, out, err = cli(root, "affected", "--base", "origin/nope")
    assert code == 2 and out == ""
    assert err.startswith("popcornctl: error: --base 'origin/nope' is no commit") and "Traceback" not in err
