"""What popcornctl and its Terraform worker say to each other (both sides import this, nothing else).

- popcornctl → worker, on the worker's stdin (a pipe): :data:`INTERRUPT` asks for a graceful stop;
  end-of-file means popcornctl is gone.
- worker → popcornctl, a line on stderr: :data:`RESCUE_MARK` followed by where an ``errored.tfstate`` went.
- worker → anyone: ``<state dir>/workers/<pid>.json`` while it runs (pid, start time, working directory,
  command; what ``unlock`` reads to tell a live holder), and a line in ``<state dir>/orphaned-runs.jsonl``
  after a run whose popcornctl died.
"""

from __future__ import annotations

INTERRUPT = b"interrupt\n"
RESCUE_MARK = "popcornctl-rescued-state: "
ERRORED_STATE = "errored.tfstate"
WORKERS_DIR = "workers"
ORPHAN_LOG = "orphaned-runs.jsonl"
