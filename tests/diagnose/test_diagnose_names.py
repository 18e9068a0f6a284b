"""Which names ``diagnose`` uses: flags, else the env stack's Terraform outputs, else the naming convention.

No AWS: a temporary repository with popcorn.toml and an env stack folder, and a fake engine standing in for
``terraform output -json`` (the real engine is exercised by the foundation tests).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from popcornctl.diagnose.names import resolve_ecs, resolve_rds
from popcornctl.diagnose.window import parse_since
from popcornctl.errors import PopcornError
from popcornctl.runtime import Runtime
from popcornctl.settings import Settings

TOML = """
[project]
name = "goorm-popcorn"
region = "ap-northeast-2"
[backend]
bucket = "b"
lock_table = "t"
[environments.dev]
stack = "envs/dev"
[environments.prod]
stack = "envs/prod"
protected = true
"""

OUTPUTS = {
    "ecs_cluster_name": "popcorn-dev-main",
    "ecs_service_names": {"api": "popcorn-dev-api-v2", "user": "popcorn-dev-user"},
    "rds_instance_id": "popcorn-dev-db",
    "ecs_security_group_id": "sg-0123",
    "ecs_subnet_ids": ["subnet-a", "subnet-b"],
}


class FakeEngine:
    def __init__(self, outputs: dict[str, Any] | Exception) -> None:
        self.outputs = outputs
        self.calls: list[tuple[Path, dict[str, str] | None]] = []

    def output(self, workdir: Path, *, env: dict[str, str] | None = None) -> dict[str, Any]:
        self.calls.append((workdir, env))
        if isinstance(self.outputs, Exception):
            raise self.outputs
        return self.outputs


def runtime(tmp_path: Path, *, initialised: bool = True, engine: FakeEngine | None = None) -> Runtime:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "popcorn.toml").write_text(TOML, encoding="utf-8")
    stack = tmp_path / "envs/dev"
    stack.mkdir(parents=True)
    (stack / "main.tf").write_text("", encoding="utf-8")
    if initialised:
        (stack / ".terraform").mkdir()
    rt = Runtime(settings=Settings(repo=tmp_path))
    if engine is not None:
        rt.__dict__["engine"] = engine  # the cached property, replaced for the test
    return rt


def test_outputs_name_the_cluster_services_and_database(tmp_path: Path) -> None:
    engine = FakeEngine(OUTPUTS)
    rt = runtime(tmp_path, engine=engine)
    ecs = resolve_ecs(rt, "dev", None, [])
    assert (ecs.cluster, ecs.services, ecs.source) == ("popcorn-dev-main", ["popcorn-dev-api-v2", "popcorn-dev-user"],
                                                       "outputs")
    assert ecs.notes == ["names from the Terraform outputs of envs/dev"]
    assert engine.calls[0][0] == tmp_path / "envs/dev"
    rds = resolve_rds(rt, "dev", None, [])
    assert (rds.instance, rds.ecs_security_groups, rds.ecs_subnets) == ("popcorn-dev-db", ["sg-0123"],
                                                                         ["subnet-a", "subnet-b"])
    assert rds.cluster == "popcorn-dev-main"


def test_service_keys_map_through_the_outputs(tmp_path: Path) -> None:
    rt = runtime(tmp_path, engine=FakeEngine(OUTPUTS))
    resolved = resolve_ecs(rt, "dev", None, ["api", "goorm-popcorn-dev-legacy"])
    assert resolved.services == ["popcorn-dev-api-v2", "goorm-popcorn-dev-legacy"]
    assert resolved.source == "outputs+flags"


def test_flags_win_over_outputs(tmp_path: Path) -> None:
    rt = runtime(tmp_path, engine=FakeEngine(OUTPUTS))
    ecs = resolve_ecs(rt, "dev", "my-cluster", [])
    assert ecs.cluster == "my-cluster" and ecs.services is None  # outputs' services belong to their own cluster
    rds = resolve_rds(rt, "dev", "my-db", ["sg-9"])
    assert (rds.instance, rds.ecs_security_groups, rds.source) == ("my-db", ["sg-9"], "flags")


def test_convention_when_the_stack_is_not_initialised(tmp_path: Path) -> None:
    engine = FakeEngine(OUTPUTS)
    rt = runtime(tmp_path, initialised=False, engine=engine)
    ecs = resolve_ecs(rt, "dev", None, ["api"])
    assert (ecs.cluster, ecs.services) == ("goorm-popcorn-dev-cluster", ["goorm-popcorn-dev-api"])
    assert ecs.notes == ["envs/dev is not initialised on this machine: names follow the naming convention"]
    assert engine.calls == []  # no Terraform run at all
    assert resolve_rds(rt, "dev", None, []).instance == "goorm-popcorn-dev-postgres"


def test_output_failure_is_a_note_not_an_error(tmp_path: Path) -> None:
    rt = runtime(tmp_path, engine=FakeEngine(PopcornError("terraform output failed in envs/dev")))
    resolved = resolve_ecs(rt, "dev", None, [])
    assert resolved.cluster == "goorm-popcorn-dev-cluster" and resolved.services is None
    assert resolved.notes[0].startswith("Terraform outputs unavailable (terraform output failed in envs/dev)")
    rt2 = runtime(tmp_path / "other", engine=FakeEngine(RuntimeError("boom")))
    assert resolve_ecs(rt2, "dev", None, []).notes[0].startswith("Terraform outputs unavailable (RuntimeError: boom)")


def test_empty_outputs_mean_not_applied(tmp_path: Path) -> None:
    rt = runtime(tmp_path, engine=FakeEngine({}))
    assert resolve_ecs(rt, "dev", None, []).notes == [
        "envs/dev has no outputs yet (not applied?): names follow the naming convention"
    ]


def test_missing_stack_folder(tmp_path: Path) -> None:
    rt = runtime(tmp_path, engine=FakeEngine(OUTPUTS))
    assert resolve_ecs(rt, "prod", None, []).notes == [
        "envs/prod/ does not exist yet: names follow the naming convention"
    ]


def test_usage_errors(tmp_path: Path) -> None:
    rt = runtime(tmp_path)
    with pytest.raises(PopcornError, match="no environment or cluster to diagnose"):
        resolve_ecs(rt, None, None, [])
    with pytest.raises(PopcornError, match="unknown environment 'qa'"):
        resolve_ecs(rt, "qa", None, [])
    resolved = resolve_ecs(rt, None, "adhoc-cluster", ["svc"])
    assert (resolved.cluster, resolved.services, resolved.notes) == ("adhoc-cluster", ["svc"], [])


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("15m", 900), ("1h", 3600), ("1h30m", 5400),
                                               ("2d", 172800), (" 45 M ", 2700)])
def test_parse_since(text: str, seconds: int) -> None:
    assert parse_since(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "5", "1x", "h", "0m", "15d"])
def test_parse_since_rejects(text: str) -> None:
    with pytest.raises(PopcornError):
        parse_since(text)
