"""The README's first command on any machine: where the AWS provider comes from, and nothing left in the tree.

- Provider source: a mirror named by ``POPCORN_PROVIDER_MIRROR`` that lacks ``hashicorp/aws`` is reported in one
  line and Terraform installs providers its own way (the registry); unset, the default mirror location is used
  when it holds the provider.
- Sandbox runs write nothing under the repository (no ``.terraform.lock.hcl``, ``.terraform/`` or
  ``errored.tfstate`` in stack folders); real runs keep Terraform's normal behaviour (the lock file is written).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from popcornctl.engine import env as tfenv
from popcornctl.engine.env import AWS_PROVIDER, ProviderSource, provider_source, terraform_env
from popcornctl.sandbox.workcopy import LOCK_FILE, working_copy
from popcornctl.settings import Settings

sys.path.insert(0, str(Path(__file__).parents[1] / "orchestrate"))

from fixture_repo import StackSpec, create_backend, diamond
from orch_support import Fx

REQUIRES_AWS = """
terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}
"""
# A fixture repository has no policies/ of its own.
NO_POLICIES = ("--skip-policy", "--reason", "fixture repository without policies")
# The project's own ignore rules for Terraform, so `git status --ignored` shows what they would hide.
GITIGNORE = ".terraform/\n*.tfstate\n*.tfstate.*\n*.tfplan\n.terraform.lock.hcl\ncrash.log\n"


def _mirror(tmp_path: Path, name: str, *, aws: bool) -> Path:
    path = tmp_path / name
    (path / AWS_PROVIDER if aws else path).mkdir(parents=True)
    return path


# -- where the provider comes from -------------------------------------------------------------------------
def test_a_named_mirror_with_the_provider_is_used(tmp_path: Path) -> None:
    named = _mirror(tmp_path, "named", aws=True)
    default = _mirror(tmp_path, "default", aws=True)
    assert provider_source(named, default) == ProviderSource(named, "POPCORN_PROVIDER_MIRROR")


def test_a_named_mirror_without_the_provider_is_reported_and_the_registry_is_used(tmp_path: Path) -> None:
    named = _mirror(tmp_path, "empty", aws=False)
    default = _mirror(tmp_path, "default", aws=True)
    source = provider_source(named, default)
    assert source.mirror is None, "never the default instead: the user named a mirror, the registry is the fallback"
    assert source.note is not None and "\n" not in source.note
    assert f"POPCORN_PROVIDER_MIRROR={named} has no registry.terraform.io/hashicorp/aws" in source.note
    assert "registry" in source.note
    assert provider_source(tmp_path / "missing", default).mirror is None


def test_unset_uses_the_default_location_when_it_holds_the_provider(tmp_path: Path) -> None:
    default = _mirror(tmp_path, "default", aws=True)
    assert provider_source(None, default) == ProviderSource(default, "default location")
    assert provider_source(None, _mirror(tmp_path, "bare", aws=False)) == ProviderSource(None, "terraform")
    assert provider_source(None, tmp_path / "absent") == ProviderSource(None, "terraform")
    # The user's own CLI config decides where providers come from: no default mirror imposed over it.
    assert provider_source(None, default, user_cli_config=True) == ProviderSource(None, "terraform")


def test_a_cli_config_variable_naming_a_missing_file_is_no_cli_config(tmp_path: Path) -> None:
    """Machines often export TF_CLI_CONFIG_FILE=~/.terraformrc without the file: Terraform then configures
    nothing, so the default mirror still applies."""
    (tmp_path / "real.tfrc").write_text("# the user's\n")
    assert tfenv.has_user_cli_config({"TF_CLI_CONFIG_FILE": str(tmp_path / "real.tfrc")})
    assert not tfenv.has_user_cli_config({"TF_CLI_CONFIG_FILE": str(tmp_path / "missing.tfrc")})
    assert not tfenv.has_user_cli_config({})


def test_the_terraform_environment_follows_the_decision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    default = _mirror(tmp_path, "default", aws=True)
    monkeypatch.setattr(tfenv, "DEFAULT_MIRROR", default)
    unset = terraform_env(Settings(state_dir=tmp_path / "state", provider_mirror=None), {})
    config = Path(unset["TF_CLI_CONFIG_FILE"]).read_text(encoding="utf-8")
    assert f'path = "{default.resolve().as_posix()}"' in config and "direct" not in config

    empty = _mirror(tmp_path, "empty", aws=False)
    settings = Settings(state_dir=tmp_path / "state2", provider_mirror=empty)
    capsys.readouterr()
    first, second = terraform_env(settings, {}), terraform_env(settings, {})
    assert "TF_CLI_CONFIG_FILE" not in first and "TF_CLI_CONFIG_FILE" not in second
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"popcornctl: note: POPCORN_PROVIDER_MIRROR={empty} has no")


# -- working copies ----------------------------------------------------------------------------------------
def test_a_working_copy_mirrors_the_folder_and_keeps_terraforms_files_apart(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "modules/m").mkdir(parents=True)
    (root / "modules/m/main.tf").write_text("# module\n")
    stack = root / "envs/dev"
    stack.mkdir(parents=True)
    (stack / "main.tf").write_text("# stack\n")
    (stack / LOCK_FILE).write_text("# a real run's selections\n")
    (stack / ".terraform").mkdir()
    base = tmp_path / "state/work"

    copy = working_copy(stack, root=root, base=base)
    assert copy == base / "envs-dev/envs/dev"
    assert (copy / "main.tf").is_symlink() and (copy / "main.tf").read_text() == "# stack\n"
    assert (copy / "../../modules/m/main.tf").read_text() == "# module\n", "relative module sources resolve"
    assert not (copy / LOCK_FILE).is_symlink() and (copy / LOCK_FILE).read_text() == "# a real run's selections\n"
    assert not (copy / ".terraform").exists()

    (copy / LOCK_FILE).write_text("# written by the sandbox's init\n")
    (stack / "new.tf").write_text("# added\n")
    (stack / "main.tf").unlink()
    assert working_copy(stack, root=root, base=base) == copy
    assert (copy / "new.tf").is_symlink() and not (copy / "main.tf").exists(), "kept in step with the folder"
    assert (copy / LOCK_FILE).read_text() == "# written by the sandbox's init\n"
    assert (stack / LOCK_FILE).read_text() == "# a real run's selections\n", "the real folder is never written"

    assert working_copy(root, root=root, base=base) == root
    assert working_copy(tmp_path, root=root, base=base) == tmp_path
    assert working_copy(root / "modules", root=root, base=base) == root / "modules", "no .tf files: not a stack"


# -- the first command, end to end on a fixture repository -------------------------------------------------
def _git(root: Path, *args: str) -> str:
    res = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return res.stdout


def _committed_fixture(tmp_path: Path, endpoint: str, monkeypatch: pytest.MonkeyPatch, *, aws: bool) -> Fx:
    root, marks = tmp_path / "repo", tmp_path / "marks"
    overrides = {"envs/dev": StackSpec(reads=["global/a"], extra=REQUIRES_AWS)} if aws else None
    diamond(root, marks, aws_bootstrap=aws, overrides=overrides)
    (root / ".gitignore").write_text(GITIGNORE)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "fixture")
    if not aws:
        create_backend(endpoint)
    return Fx(root=root, marks=marks, endpoint=endpoint, monkeypatch=monkeypatch)


def _new_in_tree(root: Path) -> list[str]:
    return _git(root, "status", "--ignored", "--porcelain", "--untracked-files=all").splitlines()


@pytest.mark.terraform
@pytest.mark.sandbox
def test_the_first_command_without_a_mirror_setting_runs_twice_and_writes_nothing_in_the_tree(
    sandbox: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`up dev --sandbox --auto-approve` as the README runs it: no POPCORN_PROVIDER_MIRROR; the default mirror
    location supplies the AWS provider (bootstrap creates its bucket with it; envs/dev requires it too)."""
    mirror = Path(os.environ["POPCORN_PROVIDER_MIRROR"])
    monkeypatch.delenv("POPCORN_PROVIDER_MIRROR")
    monkeypatch.setattr(tfenv, "DEFAULT_MIRROR", mirror)
    fx = _committed_fixture(tmp_path, sandbox.endpoint, monkeypatch, aws=True)  # type: ignore[attr-defined]

    code, out, err = fx.cli("up", "dev", "--sandbox", "--auto-approve", *NO_POLICIES)
    assert code == 0, out + err
    assert "POPCORN_PROVIDER_MIRROR" not in err
    code, out, err = fx.cli("up", "dev", "--sandbox", "--auto-approve", *NO_POLICIES)
    assert code == 0, out + err
    code, out, err = fx.cli("plan", "dev", "--sandbox")
    assert code == 0, out + err
    assert _new_in_tree(fx.root) == [], "a sandbox run wrote into the repository"


@pytest.mark.terraform
@pytest.mark.sandbox
def test_a_named_mirror_without_the_provider_is_one_line_and_the_run_goes_on(
    sandbox: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A leftover POPCORN_PROVIDER_MIRROR pointing at nothing: one line, then Terraform's own installation (these
    stacks need no registry provider, so the run completes offline)."""
    fx = _committed_fixture(tmp_path, sandbox.endpoint, monkeypatch, aws=False)  # type: ignore[attr-defined]
    monkeypatch.setenv("POPCORN_PROVIDER_MIRROR", str(tmp_path / "no-such-mirror"))
    monkeypatch.setattr(tfenv, "_noted", set())
    code, out, err = fx.cli("plan", "dev", "--sandbox")
    assert code == 0, out + err
    notes = [line for line in err.splitlines() if "POPCORN_PROVIDER_MIRROR" in line]
    assert notes == [
        f"popcornctl: note: POPCORN_PROVIDER_MIRROR={tmp_path / 'no-such-mirror'} has no "
        "registry.terraform.io/hashicorp/aws: ignored, Terraform installs providers from the registry (unset it, "
        "or point it at a `terraform providers mirror` folder)"
    ]
    assert _new_in_tree(fx.root) == []


@pytest.mark.terraform
def test_a_real_run_keeps_terraforms_lock_file_in_the_stack(tmp_path: Path) -> None:
    from popcornctl.runtime import Runtime

    root, marks = tmp_path / "repo", tmp_path / "marks"
    diamond(root, marks, overrides={"envs/dev": StackSpec(reads=["global/a"], extra=REQUIRES_AWS)})
    rt = Runtime(Settings(repo=root))
    engine = rt.engine
    assert engine.workdir_map is None
    result = engine.init(root / "envs/dev", backend=False)
    assert result.ok, result.output
    assert "registry.terraform.io/hashicorp/aws" in (root / "envs/dev" / LOCK_FILE).read_text()
    assert (root / "envs/dev/.terraform").is_dir()


@pytest.mark.terraform
def test_a_sandbox_engine_runs_terraform_in_a_working_copy_not_in_the_stack(tmp_path: Path) -> None:
    """The mechanism behind "nothing in the tree", without an emulator: a sandbox runtime's init (no backend)."""
    from popcornctl.runtime import Runtime
    from popcornctl.target import Target

    root, marks = tmp_path / "repo", tmp_path / "marks"
    diamond(root, marks, overrides={"envs/dev": StackSpec(reads=["global/a"], extra=REQUIRES_AWS)})
    rt = Runtime(Settings(repo=root, state_dir=tmp_path / "state"), sandbox=True)
    rt.__dict__["target"] = Target("ap-northeast-2", "http://127.0.0.1:9")  # never called: init without backend
    stack = root / "envs/dev"
    result = rt.engine.init(stack, backend=False, env=rt.stack_env("envs-dev"))
    assert result.ok, result.output
    assert sorted(p.name for p in stack.iterdir()) == ["main.tf", "sandbox.tfvars"], "nothing written in the stack"
    copy = rt.sandbox_manager.data_dir / "work/envs-dev/envs/dev"
    assert "registry.terraform.io/hashicorp/aws" in (copy / LOCK_FILE).read_text()
