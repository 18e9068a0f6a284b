"""The emulator itself: moto's WSGI application served on 127.0.0.1, one request at a time.

moto keeps its backends in plain dictionaries without locks. Terraform sends up to ten requests at once, and under
load two of them can race inside moto (one iterates a dict another is growing); the request then fails with a
500, the AWS SDK retries it, and a create that had already happened comes back as ``AlreadyExists`` — seen here
as ``CreateAlias ... AlreadyExistsException`` for an alias only one resource creates. Handling requests one at a
time removes that class of failure: connections are still accepted by a thread each, so a slow request delays the
others but never refuses them. moto never calls its own HTTP endpoint while handling a request (nothing this
platform uses does), so the lock cannot deadlock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from werkzeug.serving import BaseWSGIServer


def serialized(app: WSGIApplication) -> WSGIApplication:
    """``app`` wrapped so that one request is handled at a time, its response body produced under the lock."""
    lock = threading.Lock()

    def handle(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        with lock:
            result = app(environ, start_response)
            try:
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

    return handle


class Emulator:
    """moto's server in a thread of this process, requests serialized (see the module docstring)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        """The emulator's URL (after :meth:`start`)."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        """Bind, serve in a daemon thread, and return the endpoint (port 0 picks a free one)."""
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        from popcornctl.sandbox.extensions import install_all

        install_all()
        app = serialized(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="popcorn-emulator", daemon=True)
        self._thread.start()
        return self.endpoint

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
