"""The order in which pytest-xdist hands test files to its workers: the longest first.

pytest-xdist's ``--dist loadfile`` hands out whole files, by default the files with the most tests first. Our
longest files hold one or two tests (an emulator round trip that waits on the provider), so they went out last and
the run ended with one worker waiting on them while the others had nothing left to do. Handing out the longest
files first (the "longest processing time" rule) leaves only short files for the end, which even the workers out.

How long a file takes is read from :data:`DURATIONS_FILE`, seconds per test file (setup, call and teardown of its
tests), written by a run with ``--store-durations``. A file it does not know counts as 0 s and keeps its collection
place after the known ones; refresh the file when tests move (``python -m pytest --store-durations``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DURATIONS_FILE = Path(__file__).resolve().parent / "durations.json"
STORE_OPTION = "--store-durations"

# The session fixtures that plan a whole environment (tests/envs/conftest.py), and the files that use them. Each
# pytest-xdist worker has its own session, so these files go to one worker together: each plan is made once a run,
# not once per worker (tests/conftest.py refuses a file that uses them without being listed here).
ENV_PLAN_FIXTURES = frozenset({"dev_plan", "prod_plan", "account_plan", "env_plan"})
ENV_PLAN_GROUP = "env-plans"
ENV_PLAN_FILES = (
    "tests/envs/test_envs_account_settings.py",
    "tests/envs/test_envs_docs.py",
    "tests/envs/test_envs_outage.py",
    "tests/envs/test_envs_permissions.py",
    "tests/envs/test_envs_plan.py",
)


def file_of(nodeid: str) -> str:
    """The test file a test's node id belongs to."""
    return nodeid.split("::", 1)[0]


def load_durations(path: Path = DURATIONS_FILE) -> dict[str, float]:
    """Seconds per test file; empty when the file is absent or unreadable (the order is then collection order)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, (int, float))}


def order_longest_first(items: list[pytest.Item], scope_of: Callable[[str], str],
                        durations: dict[str, float]) -> None:
    """Reorder ``items`` in place: the scopes (what one worker runs together) with the largest total duration first.

    The sort is stable, so tests keep their order inside a scope, and scopes of equal duration keep theirs."""
    cost: dict[str, float] = defaultdict(float)
    for file in {file_of(item.nodeid) for item in items}:
        cost[scope_of(file)] += durations.get(file, 0.0)
    items.sort(key=lambda item: -cost[scope_of(file_of(item.nodeid))])


def unlisted_users(items: list[pytest.Item], fixtures: frozenset[str], listed: tuple[str, ...]) -> list[str]:
    """The test files that use one of ``fixtures`` but are not in ``listed``, sorted."""
    users = {file_of(item.nodeid) for item in items if fixtures & set(getattr(item, "fixturenames", ()))}
    return sorted(users - set(listed))


class DurationRecorder:
    """Sums each test file's reported durations on the run's controller and writes them at the end."""

    def __init__(self, path: Path = DURATIONS_FILE) -> None:
        self.path = path
        self.seconds: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[file_of(report.nodeid)] += report.duration

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: Any) -> None:
        if session.testsfailed or exitstatus != pytest.ExitCode.OK:
            return  # a failed run's figures would mislead the next run's order
        # A run of some files updates theirs; files that no longer exist are dropped.
        root = self.path.parent.parent
        data = {file: s for file, s in load_durations(self.path).items() if (root / file).is_file()}
        data.update({file: round(seconds, 1) for file, seconds in self.seconds.items()})
        self.path.write_text(json.dumps(dict(sorted(data.items())), indent=1) + "\n")
