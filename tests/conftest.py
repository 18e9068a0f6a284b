"""Test harness: isolated HOME/state dir, one moto server per run, real Terraform with the provider mirror.

Nothing here reaches a non-loopback address: Terraform's checkpoint and Checkov's lookups are off,
AWS credentials are dummies, and in-process sockets to anything but loopback are refused.

Nothing is left behind either: every process a test starts carries ``POPCORN_TEST_RUN`` in its environment, and
when the run ends any such process still alive (a Terraform worker, an emulator, a provider plugin), or any file a
test added to or changed in the working tree, fails the run (:func:`pytest_sessionfinish`); leaked processes are
then ended, by pid.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# The run's controller: the one pytest process, or the process that drives pytest-xdist's workers. Workers are
# started after it imported this file, so they inherit what it exported here.
IS_WORKER = "PYTEST_XDIST_WORKER" in os.environ

# Inherited by everything the run starts: how the leak check recognises this run's processes (and only them).
RUN_MARK = os.environ["POPCORN_TEST_RUN"] if IS_WORKER else uuid.uuid4().hex
os.environ["POPCORN_TEST_RUN"] = RUN_MARK
# A folder every worker of the run shares (what the harness creates in the tree is listed there).
if not IS_WORKER:
    os.environ["POPCORN_TEST_SHARED"] = tempfile.mkdtemp(prefix="popcorn-test-run-")

# Before anything imports moto or boto3: the emulator's options and an offline, dummy-credential world.
os.environ.update(
    MOTO_IAM_LOAD_MANAGED_POLICIES="true",
    MOTO_ACM_VALIDATION_WAIT="0",
    CHECKPOINT_DISABLE="1",
    BC_SKIP_MAPPING="TRUE",
    CKV_SKIP_PACKAGE_UPDATE_CHECK="true",
    AWS_EC2_METADATA_DISABLED="true",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="ap-northeast-2",
    AWS_REGION="ap-northeast-2",
)
# COLUMNS/LINES too: pytest-xdist's workers inherit COLUMNS=80, and output width is something tests set themselves.
for _var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "TF_CLI_CONFIG_FILE", "POPCORN_TERRAFORM",
             "COLUMNS", "LINES"):
    os.environ.pop(_var, None)

from devsandbox import SHARED_ENVIRONMENT_FILES, SHARED_ENVIRONMENT_GROUP, AppliedDev, bring_up  # noqa: E402
from scheduling import (  # noqa: E402
    DURATIONS_FILE,
    ENV_PLAN_FILES,
    ENV_PLAN_FIXTURES,
    ENV_PLAN_GROUP,
    STORE_OPTION,
    DurationRecorder,
    file_of,
    load_durations,
    order_longest_first,
    unlisted_users,
)
from tfhelpers import REPO, Tf, remove_created_lock_files  # noqa: E402

MIRROR_CANDIDATES = [os.environ.get("POPCORN_TEST_PROVIDER_MIRROR", ""), "/opt/tf-plugins"]
PROVIDER_MIRROR = next(
    (Path(p) for p in MIRROR_CANDIDATES if p and (Path(p) / "registry.terraform.io/hashicorp/aws").is_dir()),
    None,
)
NO_MIRROR_REASON = (
    "the AWS provider mirror is absent (set POPCORN_TEST_PROVIDER_MIRROR or provide /opt/tf-plugins): "
    "real-provider Terraform tests cannot run offline"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(STORE_OPTION, action="store_true",
                     help=f"write each test file's duration to {DURATIONS_FILE.relative_to(REPO)} (read to hand "
                          "the longest files to the workers first)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption(STORE_OPTION) and not IS_WORKER:
        config.pluginmanager.register(DurationRecorder(), "popcorn-duration-recorder")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PROVIDER_MIRROR is None:
        skip = pytest.mark.skip(reason=NO_MIRROR_REASON)
        for item in items:
            if "terraform" in item.keywords:
                item.add_marker(skip)
    _refuse_unlisted_env_plan_users(items)
    order_longest_first(items, _worker_scope, load_durations())
    _order_the_shared_environment_files(items)


def _refuse_unlisted_env_plan_users(items: list[pytest.Item]) -> None:
    strays = unlisted_users(items, ENV_PLAN_FIXTURES, ENV_PLAN_FILES)
    if strays:
        raise pytest.UsageError(
            f"{', '.join(strays)} uses an environment plan fixture: add it to tests/scheduling.py ENV_PLAN_FILES "
            "(it then runs on the worker that holds the plans)"
        )


def _order_the_shared_environment_files(items: list[pytest.Item]) -> None:
    """The tests on the shared applied environment run in the order of SHARED_ENVIRONMENT_FILES (each worker
    collects the same list, and pytest-xdist runs a group in collection order); a file not listed is refused."""
    strays = unlisted_users(items, frozenset({"dev_on_sandbox"}), SHARED_ENVIRONMENT_FILES)
    if strays:
        raise pytest.UsageError(
            f"{', '.join(strays)} uses dev_on_sandbox: add it to tests/devsandbox.py SHARED_ENVIRONMENT_FILES, "
            "in the order it must run (it then runs on the worker that holds the environment)"
        )
    users = [i for i, item in enumerate(items) if "dev_on_sandbox" in getattr(item, "fixturenames", ())]
    ordered = sorted((items[i] for i in users), key=lambda item: SHARED_ENVIRONMENT_FILES.index(file_of(item.nodeid)))
    for position, item in zip(users, ordered, strict=True):
        items[position] = item


def _worker_scope(file: str) -> str:
    """What one worker runs together: a test file, or a group of files sharing an expensive session fixture
    (``dev_on_sandbox``; the environment plans)."""
    if file in SHARED_ENVIRONMENT_FILES:
        return SHARED_ENVIRONMENT_GROUP
    return ENV_PLAN_GROUP if file in ENV_PLAN_FILES else file


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile``, except that files sharing an expensive session fixture go to one worker together
    (:func:`_worker_scope`; a session fixture is made once per worker that asks for it), and files are handed out
    in collection order, which :func:`pytest_collection_modifyitems` made longest first (not xdist's
    most-tests-first)."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    config.option.loadscopereorder = False

    class SharedEnvironmentScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _worker_scope(file_of(nodeid))

    return SharedEnvironmentScheduling(config, log)


_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> None:
    if isinstance(address, tuple) and self.family in (socket.AF_INET, socket.AF_INET6):
        host = str(address[0])
        if not (host.startswith("127.") or host in ("::1", "localhost")):
            raise OSError(f"test harness: refused connection to non-loopback address {host}")
    _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True, scope="session")
def _network_guard() -> Iterator[None]:
    socket.socket.connect = _loopback_only  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def shared_plugin_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One provider plugin cache for the whole run (N stacks share one provider copy)."""
    return tmp_path_factory.mktemp("plugin-cache")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_plugin_cache: Path) -> Iterator[Path]:
    """Each test gets its own HOME and popcornctl state dir; the plugin cache is shared."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local/state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("POPCORN_STATE_DIR", str(home / ".local/state/popcornctl"))
    monkeypatch.setenv("POPCORN_PLUGIN_CACHE_DIR", str(shared_plugin_cache))
    if PROVIDER_MIRROR is not None:
        monkeypatch.setenv("POPCORN_PROVIDER_MIRROR", str(PROVIDER_MIRROR))
    yield home
    # A command under test may have started the user's sandbox (`--sandbox` starts it on demand): never leak it.
    from popcornctl.sandbox import Sandbox

    state_dir = home / ".local/state/popcornctl"
    if (state_dir / "sandbox.json").exists():
        Sandbox(state_dir).stop()


@dataclass
class MotoServer:
    """The run's emulator."""

    endpoint: str

    def reset(self) -> None:
        req = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(req, timeout=10):
            pass

    def env(self) -> dict[str, str]:
        from popcornctl.target import Target

        return Target("ap-northeast-2", self.endpoint).env({})

    def client(self, service: str) -> Any:
        """A boto3 client of ``service`` on this emulator, made as popcornctl makes one for a sandbox target."""
        import boto3

        from popcornctl.target import Target

        return boto3.client(service, **Target("ap-northeast-2", self.endpoint).boto3_kwargs())


@pytest.fixture(autouse=True, scope="session")
def _emulator_extensions() -> None:
    """The sandbox's extensions patch moto for the whole process, and the run's emulator lives in this process: installed
    once before any test, in-process ``mock_aws`` tests see the same moto whichever test ran first."""
    from popcornctl.sandbox.extensions import install_all

    install_all()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """One moto server on 127.0.0.1 for the whole test run: the sandbox's own emulator (requests serialized), in
    this process so that tests can seed moto's backends directly."""
    from popcornctl.sandbox.emulator import Emulator

    server = Emulator("127.0.0.1", 0)
    endpoint = server.start()
    yield MotoServer(endpoint=endpoint)
    server.stop()


@pytest.fixture
def sandbox(moto_server: MotoServer) -> MotoServer:
    """The run's emulator, emptied before the test."""
    moto_server.reset()
    return moto_server


@pytest.fixture(scope="session")
def tf_session(tmp_path_factory: pytest.TempPathFactory, shared_plugin_cache: Path) -> Iterator[Tf]:
    """Terraform runner shared by a session (data dirs reused so each folder is initialised once)."""
    if PROVIDER_MIRROR is None:
        pytest.skip(NO_MIRROR_REASON)
    os.environ["POPCORN_PLUGIN_CACHE_DIR"] = str(shared_plugin_cache)
    state = tmp_path_factory.mktemp("tf-state")
    yield Tf(mirror=PROVIDER_MIRROR, state_dir=state, data_root=tmp_path_factory.mktemp("tf-data"))


@pytest.fixture(scope="session")
def dev_on_sandbox(tmp_path_factory: pytest.TempPathFactory, shared_plugin_cache: Path,
                   tf_session: Tf) -> Iterator[AppliedDev]:
    """envs/dev applied once on popcornctl's sandbox for the tests that read or change an applied environment
    (tests/devsandbox.py); its sandbox is stopped when the run ends."""
    from popcornctl.sandbox import Sandbox

    state_dir = tmp_path_factory.mktemp("dev-on-sandbox-state")
    env = {"POPCORN_PLUGIN_CACHE_DIR": str(shared_plugin_cache), "POPCORN_PROVIDER_MIRROR": str(tf_session.mirror)}
    try:
        yield bring_up(state_dir, tmp_path_factory.mktemp("dev-on-sandbox"), env)
    finally:
        Sandbox(state_dir).stop()


@pytest.fixture
def tf(tf_session: Tf) -> Tf:
    """Terraform runner (see tests/tfhelpers.py)."""
    return tf_session


@pytest.fixture
def repo() -> Path:
    """The repository root."""
    return REPO


# -- nothing left behind ------------------------------------------------------------------------------------
_TREE_NOISE = ("__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".venv", ".egg-info")
# The one place tests write on purpose: plan JSONs for humans and CI uploads (git-ignored "test and run artifacts").
_ARTIFACTS = "artifacts/"
_tree_before: set[str] = set()


def _tree_state() -> set[str]:
    """Untracked, ignored and modified paths of the working tree (``git status``), caches excepted."""
    try:
        res = subprocess.run(["git", "status", "--porcelain", "--ignored=matching", "--untracked-files=all", "-z"],
                             cwd=REPO, capture_output=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return set()
    if res.returncode != 0:
        return set()
    entries = {e for e in res.stdout.decode(errors="replace").split("\0") if e}
    return {e for e in entries if not any(noise in e for noise in _TREE_NOISE) and not e[3:].startswith(_ARTIFACTS)}


def _marked_processes() -> dict[int, str]:
    """Live processes (other than this one) that carry this run's mark, pid -> command line."""
    found: dict[int, str] = {}
    needle = f"POPCORN_TEST_RUN={RUN_MARK}".encode()
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, IndexError):
            continue
        if state != "Z":
            found[int(entry.name)] = command
    return found


def pytest_sessionstart(session: pytest.Session) -> None:
    if not IS_WORKER:
        _tree_before.update(_tree_state())


@pytest.hookimpl(trylast=True)  # after pytest-xdist has shut its workers down
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a test left a process (worker, emulator, Terraform) or a file in the tree behind.

    Checked once, by the run's controller, when every worker is done: the lock files the harness's own ``init``
    created are removed first (they are the harness's, not a test's)."""
    if IS_WORKER:
        return
    remove_created_lock_files()
    shutil.rmtree(os.environ["POPCORN_TEST_SHARED"], ignore_errors=True)
    deadline = time.monotonic() + 30  # an interrupted Terraform may still be saving state: give it time
    leaked = _marked_processes()
    while leaked and time.monotonic() < deadline:
        time.sleep(0.5)
        leaked = _marked_processes()
    stray = sorted(_tree_state() - _tree_before) if _tree_before else []
    if session.config.getoption(STORE_OPTION):
        stray = [entry for entry in stray if not entry.endswith(str(DURATIONS_FILE.relative_to(REPO)))]
    if not leaked and not stray:
        return
    for pid in leaked:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # ours: it carries this run's mark
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"leaked process {pid}: {cmd}" for pid, cmd in sorted(leaked.items())]
    lines += [f"left in the working tree: {entry}" for entry in stray]
    if reporter is not None:
        reporter.section("nothing left behind", sep="=", red=True, bold=True)
        for line in lines:
            reporter.line(line, red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
