"""The scheduler: dependency order, parallelism, dependents skipped, --fail-fast."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from fixture_repo import diamond
from orch_support import FakeEngine, Scripted, fake_runner

from popcornctl.orchestrate.outcome import Outcome
from popcornctl.orchestrate.schedule import Scheduler


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return diamond(tmp_path / "repo", tmp_path / "marks", prod=True)


def results(report: object) -> dict[str, str]:
    return {s.stack: s.result for s in report.stacks}  # type: ignore[attr-defined]


def test_declined_stack_skips_dependents_and_fail_fast(root: Path) -> None:
    engine = FakeEngine(root)
    report = fake_runner(root, engine=engine, confirmer=Scripted(answers=[True, False, True])).run()
    declined = [s for s, r in results(report).items() if r == "declined"]
    assert len(declined) == 1 and declined[0].startswith("global/")
    assert results(report)["envs/dev"] == "skipped"
    assert report.result_of("envs/dev").reason == f"dependency {declined[0]} was not approved"
    assert report.exit_code == 1
    engine = FakeEngine(root, outputs={("bootstrap", "apply"): [(1, "Error: boom")]})
    report = fake_runner(root, engine=engine, fail_fast=True, parallelism=1).run()
    assert results(report) == {
        "bootstrap": "failed",
        "global/a": "skipped",
        "global/b": "skipped",
        "envs/dev": "skipped",
    }


def test_unrelated_stacks_finish_when_one_fails(root: Path) -> None:
    engine = FakeEngine(root, outputs={("global/b", "apply"): [(1, "Error: boom")]})
    report = fake_runner(root, engine=engine, parallelism=1).run()
    assert results(report) == {
        "bootstrap": "applied",
        "global/a": "applied",
        "global/b": "failed",
        "envs/dev": "skipped",
    }


class _Work:
    """A StackWork that records what the scheduler did; stacks in ``fail`` end badly."""

    def __init__(self, fail: set[str] = frozenset(), hold: dict[str, threading.Event] | None = None) -> None:
        self.fail = set(fail)
        self.hold = hold or {}
        self.ok: dict[str, bool] = {}
        self.skipped: dict[str, tuple[Outcome, str]] = {}
        self.order: list[str] = []
        self.active = 0
        self.most_active = 0
        self.lock = threading.Lock()

    def verdict(self, stack: str, finished: list[str]) -> tuple[Outcome, str] | None:
        bad = [p for p in finished if not self.ok.get(p, False)]
        return (Outcome.skipped, f"dependency {bad[0]}") if bad else None

    def skip(self, stack: str, outcome: Outcome, reason: str) -> None:
        self.skipped[stack] = (outcome, reason)
        self.ok[stack] = False

    def started(self, stack: str) -> None:
        self.order.append(stack)

    def run_stack(self, stack: str) -> bool:
        with self.lock:
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        if stack in self.hold:
            assert self.hold[stack].wait(5)
        else:
            time.sleep(0.05)
        with self.lock:
            self.active -= 1
        return stack not in self.fail

    def finished(self, stack: str, ok: bool) -> None:
        self.ok[stack] = ok

    def tick(self) -> None:
        pass

    def interrupted(self) -> None:
        pass


DIAMOND = {
    "bootstrap": set(),
    "global/a": {"bootstrap"},
    "global/b": {"bootstrap"},
    "envs/dev": {"global/a", "global/b"},
}


def test_the_scheduler_follows_the_graph_in_parallel_up_to_the_limit() -> None:
    work = _Work()
    Scheduler(list(DIAMOND), DIAMOND, parallelism=2).run(work)
    assert work.order[0] == "bootstrap" and work.order[-1] == "envs/dev"
    assert work.most_active == 2  # global/a and global/b together
    work = _Work()
    Scheduler(list(DIAMOND), DIAMOND, parallelism=1).run(work)
    assert work.order == list(DIAMOND) and work.most_active == 1  # the selection's order when one at a time


def test_a_failed_stack_skips_its_dependents_as_soon_as_it_fails() -> None:
    release = threading.Event()
    work = _Work(fail={"global/a"}, hold={"global/b": release})

    def release_when_skipped() -> None:
        deadline = time.monotonic() + 5
        while "envs/dev" not in work.skipped and time.monotonic() < deadline:
            time.sleep(0.01)
        release.set()

    helper = threading.Thread(target=release_when_skipped)
    helper.start()
    Scheduler(list(DIAMOND), DIAMOND, parallelism=2).run(work)
    helper.join()
    # envs/dev was decided while global/b still ran (the helper only released it afterwards)
    assert work.skipped == {"envs/dev": (Outcome.skipped, "dependency global/a")}
    assert work.ok["global/b"] is True and "envs/dev" not in work.order


def test_a_stack_that_needs_a_failed_one_directly_and_through_others_never_runs() -> None:
    work = _Work(fail={"bootstrap"})
    prerequisites = {**DIAMOND, "envs/dev": {"bootstrap", "global/a", "global/b"}}
    Scheduler(list(DIAMOND), prerequisites, parallelism=2).run(work)
    assert work.order == ["bootstrap"]
    assert {stack for stack, (outcome, _) in work.skipped.items() if outcome is Outcome.skipped} == {
        "global/a",
        "global/b",
        "envs/dev",
    }
