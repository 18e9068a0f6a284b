"""envs/dev brought up once on popcornctl's own sandbox, as a user brings it up: ``popcornctl up dev --sandbox``
from an empty emulator (bootstrap with local state then migrated, the global stacks, envs/dev), then a second,
plain plan of envs/dev.

Applying envs/dev takes about five minutes, so the tests that only need *an* applied environment share this one
(the session fixture ``dev_on_sandbox`` in tests/conftest.py): the HCL's content checks
(tests/envs/test_envs_sandbox_apply.py) and the drift end-to-end (tests/drift/test_drift_sandbox_e2e.py). What the
content checks read is captured here, before any test touches the environment, because the drift test then
changes it behind Terraform's back. The files that use the fixture run on one pytest-xdist worker
(:data:`SHARED_ENVIRONMENT_FILES`, enforced by the conftest), so the environment is applied once per run.
``popcornctl up``'s own convergence and teardown are proven from empty in tests/orchestrate/test_e2e_sandbox.py.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clirunner import run_cli
from tfhelpers import REPO

# The test files that use ``dev_on_sandbox``: pytest-xdist hands them to the same worker.
SHARED_ENVIRONMENT_FILES = frozenset({
    "tests/envs/test_envs_sandbox_apply.py",
    "tests/drift/test_drift_sandbox_e2e.py",
})
SHARED_ENVIRONMENT_GROUP = "dev-on-sandbox"


@dataclass
class AppliedDev:
    """The applied environment and what was read from it right after ``up``."""

    state_dir: Path  # popcornctl's state dir of the run (its sandbox, run folders)
    endpoint: str  # the sandbox's endpoint
    up_report: dict[str, Any]  # `up --report`
    seconds: dict[str, float]  # the whole `up` and each stack's share
    peak_rss_mib: dict[str, float]
    second_plan: dict[str, Any]  # plan JSON of envs/dev right after `up` (its prior_state is the applied state)

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


def _cli(*args: str | Path) -> tuple[int, str, str]:
    return run_cli(args, prefix=["--repo", str(REPO), "--no-color"])


def _report(path: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(path.read_text())
    return report


def _peak_child_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def bring_up(state_dir: Path, out: Path, up_options: Sequence[str] = ("--no-checkov",)) -> AppliedDev:
    """``up dev --sandbox`` from an empty emulator, then ``plan dev --sandbox --only envs/dev``.

    The caller sets ``POPCORN_STATE_DIR`` (= ``state_dir``), the provider mirror and the plugin cache in the
    environment, and stops the sandbox afterwards.
    """
    from popcornctl.sandbox import Sandbox

    started = time.monotonic()
    with TreeMemory() as memory:  # pytest, Terraform, the provider plugins and the sandbox it starts
        code, out_text, err = _cli("up", "dev", "--sandbox", "--auto-approve", *up_options,
                                   "--report", out / "up.json")
    total = round(time.monotonic() - started, 1)
    assert code == 0, out_text + err
    up_report = _report(out / "up.json")
    code, out_text, err = _cli("plan", "dev", "--sandbox", "--only", "envs/dev", "--report", out / "plan.json")
    assert code == 0, out_text + err
    (planned,) = [s for s in _report(out / "plan.json")["stacks"] if s["stack"] == "envs/dev"]
    second_plan = json.loads(Path(planned["plan_json"]).read_text())
    return AppliedDev(
        state_dir=state_dir,
        endpoint=Sandbox(state_dir).require().endpoint,
        up_report=up_report,
        seconds={"total": total, **{s["stack"]: s["duration_seconds"] for s in up_report["stacks"]}},
        peak_rss_mib={"largest_terraform_process": round(_peak_child_rss_mib()), "whole_run": round(memory.peak_mib)},
        second_plan=second_plan,
    )
