"""The append-only record of lock releases: ``<state dir>/unlock-audit.jsonl``, one JSON object a line."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from popcornctl.common.identity import local_user
from popcornctl.locks.model import format_age, now_utc
from popcornctl.locks.release import ReleaseResult

# local_user is part of this module's surface: the audit record names who released a lock.
__all__ = ["AUDIT_FILE", "append_audit", "audit_path", "audit_record", "local_user", "read_audit"]

AUDIT_FILE = "unlock-audit.jsonl"


def audit_path(state_dir: Path) -> Path:
    """Where the audit file lives."""
    return state_dir / AUDIT_FILE


def audit_record(
    result: ReleaseResult,
    *,
    released_by: str,
    target: str,
    released_at: datetime | None = None,
) -> dict[str, Any]:
    """The audit line for one release."""
    lock = result.lock
    return {
        "stack": lock.stack,
        "lock_id": lock.lock_id,
        "where": lock.where,
        "location": lock.location,
        "holder": lock.who,
        "operation": lock.operation,
        "version": lock.version,
        "created": lock.created.isoformat() if lock.created else None,
        "age_seconds": int(lock.age.total_seconds()) if lock.age is not None else None,
        "age": format_age(lock.age),
        "unreadable": lock.unreadable,
        "info": lock.raw,
        "method": result.method,
        "outcome": result.outcome,
        "target": target,
        "released_by": released_by,
        "local_user": local_user(),
        "released_at": (released_at or now_utc()).isoformat(),
    }


def append_audit(state_dir: Path, record: dict[str, Any]) -> Path:
    """Append one line (O_APPEND, created 0600, fsynced); never rewrites earlier lines."""
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = audit_path(state_dir)
    line = (json.dumps(record, sort_keys=False, default=str) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def read_audit(state_dir: Path) -> list[dict[str, Any]]:
    """Every recorded release, oldest first (for tests and `--output json`)."""
    path = audit_path(state_dir)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
