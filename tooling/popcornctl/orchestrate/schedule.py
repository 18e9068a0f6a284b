"""Which stack runs when: the stack graph's order (``graphlib``) on a pool of ``--parallelism`` workers.

A stack starts as soon as everything it needs has finished well (not layer by layer). Before a stack starts,
the run decides whether it may (:meth:`StackWork.verdict`): a dependency that failed, was blocked, declined or
skipped ends it without running, and so does a stopping run; that decision is made as soon as it is known,
even while other dependencies still run. The main thread stays in this loop: every ~0.1 s it hands control
to the run (:meth:`StackWork.tick`: signals, questions stack threads wait on).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from graphlib import TopologicalSorter
from typing import Protocol

from popcornctl.orchestrate.outcome import Outcome

POLL_SECONDS = 0.1


class StackWork(Protocol):
    """What the scheduler asks of a run."""

    def verdict(self, stack: str, finished: list[str]) -> tuple[Outcome, str] | None:
        """How ``stack`` ends without running, given its finished dependencies (in order); None: it may run."""
        ...

    def skip(self, stack: str, outcome: Outcome, reason: str) -> None:
        """Record a stack that ends without running."""
        ...

    def run_stack(self, stack: str) -> bool:
        """Run one stack (on a worker thread); True when it ended well."""
        ...

    def started(self, stack: str) -> None:
        """A stack is about to be handed to a worker (main thread)."""
        ...

    def finished(self, stack: str, ok: bool) -> None:
        """A stack's worker returned (main thread)."""
        ...

    def tick(self) -> None:
        """The main thread's turn: act on signals, ask waiting questions."""
        ...

    def interrupted(self) -> None:
        """A Ctrl-C reached the main thread as a KeyboardInterrupt (not through the signal handler)."""
        ...


class Scheduler:
    """Runs stacks in dependency order, in parallel up to ``parallelism``."""

    def __init__(self, order: list[str], prerequisites: Mapping[str, set[str]], parallelism: int) -> None:
        self.order = list(order)
        self.prerequisites = {stack: set(prerequisites.get(stack, ())) for stack in self.order}
        self.parallelism = parallelism

    def run(self, work: StackWork) -> None:
        """Run every stack; returns when each one has run or was decided without running."""
        sorter: TopologicalSorter[str] = TopologicalSorter(self.prerequisites)
        sorter.prepare()  # the selection is acyclic; graphlib would say which cycle otherwise
        rank = {stack: i for i, stack in enumerate(self.order)}
        done: set[str] = set()  # finished: ran or decided
        ready: list[str] = []  # free to start, waiting for a worker
        running: dict[Future[bool], str] = {}
        with ThreadPoolExecutor(max_workers=self.parallelism, thread_name_prefix="popcorn-stack") as pool:
            while True:
                work.tick()
                self._decide(work, done, set(running.values()))
                ready = self._startable(sorter, ready, done, rank)
                while ready and len(running) < self.parallelism:
                    stack = ready.pop(0)
                    work.started(stack)
                    running[pool.submit(work.run_stack, stack)] = stack
                if not running:
                    if ready or sorter.is_active():  # only the decided stacks are left: go round once more
                        continue
                    break
                completed = self._wait(work, running)
                for future in completed:
                    stack = running.pop(future)
                    done.add(stack)
                    sorter.done(stack)
                    work.finished(stack, future.result())
            work.tick()

    def _decide(self, work: StackWork, done: set[str], running: set[str]) -> None:
        """Decide every not yet started stack that cannot run, in order (its dependents see it at once)."""
        for stack in self.order:
            if stack in done or stack in running:
                continue
            prereqs = self.prerequisites[stack]
            finished = [p for p in self.order if p in prereqs and p in done]
            verdict = work.verdict(stack, finished)
            if verdict is not None:
                work.skip(stack, *verdict)
                done.add(stack)

    @staticmethod
    def _startable(sorter: TopologicalSorter[str], ready: list[str], done: set[str], rank: dict[str, int]) -> list[str]:
        """The stacks free to start, in order; stacks decided without running are passed on to the sorter."""
        ready = [*ready, *sorter.get_ready()]
        decided = [s for s in ready if s in done]  # decided while their dependencies still ran
        while decided:
            sorter.done(*decided)
            ready = [s for s in ready if s not in done] + list(sorter.get_ready())
            decided = [s for s in ready if s in done]
        return sorted(ready, key=rank.__getitem__)

    @staticmethod
    def _wait(work: StackWork, running: dict[Future[bool], str]) -> set[Future[bool]]:
        try:
            completed, _ = wait(list(running), timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
        except KeyboardInterrupt:  # a Ctrl-C that reached us another way than the handler
            work.interrupted()
            return set()
        work.tick()
        return completed
