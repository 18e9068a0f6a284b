"""popcorn.toml as a typed model: every key and type checked, one line naming file, key and fix, exit 2 before
anything runs; every setting accepted before keeps its meaning."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import pytest

from clirunner import run_cli
from popcornctl.config import load_config
from popcornctl.errors import PopcornError
from tfhelpers import REPO

TOML = (REPO / "popcorn.toml").read_text(encoding="utf-8")


def _repo(tmp_path: Path, text: str) -> Path:
    (tmp_path / "popcorn.toml").write_text(text, encoding="utf-8")
    return tmp_path


class NeverRuns:
    def __init__(self) -> None:
        self.called = False

    def __call__(self, *args: Any, **kwargs: Any) -> int:
        self.called = True
        return 0


# (what the real file says, the typo, what the one line must say)
TYPOS = [
    ("protected = true", "protectd = true",
     "popcorn.toml: unknown key 'protectd' in [environments.prod] (did you mean 'protected'?) — rename it to protected"),
    ("protected = true", 'protected = "false"',
     'popcorn.toml: [environments.prod] protected = "false" is not true or false — write protected = true or '
     "protected = false, without quotes"),
    ("use_lockfile = true", 'use_lockfile = "yes"',
     'popcorn.toml: [backend] use_lockfile = "yes" is not true or false — write use_lockfile = true or '
     "use_lockfile = false, without quotes"),
    ("[environments.prod]", '[enviroments.qa]\nstack = "envs/qa"\n\n[environments.prod]',
     "popcorn.toml: unexpected table 'enviroments' (did you mean 'environments'?) — rename it to environments"),
    ('region = "ap-northeast-2"', "region = 42",
     'popcorn.toml: [project] region = 42 is not a string — write region = "ap-northeast-2"'),
]


@pytest.mark.parametrize(("right", "typo", "line"), TYPOS, ids=[t[1].split("\n")[0] for t in TYPOS])
def test_a_typo_stops_down_prod_before_anything_runs(
    right: str, typo: str, line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The issue's case: with `protectd = true` prod lost its protection and `down prod --auto-approve` went on."""
    import popcornctl.orchestrate

    assert right in TOML
    root = _repo(tmp_path, TOML.replace(right, typo, 1))
    work = NeverRuns()
    monkeypatch.setattr(popcornctl.orchestrate, "execute", work)
    code, _, err = run_cli(["--repo", str(root), "down", "prod", "--sandbox", "--auto-approve"], capsys)
    assert (code, err) == (2, f"popcornctl: error: {line}\n")
    assert not work.called


@pytest.mark.parametrize("argv", [["doctor", "--sandbox"], ["unlock", "--all"], ["plan", "dev"],
                                  ["policy-check", "--env", "dev"], ["diagnose", "ecs", "--env", "dev"]],
                         ids=" ".join)
def test_every_command_that_reads_the_file_refuses_it(argv: list[str], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = _repo(tmp_path, TOML.replace('region = "ap-northeast-2"', "region = 42", 1))
    code, _, err = run_cli(["--repo", str(root), *argv], capsys)
    assert code == 2 and err.startswith("popcornctl: error: popcorn.toml: [project] region = 42 is not a string")
    assert len(err.splitlines()) == 1


# -- every key of every table, from the model itself ---------------------------------------------------------------

TABLE_NAMES = ["project", "backend", "environments.dev"]


def _tables() -> dict[str, type[Any]]:
    """The tables of the file, as the model declares them."""
    from popcornctl.config.project import BackendTable, EnvironmentTable, ProjectTable

    return dict(zip(TABLE_NAMES, (ProjectTable, BackendTable, EnvironmentTable), strict=True))


def _keys() -> list[tuple[str, str]]:
    try:
        tables = _tables()
    except ImportError:  # collected against a popcornctl without the model: the tests below fail instead
        return [(name, "?") for name in TABLE_NAMES]
    return [(t, f.name) for t, model in tables.items() for f in dataclasses.fields(model)]


def _wrong_value(tp: Any) -> str:
    """A TOML value of another type than ``tp``."""
    inner = [a for a in get_args(tp) if a is not type(None)] or [tp]
    tp = inner[0]
    if tp is bool:
        return '"yes"'
    if tp is str:
        return "42"
    if get_origin(tp) in (list, dict):
        return '"x"'
    raise AssertionError(f"no wrong value for {tp!r}")


def _table_text(table: str) -> str:
    """The real file with [table]'s header found (the place to put a key)."""
    header = f"[{table}]"
    assert header in TOML, header
    return header


@pytest.mark.parametrize(("table", "key"), _keys())
def test_every_key_has_its_type_checked(table: str, key: str, tmp_path: Path) -> None:
    model = _tables()[table]
    hint = get_type_hints(model)[key]
    header = _table_text(table)
    lines = [line for line in TOML.split(header, 1)[1].split("\n[", 1)[0].splitlines() if line.startswith(f"{key} =")]
    text = TOML.replace(header, f"{header}\n{key} = {_wrong_value(hint)}", 1)
    if lines:  # the file sets the key already: replace it rather than repeat it
        text = TOML.replace(lines[0], f"{key} = {_wrong_value(hint)}", 1)
    with pytest.raises(PopcornError) as err:
        load_config(_repo(tmp_path, text))
    assert err.value.problem.startswith(f"popcorn.toml: [{table}] {key} = ") and err.value.fix


@pytest.mark.parametrize("table", [*TABLE_NAMES, None])
def test_every_table_refuses_unknown_keys(table: str | None, tmp_path: Path) -> None:
    header = f"[{table}]" if table else "[project]"
    text = TOML.replace(header, f"{header}\nbogus_key = 1", 1) if table else "bogus_key = 1\n" + TOML
    with pytest.raises(PopcornError) as err:
        load_config(_repo(tmp_path, text))
    assert "'bogus_key'" in err.value.problem and err.value.fix and err.value.fix.startswith("remove it (known: ")


def test_the_top_level_tables_are_the_model(tmp_path: Path) -> None:
    from popcornctl.config.project import PopcornToml

    known = [f.name for f in dataclasses.fields(PopcornToml)]
    with pytest.raises(PopcornError) as err:
        load_config(_repo(tmp_path, TOML + "\n[dependecies]\n"))
    assert err.value.line() == (
        "popcorn.toml: unexpected table 'dependecies' (did you mean 'dependencies'?) — rename it to dependencies"
    )
    assert known == ["project", "backend", "environments", "dependencies", "drift"]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (('bucket = "goorm-popcorn-tfstate"', ""), "[backend] has no bucket — add bucket = "),
        (('region = "ap-northeast-2"', 'region = "ap-northeast2"'), 'region = "ap-northeast2" is not an AWS region'),
        (('bucket = "goorm-popcorn-tfstate"', 'bucket = ""'), '[backend] bucket = "" is empty'),
        (('stack = "envs/dev"', 'stack = "../elsewhere"'), 'stack = "../elsewhere" is not a path inside the repository'),
        (("[dependencies]", '[dependencies]\n"envs/dev" = "global/ecr"'),
         '[dependencies] "envs/dev" = "global/ecr" is not a list of strings'),
        (("[dependencies]", '[dependencies]\n"envs/dev" = ["../x"]'), "which is not a stack path inside"),
        (('kms_key_id = "alias/goorm-popcorn-tfstate"', "kms_key_id = 7"), "[backend] kms_key_id = 7 is not a string"),
    ],
)
def test_values_are_checked(change: tuple[str, str], needle: str, tmp_path: Path) -> None:
    old, new = change
    assert old in TOML
    with pytest.raises(PopcornError) as err:
        load_config(_repo(tmp_path, TOML.replace(old, new, 1)))
    assert needle in err.value.line()


# -- what was accepted before keeps its meaning ----------------------------------------------------------------------

EVERY_KEY = """
[project]
name = "demo"
region = "eu-west-1"

[backend]
bucket = "demo-state"
lock_table = "demo-locks"
region = "us-east-1"
use_lockfile = false
encrypt = false
kms_key_id = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
bootstrap_stack = "/bootstrap/"

[environments.dev]
stack = "envs/dev"
sandbox_var_file = "sandbox.tfvars"
protected = false

[environments.prod]
stack = "envs/prod"
protected = true

[dependencies]
"/envs/dev/" = ["global/ecr/", "global/dns"]
"""


def test_every_setting_keeps_its_meaning(tmp_path: Path) -> None:
    config = load_config(_repo(tmp_path, EVERY_KEY))
    assert (config.name, config.region, config.bootstrap_stack) == ("demo", "eu-west-1", "bootstrap")
    backend = config.backend
    assert (backend.bucket, backend.lock_table, backend.region) == ("demo-state", "demo-locks", "us-east-1")
    assert backend.use_lockfile is False and backend.encrypt is False and backend.kms_key_id.endswith("567890ab")
    assert backend.backend_config("envs/dev")["use_lockfile"] == "false"
    dev, prod = config.environment("dev"), config.environment("prod")
    assert (dev.stack, dev.sandbox_var_file, dev.protected) == ("envs/dev", "sandbox.tfvars", False)
    assert (prod.stack, prod.sandbox_var_file, prod.protected) == ("envs/prod", None, True)
    assert config.dependencies == {"envs/dev": ("global/ecr", "global/dns")}


def test_an_empty_lock_table_means_the_s3_lockfile_alone(tmp_path: Path) -> None:
    config = load_config(_repo(tmp_path, TOML.replace('lock_table = "goorm-popcorn-tf-locks"', 'lock_table = ""')))
    assert config.backend.lock_table == "" and config.backend.use_lockfile


def test_defaults(tmp_path: Path) -> None:
    minimal = '[project]\nregion = "ap-northeast-2"\n[backend]\nbucket = "b-state"\nlock_table = "locks"\n'
    config = load_config(_repo(tmp_path, minimal))
    assert config.name == tmp_path.name and config.bootstrap_stack == "bootstrap"
    assert config.backend.region == "ap-northeast-2" and config.backend.use_lockfile and config.backend.encrypt
    assert config.backend.kms_key_id is None and config.environments == {} and config.dependencies == {}


def test_the_repository_file_loads() -> None:
    config = load_config(REPO)
    assert config.environment("prod").protected and not config.environment("dev").protected
    assert config.backend.kms_key_id == "alias/goorm-popcorn-tfstate"


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda path: path.mkdir(), "is a folder, not a TOML file"),
        (lambda path: path.write_bytes(b"\xff\xfe[project]"), "is not UTF-8 text"),
    ],
)
def test_unreadable_files_are_one_line(make: Any, needle: str, tmp_path: Path) -> None:
    make(tmp_path / "popcorn.toml")
    with pytest.raises(PopcornError) as err:
        load_config(tmp_path)
    assert needle in err.value.line()
