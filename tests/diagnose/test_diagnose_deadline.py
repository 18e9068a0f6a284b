"""When AWS stops answering, diagnose ends within its deadline with one line and exit 2.

A stalled endpoint (tests/diagnose/diagstall.py: accepts, reads, never answers) and a killed emulator (a real
sandbox process, killed by pid in the middle of a run). No timing asserts: the tests assert the outcome, and
that the run ends (pytest-timeout would fail a hang).
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from diagstall import StalledEndpoint
from diagworld import CLUSTER, REGION, World

from clirunner import run_cli
from popcornctl.aws import Clients
from popcornctl.diagnose import Deadline, RunLabels, Window, diagnose_ecs, parse_timeout
from popcornctl.errors import PopcornError
from popcornctl.sandbox import Sandbox
from popcornctl.target import Target

pytestmark = pytest.mark.timeout(120)
HOUR = Window.ending_now(timedelta(hours=1))


@pytest.fixture
def stalled() -> Iterator[StalledEndpoint]:
    with StalledEndpoint() as endpoint:
        yield endpoint


def cli(args: list[str], repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_cli(args, capsys, prefix=["--repo", str(repo), "--no-color"])


def test_a_stalled_endpoint_ends_the_run_at_the_deadline(stalled: StalledEndpoint) -> None:
    clients = Clients(Target(REGION, stalled.endpoint))
    with pytest.raises(PopcornError) as err:
        diagnose_ecs(clients, cluster=CLUSTER, services=None, window=HOUR, run=RunLabels(deadline=Deadline(3, "sandbox here")))
    # 3 s, not 1: on a loaded machine building the clients alone can take a second before any request is sent.
    assert err.value.line().startswith("AWS did not answer within 3 s (sandbox here) — ")
    assert "--timeout" in err.value.line()
    assert stalled.requests >= 1  # the call reached the endpoint and got no answer


def test_an_endpoint_that_stalls_mid_run(sandbox_world: World, stalled: StalledEndpoint) -> None:
    """The emulator answers ECS; CloudWatch's requests are sent to the stalled endpoint (botocore's before-send
    hook rewrites their URL), as when an endpoint stops answering in the middle of a run."""
    sandbox_world.cluster()
    sandbox_world.service("api")
    cloudwatch = sandbox_world.clients.client("cloudwatch")
    emulator = cloudwatch.meta.endpoint_url

    def to_stall(request: Any, **_: Any) -> None:
        request.url = request.url.replace(emulator, stalled.endpoint)

    cloudwatch.meta.events.register_first("before-send.cloudwatch.*", to_stall)
    try:
        with pytest.raises(PopcornError) as err:
            diagnose_ecs(sandbox_world.clients, cluster=CLUSTER, services=None, window=HOUR,
                         run=RunLabels(deadline=Deadline(3, "sandbox")))
    finally:
        cloudwatch.meta.events.unregister("before-send.cloudwatch.*", to_stall)
    assert err.value.line().startswith("AWS did not answer within 3 s (sandbox)")
    assert stalled.requests >= 1


def test_cli_exits_2_with_one_line_when_aws_does_not_answer(stalled: StalledEndpoint, repo: Path,
                                                            capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The stalled endpoint registered as the user's sandbox: its health check answers, AWS calls never do."""
    import popcornctl.sandbox as sandbox_mod

    state_dir = Path(os.environ["POPCORN_STATE_DIR"])
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "sandbox.json").write_text(json.dumps({"pid": os.getpid(), "port": stalled.port,
                                                        "started": time.time()}), encoding="utf-8")
    monkeypatch.setattr(sandbox_mod, "_pid_is_sandbox", lambda pid: pid == os.getpid())
    try:
        code, out, err = cli(["diagnose", "ecs", "--env", "dev", "--sandbox", "--timeout", "2s"], repo, capsys)
    finally:
        (state_dir / "sandbox.json").unlink()
    assert (code, out) == (2, "")
    assert err.startswith(f"popcornctl: error: AWS did not answer within 2 s (sandbox at 127.0.0.1:{stalled.port}")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_killed_emulator_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    """A real sandbox process, seeded through the API and killed (by its pid) when the run reaches CloudWatch."""
    sandbox = Sandbox(tmp_path / "state")
    info = sandbox.start()
    try:
        clients = Clients(Target(REGION, info.endpoint))
        clients.client("ecs").create_cluster(clusterName=CLUSTER)

        def kill(**_: Any) -> None:
            os.kill(info.pid, signal.SIGKILL)
            os.waitpid(info.pid, 0)  # this process started it: reap it, so the port is closed before the call

        clients.client("cloudwatch").meta.events.register("before-call.cloudwatch.DescribeAlarms", kill)
        with pytest.raises(PopcornError) as err:
            diagnose_ecs(clients, cluster=CLUSTER, services=None, window=HOUR, run=RunLabels(deadline=Deadline(60, "sandbox")))
    finally:
        sandbox.stop()
    assert err.value.line().startswith("cannot reach AWS (sandbox): Could not connect to the endpoint URL")
    assert "popcornctl sandbox start" in err.value.line()


@pytest.mark.parametrize(("text", "seconds"), [("60", 60.0), ("90s", 90.0), ("2m", 120.0), ("1h", 3600.0)])
def test_timeout_values(text: str, seconds: float) -> None:
    assert parse_timeout(text) == seconds


@pytest.mark.parametrize(("text", "message"), [("0", "--timeout '0' is empty"), ("soon", "is not a duration"),
                                               ("2h", "longer than an hour")])
def test_bad_timeout_is_a_usage_error(text: str, message: str) -> None:
    with pytest.raises(PopcornError, match=message):
        parse_timeout(text)


def test_every_client_has_bounded_timeouts_and_attempts() -> None:
    """botocore's defaults (60 s read timeout, retried up to 4 times) are what made diagnose hang 241 s."""
    client = Clients(Target(REGION)).client("ecs")
    config = client.meta.config
    assert config.connect_timeout <= 10 and config.read_timeout <= 30
    assert config.retries["total_max_attempts"] <= 3
