"""Fixtures of the diagnose tests: in-process moto (``aws``) and the sandbox server (``sandbox_world``).

Both are seeded through the AWS API only (diagworld.py); facts moto cannot produce are built directly
(diagfacts.py) or stubbed with botocore's Stubber in the tests that need them.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from diagworld import REGION, World

from popcornctl.aws import Clients
from popcornctl.target import Target


def _fast_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip moto's slow defaults these tests never use: ~1,400 AWS managed policies per IAM backend (the one
    needed is attached as a copy, see diagworld.EXEC_POLICY_DOCUMENT) and thousands of public AMIs per EC2
    backend. Read when a backend is created, so this also applies to the in-process sandbox server."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


@pytest.fixture
def frozen_tasks() -> Iterator[None]:
    """moto advances a task's state on every DescribeTasks; freeze it so seeded states stay put (moto's documented
    state-manager API, which the sandbox server serves at /moto-api/state-manager too)."""
    from moto.moto_api import state_manager

    state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10**9})
    yield
    state_manager.unset_transition("ecs::task")


@pytest.fixture(scope="session")
def boto_session() -> Any:
    """One boto3 session for the run: botocore parses each service model once per session (EC2's alone takes
    about a second), so sharing it keeps every test from paying that again. Clients use it only to create
    their clients, in the test's main thread. moto is imported first: it adds its request interceptor to
    botocore's built-in handlers, which a session copies when it is created."""
    import boto3
    import moto  # noqa: F401 - must precede the session (see above)

    return boto3.Session()


def _clients(target: Target, session: Any) -> Clients:
    clients = Clients(target)
    clients._session = session  # test-only: reuse the parsed service models
    return clients


@pytest.fixture
def aws(frozen_tasks: None, monkeypatch: pytest.MonkeyPatch, boto_session: Any) -> Iterator[World]:
    """In-process moto (mock_aws) and a World seeding it through popcornctl's client factory."""
    from moto import mock_aws

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    _fast_moto(monkeypatch)
    with mock_aws():
        yield World(_clients(Target(REGION), boto_session), monkeypatch)


@pytest.fixture
def sandbox_world(
    sandbox: Any, frozen_tasks: None, monkeypatch: pytest.MonkeyPatch, boto_session: Any
) -> Iterator[World]:
    """The session's moto server (emptied) as the user's running sandbox, and a World seeding it over HTTP.

    The server runs in this process (popcornctl.sandbox.emulator.Emulator), so the moto settings read from the
    environment (MOTO_ECS_SERVICE_RUNNING) and the frozen task transitions apply to it. popcornctl finds a sandbox through <state dir>/sandbox.json and checks the pid is its own server; the test
    server is this process, so that check is pointed at our pid.
    """
    import popcornctl.sandbox as sandbox_mod

    state_dir = Path(os.environ["POPCORN_STATE_DIR"])
    state_dir.mkdir(parents=True, exist_ok=True)
    port = int(sandbox.endpoint.rsplit(":", 1)[1])
    record = {"pid": os.getpid(), "port": port, "started": time.time()}
    (state_dir / "sandbox.json").write_text(json.dumps(record), encoding="utf-8")
    monkeypatch.setattr(sandbox_mod, "_pid_is_sandbox", lambda pid: pid == os.getpid())
    _fast_moto(monkeypatch)
    yield World(_clients(Target(REGION, sandbox.endpoint), boto_session), monkeypatch)
    # Empty the server now, while the fast settings still hold: a moto reset re-creates every backend in use
    # before dropping it, and with managed policies and default AMIs on, that takes longer than the next
    # test's reset allows.
    sandbox.reset()
    # The record names this process, not a server of ours: drop it so nothing (the autouse isolated_home
    # teardown among them) ever tries to stop it.
    (state_dir / "sandbox.json").unlink(missing_ok=True)
