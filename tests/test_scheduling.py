"""The suite's own file order: longest scope first, tests in place inside a scope, durations stored and merged."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from scheduling import (
    DURATIONS_FILE,
    ENV_PLAN_FILES,
    ENV_PLAN_FIXTURES,
    DurationRecorder,
    load_durations,
    order_longest_first,
    unlisted_users,
)


def _items(*nodeids: str) -> list[Any]:
    return [SimpleNamespace(nodeid=n) for n in nodeids]


def test_the_longest_scope_goes_first_and_tests_keep_their_order_inside_it() -> None:
    items = _items("a.py::t1", "b.py::t1", "a.py::t2", "c.py::t1", "d.py::t1", "b.py::t2")
    # c and d form one scope (as the shared-environment files do): 30 + 30 outweighs b's 50.
    group = {"c.py": "cd", "d.py": "cd"}
    order_longest_first(items, lambda f: group.get(f, f), {"a.py": 10.0, "b.py": 50.0, "c.py": 30.0, "d.py": 30.0})
    assert [i.nodeid for i in items] == ["c.py::t1", "d.py::t1", "b.py::t1", "b.py::t2", "a.py::t1", "a.py::t2"]


def test_unknown_files_keep_their_collection_place_after_the_known_ones() -> None:
    items = _items("new.py::t", "old.py::t", "other.py::t")
    order_longest_first(items, lambda f: f, {"old.py": 5.0})
    assert [i.nodeid for i in items] == ["old.py::t", "new.py::t", "other.py::t"]


def test_the_committed_durations_name_only_existing_test_files() -> None:
    durations = load_durations()
    assert durations, f"{DURATIONS_FILE} is missing or empty: run python -m pytest --store-durations"
    root = DURATIONS_FILE.parent.parent
    missing = sorted(f for f in durations if not (root / f).is_file())
    assert not missing, f"{DURATIONS_FILE.name} names files that no longer exist: {missing}"


def test_a_recorded_run_updates_its_files_keeps_the_others_and_drops_deleted_ones(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    for name in ("kept.py", "ran.py"):
        (tmp_path / "tests" / name).write_text("")
    path = tmp_path / "tests" / "durations.json"
    path.write_text(json.dumps({"tests/kept.py": 7.0, "tests/ran.py": 1.0, "tests/gone.py": 3.0}))
    recorder = DurationRecorder(path)
    for seconds in (0.5, 2.0, 0.25):  # setup, call, teardown
        recorder.pytest_runtest_logreport(SimpleNamespace(nodeid="tests/ran.py::t", duration=seconds))  # type: ignore[arg-type]
    recorder.pytest_sessionfinish(SimpleNamespace(testsfailed=0), pytest.ExitCode.OK)  # type: ignore[arg-type]
    assert json.loads(path.read_text()) == {"tests/kept.py": 7.0, "tests/ran.py": 2.8}


def test_a_failed_run_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "durations.json"
    recorder = DurationRecorder(path)
    recorder.pytest_runtest_logreport(SimpleNamespace(nodeid="tests/x.py::t", duration=1.0))  # type: ignore[arg-type]
    recorder.pytest_sessionfinish(SimpleNamespace(testsfailed=1), pytest.ExitCode.TESTS_FAILED)  # type: ignore[arg-type]
    assert not path.exists()


def test_a_file_using_an_environment_plan_must_be_listed_to_share_the_worker_that_holds_it() -> None:
    items = [SimpleNamespace(nodeid=f"{ENV_PLAN_FILES[0]}::t", fixturenames=["prod_plan", "tmp_path"]),
             SimpleNamespace(nodeid="tests/envs/test_new.py::t", fixturenames=["dev_plan"]),
             SimpleNamespace(nodeid="tests/cli/test_cli.py::t", fixturenames=["tmp_path"])]
    assert unlisted_users(items, ENV_PLAN_FIXTURES, ENV_PLAN_FILES) == ["tests/envs/test_new.py"]  # type: ignore[arg-type]
