"""``popcornctl diagnose`` end to end: the CLI against the sandbox server, exit codes 0 / 1 / 2.

The sandbox is the session's moto server (tests/conftest.py ``moto_server``), recorded as the user's running
sandbox by the ``sandbox_world`` fixture; resources are seeded with boto3 at its endpoint only (diagworld says
what moto cannot produce: tasks stop with a reason and exit 0 and ECS Exec is off).
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from diagworld import PREFIX, World

from clirunner import run_cli
from popcornctl.diagnose.findings import REPORT_SCHEMA


def cli(args: list[str], repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_cli(args, capsys, prefix=["--repo", str(repo), "--no-color"])


def seed_healthy(world: World) -> None:
    world.cluster()
    tg = world.target_group("api", ["10.20.1.10", "10.20.2.10"])
    world.service("api", target_group=tg)
    world.task("api")
    world.task("api")


def test_healthy_environment_exits_0_with_text_report(sandbox_world: World, repo: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    seed_healthy(sandbox_world)
    code, out, err = cli(["diagnose", "ecs", "--env", "dev", "--sandbox"], repo, capsys)
    assert code == 0, out + err
    assert "popcornctl diagnose ecs — sandbox at 127.0.0.1:" in out
    assert "ECS cluster goorm-popcorn-dev-cluster" in out
    assert f"ECS service {PREFIX}-api" in out
    assert "✓ OK   service.running          2 of 2 tasks running" in out
    assert "names follow the naming convention" in out
    assert out.rstrip().endswith("HEALTHY: 0 FAIL, 0 WARN, 12 OK — exit 0")


def test_problems_exit_1_with_json_report(sandbox_world: World, repo: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    seed_healthy(sandbox_world)
    sandbox_world.service("user", running=0)
    sandbox_world.task("user", stopped=True, reason="OutOfMemoryError: Container killed due to memory usage")
    code, out, err = cli(["--output", "json", "diagnose", "ecs", "--env", "dev", "--sandbox", "--since", "30m"],
                         repo, capsys)
    assert code == 1, err
    doc = json.loads(out)
    jsonschema.validate(doc, REPORT_SCHEMA)
    assert doc["exit_code"] == 1 and doc["health"] == "degraded"
    assert doc["window"]["since_seconds"] == 1800
    assert doc["names"]["source"] == "convention"
    user = next(t for t in doc["targets"] if t["name"] == f"{PREFIX}-user")
    assert user["health"] == "down"
    oom = next(f for f in user["findings"] if f["rule"] == "exit.oom")
    assert oom["status"] == "FAIL" and "512 MiB container hard limit" in oom["title"]


def test_output_json_after_the_subcommand(sandbox_world: World, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`popcornctl diagnose ecs --env dev --sandbox --output json`, as AWS CLI users write it."""
    seed_healthy(sandbox_world)
    code, out, err = cli(["diagnose", "ecs", "--env", "dev", "--sandbox", "--output", "json"], repo, capsys)
    assert code == 0, err
    doc = json.loads(out)
    jsonschema.validate(doc, REPORT_SCHEMA)
    assert doc["exit_code"] == 0 and doc["environment"] == "dev"


def test_service_flag_takes_a_short_key(sandbox_world: World, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed_healthy(sandbox_world)
    sandbox_world.service("user", running=0)
    code, out, _ = cli(["--output", "json", "diagnose", "ecs", "--env", "dev", "--service", "api", "--sandbox"],
                       repo, capsys)
    doc = json.loads(out)
    assert code == 0
    assert [t["name"] for t in doc["targets"]] == ["goorm-popcorn-dev-cluster", f"{PREFIX}-api"]
    assert doc["names"]["source"] == "convention+flags"


def test_rds_public_open_database_exits_1(sandbox_world: World, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sandbox_world.cluster(instances=0)
    sandbox_world.service("api")
    sandbox_world.db(public=True, public_subnets=True, open_sg=True)
    code, out, _ = cli(["-v", "diagnose", "rds", "--env", "dev", "--sandbox"], repo, capsys)
    assert code == 1
    assert "RDS instance goorm-popcorn-dev-postgres" in out
    assert "✗ FAIL rds.exposure             reachable from the internet" in out
    assert "→ fix: Set publicly_accessible = false" in out
    assert "[502]" not in out and "㊙" not in out  # AWS text printed verbatim, no markup/emoji mangling
    assert ":secret:rds!db-" in out  # --verbose shows the evidence of OK findings too


def test_rds_json_validates(sandbox_world: World, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sandbox_world.db()
    net = sandbox_world.network()
    code, out, _ = cli(["--output", "json", "diagnose", "rds", "--instance", f"{PREFIX}-postgres",
                        "--ecs-security-group", net.ecs_sg, "--sandbox"], repo, capsys)
    doc = json.loads(out)
    jsonschema.validate(doc, REPORT_SCHEMA)
    # A healthy database: every finding OK (Performance Insights persists through the sandbox's extension).
    problems = {f["check"] for t in doc["targets"] for f in t["findings"] if f["status"] != "OK"}
    assert problems == set()
    assert code == 0
    assert doc["names"]["source"] == "flags"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diagnose", "ecs", "--sandbox"], "no environment or cluster to diagnose — pass --env (dev, prod)"),
        (["diagnose", "ecs", "--env", "staging", "--sandbox"], "unknown environment 'staging' — use one of: dev, prod"),
        (["diagnose", "ecs", "--env", "dev", "--since", "5", "--sandbox"], "--since '5' is not a duration"),
        (["diagnose", "rds", "--env", "dev", "--since", "30d", "--sandbox"], "--since '30d' is longer than 14 days"),
        (["diagnose", "rds", "--sandbox"], "no environment or DB instance to diagnose"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], message: str, repo: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(args, repo, capsys)
    assert code == 2
    assert out == ""
    assert err.startswith(f"popcornctl: error: {message}")
    assert err.count("\n") == 1


def test_sandbox_not_running_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(["diagnose", "ecs", "--env", "dev", "--sandbox"], repo, capsys)
    assert (code, out) == (2, "")
    assert err == "popcornctl: error: the sandbox is not running — start it with: popcornctl sandbox start\n"


def test_missing_cluster_exits_2(sandbox_world: World, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sandbox_world.cluster("someone-elses-cluster")
    code, out, err = cli(["diagnose", "ecs", "--env", "dev", "--sandbox"], repo, capsys)
    assert (code, out) == (2, "")
    assert err.startswith("popcornctl: error: ECS cluster 'goorm-popcorn-dev-cluster' not found (sandbox at 127.0.0.1:")
    assert err.rstrip().endswith("clusters here: someone-elses-cluster")


def test_unknown_option_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["diagnose", "ecs", "--bogus"], repo, capsys)
    assert code == 2
    assert "No such option" in err
