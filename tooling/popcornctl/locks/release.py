"""The safe release of one held lock: conditional on it being exactly the lock shown.

- DynamoDB: ``DeleteItem`` with ``ConditionExpression`` ``Info = :shown`` (the attribute value exactly as
  read), so an item re-taken by another run in between is never removed. Atomic on the server.
- S3 lockfile: a re-read immediately before the delete (the lockfile must still have the ETag and the body
  shown), then ``DeleteObject`` with ``IfMatch = <ETag shown>``. Real S3 enforces ``If-Match`` on
  ``DeleteObject`` (conditional deletes); moto 5.2.5 enforces it too (``PreconditionFailed``, HTTP 412 —
  verified by ``tests/locks/test_release.py``). The re-read is kept as a second guard for S3-compatible
  stores that ignore the header: it narrows, but cannot close, the window on such a store.
- Never: the ``…-md5`` digest item (the state's checksum: deleting it makes Terraform refuse the state),
  nor any S3 object that is not a ``….tflock`` (the state itself). :func:`guard_key` refuses both, and every
  delete goes through it.
- After the delete the place is read again to confirm the lock is gone.

``before_delete`` is called between the last read and the conditional delete; tests use it to make the
"lock replaced in between" race deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from popcornctl.common.awserrors import error_code
from popcornctl.errors import PopcornError
from popcornctl.locks.aws_failures import aws_errors
from popcornctl.locks.model import DIGEST_SUFFIX, LOCKFILE_SUFFIX, DigestProtected, HeldLock
from popcornctl.locks.reader import clients_in_region, read_item, read_lockfile, read_locks

if TYPE_CHECKING:
    from popcornctl.aws import Clients
    from popcornctl.config import BackendSettings
    from popcornctl.engine import Engine, TfResult

Outcome = Literal["released", "already-gone", "changed", "still-held"]
BeforeDelete = Callable[[HeldLock], None]


@dataclass(frozen=True)
class ReleaseResult:
    """What happened to one lock.

    ``released``: it was deleted and a re-read confirmed it gone (``now_held`` is a *new* lock another
    run took right after, if any). ``already-gone``: it had been released by someone else; nothing
    deleted. ``changed``: the place now holds a different lock (``now_held``); nothing deleted.
    ``still-held``: ``terraform force-unlock`` ran but a re-read finds the very same lock there.
    """

    lock: HeldLock
    outcome: Outcome
    method: str  # "conditional-delete" or "terraform force-unlock"
    now_held: HeldLock | None = None


def guard_key(where: str, key: str) -> None:
    """Refuse to delete a state digest or anything but a lockfile. Every delete path calls this first."""
    if key.endswith(DIGEST_SUFFIX):
        raise DigestProtected(
            f"refusing to delete {key!r}: it is the state digest, not a lock",
            "this is a popcornctl bug — report it; nothing was deleted",
        )
    if where == "s3" and not key.endswith(LOCKFILE_SUFFIX):
        raise DigestProtected(
            f"refusing to delete s3 object {key!r}: only '*{LOCKFILE_SUFFIX}' lockfiles are ever deleted",
            "this is a popcornctl bug — report it; nothing was deleted",
        )


def release(clients: Clients, lock: HeldLock, *, before_delete: BeforeDelete | None = None) -> ReleaseResult:
    """Delete ``lock`` only if it is still exactly the lock shown; confirm it is gone."""
    guard_key(lock.where, lock.key)
    clients = clients_in_region(clients, lock.region)
    if lock.where == "dynamodb":
        return _release_item(clients, lock, before_delete)
    return _release_lockfile(clients, lock, before_delete)


def _release_item(clients: Clients, lock: HeldLock, before_delete: BeforeDelete | None) -> ReleaseResult:
    from botocore.exceptions import ClientError

    if lock.attribute is None:
        raise PopcornError(
            f"{lock.location} has no Info attribute: it is not a Terraform lock item",
            "inspect it by hand; popcornctl releases only items it can compare exactly",
        )
    if before_delete is not None:
        before_delete(lock)
    guard_key(lock.where, lock.key)
    table = lock.container
    with aws_errors(clients.target, "release the lock", f"dynamodb table {table!r}",
                    missing=f"the lock table {table!r} does not exist ({clients.target.describe()})"):
        try:
            clients.client("dynamodb").delete_item(
                TableName=table,
                Key={"LockID": {"S": lock.key}},
                ConditionExpression="#info = :shown",
                ExpressionAttributeNames={"#info": "Info"},
                ExpressionAttributeValues={":shown": dict(lock.attribute)},
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            current = read_item(clients, table, lock.key, stack=lock.stack)
            outcome: Outcome = "already-gone" if current is None else "changed"
            return ReleaseResult(lock, outcome, "conditional-delete", current)
    after = read_item(clients, table, lock.key, stack=lock.stack)
    return _confirm(lock, after, "conditional-delete")


def _release_lockfile(clients: Clients, lock: HeldLock, before_delete: BeforeDelete | None) -> ReleaseResult:
    from botocore.exceptions import ClientError

    if not lock.etag:
        raise PopcornError(f"{lock.location} was read without an ETag", "cannot release it conditionally")
    # Guard 1: re-read right before the delete; the lockfile must be exactly what was shown.
    current = read_lockfile(clients, lock.container, lock.key)
    if current is None:
        return ReleaseResult(lock, "already-gone", "conditional-delete")
    if current.etag != lock.etag or current.raw != lock.raw:
        return ReleaseResult(lock, "changed", "conditional-delete", current)
    if before_delete is not None:
        before_delete(lock)
    guard_key(lock.where, lock.key)
    # Guard 2: the delete itself is conditional on the ETag shown (enforced by S3 and by moto).
    with aws_errors(clients.target, "release the lockfile", f"s3://{lock.container}/{lock.key}",
                    missing=f"the state bucket {lock.container!r} does not exist ({clients.target.describe()})"):
        try:
            clients.client("s3").delete_object(Bucket=lock.container, Key=lock.key, IfMatch=lock.etag)
        except ClientError as exc:
            code = error_code(exc)
            if code not in ("PreconditionFailed", "412", "NoSuchKey", "404"):
                raise
            now = read_lockfile(clients, lock.container, lock.key)
            outcome: Outcome = "already-gone" if now is None else "changed"
            return ReleaseResult(lock, outcome, "conditional-delete", now)
    after = read_lockfile(clients, lock.container, lock.key)
    return _confirm(lock, after, "conditional-delete")


def _confirm(lock: HeldLock, after: HeldLock | None, method: str) -> ReleaseResult:
    if after is not None and after.raw == lock.raw:
        raise PopcornError(
            f"{lock.location} still holds lock {lock.lock_id} after the delete was accepted",
            "check the backend by hand (eventual consistency or a proxy ignoring deletes?)",
        )
    return ReleaseResult(lock, "released", method, after)


def release_via_terraform(
    engine: Engine,
    stack_dir: Path,
    locks: Sequence[HeldLock],
    clients: Clients,
    backend: BackendSettings,
    *,
    env: Mapping[str, str] | None = None,
) -> tuple[list[ReleaseResult], TfResult]:
    """``terraform init`` (backend only as the stack declares it) + ``terraform force-unlock -force ID``.

    All ``locks`` must share one stack and one lock ID (Terraform releases the ID in every place the
    backend is configured to lock in). What happened is decided by reading every place back afterwards, never by
    Terraform's exit code: with both places configured and the lock held in only one, Terraform releases it and
    then fails on the other place — the lock is gone all the same ("released"), and a lock Terraform said it
    released but that is still there is "still-held". The caller reports and audits each result.
    """
    from popcornctl.engine import TerraformFailed

    stacks = {lock.stack for lock in locks}
    ids = {lock.lock_id for lock in locks}
    if len(stacks) != 1 or len(ids) != 1:
        raise ValueError("release_via_terraform takes the locks of one stack with one lock ID")
    stack, lock_id = stacks.pop(), ids.pop()
    if any(lock.unreadable for lock in locks):
        raise PopcornError(
            f"lock {lock_id} on {stack} is unreadable, so Terraform cannot name it",
            "release it without --via-terraform (the conditional delete compares the exact bytes)",
        )
    for lock in locks:
        guard_key(lock.where, lock.key)
    init = engine.init(stack_dir, backend_config=backend.backend_config(stack), env=env)
    if not init.ok:
        raise TerraformFailed(f"terraform init failed in {stack_dir} (needed for force-unlock)", init)
    result = engine.force_unlock(stack_dir, lock_id, env=env)
    remaining = {(h.where, h.key): h for h in read_locks(clients, backend, [stack])}
    results: list[ReleaseResult] = []
    for lock in locks:
        after = remaining.get((lock.where, lock.key))
        if after is not None and after.raw == lock.raw:
            results.append(ReleaseResult(lock, "still-held", "terraform force-unlock", after))
        else:
            results.append(ReleaseResult(lock, "released", "terraform force-unlock", after))
    return results, result
