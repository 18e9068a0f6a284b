"""envs/dev brought up once per test run on popcornctl's own sandbox, as a user brings it up: the README's
``popcornctl up dev --sandbox`` from an empty emulator (bootstrap with local state then migrated, the global
stacks, envs/dev), then the same command again, as a user re-runs it.

Bringing envs/dev up takes about five minutes, so the tests that need an applied environment share this one (the
session fixture ``dev_on_sandbox`` in tests/conftest.py), in this order (:data:`SHARED_ENVIRONMENT_FILES`):

1. the drift end-to-end changes it behind Terraform's back, scans, and removes what it created;
2. the HCL's content checks read the state and the second plan;
3. the end-to-end of ``up`` checks both runs' reports, then runs ``down`` and lists the emulator.

What 2 and 3 read of the two runs is captured here, before 1 changes anything. The files run on one
pytest-xdist worker in that order (both enforced by tests/conftest.py), so the environment is applied once.
"""

from __future__ import annotations

import json
import resource
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clirunner import run_cli
from tfhelpers import REPO, created_lock_files

# The test files that use ``dev_on_sandbox``, in the order they run (the last one destroys the environment).
SHARED_ENVIRONMENT_FILES = (
    "tests/drift/test_drift_sandbox_e2e.py",
    "tests/envs/test_envs_sandbox_apply.py",
    "tests/orchestrate/test_e2e_sandbox.py",
)
SHARED_ENVIRONMENT_GROUP = "dev-on-sandbox"
# Where `up dev` runs Terraform (modules are only read). Not modules/*/examples: other tests plan those in place,
# and a plan's transient local lock and state files there are theirs, not the sandbox runs'.
STACK_FOLDERS = ("bootstrap", "global", "envs")


@dataclass
class AppliedDev:
    """The applied environment and what was read from it right after ``up``."""

    state_dir: Path  # popcornctl's state dir of the run (its sandbox, run folders)
    env: dict[str, str]  # what popcornctl needs in the environment to use it (state dir, provider mirror, cache)
    endpoint: str  # the sandbox's endpoint
    tree_before: set[str]  # untracked and ignored paths under the stack folders before the first run
    up_report: dict[str, Any]  # the first `up --report`
    second_up_report: dict[str, Any]  # the second one
    seconds: dict[str, float]  # each run, and each stack's share of the first
    peak_rss_mib: dict[str, float]  # during the two runs
    second_plan: dict[str, Any]  # envs/dev's plan JSON in the second `up` (its prior_state is the applied state)

    @contextmanager
    def environment(self) -> Iterator[None]:
        """:attr:`env` set for the duration (popcornctl commands and runtimes then use this environment)."""
        with pytest.MonkeyPatch.context() as mp:
            for name, value in self.env.items():
                mp.setenv(name, value)
            yield

    @property
    def state(self) -> dict[str, Any]:
        """The applied envs/dev state as ``terraform show -json`` gives it (the second plan's refreshed state)."""
        prior: dict[str, Any] = self.second_plan["prior_state"]
        return prior

    @property
    def outputs(self) -> dict[str, Any]:
        """envs/dev's outputs, ``{name: value}``."""
        raw = self.state["values"].get("outputs", {})
        return {name: out.get("value") for name, out in raw.items()}


class TreeMemory:
    """Samples the resident memory of this process and all its descendants (Terraform, the provider plugins, the
    sandbox) twice a second; ``peak_mib`` is the largest sum seen. Linux /proc only (else 0)."""

    def __init__(self, interval: float = 0.5) -> None:
        import threading

        self.interval = interval
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _tree_rss_mib() -> float:
        import os

        proc = Path("/proc")
        if not proc.is_dir():
            return 0.0
        parents: dict[int, int] = {}
        rss: dict[int, int] = {}
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                fields = stat[stat.rindex(")") + 2:].split()
                parents[int(entry.name)] = int(fields[1])
                rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, ValueError, IndexError):
                continue
        tree, todo = set(), [os.getpid()]
        while todo:
            pid = todo.pop()
            tree.add(pid)
            todo.extend(child for child, parent in parents.items() if parent == pid and child not in tree)
        return sum(rss.get(pid, 0) for pid in tree) / 2**20

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_mib = max(self.peak_mib, self._tree_rss_mib())

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_on_repo(*args: str | Path) -> tuple[int, str, str]:
    """``popcornctl --repo <this repository> --no-color ARGS...`` in this process: (exit code, stdout, stderr)."""
    return run_cli(args, prefix=["--repo", str(REPO), "--no-color"])


def _report(path: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(path.read_text())
    return report


def _peak_child_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def untracked_under_stacks() -> set[str]:
    """Untracked and ignored paths under the stack folders (what a run could leave in the tree), but the lock files
    the test harness's own ``init`` creates there (another worker may run one meanwhile; see tests/tfhelpers.py)."""
    out = subprocess.run(["git", "status", "--ignored", "--porcelain", "--", *STACK_FOLDERS],
                         cwd=REPO, capture_output=True, text=True, check=True).stdout
    harness = {str(path.relative_to(REPO.resolve())) for path in created_lock_files()}
    return {line[3:] for line in out.splitlines() if line[:2] in ("??", "!!") and line[3:] not in harness}


def bring_up(state_dir: Path, out: Path, env: Mapping[str, str], up_options: Sequence[str] = ("--no-checkov",)
             ) -> AppliedDev:
    """``up dev --sandbox --auto-approve`` twice from an empty emulator, each with ``--report``, with popcornctl's
    state in ``state_dir`` and ``env`` (provider mirror, plugin cache) set. The caller stops the sandbox afterwards.
    ``up_options``: the real policy gate runs on every plan (our policies; Checkov is left to policy-check's own
    tests).
    """
    from popcornctl.sandbox import Sandbox

    applied_env = {**env, "POPCORN_STATE_DIR": str(state_dir)}
    tree_before = untracked_under_stacks()
    seconds: dict[str, float] = {}
    reports: list[dict[str, Any]] = []
    with pytest.MonkeyPatch.context() as mp, TreeMemory() as memory:  # memory: Terraform, plugins, the sandbox
        for name, value in applied_env.items():
            mp.setenv(name, value)
        for run in ("first up", "second up"):
            started = time.monotonic()
            report = out / f"{run.replace(' ', '-')}.json"
            code, out_text, err = run_on_repo("up", "dev", "--sandbox", "--auto-approve", *up_options,
                                              "--report", report)
            seconds[run] = round(time.monotonic() - started, 1)
            assert code == 0, f"{run}: {out_text}{err}"
            reports.append(_report(report))
    first, second = reports
    (planned,) = [s for s in second["stacks"] if s["stack"] == "envs/dev"]
    return AppliedDev(
        state_dir=state_dir,
        env=applied_env,
        endpoint=Sandbox(state_dir).require().endpoint,
        tree_before=tree_before,
        up_report=first,
        second_up_report=second,
        seconds={**seconds, **{s["stack"]: s["duration_seconds"] for s in first["stacks"]}},
        peak_rss_mib={"largest_terraform_process": round(_peak_child_rss_mib()),
                      "whole_run": round(memory.peak_mib)},
        second_plan=json.loads(Path(planned["plan_json"]).read_text()),
    )
