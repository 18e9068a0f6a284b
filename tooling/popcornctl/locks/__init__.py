"""The locks room: read the Terraform state locks held on stacks, and release one safely.

Public API (no boto3 at import time):

- :func:`read_locks` ``(clients, backend, stacks | None, now=None) -> list[HeldLock]`` — both places
  (DynamoDB items, S3 ``.tflock`` objects), never the ``-md5`` digest.
- :func:`locks_of_stack` ``(clients, backend, stack)`` — the same for one stack.
- :func:`describe_lock_error` ``(terraform_output, stack=..., clients=..., backend=..., sandbox=...)``
  ``-> LockedState | None`` — for the ``up`` orchestrator: turns Terraform's "Error acquiring the state
  lock" into ``LockedState.problem``/``.fix``/``.error()`` (a :class:`PopcornError`) using the same reader.
- :func:`release` ``(clients, lock, before_delete=None) -> ReleaseResult`` — conditional delete of exactly
  the lock shown; :func:`release_via_terraform` — ``terraform force-unlock`` in the stack.
- :func:`append_audit` / :func:`audit_record` — the append-only ``unlock-audit.jsonl``.
- :func:`parse_duration`, :func:`format_age`, :func:`is_young`.
"""

from __future__ import annotations

from popcornctl.locks.audit import AUDIT_FILE, append_audit, audit_path, audit_record, local_user, read_audit
from popcornctl.locks.model import (
    DigestProtected,
    HeldLock,
    format_age,
    is_young,
    parse_created,
    parse_duration,
)
from popcornctl.locks.reader import (
    LockedState,
    PrintedLock,
    describe_lock_error,
    locks_of_stack,
    parse_lock_error,
    read_locks,
)
from popcornctl.locks.release import ReleaseResult, guard_key, release, release_via_terraform

__all__ = [
    "AUDIT_FILE",
    "DigestProtected",
    "HeldLock",
    "LockedState",
    "PrintedLock",
    "ReleaseResult",
    "append_audit",
    "audit_path",
    "audit_record",
    "describe_lock_error",
    "format_age",
    "guard_key",
    "is_young",
    "local_user",
    "locks_of_stack",
    "parse_created",
    "parse_duration",
    "parse_lock_error",
    "read_audit",
    "read_locks",
    "release",
    "release_via_terraform",
]
