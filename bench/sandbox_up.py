"""Benchmark: where the time of `popcornctl up dev --sandbox --auto-approve` from empty goes.

Each run uses a fresh temporary HOME and state directory (so a new emulator, no plugin cache reuse beyond the
provider mirror) and prints:

- the wall time, and per stack its phases: init, plan, apply (from the run folder's per-stack Terraform log,
  which records each Terraform command's seconds) and "gate+show" (the rest of the stack's duration in the run
  report: the policy gate, `terraform show -json` of the plan, and popcornctl's own work);
- the slowest resources of each apply (Terraform's "Creation complete after …": mostly the provider polling);
- the critical path: the chain of stacks that set the run's end (each starts when the last of its dependencies in
  the repository's stack graph is done, read from popcornctl's progress lines), and how much of it is applies;
- the provider's long waits as the emulator saw them: after a lifecycle PUT, CreateDBInstance or
  CreateLoadBalancer, when the provider read the object back and how fast the emulator answered;
- the emulator's busy time (seconds inside moto handling requests, from ``POPCORN_SANDBOX_TIMINGS``) in total, per
  service and for the top operations, and the seconds requests waited for the emulator's locks.

The same run is then repeated with the emulator's concurrency switched off (``POPCORN_SANDBOX_CONCURRENCY=serial``:
one request at a time) and the ratio printed. Run it under the shared lock: ~5 minutes a run.

    flock /work/heavy.lock .venv/bin/python bench/sandbox_up.py [--modes service,serial] [--top 12] [--keep]
    .venv/bin/python bench/sandbox_up.py --read /tmp/popcorn-bench-sandbox-XXXX/service   # a kept run, again

Measured on this project's 2-core machine (shared with other test runs: absolute times move ±40 % with the load,
so compare runs made back to back):

- one request at a time, moto's own RDS default CA (the code before per-service locks): 410 s under heavy load;
  per-service locks under the same load: 403 s. Under a lighter load, back to back: one request at a time
  337 s; with the RDS CA read-back below, serial / per-service 258 / 262 s (ratio 0.98). The emulator is busy
  5-17 s of a run (2-4 % of wall) and requests wait 8-14 s in all for its locks: its concurrency does not bound
  the run.
- The run is the critical path bootstrap → global/account → envs/dev, and most of it is the provider's own
  waiting, the same on AWS: each S3 lifecycle configuration 55 s (10 s delay, then 10 equal reads 5 s apart;
  moto's read-back is already equal), each KMS key ~13 s (three propagation checks), the RDS instance 80 s
  (60 s delay, then 3 reads 10 s apart). moto made the instance 160 s: it reports CA ``rds-ca-default`` for a
  new instance where AWS reports ``rds-ca-rsa2048-g1``, so the provider modifies the CA and waits 80 s more; with
  that read-back fixed the whole run took 262 s. Those provider waits alone (55 + 55 + 13 + 80 s) exceed half
  of 410 s; Terraform, the policy gate and the state migration add 40-90 s more.
- 2026-12-06, back to back: per-service 284.8 s, serial 296.2 s (ratio 1.04). Critical path bootstrap
  (2.6 → 76.1 s, apply 59.8 s) → global/account (→ 162.2 s, apply 62.8 s) → envs/dev (→ 284.2 s, apply 102.4 s):
  applies 225 s (79 % of wall), everything else on the path 60 s. The emulator answered every read of the four
  long waits in ≤ 11 ms; the lifecycle reads came at +10 … +55 s, the RDS reads at +60/+70/+80 s, the load
  balancer's at +30/+60 s after the request: the provider's timers, the same on AWS (docs/SANDBOX_PROFILE.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STEP = re.compile(r"^\$ terraform .*#\s*(?P<step>[\w-]+), exit -?\d+, (?P<seconds>[\d.]+)s$", re.MULTILINE)
# popcornctl's progress lines: "  78.7s  global/account: init" (seconds since the run started).
PROGRESS = re.compile(r"^ *(?P<at>\d+(?:\.\d+)?)s +(?P<stack>\S+): (?P<event>\w[\w ]*?)(?:  .*)?$", re.MULTILINE)
DONE = re.compile(
    r"^(?P<address>\S+): (?:Creation|Modifications|Destruction) complete after "
    r"(?:(?P<m>\d+)m)?(?P<s>\d+)s",
    re.MULTILINE,
)


@dataclass
class StackTimes:
    """One stack of one run."""

    stack: str
    result: str
    duration: float
    steps: dict[str, float] = field(default_factory=dict)
    slowest: list[tuple[str, int]] = field(default_factory=list)

    @property
    def gate_and_show(self) -> float:
        """The stack's duration not spent in a logged Terraform command."""
        return max(0.0, self.duration - sum(self.steps.values()))


@dataclass
class RunTimes:
    """One `up dev --sandbox` run."""

    mode: str
    wall: float
    exit_code: int
    stacks: list[StackTimes]
    requests: list[dict[str, object]]
    spans: dict[str, tuple[float, float]] = field(default_factory=dict)  # stack -> (first event, done), run seconds


def spans(output: str) -> dict[str, tuple[float, float]]:
    """Each stack's (start, end) in seconds since the run started, from popcornctl's progress lines."""
    first: dict[str, float] = {}
    done: dict[str, float] = {}
    for m in PROGRESS.finditer(output):
        at = float(m["at"])
        first.setdefault(m["stack"], at)
        if m["event"] == "done":
            done[m["stack"]] = at
    return {stack: (first[stack], done[stack]) for stack in done}


def critical_path(times: dict[str, tuple[float, float]], depends_on: dict[str, set[str]]) -> list[str]:
    """The chain of stacks that set the run's end: from the last to finish, back through the dependency that
    finished last each time (the one that released it), first stack first."""
    if not times:
        return []
    chain = [max(times, key=lambda stack: times[stack][1])]
    while True:
        before = [dep for dep in depends_on.get(chain[-1], set()) if dep in times]
        if not before:
            return chain[::-1]
        chain.append(max(before, key=lambda stack: times[stack][1]))


def stack_dependencies() -> dict[str, set[str]]:
    """The repository's stack graph (what each stack waits for), as `up` schedules it."""
    from popcornctl.config.project import load_config
    from popcornctl.graph import StackGraph

    graph = StackGraph.load(load_config(REPO))
    return {path: set(stack.depends_on) for path, stack in graph.stacks.items()}


def stack_times(entry: dict[str, object]) -> StackTimes:
    """Phases of one stack from its report entry and its Terraform log."""
    times = StackTimes(str(entry["stack"]), str(entry["result"]), float(entry["duration_seconds"]))  # type: ignore[arg-type]
    log = entry.get("log_file")
    if log and Path(str(log)).is_file():
        text = Path(str(log)).read_text(encoding="utf-8", errors="replace")
        for m in STEP.finditer(text):
            times.steps[m["step"]] = times.steps.get(m["step"], 0.0) + float(m["seconds"])
        done = [(m["address"], int(m["m"] or 0) * 60 + int(m["s"])) for m in DONE.finditer(text)]
        times.slowest = sorted(done, key=lambda x: -x[1])[:5]
    return times


def run_once(mode: str, workdir: Path) -> RunTimes:
    """`up dev --sandbox --auto-approve` from empty with the emulator in ``mode``; then stop the emulator."""
    home, state, timings, report = (
        workdir / "home",
        workdir / "state",
        workdir / "timings.jsonl",
        workdir / "report.json",
    )
    home.mkdir(parents=True)
    env = {
        **os.environ,
        "HOME": str(home),
        "POPCORN_STATE_DIR": str(state),
        "POPCORN_SANDBOX_CONCURRENCY": mode,
        "POPCORN_SANDBOX_TIMINGS": str(timings),
        "CHECKPOINT_DISABLE": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "BC_SKIP_MAPPING": "TRUE",
        "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    }
    env.setdefault("POPCORN_PROVIDER_MIRROR", "/opt/tf-plugins")
    for leaked in ("POPCORN_PLUGIN_CACHE_DIR", "TF_CLI_CONFIG_FILE", "AWS_ENDPOINT_URL"):
        env.pop(leaked, None)
    cli = [sys.executable, "-m", "popcornctl"]
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [*cli, "up", "dev", "--sandbox", "--auto-approve", "--report", str(report)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        wall = time.monotonic() - started
    finally:
        subprocess.run([*cli, "sandbox", "stop"], check=False, cwd=REPO, env=env, capture_output=True)
    (workdir / "output.txt").write_text(proc.stdout, encoding="utf-8")
    if not report.is_file():
        raise SystemExit(f"the {mode} run wrote no report (exit {proc.returncode}); its output:\n{proc.stdout[-3000:]}")
    return read_run(mode, workdir, wall)


def read_run(mode: str, workdir: Path, wall: float | None = None) -> RunTimes:
    """One run's figures from its folder (output.txt, report.json, timings.jsonl); the wall time defaults to the
    report's duration."""
    data = json.loads((workdir / "report.json").read_text(encoding="utf-8"))
    timings = workdir / "timings.jsonl"
    requests = [json.loads(line) for line in timings.read_text().splitlines()] if timings.is_file() else []
    stacks = [stack_times(s) for s in data["stacks"]]
    output = (workdir / "output.txt").read_text(encoding="utf-8")
    elapsed = float(data["duration_seconds"]) if wall is None else wall
    return RunTimes(mode, elapsed, int(data["exit_code"]), stacks, requests, spans(output))


def _top(totals: dict[str, list[float]], n: int) -> list[tuple[str, float, int]]:
    return sorted(((k, sum(v), len(v)) for k, v in totals.items()), key=lambda x: -x[1])[:n]


def print_run(run: RunTimes, top: int, depends_on: dict[str, set[str]]) -> None:
    """Everything measured about one run (``depends_on``: the stack graph, :func:`stack_dependencies`)."""
    print(f"\n== emulator concurrency: {run.mode} — wall {run.wall:.1f} s, exit {run.exit_code}")
    print(f"{'stack':22} {'result':11} {'total':>7} {'init':>7} {'plan':>7} {'gate+show':>9} {'apply':>7}")
    for s in run.stacks:
        print(
            f"{s.stack:22} {s.result:11} {s.duration:7.1f} {s.steps.get('init', 0):7.1f} "
            f"{s.steps.get('plan', 0):7.1f} {s.gate_and_show:9.1f} {s.steps.get('apply', 0):7.1f}"
        )
    print("slowest resources (Terraform's 'complete after': provider waits):")
    slow = sorted(((s.stack, a, t) for s in run.stacks for a, t in s.slowest), key=lambda x: -x[2])[:8]
    for stack, address, seconds in slow:
        print(f"  {seconds:4d} s  {stack}: {address}")
    print_critical_path(run, depends_on)
    print_polling(run)
    if not run.requests:
        print("emulator: no timings recorded")
        return
    busy = sum(float(r["busy"]) for r in run.requests)  # type: ignore[arg-type]
    wait = sum(float(r["wait"]) for r in run.requests)  # type: ignore[arg-type]
    print(
        f"emulator: {len(run.requests)} requests, busy {busy:.1f} s inside moto ({busy / run.wall:.0%} of wall), "
        f"{wait:.1f} s waited for its locks"
    )
    per_service: dict[str, list[float]] = defaultdict(list)
    per_op: dict[str, list[float]] = defaultdict(list)
    waits: dict[str, list[float]] = defaultdict(list)
    for r in run.requests:
        per_service[str(r["service"])].append(float(r["busy"]))  # type: ignore[arg-type]
        per_op[f"{r['service']} {r['operation']}"].append(float(r["busy"]))  # type: ignore[arg-type]
        waits[str(r["service"])].append(float(r["wait"]))  # type: ignore[arg-type]
    print("  busy per service: " + ", ".join(f"{k} {t:.1f}s/{n}" for k, t, n in _top(per_service, top)))
    print("  top operations by busy time:")
    for op, total, n in _top(per_op, top):
        print(f"    {total:6.2f} s  {n:4d}×  {op}")
    print("  lock waits per service: " + ", ".join(f"{k} {t:.1f}s" for k, t, n in _top(waits, 6)))


# Requests that start one of the provider's long waits, and the read the provider then repeats until it is done.
WAITS = (
    ("S3 lifecycle configuration", "s3", "PUT /{bucket}?lifecycle", "GET /{bucket}?lifecycle"),
    ("RDS instance", "rds", "CreateDBInstance", "DescribeDBInstances"),
    ("load balancer", "elasticloadbalancing", "CreateLoadBalancer", "DescribeLoadBalancers"),
)


def polling(requests: list[dict[str, object]]) -> list[tuple[str, float, list[float], float]]:
    """For each request that starts a known wait: (what, when, the provider's later reads of it, slowest answer).

    Times are seconds since the first request. A read belongs to the wait while it comes no later after the previous
    read than the first read came after the request (a later one is another resource's refresh). The gaps between
    the reads are the provider's own timers: the emulator answers each in milliseconds."""
    if not requests:
        return []
    t0 = float(requests[0]["at"])  # type: ignore[arg-type]
    found = []
    for what, service, start_op, read_op in WAITS:
        mine = [r for r in requests if r["service"] == service and r["operation"] in (start_op, read_op)]
        for i, r in enumerate(mine):
            if r["operation"] != start_op or r["status"] != "200":
                continue
            at = float(r["at"]) - t0  # type: ignore[arg-type]
            reads: list[float] = []
            slowest = 0.0
            for later in mine[i + 1 :]:
                when = float(later["at"]) - t0  # type: ignore[arg-type]
                if later["operation"] == start_op or (reads and when - reads[-1] > reads[0] - at + 1.0):
                    break
                reads.append(when)
                slowest = max(slowest, float(later["busy"]))  # type: ignore[arg-type]
            found.append((what, at, reads, slowest))
    return sorted(found, key=lambda item: item[1])


def print_polling(run: RunTimes) -> None:
    """The provider's waits as the emulator saw them: a first read after a fixed delay, then reads at fixed gaps."""
    waits = polling(run.requests)
    if not waits:
        return
    print("provider waits as the emulator saw them (answers in milliseconds; the gaps are the provider's timers):")
    for what, at, reads, slowest in waits:
        if not reads:
            print(f"  {at:6.1f} s  {what}: no read followed")
            continue
        offsets = ", ".join(f"+{when - at:.0f}" for when in reads)
        print(f"  {at:6.1f} s  {what}: {len(reads)} reads at {offsets} s; slowest answer {slowest * 1000:.0f} ms")


def print_critical_path(run: RunTimes, depends_on: dict[str, set[str]]) -> None:
    """The stacks that set the wall time, and how much of it their applies (the provider's waits) take."""
    chain = critical_path(run.spans, depends_on)
    if not chain:
        print("critical path: no progress lines to read")
        return
    by_name = {s.stack: s for s in run.stacks}
    applies = 0.0
    print("critical path (each stack starts when the last of its dependencies is done):")
    for stack in chain:
        start, end = run.spans[stack]
        times = by_name.get(stack)
        apply = times.steps.get("apply", 0.0) if times else 0.0
        applies += apply
        slowest = f"; slowest {times.slowest[0][0]} {times.slowest[0][1]} s" if times and times.slowest else ""
        print(f"  {start:6.1f} → {end:6.1f} s  {stack}: apply {apply:.1f} s of {end - start:.1f} s{slowest}")
    print(
        f"  applies on the path: {applies:.1f} s ({applies / run.wall:.0%} of wall); everything else on it "
        f"(emulator start, init, plan, gate, show, state migration): {run.wall - applies:.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="service,serial", help="emulator concurrency modes to run, in order")
    parser.add_argument("--top", type=int, default=12, help="how many operations to list")
    parser.add_argument("--keep", action="store_true", help="keep the temporary run folders (printed)")
    parser.add_argument("--read", type=Path, metavar="DIR", help="print the figures of a kept run folder, run nothing")
    args = parser.parse_args(argv)
    depends_on = stack_dependencies()
    if args.read is not None:
        print_run(read_run(args.read.name, args.read), args.top, depends_on)
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="popcorn-bench-sandbox-"))
    runs: list[RunTimes] = []
    try:
        for mode in args.modes.split(","):
            runs.append(run_once(mode, tmp / mode))
            print_run(runs[-1], args.top, depends_on)
    finally:
        if args.keep:
            print(f"\nrun folders kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if len(runs) > 1:
        base = runs[0]
        for other in runs[1:]:
            print(
                f"\nwall {other.mode} / {base.mode}: {other.wall:.1f} s / {base.wall:.1f} s = "
                f"{other.wall / base.wall:.2f}"
            )
    return 0 if all(r.exit_code == 0 for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
