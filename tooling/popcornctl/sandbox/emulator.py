"""The emulator itself: moto's WSGI application served on 127.0.0.1, one request at a time.

moto keeps its backends in plain dictionaries without locks. Terraform sends up to ten requests at once, and under
load two of them can race inside moto (one iterates a dict another is growing); the request then fails with a
500, the AWS SDK retries it, and a create that had already happened comes back as ``AlreadyExists`` — seen here
as ``CreateAlias ... AlreadyExistsException`` for an alias only one resource creates.

So by default the emulator handles one request at a time (``serial``). ``POPCORN_SANDBOX_CONCURRENCY=service``
lets requests to different backends run together: each request holds the lock of its service (the SigV4 signing
name of its ``Authorization`` header) and of every service whose backend moto reads or writes while handling it
(:data:`READS_ALSO`, :data:`EC2_READS_ALSO`: taken from moto's source, where one backend imports another), taken in
name order so that two requests never wait for each other in a cycle; a request that names no service (the
``/moto-api`` reset, an unsigned call) or one that walks every backend (the tagging API) runs alone. It is not the
default: it made ``up dev --sandbox`` no faster (the emulator is busy 2-4 % of the run; ``bench/sandbox_up.py``
measured serial / service 258 / 262 s), and a CI run with it failed once with ``CreateRole ...
EntityAlreadyExists`` for a role only one resource creates, a race these locks did not cover.

Connections are accepted by a thread each, so a slow request delays the others but never refuses them. moto never
calls its own HTTP endpoint while handling a request (nothing this platform uses does), so the locks cannot
deadlock.

An AWS SDK retries a call whose answer it did not get (a dropped connection, a 5xx) with the same
``amz-sdk-invocation-id`` and ``attempt>1``. When the emulator had answered that call with success, running it
again would turn a create that happened into ``AlreadyExists``; so the emulator keeps its recent successful answers
by invocation id and gives a retry of such a call the same answer without running it twice (:class:`Answers`).
An error is never replayed: the SDK retries a throttled or failed call to get a new answer.

``POPCORN_SANDBOX_TIMINGS=FILE`` appends one JSON line per request (service, operation, seconds waited
for locks, seconds inside moto) — what ``bench/sandbox_up.py`` reads.
"""

from __future__ import annotations

import io
import json
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from werkzeug.serving import BaseWSGIServer

CONCURRENCY_ENV = "POPCORN_SANDBOX_CONCURRENCY"
TIMINGS_ENV = "POPCORN_SANDBOX_TIMINGS"
MODES = ("serial", "service")
# A WSGI answer: status line, headers, body.
Answer = tuple[str, list[tuple[str, str]], list[bytes]]

# Services whose backends moto 5.2.5 touches while handling a request of the key's service (SigV4 signing names).
READS_ALSO: dict[str, frozenset[str]] = {
    "application-autoscaling": frozenset({"ecs", "monitoring"}),
    "cloudtrail": frozenset({"s3", "sns"}),
    "dynamodb": frozenset({"kms", "s3", "lambda"}),
    "ecs": frozenset({"ec2", "elasticloadbalancing"}),  # elasticloadbalancing: the target-group rule (extensions)
    "elasticache": frozenset({"ec2"}),
    "elasticloadbalancing": frozenset({"ec2", "acm", "iam"}),
    "events": frozenset({"secretsmanager", "logs", "sqs", "lambda", "states"}),
    "iam": frozenset({"sts"}),
    "logs": frozenset({"s3", "lambda", "firehose", "kinesis"}),
    "rds": frozenset({"ec2", "kms", "secretsmanager"}),
    "route53": frozenset({"logs", "ec2"}),
    "s3": frozenset({"sns", "sqs", "events", "lambda"}),
    "secretsmanager": frozenset({"lambda"}),
    "servicediscovery": frozenset({"route53"}),
    "sns": frozenset({"sqs", "lambda"}),
    "ssm": frozenset({"secretsmanager", "ec2"}),
    "sts": frozenset({"iam"}),
    "wafv2": frozenset({"apigateway"}),
    "xray": frozenset({"kms"}),  # the encryption config checks its key (extensions)
}
# EC2 is the busiest service and reaches other backends in a few operations only.
EC2_READS_ALSO: dict[str, frozenset[str]] = {
    "RunInstances": frozenset({"iam", "kms"}),
    "TerminateInstances": frozenset({"autoscaling", "elasticloadbalancing"}),
    "AssociateIamInstanceProfile": frozenset({"iam"}),
    "ReplaceIamInstanceProfileAssociation": frozenset({"iam"}),
    "CreateFlowLogs": frozenset({"s3", "logs"}),
    "CreateVolume": frozenset({"kms"}),  # with EBS encryption by default: the account's default key
    "CreateImage": frozenset({"kms"}),  # a new image gets a volume, which may be encrypted by default
    "RegisterImage": frozenset({"kms"}),
    "CopyImage": frozenset({"kms"}),
    "ModifyEbsDefaultKmsKeyId": frozenset({"kms"}),
}
# Services whose requests walk every backend: they run alone.
EVERY_BACKEND = frozenset({"tagging"})

_CREDENTIAL = re.compile(r"Credential=[^/,\s]+/[^/]+/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")
_ID_LIKE = re.compile(r"\d")


def service_of(environ: WSGIEnvironment) -> str | None:
    """The SigV4 signing name of the request (``ec2``, ``elasticloadbalancing``), or None when unsigned."""
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.group("service").lower() if match else None


def _form_body(environ: WSGIEnvironment) -> str:
    """A form-encoded body, read and put back for moto (which reads it again)."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return ""
    try:
        size = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return ""
    if size <= 0:
        return ""
    raw: bytes = environ["wsgi.input"].read(size)
    environ["wsgi.input"] = io.BytesIO(raw)
    return raw.decode("utf-8", errors="replace")


def operation_of(environ: WSGIEnvironment, service: str | None) -> str:
    """The API operation: the JSON target, the query ``Action``, or (REST) the method and path with ids elided."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return str(target.rsplit(".", 1)[-1])
    for source in (_form_body(environ), environ.get("QUERY_STRING", "")):
        action = parse_qs(source).get("Action")
        if action:
            return str(action[0])
    path = environ.get("PATH_INFO", "") or "/"
    parts = [p for p in path.split("/") if p]
    if service == "s3" and parts:
        parts = ["{bucket}", *(["{key}"] if len(parts) > 1 else [])]
    parts = [p if not _ID_LIKE.search(p) or re.fullmatch(r"\d{4}-\d{2}-\d{2}", p) else "{id}" for p in parts]
    subresources = sorted(
        k
        for k in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if k not in ("prefix", "max-keys", "marker", "delimiter", "encoding-type", "x-id")
    )
    query = f"?{'&'.join(subresources)}" if subresources else ""
    return f"{environ.get('REQUEST_METHOD', 'GET')} /{'/'.join(parts)}{query}"


def services_touched(service: str | None, operation: str) -> frozenset[str] | None:
    """Every service whose backend the request may touch; None when it may touch any (it then runs alone)."""
    if service is None or service in EVERY_BACKEND:
        return None
    extra = READS_ALSO.get(service, frozenset())
    if service == "ec2":
        extra = extra | EC2_READS_ALSO.get(operation, frozenset())
        if "VpcEndpointService" in operation:
            extra = extra | {"elasticloadbalancing"}
    return frozenset({service}) | extra


class _SharedExclusive:
    """Many holders in shared mode, or one in exclusive mode; a waiting exclusive holder blocks new shared ones."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._shared = 0
        self._exclusive = False
        self._waiting_exclusive = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._exclusive or self._waiting_exclusive:
                self._cond.wait()
            self._shared += 1
        try:
            yield
        finally:
            with self._cond:
                self._shared -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._waiting_exclusive += 1
            while self._exclusive or self._shared:
                self._cond.wait()
            self._waiting_exclusive -= 1
            self._exclusive = True
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


class BackendLocks:
    """The locks of :func:`guarded`: one per service, and the whole emulator for requests that may touch any."""

    def __init__(self) -> None:
        self._world = _SharedExclusive()
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def _lock(self, service: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(service, threading.Lock())

    @contextmanager
    def holding(self, services: frozenset[str] | None) -> Iterator[None]:
        """Hold the locks of ``services`` (taken in name order), or every lock when None."""
        if services is None:
            with self._world.exclusive():
                yield
            return
        with self._world.shared(), ExitStack() as stack:
            for name in sorted(services):
                stack.enter_context(self._lock(name))
            yield


class _Timings:
    """One JSON line per request, appended to a file (the file is opened once, writes are serialized)."""

    def __init__(self, path: str) -> None:
        self._file: IO[str] = Path(path).open("a", encoding="utf-8", buffering=1)  # noqa: SIM115 - lives with the server
        self._lock = threading.Lock()

    def record(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, separators=(",", ":"))
        with self._lock:
            self._file.write(line + "\n")


def _materialized(app: WSGIApplication, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    result = app(environ, start_response)
    try:
        return list(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


def guarded(app: WSGIApplication, *, mode: str = "serial", timings: str | None = None) -> WSGIApplication:
    """``app`` with its response produced under the locks of the services the request touches (``mode`` service),
    or under one lock for all (``mode`` serial); each request timed into ``timings`` when given."""
    if mode not in MODES:
        raise ValueError(f"unknown emulator concurrency {mode!r}: set {CONCURRENCY_ENV} to one of {', '.join(MODES)}")
    locks = BackendLocks()
    log = _Timings(timings) if timings else None
    answers = Answers()

    def handle(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        arrived = time.monotonic()
        service = service_of(environ)
        operation = operation_of(environ, service) if (log is not None or service == "ec2") else ""
        touched = None if mode == "serial" else services_touched(service, operation)
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID", "")
        attempt = _attempt(environ)
        with locks.holding(touched):
            entered = time.monotonic()
            answer = answers.get(invocation) if attempt > 1 else None
            replayed = answer is not None
            if answer is not None:
                start_response(answer[0], list(answer[1]))
                body = answer[2]
            else:
                seen: list[tuple[str, list[tuple[str, str]]]] = []

                def recording_start(code: str, headers: Any, exc_info: Any = None) -> Any:
                    seen.append((code, list(headers)))
                    return start_response(code, headers, exc_info)

                body = _materialized(app, environ, recording_start)
                answer = (*seen[-1], body) if seen else None
                if invocation and answer is not None:
                    answers.put(invocation, *answer)
            left = time.monotonic()
        if log is not None:
            status = answer[0].split(" ", 1)[0] if answer is not None else ""
            log.record(
                {
                    "at": round(time.time() - (left - arrived), 3),
                    "service": service or "-",
                    "operation": operation,
                    "status": status + (" replayed" if replayed else ""),
                    # The AWS SDK's attempt header: attempt>1 is a retry of the same call (``amz-sdk-request``).
                    "attempt": attempt,
                    "wait": round(entered - arrived, 4),
                    "busy": round(left - entered, 4),
                }
            )
        return body

    return handle


class Answers:
    """The emulator's recent successful answers by AWS SDK invocation id (bounded: retries follow within seconds)."""

    SIZE = 512
    LARGEST = 256 * 1024  # a large read (a state file) is cheap to run again, and not worth the memory

    def __init__(self) -> None:
        self._kept: OrderedDict[str, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, invocation: str, code: str, headers: list[tuple[str, str]], body: list[bytes]) -> None:
        """Keep the answer of a call that succeeded (an error changed nothing, and an SDK retries a throttled or failed
        call to get a new answer), unless it is large."""
        if not code.startswith("2") or sum(len(chunk) for chunk in body) > self.LARGEST:
            return
        with self._lock:
            self._kept[invocation] = (code, headers, body)
            self._kept.move_to_end(invocation)
            while len(self._kept) > self.SIZE:
                self._kept.popitem(last=False)

    def get(self, invocation: str) -> Answer | None:
        """The answer already given to this call, if any."""
        if not invocation:
            return None
        with self._lock:
            return self._kept.get(invocation)


def _attempt(environ: WSGIEnvironment) -> int:
    match = re.search(r"attempt=(\d+)", environ.get("HTTP_AMZ_SDK_REQUEST", ""))
    return int(match.group(1)) if match else 1


class Emulator:
    """moto's server in a thread of this process, one request at a time unless ``mode`` is service (see the module
    docstring)."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, mode: str | None = None, timings: str | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.mode = mode or os.environ.get(CONCURRENCY_ENV) or "serial"
        self.timings = timings or os.environ.get(TIMINGS_ENV) or None
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
        app = guarded(DomainDispatcherApplication(create_backend_app), mode=self.mode, timings=self.timings)
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
