"""Child-process entry of the sandbox: a moto server on 127.0.0.1 until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import os
import signal
import threading


def main(argv: list[str] | None = None) -> int:
    """Serve the emulator on ``127.0.0.1:--port`` until told to stop."""
    parser = argparse.ArgumentParser(prog="popcornctl-sandbox-server")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    # What SANDBOX.md measured: managed policies must exist; ACM issues certificates at once.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    os.environ.setdefault("MOTO_ACM_VALIDATION_WAIT", "0")
    from popcornctl.sandbox.emulator import Emulator

    server = Emulator("127.0.0.1", args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server.start()
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
