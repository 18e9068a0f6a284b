"""Benchmark: does `popcornctl up` run independent stacks in parallel as well as the graph allows?

A diamond of fixture stacks (bootstrap → global/a, global/b → envs/dev; ``terraform_data`` resources whose
``local-exec`` sleeps) is applied with real Terraform and the S3 backend on a local emulator started for
the run (127.0.0.1 only). It prints the wall time, the critical path (the longest dependency chain, summing
each stack's own measured duration: the best any scheduler can do with these stacks), and their ratio.
Goal: ratio ≤ 1.15. ``--compare`` also runs with ``--parallelism 1`` for reference.

    .venv/bin/python bench/up_parallel.py [--sleep 4] [--compare]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "orchestrate"))

GOAL = 1.15


def critical_path(durations: dict[str, float], prerequisites: dict[str, set[str]]) -> tuple[float, list[str]]:
    """The longest chain through the graph, weighted by each stack's duration."""
    best: dict[str, tuple[float, list[str]]] = {}

    def visit(stack: str) -> tuple[float, list[str]]:
        if stack not in best:
            before = max((visit(p) for p in prerequisites[stack]), default=(0.0, []), key=lambda x: x[0])
            best[stack] = (before[0] + durations[stack], [*before[1], stack])
        return best[stack]

    return max((visit(s) for s in durations), key=lambda x: x[0])


def run_once(
    sleep: float, parallelism: int | None, workdir: Path, endpoint: str
) -> tuple[float, float, list[str], dict[str, float]]:
    """One `up dev` of a fresh diamond: (wall seconds, critical path seconds, the path, stack durations)."""
    import urllib.request

    from fixture_repo import REGION, create_backend, diamond

    from popcornctl.orchestrate import Runner, RunOptions
    from popcornctl.orchestrate.policy_gate import GateOutcome
    from popcornctl.runtime import Runtime
    from popcornctl.settings import Settings
    from popcornctl.target import Target

    with urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")):
        pass
    shutil.rmtree(workdir, ignore_errors=True)
    root = diamond(workdir / "repo", workdir / "marks", sleep=sleep)
    create_backend(endpoint)
    os.environ["POPCORN_STATE_DIR"] = str(workdir / "state")
    rt = Runtime(Settings(repo=root), sandbox=True)
    rt.__dict__["target"] = Target(REGION, endpoint)

    def no_findings(*_: object) -> GateOutcome:
        return GateOutcome(status="passed")

    runner = Runner(rt, RunOptions(command="up", env="dev", auto_approve=True, parallelism=parallelism),
                    gate=no_findings)
    selection = runner.prepare()
    started = time.monotonic()
    report = runner.run()
    wall = time.monotonic() - started
    if report.exit_code != 0:
        raise SystemExit(f"bench run failed: {[(s.stack, s.reason) for s in report.stacks]}")
    durations = {s.stack: s.duration for s in report.stacks}
    length, path = critical_path(durations, selection.prerequisites)
    return wall, length, path, durations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sleep", type=float, default=4.0, help="seconds each stack's local-exec sleeps")
    parser.add_argument("--compare", action="store_true", help="also run with --parallelism 1")
    args = parser.parse_args(argv)
    os.environ.update(CHECKPOINT_DISABLE="1", AWS_EC2_METADATA_DISABLED="true")
    os.environ.pop("TF_CLI_CONFIG_FILE", None)
    import logging

    from popcornctl.sandbox.emulator import Emulator

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = Emulator()  # the sandbox's own emulator (one request at a time), on a free port
    endpoint = server.start()
    tmp = Path(tempfile.mkdtemp(prefix="popcorn-bench-"))
    os.environ.setdefault("POPCORN_PLUGIN_CACHE_DIR", str(tmp / "plugin-cache"))
    try:
        wall, length, path, durations = run_once(args.sleep, None, tmp / "parallel", endpoint)
        ratio = wall / length
        print(f"diamond of 4 stacks, {args.sleep:.1f}s sleep each (real Terraform, S3 backend on the emulator)")
        print("stack durations: " + ", ".join(f"{s} {d:.1f}s" for s, d in durations.items()))
        print(f"wall time:      {wall:6.2f} s")
        print(f"critical path:  {length:6.2f} s  ({' → '.join(path)})")
        print(f"ratio:          {ratio:6.3f}  (goal ≤ {GOAL})  {'OK' if ratio <= GOAL else 'ABOVE GOAL'}")
        if args.compare:
            serial, _, _, alone = run_once(args.sleep, 1, tmp / "serial", endpoint)
            uncontended, _ = critical_path(alone, {"bootstrap": set(), "global/a": {"bootstrap"},
                                                   "global/b": {"bootstrap"},
                                                   "envs/dev": {"bootstrap", "global/a", "global/b"}})
            print(f"--parallelism 1: {serial:6.2f} s  (parallel saves {serial - wall:.1f} s)")
            print(f"critical path of the one-at-a-time durations: {uncontended:.2f} s "
                  f"(wall/that = {wall / uncontended:.3f}: includes CPU contention between parallel stacks)")
        return 0 if ratio <= GOAL else 1
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
