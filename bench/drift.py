"""Benchmark: what does `popcornctl drift dev --sandbox` cost over Terraform's own refresh-only plans?

On the sandbox of ``POPCORN_STATE_DIR`` (its envs/dev applied; ``--apply`` runs ``popcornctl up dev --sandbox``
first), each round measures:

- plain plans: ``terraform plan -refresh-only -lock=false`` of each stack the dev run covers (bootstrap, the global
  stacks, envs/dev), one after the other, with the same engine, data dirs and variable files as popcornctl;
- the same plans all at once (what a parallel runner of plain Terraform would see on this machine);
- what drift needs at the least, all at once: a normal plan (``-lock=false``: drift and pending configuration in one)
  and ``terraform show -json`` of it per stack (the JSON costs a provider start for its schema);
- ``popcornctl drift dev --sandbox`` (plans, unmanaged inventory, analysis, CloudTrail attempt), through the CLI.

It prints the sum of the plain plans, their critical path and the ratio of drift to it. Plans of applied stacks
need no order (each reads its dependencies' stored state), so the critical path is the slowest stack's plan; the
dependency chain (bootstrap → global → env) is printed for reference. Goal: drift ≤ 1.15 × the critical path.
Rounds alternate so that load from other processes falls on every variant alike; the median is reported.

    POPCORN_STATE_DIR=... .venv/bin/python bench/drift.py [--rounds 3] [--apply]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from popcornctl.runtime import Runtime

REPO = Path(__file__).resolve().parents[1]
GOAL = 1.15


def _runtime() -> Runtime:
    from popcornctl.runtime import Runtime
    from popcornctl.settings import Settings

    return Runtime(Settings(repo=REPO), sandbox=True, start_sandbox=False)


def _stacks(rt: Runtime) -> list[str]:
    from popcornctl.orchestrate.select import select

    return select(rt.config, rt.graph, "plan", "dev").stacks


def plain_plan(rt: Runtime, stack: str, out: Path, *, refresh_only: bool = True, show: bool = False) -> float:
    """One ``terraform plan -refresh-only`` (or a normal plan, then ``show -json``) of a stack; seconds."""
    env = rt.config.environment("dev")
    node = rt.graph.stacks[stack]
    var_file = node.directory / (env.sandbox_var_file or "")
    plan_file = out / f"{node.slug}{'' if refresh_only else '.normal'}.tfplan"
    args = ["plan", *(["-refresh-only"] if refresh_only else []), "-lock=false", "-input=false", "-no-color",
            f"-out={plan_file}"]
    if env.sandbox_var_file and var_file.is_file():
        args.append(f"-var-file={var_file}")
    started = time.monotonic()
    for step in (args, ["show", "-json", "-no-color", str(plan_file)]) if show else (args,):
        result = rt.engine.run(node.directory, step, env=rt.stack_env(node.slug))
        if not result.ok:
            raise SystemExit(f"terraform {step[0]} failed in {stack}:\n{result.output[-2000:]}")
    return time.monotonic() - started


def chain(durations: dict[str, float], rt: Runtime) -> float:
    """The longest dependency chain, weighted by each stack's plan time (for reference)."""
    best: dict[str, float] = {}

    def visit(stack: str) -> float:
        if stack not in best:
            deps = rt.graph.closure([stack]) - {stack}
            best[stack] = durations[stack] + max((visit(d) for d in deps if d in durations), default=0.0)
        return best[stack]

    return max(visit(s) for s in durations)


def drift_once() -> tuple[float, int]:
    """``popcornctl drift dev --sandbox`` through the CLI, output discarded: (seconds, exit code)."""
    import contextlib
    import io

    from popcornctl.cli import main

    started = time.monotonic()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            main(["--repo", str(REPO), "--no-color", "drift", "dev", "--sandbox", "--output", "json"])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return time.monotonic() - started, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--apply", action="store_true", help="run `popcornctl up dev --sandbox` first")
    args = parser.parse_args()
    if args.apply:
        from popcornctl.cli import main as cli

        try:
            cli(["--repo", str(REPO), "up", "dev", "--sandbox", "--auto-approve", "--no-checkov"])
        except SystemExit as exc:
            if exc.code:
                return int(exc.code)
    rt = _runtime()
    stacks = _stacks(rt)
    print(f"sandbox: {rt.target.describe()}; stacks: {', '.join(stacks)}")
    seconds, code = drift_once()  # warm-up: inits, provider plugins in the page cache
    if code == 2:
        raise SystemExit("the warm-up drift scan was incomplete (exit 2): is envs/dev applied? (--apply)")
    print(f"warm-up drift: {seconds:.1f}s (exit {code})")
    sums, paths, chains, parallels, shown, drifts = [], [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="drift-bench-") as tmp:
        out = Path(tmp)
        for n in range(1, args.rounds + 1):
            durations = {s: plain_plan(rt, s, out) for s in stacks}
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=len(stacks)) as pool:
                list(pool.map(lambda s: plain_plan(rt, s, out), stacks))
            parallel = time.monotonic() - started
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=len(stacks)) as pool:
                list(pool.map(lambda s: plain_plan(rt, s, out, refresh_only=False, show=True), stacks))
            with_show = time.monotonic() - started
            seconds, code = drift_once()
            sums.append(sum(durations.values()))
            paths.append(max(durations.values()))
            chains.append(chain(durations, rt))
            parallels.append(parallel)
            shown.append(with_show)
            drifts.append(seconds)
            per_stack = ", ".join(f"{s} {d:.1f}s" for s, d in durations.items())
            print(f"round {n}: plain plans {per_stack}; all at once {parallel:.1f}s; normal plans + show -json "
                  f"all at once {with_show:.1f}s; drift {seconds:.1f}s (exit {code})")
    med = statistics.median
    total, path, longest_chain, parallel, drift = med(sums), med(paths), med(chains), med(parallels), med(drifts)
    least = med(shown)
    print()
    print(f"plain refresh-only plans, one after the other (sum): {total:6.1f}s")
    print(f"critical path (slowest stack's plan):                {path:6.1f}s")
    print(f"dependency chain bootstrap → global → env:           {longest_chain:6.1f}s")
    print(f"plain plans all at once:                             {parallel:6.1f}s")
    print(f"normal plans + show -json, all at once:              {least:6.1f}s")
    print(f"popcornctl drift dev --sandbox:                      {drift:6.1f}s")
    print(f"drift / sum            = {drift / total:.2f}")
    print(f"drift / critical path  = {drift / path:.2f}   (goal ≤ {GOAL})")
    print(f"drift / plain parallel = {drift / parallel:.2f}")
    print(f"drift / (normal plans + show -json, all at once) = {drift / least:.2f}   (popcornctl's own overhead)")
    return 0 if drift / path <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
