"""Stack plans per change, before and after change detection, over this repository's own history.

For each of the last N commits that touch infrastructure (the plan workflow's paths), compare:
- before: the old plan workflow planned every stack of every environment's run (`plan dev` + `plan prod`);
- after: `popcornctl ci github` jobs for that commit's diff (one per affected stack).
Also times the analysis itself (git diff, the head's tree exported from git, graph, module sources).

Usage: python bench/affected_history.py [N]   (default 40)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from popcornctl.config import load_config
from popcornctl.graph import StackGraph
from popcornctl.graph.affected import compute
from popcornctl.graph.ci_files import jobs

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["bootstrap", "global", "envs", "modules", "policies", "popcorn.toml"]


def infra_commits(limit: int) -> list[str]:
    """The newest commits (with a parent) that touch infrastructure paths."""
    out = subprocess.run(
        ["git", "-C", str(ROOT), "log", "--no-merges", "--format=%H", f"-{limit}", "--", *PATHS],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    return [c for c in out if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "-q", "--verify", f"{c}^"],
                                             capture_output=True, check=False).returncode == 0]


def main() -> int:
    """Measure and print."""
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    config = load_config(ROOT)
    graph = StackGraph.load(config)
    before = sum(len(graph.closure([e.stack])) for e in config.environments.values() if e.stack in graph.stacks)
    after: list[int] = []
    seconds: list[float] = []
    for sha in infra_commits(limit):
        started = time.perf_counter()
        result = compute(ROOT, f"{sha}^", sha)
        seconds.append(time.perf_counter() - started)
        after.append(len(jobs(graph, config, [s for s in result.stacks if s in graph.stacks])))
    if not after:
        print("no infrastructure commits to measure")
        return 1
    mean_after = statistics.mean(after)
    print(f"commits measured:                {len(after)}")
    print(f"stack plans per change, before:  {before} (every stack of every environment's run)")
    print(f"stack plans per change, after:   mean {mean_after:.2f}, median {statistics.median(after)}, "
          f"max {max(after)}, zero for {after.count(0)} commit(s)")
    print(f"ratio before/after (mean):       {before / mean_after:.1f}x" if mean_after else "ratio: no plans at all")
    print(f"analysis per change:             median {statistics.median(seconds) * 1000:.0f} ms, "
          f"max {max(seconds) * 1000:.0f} ms (head's tree exported from git each time)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
