"""Stopping a run and asking questions: the run's stop flag, its signal handling, and prompts on the main thread.

While stacks run, popcornctl handles SIGINT, SIGTERM and SIGHUP itself (docs/RELIABILITY.md). A first Ctrl-C
stops starting anything (no new Terraform step; stacks not started are "skipped") and lets the running Terraform
commands finish — they hold state locks; a second Ctrl-C asks each of them to stop gracefully (one interrupt
each: Terraform saves its state and releases its lock); more Ctrl-Cs only say what is still running, because a
second interrupt to Terraform would make it exit without saving. SIGTERM and SIGHUP (a supervisor stopping the
job, a closed terminal) do both steps at once. Prompts are asked on the main thread, so a Ctrl-C at ``[y/N]`` is
an answer ("no"), not a hang; end of input (Ctrl-D) is a "no" as well.
"""

from __future__ import annotations

import contextlib
import queue
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from popcornctl.engine import RUNNING
from popcornctl.orchestrate.confirm import ApprovalRequest, AutoApprove, Confirmer
from popcornctl.orchestrate.outcome import Outcome, StackStop
from popcornctl.orchestrate.view import NullView, RunView

# Signals a run handles itself while stacks run (SIGHUP: the terminal went away).
HANDLED_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@dataclass
class _Ask:
    """A confirmation a stack thread needs; asked on the main thread (where Ctrl-C lands)."""

    request: ApprovalRequest
    done: threading.Event = field(default_factory=threading.Event)
    answer: bool = False
    withdrawn: bool = False  # never asked: the run was stopping
    interrupted: str | None = None  # the signal that answered "no" at the prompt
    error: Exception | None = None  # the confirmer failed: raised again in the stack's thread


def _signal_name(signum: int) -> str:
    return "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name


class RunControl:
    """The run's stop flag, the signals it received, and the questions stack threads wait on."""

    def __init__(self, view: RunView | None = None, confirmer: Confirmer | None = None) -> None:
        self.view: RunView = view or NullView()
        self.confirmer: Confirmer = confirmer or AutoApprove()
        self.interrupted_by: int | None = None  # the first signal that interrupted the run
        self._lock = threading.Lock()
        self._confirm_lock = threading.Lock()
        self._stop = threading.Event()
        self._stop_reason = ""
        self._asks: queue.Queue[_Ask] = queue.Queue()
        self._closing = threading.Event()  # the scheduler is leaving: nobody will answer questions any more
        self._prompting = False
        self._signals: list[int] = []  # received, not yet acted on (appended by the signal handler)
        self._signal_count = 0

    # -- stopping ----------------------------------------------------------------------------------
    @property
    def stop_reason(self) -> str:
        """Why the run stops starting work ("" while it does not)."""
        return self._stop_reason

    @property
    def stopping(self) -> bool:
        """True once the run starts nothing new."""
        return self._stop.is_set()

    def halt(self, reason: str) -> None:
        """Start nothing new from now on (the first reason given is kept)."""
        with self._lock:
            if not self._stop.is_set():
                self._stop_reason = reason
                self._stop.set()

    def check_stop(self, step: str = "apply") -> None:
        """End the stack as skipped when the run is stopping (called before each new step)."""
        if self._stop.is_set():
            raise StackStop(Outcome.skipped, f"stopped before {step}: {self._stop_reason}")

    def close(self) -> None:
        """The scheduler is leaving: questions still waiting are withdrawn."""
        self._closing.set()
        self.withdraw_asks()

    # -- signals -----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def signals_handled(self) -> Iterator[None]:
        """Handle SIGINT/SIGTERM/SIGHUP as described in the module docstring (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous: dict[int, Any] = {}
        for sig in HANDLED_SIGNALS:
            with contextlib.suppress(OSError, ValueError):
                previous[sig] = signal.signal(sig, self._on_signal)
        try:
            yield
        finally:
            for sig, handler in previous.items():
                with contextlib.suppress(OSError, ValueError, TypeError):
                    signal.signal(sig, handler)

    def _on_signal(self, signum: int, _frame: object) -> None:
        self._signals.append(signum)  # acted on by the scheduler loop, outside the handler
        if self._prompting:
            raise KeyboardInterrupt  # out of input(): the answer is "no"

    def received(self, signum: int) -> None:
        """A signal that reached the main thread another way than the handler (a KeyboardInterrupt)."""
        self._signals.append(signum)

    def act_on_signals(self) -> None:
        """Act on the signals received since the last call (main thread)."""
        while self._signals:
            self._interrupt(self._signals.pop(0))

    def _interrupt(self, signum: int) -> None:
        """One signal: stop starting work; on the second (or on SIGTERM/SIGHUP) stop Terraform gracefully."""
        self._signal_count += 1
        if self.interrupted_by is None:
            self.interrupted_by = signum
        name = _signal_name(signum)
        running = RUNNING.snapshot()
        listed = "; ".join(item.describe() for item in running)
        if self._signal_count == 1:
            self.halt(f"interrupted ({name})")
            self.withdraw_asks()
        if signum == signal.SIGINT and self._signal_count < 2:
            text = f"interrupted ({name}): no stack starts a new step"
            if running:
                text += (
                    f"; {len(running)} running Terraform command(s) finish first (they hold state locks): {listed}"
                    " — press Ctrl-C again to stop them gracefully"
                )
            self.say(text)
            return
        asked = RUNNING.interrupt_all()
        if asked:
            self.say(
                f"{'terminated' if signum != signal.SIGINT else 'interrupted again'} ({name}): stopping "
                f"{len(asked)} running Terraform command(s) gracefully — one interrupt each: Terraform finishes the "
                f"operation in flight, saves its state and releases its lock; waiting for: "
                + "; ".join(item.describe() for item in asked)
            )
        elif running:
            self.say(
                f"{name} received: still waiting for Terraform to save its state and release its lock: {listed} "
                "(popcornctl never interrupts Terraform twice: a second interrupt makes it exit without saving)"
            )
        else:
            self.say(f"{name} received: nothing is running any more; writing the report")

    def say(self, text: str) -> None:
        """A run-level warning line (never fails: after SIGHUP the terminal may be gone)."""
        with contextlib.suppress(OSError):
            self.view.note(text, "yellow")

    # -- questions ---------------------------------------------------------------------------------
    def ask(self, request: ApprovalRequest) -> bool:
        """Ask ``request`` on the main thread, one question at a time; StackStop when it cannot be asked."""
        if isinstance(self.confirmer, AutoApprove):
            return True
        with self._confirm_lock:
            self.check_stop()
            self.view.status(request.stack, "waiting for approval", "")
            ask = _Ask(request)
            if threading.current_thread() is threading.main_thread():
                self._answer(ask)
            else:
                self._asks.put(ask)
                while not ask.done.wait(0.2):
                    if self._closing.is_set():
                        self.withdraw_asks()
            if ask.error is not None:
                raise ask.error
            if ask.withdrawn:
                raise StackStop(Outcome.skipped, f"not asked: {self._stop_reason or 'the run is ending'}")
            if ask.interrupted:
                raise StackStop(Outcome.declined, f"{request.action} not approved ({ask.interrupted} at the prompt)")
            return ask.answer

    def serve_asks(self) -> None:
        """Ask the questions stack threads are waiting on, one at a time, here on the main thread."""
        while True:
            try:
                ask = self._asks.get_nowait()
            except queue.Empty:
                return
            self._answer(ask)

    def withdraw_asks(self) -> None:
        """Answer every waiting question with "not asked"."""
        while True:
            try:
                ask = self._asks.get_nowait()
            except queue.Empty:
                return
            ask.withdrawn = True
            ask.done.set()

    def _answer(self, ask: _Ask) -> None:
        if self._stop.is_set() or self._closing.is_set():
            ask.withdrawn = True
            ask.done.set()
            return
        self._prompting = True
        try:
            with self.view.paused():
                ask.answer = self.confirmer.confirm(ask.request)
        except KeyboardInterrupt:
            ask.answer = False
            signum = self._signals[0] if self._signals else signal.SIGINT
            if not self._signals:
                self._signals.append(signum)
            ask.interrupted = _signal_name(signum)
            with contextlib.suppress(OSError):
                self.view.note(f"\n{ask.interrupted} at the prompt: {ask.request.stack} not approved", "yellow")
        except Exception as exc:  # the stack's own thread reports it, as when it asked itself
            ask.error = exc
        finally:
            self._prompting = False
            ask.done.set()
        self.act_on_signals()
