"""The lock reader: which Terraform state locks are held, by whom, since when.

One piece of code, two callers: ``popcornctl unlock`` lists and releases what :func:`read_locks` finds,
and the ``up`` orchestrator turns Terraform's "Error acquiring the state lock" into a friendly line with
:func:`describe_lock_error`, which reads the same places through the same function.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from popcornctl.common.awserrors import error_code
from popcornctl.errors import PopcornError
from popcornctl.locks.aws_failures import aws_errors
from popcornctl.locks.model import (
    DIGEST_SUFFIX,
    LOCKFILE_SUFFIX,
    HeldLock,
    age_at,
    build_lock,
    format_age,
    now_utc,
    parse_created,
    stack_of_key,
)

if TYPE_CHECKING:
    from popcornctl.aws import Clients
    from popcornctl.config import BackendSettings

_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}


def _sort_key(lock: HeldLock) -> tuple[str, str, str]:
    return (lock.stack, lock.lock_id, lock.where)


def read_locks(
    clients: Clients,
    backend: BackendSettings,
    stacks: Iterable[str] | None,
    *,
    now: datetime | None = None,
) -> list[HeldLock]:
    """Every lock held on the given stacks' states, from both places Terraform keeps them.

    ``stacks`` are stack paths (``envs/dev``); ``None`` means everything: a scan of the lock table and a
    listing of ``*.tflock`` objects in the state bucket, including locks of stacks no longer in the tree.
    Both places are always read (a ``use_lockfile = false`` repository may still hold a lockfile from a
    migration); the DynamoDB table is skipped only when ``backend.lock_table`` is empty.
    The ``-md5`` digest items are never returned. Errors are one-line :class:`PopcornError` s.
    """
    when = now or now_utc()
    clients = clients_in_region(clients, backend.region)
    found: list[HeldLock] = []
    if stacks is None:
        if backend.lock_table:
            found += _scan_table(clients, backend, when)
        found += _list_lockfiles(clients, backend, when)
    else:
        for stack in dict.fromkeys(s.strip("/") for s in stacks):
            if backend.lock_table:
                item = _get_item(clients, backend, backend.lock_id(stack), when, stack)
                if item is not None:
                    found.append(item)
            lockfile = read_lockfile(clients, backend.bucket, backend.key_for(stack) + LOCKFILE_SUFFIX, when)
            if lockfile is not None:
                found.append(lockfile)
    return sorted(found, key=_sort_key)


def locks_of_stack(
    clients: Clients, backend: BackendSettings, stack: str, *, now: datetime | None = None
) -> list[HeldLock]:
    """The locks held on one stack's state (usually none, one, or one per place with the same ID)."""
    return read_locks(clients, backend, [stack], now=now)


def clients_in_region(clients: Clients, region: str) -> Clients:
    """``clients``, or clients for the same target in ``region`` (the state backend may live elsewhere)."""
    if not region or region == clients.target.region:
        return clients
    from dataclasses import replace

    from popcornctl.aws import Clients as ClientFactory

    return ClientFactory(replace(clients.target, region=region), max_attempts=clients.max_attempts)


# -- DynamoDB ------------------------------------------------------------------------------------
def _item_lock(
    item: dict[str, Any], table: str, now: datetime, stack: str | None = None, region: str = ""
) -> HeldLock | None:
    lock_key = str(item.get("LockID", {}).get("S", ""))
    if not lock_key or lock_key.endswith(DIGEST_SUFFIX):
        return None  # the state digest, never a lock
    bucket_and_key = lock_key.split("/", 1)
    name = stack if stack is not None else stack_of_key(bucket_and_key[-1])
    attribute = item.get("Info")
    if not isinstance(attribute, dict) or "S" not in attribute:
        # Never JSON with an ID (empty, or a Python repr), so always unreadable; the problem names why.
        lock = build_lock(
            stack=name, where="dynamodb", container=table, key=lock_key,
            raw="" if attribute is None else repr(attribute), now=now, attribute=attribute, region=region,
        )
        return replace(lock, problem="item has no Info string attribute (not written by Terraform)")
    return build_lock(
        stack=name, where="dynamodb", container=table, key=lock_key, raw=str(attribute["S"]), now=now,
        attribute=attribute, region=region,
    )


def read_item(clients: Clients, table: str, lock_key: str, now: datetime | None = None,
              stack: str | None = None) -> HeldLock | None:
    """The DynamoDB lock item ``LockID = lock_key`` (strongly consistent read), or None."""
    if lock_key.endswith(DIGEST_SUFFIX):
        return None
    with aws_errors(clients.target, "read the lock table", f"dynamodb table {table!r}",
                    missing=f"the lock table {table!r} does not exist ({clients.target.describe()})"):
        resp = clients.client("dynamodb").get_item(
            TableName=table, Key={"LockID": {"S": lock_key}}, ConsistentRead=True
        )
    item = resp.get("Item")
    return _item_lock(item, table, now or now_utc(), stack, clients.target.region) if item else None


def _get_item(clients: Clients, backend: BackendSettings, lock_key: str, now: datetime,
              stack: str) -> HeldLock | None:
    return read_item(clients, backend.lock_table, lock_key, now, stack)


def _scan_table(clients: Clients, backend: BackendSettings, now: datetime) -> list[HeldLock]:
    table = backend.lock_table
    prefix = f"{backend.bucket}/"
    found: list[HeldLock] = []
    with aws_errors(clients.target, "scan the lock table", f"dynamodb table {table!r}",
                    missing=f"the lock table {table!r} does not exist ({clients.target.describe()})"):
        paginator = clients.client("dynamodb").get_paginator("scan")
        for page in paginator.paginate(TableName=table, ConsistentRead=True):
            for item in page.get("Items", []):
                if str(item.get("LockID", {}).get("S", "")).startswith(prefix):
                    lock = _item_lock(item, table, now, region=clients.target.region)
                    if lock is not None:
                        found.append(lock)
    return found


# -- S3 lockfiles --------------------------------------------------------------------------------
def read_lockfile(clients: Clients, bucket: str, key: str, now: datetime | None = None) -> HeldLock | None:
    """The S3 lockfile ``s3://bucket/key`` (must end ``.tflock``) with its ETag, or None."""
    from botocore.exceptions import ClientError

    if not key.endswith(LOCKFILE_SUFFIX):
        raise ValueError(f"not a lockfile key: {key!r}")
    with aws_errors(clients.target, "read the lockfile", f"s3://{bucket}/{key}",
                    missing=f"the state bucket {bucket!r} does not exist ({clients.target.describe()})"):
        try:
            resp = clients.client("s3").get_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) in _NOT_FOUND:
                return None
            raise
        body = resp["Body"].read()
    raw = body.decode("utf-8", errors="replace")
    return build_lock(
        stack=stack_of_key(key[: -len(LOCKFILE_SUFFIX)]), where="s3", container=bucket, key=key, raw=raw,
        now=now or now_utc(), etag=str(resp.get("ETag", "")) or None, fallback_created=resp.get("LastModified"),
        region=clients.target.region,
    )


def _list_lockfiles(clients: Clients, backend: BackendSettings, now: datetime) -> list[HeldLock]:
    bucket = backend.bucket
    keys: list[str] = []
    with aws_errors(clients.target, "list the state bucket", f"s3://{bucket}",
                    missing=f"the state bucket {bucket!r} does not exist ({clients.target.describe()})"):
        paginator = clients.client("s3").get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket):
            keys += [str(o["Key"]) for o in page.get("Contents", []) if str(o["Key"]).endswith(LOCKFILE_SUFFIX)]
    found = [read_lockfile(clients, bucket, key, now) for key in keys]
    return [lock for lock in found if lock is not None]


# -- Terraform's "Error acquiring the state lock" --------------------------------------------------
_LOCK_ERROR = "Error acquiring the state lock"
_FIELD = re.compile(r"^\s*(ID|Path|Operation|Who|Version|Created|Info):[ \t]*(.*?)\s*$")


@dataclass(frozen=True)
class PrintedLock:
    """The ``Lock Info:`` block Terraform prints when it cannot take the lock."""

    lock_id: str
    path: str | None
    operation: str | None
    who: str | None
    version: str | None
    created: datetime | None


def parse_lock_error(output: str) -> PrintedLock | None:
    """The lock Terraform says is in the way, or None when ``output`` is not a lock error."""
    if _LOCK_ERROR not in output:
        return None
    lines = [re.sub(r"^[│|]\s?", "", line) for line in output.splitlines()]
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "Lock Info:")
    except StopIteration:
        return None
    fields: dict[str, str] = {}
    for line in lines[start + 1 : start + 12]:
        match = _FIELD.match(line)
        if match and match[1] not in fields:
            fields[match[1]] = match[2]
    if not fields.get("ID"):
        return None
    return PrintedLock(
        lock_id=fields["ID"],
        path=fields.get("Path") or None,
        operation=fields.get("Operation") or None,
        who=fields.get("Who") or None,
        version=fields.get("Version") or None,
        created=parse_created(fields.get("Created", "")),
    )


@dataclass(frozen=True)
class LockedState:
    """A friendly account of "the state is locked": who holds it, since when, and what to run."""

    stack: str
    lock_id: str
    who: str
    operation: str
    age: str
    version: str | None
    held: tuple[HeldLock, ...]  # what the reader found now (empty when it could not read)
    sandbox: bool = False

    @property
    def problem(self) -> str:
        """``state of envs/dev is locked by alice@host (apply, 3h 12m old, lock ID …)``."""
        return (
            f"state of {self.stack} is locked by {self.who} ({self.operation}, {self.age} old, "
            f"lock ID {self.lock_id})"
        )

    @property
    def fix(self) -> str:
        """The command that lists and (after confirmation) releases exactly this lock."""
        lock = f" --lock-id {self.lock_id}" if self.lock_id != "?" else ""
        sandbox = " --sandbox" if self.sandbox else ""
        return f"if no run is still going, release it with: popcornctl unlock --stack {self.stack}{lock}{sandbox}"

    def error(self, detail: str | None = None) -> PopcornError:
        """The one-line user error (``detail``: Terraform's output, shown under it with -v)."""
        return PopcornError(self.problem, self.fix, detail=detail)

    def __str__(self) -> str:
        return f"{self.problem} — {self.fix}"


def describe_lock_error(
    terraform_output: str,
    *,
    stack: str,
    clients: Clients | None = None,
    backend: BackendSettings | None = None,
    sandbox: bool = False,
    now: datetime | None = None,
) -> LockedState | None:
    """If ``terraform_output`` is Terraform's "Error acquiring the state lock", who holds the lock.

    With ``clients`` and ``backend`` the holder comes from :func:`read_locks` (the same reader
    ``popcornctl unlock`` uses; authoritative, and the lock may have changed since Terraform looked);
    otherwise, or when that read fails or finds nothing, from the ``Lock Info`` Terraform printed.
    Returns None when the output is not a lock error.
    """
    printed = parse_lock_error(terraform_output)
    if printed is None and _LOCK_ERROR not in terraform_output:
        return None
    when = now or now_utc()
    held: list[HeldLock] = []
    if clients is not None and backend is not None:
        try:
            held = locks_of_stack(clients, backend, stack, now=when)
        except PopcornError:
            held = []
    if held:
        first = next((h for h in held if printed and h.lock_id == printed.lock_id), held[0])
        return LockedState(
            stack=stack, lock_id=first.lock_id, who=first.holder, operation=first.short_operation,
            age=format_age(first.age), version=first.version,
            held=tuple(h for h in held if h.lock_id == first.lock_id), sandbox=sandbox,
        )
    if printed is None:
        return LockedState(stack=stack, lock_id="?", who="?", operation="?", age="?", version=None, held=(),
                           sandbox=sandbox)
    age = format_age(age_at(printed.created, when))
    operation = (printed.operation or "?").removeprefix("OperationType").lower() or "?"
    return LockedState(
        stack=stack, lock_id=printed.lock_id, who=printed.who or "?", operation=operation, age=age,
        version=printed.version, held=(), sandbox=sandbox,
    )
