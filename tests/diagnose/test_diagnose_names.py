"""Which names ``diagnose`` uses: flags, else the env stack's Terraform outputs, else the naming convention.

No AWS: a temporary repository with popcorn.toml and an env stack folder, and a fake engine standing in for
``terraform output -json`` (the real engine is exercised by the foundation tests).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from popcornctl.diagnose.names import (
    resolve_alb,
    resolve_all,
    resolve_cache,
    resolve_ecs,
    resolve_kafka,
    resolve_network,
    resolve_rds,
)
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


PLATFORM = {
    **OUTPUTS,
    "alb_arn_suffix": "app/popcorn-dev-edge/50dc6c495c0c9188",
    "waf_web_acl_arn": None,
    "alb_access_logs_bucket": "popcorn-dev-alb-logs",
    "elasticache_cluster_id": "popcorn-dev-cache",
    "kafka_instance_ids": ["i-01", "i-02", "i-03"],
    "kafka_bootstrap_servers": "broker-1.kafka.x.internal:9092,broker-2.kafka.x.internal:9092",
    "kafka_controller_quorum_voters": "1@broker-1.kafka.x.internal:9093,2@broker-2.kafka.x.internal:9093",
    "vpc_id": "vpc-0abc",
    "vpc_flow_log_group_name": "/aws/vpc/popcorn-dev/flow-logs",
}


def test_outputs_name_the_load_balancer_cache_brokers_and_vpc(tmp_path: Path) -> None:
    rt = runtime(tmp_path, engine=FakeEngine(PLATFORM))
    alb = resolve_alb(rt, "dev", None)
    assert (alb.load_balancer, alb.waf, alb.access_logs, alb.cluster) == ("popcorn-dev-edge", False, True,
                                                                          "popcorn-dev-main")
    cache = resolve_cache(rt, "dev", None, [])
    assert (cache.cache, cache.ecs_security_groups, cache.source) == ("popcorn-dev-cache", ["sg-0123"], "outputs")
    kafka = resolve_kafka(rt, "dev", [], [])
    assert kafka.kafka_instances == ["i-01", "i-02", "i-03"]
    assert kafka.kafka_voters == PLATFORM["kafka_controller_quorum_voters"]
    net = resolve_network(rt, "dev", None)
    assert (net.vpc, net.flow_log_group, net.ecs_subnets) == ("vpc-0abc", "/aws/vpc/popcorn-dev/flow-logs",
                                                              ["subnet-a", "subnet-b"])


def test_convention_for_the_load_balancer_cache_brokers_and_vpc(tmp_path: Path) -> None:
    rt = runtime(tmp_path, initialised=False)
    assert resolve_alb(rt, "dev", None).load_balancer == "goorm-popcorn-dev-alb"
    assert resolve_cache(rt, "dev", None, []).cache == "goorm-popcorn-dev-valkey"
    kafka = resolve_kafka(rt, "dev", [], [])
    assert (kafka.kafka_instances, kafka.prefix, kafka.sources["kafka"]) == ([], "goorm-popcorn-dev", "convention")
    net = resolve_network(rt, "dev", None)
    assert (net.vpc, net.vpc_name) == (None, "goorm-popcorn-dev")


def test_a_null_cache_output_switches_the_cache_off(tmp_path: Path) -> None:
    rt = runtime(tmp_path, engine=FakeEngine({**PLATFORM, "elasticache_cluster_id": None}))
    with pytest.raises(PopcornError) as err:
        resolve_cache(rt, "dev", None, [])
    assert err.value.problem.startswith("dev has no cache to diagnose: elasticache_cluster_id is null")
    assert resolve_cache(rt, "dev", "adhoc", []).cache == "adhoc"  # a flag still names one
    everything = resolve_all(rt, "dev")
    assert everything.skipped == {"cache": "elasticache_cluster_id is null: the environment has no cache "
                                           "(enable_elasticache = false)"}


def test_all_reads_the_outputs_once_for_every_name(tmp_path: Path) -> None:
    engine = FakeEngine(PLATFORM)
    rt = runtime(tmp_path, engine=engine)
    everything = resolve_all(rt, "dev")
    assert len(engine.calls) == 1
    assert (everything.cluster, everything.services, everything.instance) == (
        "popcorn-dev-main", ["popcorn-dev-api-v2", "popcorn-dev-user"], "popcorn-dev-db")
    assert (everything.load_balancer, everything.cache, everything.vpc) == ("popcorn-dev-edge", "popcorn-dev-cache",
                                                                          "vpc-0abc")
    assert everything.kafka_instances == ["i-01", "i-02", "i-03"] and everything.source == "outputs"


def test_usage_errors_of_the_new_targets(tmp_path: Path) -> None:
    rt = runtime(tmp_path)
    for resolve, option in ((lambda: resolve_alb(rt, None, None), "--load-balancer NAME"),
                            (lambda: resolve_cache(rt, None, None, []), "--replication-group ID"),
                            (lambda: resolve_kafka(rt, None, [], []), "--instance i-..."),
                            (lambda: resolve_network(rt, None, None), "--vpc vpc-...")):
        with pytest.raises(PopcornError) as err:
            resolve()
        assert option in (err.value.fix or "")
    assert resolve_network(rt, None, "vpc-1").vpc == "vpc-1"


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("15m", 900), ("1h", 3600), ("1h30m", 5400),
                                               ("2d", 172800), (" 45 M ", 2700)])
def test_parse_since(text: str, seconds: int) -> None:
    assert parse_since(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "5", "1x", "h", "0m", "15d"])
def test_parse_since_rejects(text: str) -> None:
    with pytest.raises(PopcornError):
        parse_since(text)
