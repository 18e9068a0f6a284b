"""The sandbox lifecycle: start on a free port, status, reset, stop, and stale pid files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from popcornctl.errors import PopcornError
from popcornctl.sandbox import Sandbox, healthy
from popcornctl.target import Target

pytestmark = pytest.mark.sandbox


def test_start_status_reset_stop(tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "state")
    assert box.status() == ("stopped", None)
    info = box.start()
    try:
        assert box.status() == ("running", info)
        assert info.endpoint.startswith("http://127.0.0.1:")
        assert box.start() == info  # idempotent: the running one is returned
        recorded = json.loads((tmp_path / "state/sandbox.json").read_text())
        assert recorded["pid"] == info.pid and recorded["port"] == info.port
        s3 = boto3.client("s3", **Target("ap-northeast-2", info.endpoint).boto3_kwargs())
        s3.create_bucket(Bucket="popcorn-reset-check", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"})
        (box.data_dir / "tfdata").mkdir(parents=True)
        box.reset()
        assert s3.list_buckets()["Buckets"] == []
        assert not box.data_dir.exists()
    finally:
        assert box.stop() is True
    assert box.status() == ("stopped", None)
    assert not healthy(info.endpoint, timeout=0.5)
    assert box.stop() is False


def test_stale_pid_file_is_cleaned_up_and_never_kills_a_stranger(tmp_path: Path) -> None:
    box = Sandbox(tmp_path / "state")
    box.state_dir.mkdir(parents=True)
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        box.state_file.write_text(json.dumps({"pid": stranger.pid, "port": 1, "started": time.time()}))
        state, info = box.status()
        assert state == "stale" and info is not None and info.pid == stranger.pid
        with pytest.raises(PopcornError, match="stale pid file"):
            box.require()
        box.stop()  # forgets the file, must not signal the unrelated process
        assert stranger.poll() is None
        assert not box.state_file.exists()
    finally:
        stranger.kill()
    box.state_file.write_text("{not json")
    assert box.status()[0] == "stale"
    info = box.start()
    try:
        assert box.status() == ("running", info)
    finally:
        box.stop()


def test_stop_never_signals_its_own_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A record naming the caller (an in-process server, as the diagnose tests use) is forgotten, not killed."""
    import popcornctl.sandbox as sandbox_mod

    box = Sandbox(tmp_path / "state")
    box.state_dir.mkdir(parents=True)
    box.state_file.write_text(json.dumps({"pid": os.getpid(), "port": 1, "started": time.time()}))
    monkeypatch.setattr(sandbox_mod, "_pid_is_sandbox", lambda pid: True)
    sent: list[tuple[int, int]] = []
    monkeypatch.setattr(sandbox_mod.os, "kill", lambda pid, sig: sent.append((pid, sig)))
    box.stop(timeout=0.2)
    assert [s for s in sent if s[1] != 0] == []
    assert not box.state_file.exists()


def _overlap_of(app_wrapper: Any) -> int:
    """Most requests handled at once by ``app_wrapper(app)`` when 6 threads call it together."""
    import threading

    busy, most, guard = 0, 0, threading.Lock()

    def app(environ: Any, start_response: Any) -> list[bytes]:
        nonlocal busy, most
        with guard:
            busy += 1
            most = max(most, busy)
        time.sleep(0.05)
        with guard:
            busy -= 1
        start_response("200 OK", [])
        return [b"ok"]

    wrapped = app_wrapper(app)
    threads = [threading.Thread(target=lambda: wrapped({}, lambda *a: None)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return most


def test_the_emulator_handles_one_request_at_a_time() -> None:
    """moto's backends have no locks: concurrent Terraform requests must not run inside moto together."""
    from popcornctl.sandbox.emulator import guarded

    assert _overlap_of(lambda app: app) > 1, "the probe sees overlap when nothing serializes"
    assert _overlap_of(guarded) == 1  # the default mode


def test_require_when_stopped_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(PopcornError) as err:
        Sandbox(tmp_path).require()
    assert err.value.line() == "the sandbox is not running — start it with: popcornctl sandbox start"


def test_real_target_refuses_a_leaked_sandbox_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:5000")
    with pytest.raises(PopcornError, match="AWS_ENDPOINT_URL_S3 points at a local emulator"):
        Target("ap-northeast-2").env()
    sandbox_env = Target("ap-northeast-2", "http://127.0.0.1:6000").env()
    assert sandbox_env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:6000"
    assert "AWS_ENDPOINT_URL_S3" not in sandbox_env  # the sandbox wins, consistently for every service
    assert os.environ["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:5000"  # caller's env untouched
