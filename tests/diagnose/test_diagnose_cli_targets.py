"""``popcornctl diagnose alb | cache | kafka | network | all`` end to end: the CLI against the sandbox server.

As in test_diagnose_cli.py, the sandbox is the session's moto server, seeded with boto3 at its endpoint only
(targetworld); no env stack is initialised in the test repository, so every name follows the naming convention.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from diagworld import PREFIX, World
from targetworld import alb, cache, cache_service, kafka, vpc

from clirunner import run_cli
from popcornctl.diagnose.findings import REPORT_SCHEMA


def cli(args: list[str], repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_cli(args, capsys, prefix=["--repo", str(repo), "--no-color"])


def test_alb_healthy_exits_0(sandbox_world: World, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    alb(sandbox_world)
    code, out, err = cli(["diagnose", "alb", "--env", "dev", "--sandbox"], repo, capsys)
    assert code == 0, out + err
    assert f"Load balancer {PREFIX}-alb" in out and f"Target group {PREFIX}-api" in out
    assert "✓ OK   alb.redirect             HTTP redirects to HTTPS (301)" in out
    assert out.rstrip().endswith("exit 0")


def test_alb_expiring_certificate_exits_1_with_json(sandbox_world: World, repo: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    alb(sandbox_world, cert_days=3)
    code, out, _ = cli(["diagnose", "alb", "--env", "dev", "--sandbox", "--output", "json"], repo, capsys)
    doc = json.loads(out)
    jsonschema.validate(doc, REPORT_SCHEMA)
    assert (code, doc["command"], doc["exit_code"], doc["names"]["source"]) == (1, "alb", 1, "convention")
    cert = next(f for f in doc["targets"][0]["findings"] if f["check"] == "alb.certificates")
    assert (cert["status"], cert["title"]) == ("FAIL", "api.popcorn.example.com expires in 3 day(s)")


def test_kafka_healthy_by_the_naming_convention_exits_0(sandbox_world: World, repo: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    kafka(sandbox_world)
    sandbox_world.cluster(instances=0)
    sandbox_world.service("api")
    _code, out, err = cli(["diagnose", "kafka", "--env", "dev", "--sandbox", "--output", "json"], repo, capsys)
    doc = json.loads(out)
    problems = [(t["name"], f["check"], f["title"]) for t in doc["targets"] for f in t["findings"]
                if f["status"] != "OK" and f["check"] not in ("kafka.broker.memory", "kafka.broker.disk")]
    assert problems == [], err  # the agent's metrics are not seeded here: those two WARN
    assert [t["kind"] for t in doc["targets"]] == ["kafka-cluster"] + ["kafka-broker"] * 3


def test_cache_client_without_tls_exits_1(sandbox_world: World, repo: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    group = cache(sandbox_world)
    cache_service(sandbox_world, group, ssl="false")
    code, out, _ = cli(["diagnose", "cache", "--env", "dev", "--sandbox", "--output", "json"], repo, capsys)
    doc = json.loads(out)
    jsonschema.validate(doc, REPORT_SCHEMA)
    clients = next(f for f in doc["targets"][0]["findings"] if f["check"] == "cache.clients")
    assert (code, clients["status"]) == (1, "FAIL")
    assert clients["title"] == f"{PREFIX}-api/api connects without TLS, which the group requires"


def test_network_healthy_exits_0(sandbox_world: World, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vpc(sandbox_world, nat_per_az=True)
    code, out, err = cli(["diagnose", "network", "--env", "dev", "--sandbox"], repo, capsys)
    assert code == 0, out + err
    assert "✓ OK   network.routes" in out


def test_all_prints_one_summary_and_exits_1(sandbox_world: World, repo: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    vpc(sandbox_world)
    alb(sandbox_world)
    code, out, _ = cli(["diagnose", "all", "--env", "dev", "--sandbox", "--output", "json"], repo, capsys)
    doc = json.loads(out)
    jsonschema.validate(doc, REPORT_SCHEMA)
    assert (code, doc["command"]) == (1, "all")
    statuses = [t["status"] for t in doc["targets"]]
    assert statuses == sorted(statuses, key=["FAIL", "WARN", "OK"].index)
    unavailable = {t["kind"] for t in doc["targets"] if t["findings"][0]["check"] == "target.unavailable"}
    assert unavailable == {"rds-instance", "cache-replication-group", "kafka-cluster"}  # not seeded here


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diagnose", "all", "--sandbox"], "diagnose all needs an environment — pass --env (dev, prod)"),
        (["diagnose", "network", "--sandbox"], "no environment or VPC to diagnose — pass --env (dev, prod) or --vpc"),
        (["diagnose", "alb", "--sandbox"], "no environment or load balancer to diagnose"),
        (["diagnose", "cache", "--env", "dev", "--since", "x", "--sandbox"], "--since 'x' is not a duration"),
        (["diagnose", "kafka", "--sandbox"], "no environment or Kafka broker to diagnose"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], message: str, repo: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(args, repo, capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"popcornctl: error: {message}") and err.count("\n") == 1


def test_a_missing_cache_exits_2_naming_the_groups(sandbox_world: World, repo: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    sandbox_world.network()
    code, out, err = cli(["diagnose", "cache", "--env", "dev", "--sandbox"], repo, capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"popcornctl: error: replication group '{PREFIX}-valkey' not found (sandbox at 127.0.0.1:")
