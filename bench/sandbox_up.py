"""Benchmark: where the time of `popcornctl up dev --sandbox --auto-approve` from empty goes.

Each run uses a fresh temporary HOME and state directory (so a new emulator, no plugin cache reuse beyond the
provider mirror) and prints:

- the wall time, and per stack its phases: init, plan, apply (from the run folder's per-stack Terraform log,
  which records each Terraform command's seconds) and "gate+show" (the rest of the stack's duration in the run
  report: the policy gate, `terraform show -json` of the plan, and popcornctl's own work);
- the slowest resources of each apply (Terraform's "Creation complete after …": mostly the provider polling);
- the emulator's busy time (seconds inside moto handling requests, from ``POPCORN_SANDBOX_TIMINGS``) in total, per
  service and for the top operations, and the seconds requests waited for the emulator's locks.

The same run is then repeated with the emulator's concurrency switched off (``POPCORN_SANDBOX_CONCURRENCY=serial``:
one request at a time) and the ratio printed. Run it under the shared lock: ~5 minutes a run.

    flock /work/heavy.lock .venv/bin/python bench/sandbox_up.py [--modes service,serial] [--top 12]

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
    data = json.loads(report.read_text(encoding="utf-8"))
    requests = [json.loads(line) for line in timings.read_text().splitlines()] if timings.is_file() else []
    return RunTimes(mode, wall, proc.returncode, [stack_times(s) for s in data["stacks"]], requests)


def _top(totals: dict[str, list[float]], n: int) -> list[tuple[str, float, int]]:
    return sorted(((k, sum(v), len(v)) for k, v in totals.items()), key=lambda x: -x[1])[:n]


def print_run(run: RunTimes, top: int) -> None:
    """Everything measured about one run."""
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="service,serial", help="emulator concurrency modes to run, in order")
    parser.add_argument("--top", type=int, default=12, help="how many operations to list")
    parser.add_argument("--keep", action="store_true", help="keep the temporary run folders (printed)")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="popcorn-bench-sandbox-"))
    runs: list[RunTimes] = []
    try:
        for mode in args.modes.split(","):
            runs.append(run_once(mode, tmp / mode))
            print_run(runs[-1], args.top)
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
