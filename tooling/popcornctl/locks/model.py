"""What a held Terraform state lock looks like to popcornctl, and the small pure helpers around it.

Terraform's S3 backend keeps a lock in two possible places (``../shared/ANCHORS.md``):

- DynamoDB (``dynamodb_table``): item ``LockID = "<bucket>/<key>"`` whose ``Info`` attribute is a JSON
  string ``{"ID", "Operation", "Info", "Who", "Version", "Created", "Path"}``. The item
  ``LockID = "<bucket>/<key>-md5"`` is the state *digest*, not a lock: popcornctl never touches it.
- S3 (``use_lockfile``): the object ``<key>.tflock`` holding the same JSON.

Nothing here does I/O; the reader and the release live in :mod:`popcornctl.locks.reader` and
:mod:`popcornctl.locks.release`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from popcornctl.common.durations import format_duration as format_age
from popcornctl.common.durations import parse_duration
from popcornctl.errors import PopcornError

__all__ = ["format_age", "parse_duration"]  # the shared duration helpers, re-exported for the locks room's callers

Where = Literal["dynamodb", "s3"]

DIGEST_SUFFIX = "-md5"
LOCKFILE_SUFFIX = ".tflock"
STATE_SUFFIX = "/terraform.tfstate"
UNREADABLE_PREFIX = "unreadable-"

_RFC3339 = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d+))?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?(?:\s+[A-Z]{2,5})?$"
)


class DigestProtected(PopcornError):
    """Raised when anything asks to delete a state digest (``…-md5``) or a non-lock object. A bug guard."""


def parse_created(value: str) -> datetime | None:
    """Terraform's lock time: RFC 3339 in the JSON (``2026-01-02T03:04:05.123456789Z``) or Go's
    ``2026-01-02 03:04:05.123456789 +0000 UTC`` in its error output. None when it is neither."""
    match = _RFC3339.match(value.strip())
    if not match:
        return None
    frac = (match["frac"] or "")[:6].ljust(6, "0")
    tz = match["tz"] or "Z"
    if tz != "Z" and ":" not in tz:
        tz = f"{tz[:3]}:{tz[3:]}"
    try:
        parsed = datetime.fromisoformat(f"{match['date']}T{match['time']}.{frac}{'+00:00' if tz == 'Z' else tz}")
    except ValueError:
        return None
    return parsed.astimezone(UTC)


def age_at(created: datetime | None, now: datetime) -> timedelta | None:
    """How old a lock created at ``created`` is at ``now`` (a clock-skewed future time counts as 0)."""
    if created is None:
        return None
    return max(timedelta(0), now - created)


def is_young(lock: HeldLock, older_than: timedelta) -> bool:
    """True when the lock must not be released without ``--force``: younger than ``older_than``, or of
    unknown age (refuse in doubt)."""
    return lock.age is None or lock.age < older_than


def stack_of_key(key: str) -> str:
    """The stack path of a state key (``envs/dev/terraform.tfstate`` -> ``envs/dev``); other keys as-is."""
    return key[: -len(STATE_SUFFIX)] if key.endswith(STATE_SUFFIX) else key


@dataclass(frozen=True)
class HeldLock:
    """One lock found in one place. A killed run with both lock places configured leaves two of these
    with the same :attr:`lock_id` (one ``dynamodb``, one ``s3``)."""

    stack: str
    where: Where
    container: str  # the DynamoDB table or the S3 bucket
    key: str  # the DynamoDB LockID or the S3 object key (always ``….tflock``)
    raw: str  # the Info JSON exactly as stored (what a conditional release compares against)
    lock_id: str  # Terraform's lock ID, or ``unreadable-<hash of raw>`` when the JSON is unreadable
    operation: str | None = None
    who: str | None = None
    version: str | None = None
    created: datetime | None = None
    age: timedelta | None = None
    path: str | None = None
    info: str | None = None
    unreadable: bool = False
    problem: str | None = None  # why it is unreadable
    created_from: str | None = None  # "info" or "s3-last-modified"
    etag: str | None = None  # S3 only: the lockfile's ETag when read
    region: str = ""  # the region it was read in (the backend's), where a release must go too
    # DynamoDB only: the ``Info`` attribute value exactly as read ({"S": "..."}), for the condition.
    attribute: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def location(self) -> str:
        """``dynamodb://table/LockID`` or ``s3://bucket/key``."""
        scheme = "dynamodb" if self.where == "dynamodb" else "s3"
        return f"{scheme}://{self.container}/{self.key}"

    @property
    def holder(self) -> str:
        """Who holds it (``user@host``), or ``?``."""
        return self.who or "?"

    @property
    def short_operation(self) -> str:
        """``apply`` for ``OperationTypeApply``; ``?`` when unknown."""
        if not self.operation:
            return "?"
        return self.operation.removeprefix("OperationType").lower() or self.operation

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly view (``--output json``, audit)."""
        return {
            "stack": self.stack,
            "where": self.where,
            "location": self.location,
            "lock_id": self.lock_id,
            "operation": self.operation,
            "who": self.who,
            "version": self.version,
            "created": self.created.isoformat() if self.created else None,
            "created_from": self.created_from,
            "age_seconds": int(self.age.total_seconds()) if self.age is not None else None,
            "age": format_age(self.age),
            "path": self.path,
            "unreadable": self.unreadable,
            "problem": self.problem,
            "etag": self.etag,
            "raw": self.raw,
        }


def unreadable_id(raw: str) -> str:
    """A stable handle for a lock whose JSON cannot be read: bound to the exact bytes shown."""
    return UNREADABLE_PREFIX + hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()[:12]


def build_lock(
    *,
    stack: str,
    where: Where,
    container: str,
    key: str,
    raw: str,
    now: datetime,
    etag: str | None = None,
    attribute: Mapping[str, Any] | None = None,
    fallback_created: datetime | None = None,
    region: str = "",
) -> HeldLock:
    """Parse a stored lock's Info JSON into a :class:`HeldLock`; malformed JSON gives ``unreadable``."""
    data: Any = None
    problem: str | None = None
    try:
        data = json.loads(raw)
    except ValueError as exc:
        problem = f"Info is not JSON ({exc.__class__.__name__}: {exc})"
    else:
        if not isinstance(data, dict):
            problem = f"Info is JSON but not an object ({type(data).__name__})"
        elif not isinstance(data.get("ID"), str) or not data["ID"]:
            problem = "Info has no lock ID"
    if problem is not None or not isinstance(data, dict):
        created = fallback_created.astimezone(UTC) if fallback_created else None
        return HeldLock(
            stack=stack, where=where, container=container, key=key, raw=raw, lock_id=unreadable_id(raw),
            unreadable=True, problem=problem, created=created, age=age_at(created, now),
            created_from="s3-last-modified" if created else None, etag=etag, attribute=attribute, region=region,
        )

    def text(name: str) -> str | None:
        value = data.get(name)
        return str(value) if value not in (None, "") else None

    created = parse_created(str(data.get("Created", "")))
    created_from = "info" if created else None
    if created is None and fallback_created is not None:
        created, created_from = fallback_created.astimezone(UTC), "s3-last-modified"
    return HeldLock(
        stack=stack, where=where, container=container, key=key, raw=raw, lock_id=str(data["ID"]),
        operation=text("Operation"), who=text("Who"), version=text("Version"), created=created,
        age=age_at(created, now), path=text("Path"), info=text("Info"), created_from=created_from,
        etag=etag, attribute=attribute, region=region,
    )


def now_utc() -> datetime:
    """The current time (UTC, aware)."""
    return datetime.now(UTC)
