"""The sandbox room: a local AWS emulator (moto server) on 127.0.0.1, started on demand.

Its pid and port live in ``<state dir>/sandbox.json``; Terraform working data for sandbox runs lives in
``<state dir>/sandbox-data/`` (never in the source tree), and is wiped by ``reset`` and ``stop``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from popcornctl.errors import PopcornError
from popcornctl.target import Target

_STATE_FILE = "sandbox.json"
_DATA_DIR = "sandbox-data"
_SERVER_MODULE = "popcornctl.sandbox.server"


@dataclass(frozen=True)
class SandboxInfo:
    """A running (or recorded) sandbox."""

    pid: int
    port: int
    started: float

    @property
    def endpoint(self) -> str:
        """The emulator's URL."""
        return f"http://127.0.0.1:{self.port}"

    def target(self, region: str) -> Target:
        """The run target for this sandbox."""
        return Target(region=region, endpoint=self.endpoint)


def healthy(endpoint: str, timeout: float = 2.0) -> bool:
    """True when the emulator at ``endpoint`` answers its management API."""
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def reset_emulator(endpoint: str) -> None:
    """Empty every service of the emulator at ``endpoint``."""
    req = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10):
            pass
    except (urllib.error.URLError, OSError) as exc:
        raise PopcornError(
            f"cannot reset the sandbox at {endpoint} ({exc})", "check it with: popcornctl sandbox status"
        ) from None


def _pid_is_sandbox(pid: int) -> bool:
    """True when ``pid`` is alive and is our server (a recycled pid is never signalled)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():
        return _SERVER_MODULE in cmdline.read_bytes().decode(errors="replace")
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sandbox:
    """Lifecycle of the user's sandbox, recorded in the state directory."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.state_file = state_dir / _STATE_FILE
        self.data_dir = state_dir / _DATA_DIR
        self.log_file = state_dir / "sandbox.log"

    def recorded(self) -> SandboxInfo | None:
        """What the pid file says, without checking it (None when there is none or it is unreadable)."""
        try:
            raw = json.loads(self.state_file.read_text(encoding="utf-8"))
            return SandboxInfo(pid=int(raw["pid"]), port=int(raw["port"]), started=float(raw["started"]))
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None

    def status(self) -> tuple[str, SandboxInfo | None]:
        """``running``, ``stale`` (pid file but no live healthy server), or ``stopped``."""
        info = self.recorded()
        if info is None:
            return ("stale", None) if self.state_file.exists() else ("stopped", None)
        if _pid_is_sandbox(info.pid) and healthy(info.endpoint):
            return "running", info
        return "stale", info

    def start(self, port: int | None = None, timeout: float = 60.0) -> SandboxInfo:
        """Start the emulator (or return the running one); a stale pid file is cleaned up first."""
        state, info = self.status()
        if state == "running" and info is not None:
            return info
        if state == "stale":
            self._forget(info)
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        port = port or _free_port()
        with self.log_file.open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", _SERVER_MODULE, "--port", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        info = SandboxInfo(pid=proc.pid, port=port, started=time.time())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise PopcornError(
                    f"the sandbox server exited at start (code {proc.returncode})",
                    f"see {self.log_file}; is port {port} free?",
                )
            if healthy(info.endpoint, timeout=1.0):
                self.state_file.write_text(json.dumps(asdict(info)), encoding="utf-8")
                return info
            time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        raise PopcornError(f"the sandbox did not answer within {timeout:.0f}s", f"see {self.log_file}")

    def require(self) -> SandboxInfo:
        """The running sandbox, or a one-line error saying how to start it."""
        state, info = self.status()
        if state == "running" and info is not None:
            return info
        raise PopcornError(
            "the sandbox is not running" if state == "stopped" else "the sandbox is down (stale pid file)",
            "start it with: popcornctl sandbox start",
        )

    def stop(self, timeout: float = 15.0) -> bool:
        """Stop the emulator and wipe sandbox working data. Returns False if nothing was running."""
        state, info = self.status()
        if info is not None and info.pid != os.getpid() and _pid_is_sandbox(info.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(info.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and _pid_is_sandbox(info.pid):
                time.sleep(0.1)
            if _pid_is_sandbox(info.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(info.pid, signal.SIGKILL)
        self._forget(info)
        return state == "running"

    def reset(self) -> SandboxInfo:
        """Empty the running emulator and wipe sandbox working data (Terraform data dirs, plans)."""
        info = self.require()
        reset_emulator(info.endpoint)
        shutil.rmtree(self.data_dir, ignore_errors=True)
        return info

    def _forget(self, info: SandboxInfo | None) -> None:
        self.state_file.unlink(missing_ok=True)
        shutil.rmtree(self.data_dir, ignore_errors=True)
