"""Child-process entry of the sandbox: a moto server on 127.0.0.1 until SIGTERM/SIGINT.

With ``--state-dir`` it first takes that directory's emulator lock (``sandbox.lock``) and keeps it until it exits:
if another emulator holds it, this one exits with :data:`popcornctl.sandbox.LOCK_HELD_EXIT` without serving.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Serve the emulator on ``127.0.0.1:--port`` until told to stop."""
    parser = argparse.ArgumentParser(prog="popcornctl-sandbox-server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    from popcornctl.sandbox import _LOCK_FILE, LOCK_HELD_EXIT, SandboxInfo, hold_lock, write_lock_record

    lock_fd: int | None = None
    if args.state_dir is not None:
        # Taken before moto is imported, so a second emulator gives up at once; kept open (never closed) until
        # the process ends, so the kernel releases it however the process ends.
        lock_fd = hold_lock(args.state_dir / _LOCK_FILE)
        if lock_fd is None:
            print(f"another emulator holds {args.state_dir / _LOCK_FILE}: not serving", file=sys.stderr)
            return LOCK_HELD_EXIT
    # What SANDBOX.md measured: managed policies must exist; ACM issues certificates at once.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    os.environ.setdefault("MOTO_ACM_VALIDATION_WAIT", "0")
    from popcornctl.sandbox.emulator import Emulator

    server = Emulator("127.0.0.1", args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server.start()
    if lock_fd is not None:
        write_lock_record(lock_fd, SandboxInfo(pid=os.getpid(), port=server.port, started=time.time()))
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
