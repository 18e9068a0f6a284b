"""A stalled AWS endpoint on 127.0.0.1: it accepts every connection, reads the request, and never answers.

Requests for the emulator's management API (``/moto-api/``) are answered, so popcornctl's sandbox health check
passes and the stall starts with the first AWS call, as when a real endpoint stops answering mid-run. Closing
the server closes every held connection, which ends any client still waiting.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType


class StalledEndpoint:
    """A listening socket that holds AWS requests forever (until :meth:`close`)."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self.requests = 0
        threading.Thread(target=self._accept, name="stalled-endpoint", daemon=True).start()

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self._listener.getsockname()[1])

    @property
    def endpoint(self) -> str:
        """Its URL."""
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            head = conn.recv(65536)
        except OSError:
            return
        if head.split(b" ", 2)[1:2] == [b"/moto-api/"]:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            conn.close()
            return
        with self._lock:
            self.requests += 1
            self._held.append(conn)  # never answered

    def close(self) -> None:
        """Stop listening and drop every held connection."""
        self._listener.close()
        with self._lock:
            for conn in self._held:
                conn.close()
            self._held.clear()

    def __enter__(self) -> StalledEndpoint:
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()
