"""[drift] of popcorn.toml: ignore rules typed like every other table — unknown keys, wrong types and empty reasons
are one line naming the file, the table and the fix; a good rule keeps every field it was given."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, get_type_hints

import pytest

from clirunner import run_cli
from popcornctl.config import load_config
from popcornctl.errors import PopcornError
from tfhelpers import REPO

TOML = (REPO / "popcorn.toml").read_text(encoding="utf-8")
# The file without its own [[drift.ignore]] rules: each test adds the [drift] it is about.
BASE = TOML[: TOML.index("[[drift.ignore]]")]


def _load(tmp_path: Path, extra: str) -> Any:
    (tmp_path / "popcorn.toml").write_text(BASE + "\n" + extra, encoding="utf-8")
    return load_config(tmp_path)


def _refused(tmp_path: Path, extra: str) -> str:
    with pytest.raises(PopcornError) as err:
        _load(tmp_path, extra)
    return err.value.line()


RULE = '[[drift.ignore]]\naddress = \'module.ecs.aws_ecs_service.this["api"]\'\nreason = "autoscaling"\n'


def test_a_rule_keeps_every_field(tmp_path: Path) -> None:
    config = _load(tmp_path, RULE.replace('reason = "autoscaling"\n', 'reason = "autoscaling"\nattributes = '
                                          '["desired_count", "tags.Owner"]\nstacks = ["envs/dev"]\n'
                                          'environments = ["dev"]\n'))
    (rule,) = config.drift.ignore
    assert rule.address == 'module.ecs.aws_ecs_service.this["api"]'
    assert (rule.attributes, rule.stacks, rule.environments) == (["desired_count", "tags.Owner"], ["envs/dev"], ["dev"])


def test_without_the_table_there_are_no_rules(tmp_path: Path) -> None:
    minimal = '[project]\nregion = "ap-northeast-2"\n[backend]\nbucket = "b"\nlock_table = "t"\n'
    (tmp_path / "popcorn.toml").write_text(minimal, encoding="utf-8")
    assert load_config(tmp_path).drift.ignore == []


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        (RULE.replace("reason", "reasn"),
         "popcorn.toml: unknown key 'reasn' in [[drift.ignore]] #"),
        (RULE.replace('reason = "autoscaling"', 'reason = "  "'),
         'reason = "  " is empty — say why this is expected to move'),
        (RULE.replace('reason = "autoscaling"\n', ""),
         "has no reason — add reason = "),
        (RULE + 'attributes = "desired_count"\n',
         'attributes = "desired_count" is not a list of strings — write attributes = ["desired_count", "tags.Owner"]'),
        (RULE + 'environments = ["dev", ""]\n', 'environments = ["dev", ""] holds an empty entry'),
        ("[drift]\nignores = []\n", "popcorn.toml: unknown key 'ignores' in [drift] (did you mean 'ignore'?)"),
        ('[drift]\nignore = "all"\n', '[drift] ignore = "all" is not a list of tables'),
    ],
    ids=["unknown key", "empty reason", "no reason", "wrong type", "empty entry", "unknown table key", "not a list"],
)
def test_mistakes_are_one_line(extra: str, line: str, tmp_path: Path) -> None:
    assert line in _refused(tmp_path, extra)


@pytest.mark.parametrize("key", [f.name for f in dataclasses.fields(__import__(
    "popcornctl.config.drift", fromlist=["IgnoreRule"]).IgnoreRule)])
def test_every_key_of_a_rule_has_its_type_checked(key: str, tmp_path: Path) -> None:
    from popcornctl.config.drift import IgnoreRule

    wrong = "42" if get_type_hints(IgnoreRule)[key] is str else '"x"'
    body = {"address": "'a.b'", "reason": '"r"', key: wrong}
    extra = "[[drift.ignore]]\n" + "".join(f"{k} = {v}\n" for k, v in body.items())
    assert f"[[drift.ignore]] #1 {key} = {wrong} is not" in _refused(tmp_path, extra)


def test_the_drift_command_refuses_a_broken_rule_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "popcorn.toml").write_text(BASE + "\n" + RULE.replace("reason", "reasn"), encoding="utf-8")
    code, out, err = run_cli(["--repo", str(tmp_path), "drift", "dev", "--sandbox"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("popcornctl: error: popcorn.toml: unknown key 'reasn' in [[drift.ignore]] #")
    assert len(err.splitlines()) == 1


def _config_addresses() -> set[str]:
    """Every resource address the environments' composition declares (TYPE.NAME, module.NAME.TYPE.NAME)."""
    from popcornctl import hcl

    shared = REPO / "envs" / "_shared"
    files = hcl.load_dir(shared)
    addresses = {f"{tf_type}.{name}" for _, tf_type, name, _ in hcl.blocks(files, "resource")}
    for file in files:
        for entry in file.body.get("module", []):
            for name, body in entry.items():
                module_dir = (shared / str(hcl.first(body.get("source", "")))).resolve()
                for _, tf_type, resource, _ in hcl.blocks(hcl.load_dir(module_dir), "resource"):
                    addresses.add(f"module.{name}.{tf_type}.{resource}")
    return addresses


def test_every_repository_rule_names_a_resource_of_the_environments() -> None:
    """A rule whose address matches nothing in the HCL is a typo that would silently ignore nothing."""
    from popcornctl.drift.analysis import config_address
    from popcornctl.drift.ignore import matches

    rules = load_config(REPO).drift.ignore
    assert rules, "popcorn.toml ships the prod autoscaling rule"
    addresses = _config_addresses()
    for rule in rules:
        assert rule.reason.strip()
        base = config_address(rule.address.replace("*", "x"))
        assert base in addresses, f"{rule.address} names no resource of envs/_shared"
        assert matches(rule.address, base + '["api-gateway"]')
