"""The ONE place the runner talks to the locks room.

- "state is locked by <who>, <age> ago" messages come from :func:`popcornctl.locks.describe_lock_error`,
  which reads the lock table and the S3 lockfile with the same reader ``popcornctl unlock`` uses (one piece
  of code, two callers).
- A lock a failed Terraform command provably left behind *itself* (see :func:`own_orphaned_lock`) is
  released with the locks room's conditional delete and recorded in its audit file, then the step retried.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from popcornctl.errors import PopcornError

if TYPE_CHECKING:
    from popcornctl.aws import Clients
    from popcornctl.config import BackendSettings
    from popcornctl.locks import HeldLock

LOCK_ERROR = "Error acquiring the state lock"


def is_lock_error(output: str) -> bool:
    """True when Terraform failed because someone else holds the state lock."""
    return LOCK_ERROR in output


def lock_message(
    output: str,
    *,
    stack: str,
    clients: Clients | None,
    backend: BackendSettings | None,
    sandbox: bool,
) -> PopcornError | None:
    """The friendly error for a held lock (holder, age, the unlock command), or None if not a lock error."""
    if not is_lock_error(output):
        return None
    from popcornctl.locks import describe_lock_error

    state = describe_lock_error(output, stack=stack, clients=clients, backend=backend, sandbox=sandbox)
    if state is None:
        return None
    return state.error(detail=output)


# -- the lock a Terraform command left behind itself -------------------------------------------------------
# Terraform takes the S3 lockfile first, then the DynamoDB item, each with a conditional write. When the
# response to the DynamoDB PutItem is lost (a network blip; often with the local emulator under load), the
# AWS SDK retries the write, which then fails its own condition: Terraform reports "Error acquiring the
# state lock", naming *its own* lock as the holder, and leaves that DynamoDB item behind for good.
_OWN_DYNAMODB_CONFLICT = ("DynamoDB: PutItem", "ConditionalCheckFailed")
_CLOCK_SLACK = timedelta(seconds=2)


def own_orphaned_lock(
    output: str,
    *,
    stack: str,
    operation: str,
    started: datetime,
    finished: datetime,
    clients: Clients,
    backend: BackendSettings,
) -> HeldLock | None:
    """The DynamoDB lock the failed command itself wrote, when that is certain; else None.

    Certain means all of: the DynamoDB write failed its condition *after* the S3 lockfile was taken (so no
    other correctly configured run held the lock at that moment: ``use_lockfile`` on); the holder Terraform
    printed is this user@host, doing this ``operation`` (``plan``/``apply``), created while the command ran;
    and the item is still there with that lock ID (read with the locks room's reader).
    """
    from popcornctl.locks import locks_of_stack, parse_lock_error
    from popcornctl.locks.audit import local_user

    if not backend.use_lockfile or not all(marker in output for marker in _OWN_DYNAMODB_CONFLICT):
        return None
    printed = parse_lock_error(output)
    if printed is None or printed.created is None:
        return None
    if printed.who != local_user() or printed.operation != f"OperationType{operation.capitalize()}":
        return None
    if not (started - _CLOCK_SLACK <= printed.created <= finished + _CLOCK_SLACK):
        return None
    try:
        held = locks_of_stack(clients, backend, stack)
    except PopcornError:
        return None
    return next((h for h in held if h.where == "dynamodb" and h.lock_id == printed.lock_id), None)


def release_own_orphan(clients: Clients, lock: HeldLock, *, state_dir: Path, target: str) -> bool:
    """Release it with the locks room's conditional delete, recorded in the unlock audit file."""
    from popcornctl.locks import append_audit, audit_record, release

    result = release(clients, lock)
    append_audit(
        state_dir,
        audit_record(
            result,
            released_by="popcornctl (its own Terraform command's orphaned lock: the SDK retried the lock write)",
            target=target,
        ),
    )
    return result.outcome in ("released", "already-gone")
