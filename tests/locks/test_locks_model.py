"""Pure logic of the locks room: durations, ages, Info parsing, the digest guard, Terraform's lock error."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from popcornctl.errors import PopcornError
from popcornctl.locks import (
    DigestProtected,
    HeldLock,
    describe_lock_error,
    format_age,
    guard_key,
    is_young,
    parse_created,
    parse_duration,
    parse_lock_error,
    release,
)
from popcornctl.locks.model import build_lock

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)

# What Terraform 1.15.5 printed here for a plan blocked by a killed apply (S3 lockfile + DynamoDB).
TF_LOCK_ERROR = """
Error: Error acquiring the state lock

Error message: operation error S3: PutObject, https response error
StatusCode: 412, RequestID: vH9j0YdWuGk, api error PreconditionFailed: At least one of the pre-conditions you
specified did not hold
Lock Info:
  ID:        b50ad266-c8b1-5f15-0d57-c33164b5607f
  Path:      state/envs/x/terraform.tfstate
  Operation: OperationTypeApply
  Who:       root@vm
  Version:   1.15.5
  Created:   2026-03-01 10:47:36.245158941 +0000 UTC
  Info:


Terraform acquires a state lock to protect the state from being written
by multiple users at the same time.
"""


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400), ("1w", 604800), ("1h30m", 5400), ("0s", 0),
     ("0", 0), (" 2H ", 7200)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "15", "15 minutes", "m", "-5m", "1.5h", "15x"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(PopcornError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (45, "45s"), (725, "12m 5s"), (900, "15m"), (3 * 3600 + 12 * 60 + 9, "3h 12m"), (7200, "2h"),
     (2 * 86400 + 4 * 3600, "2d 4h"), (86400 + 59, "1d")],
)
def test_format_age(seconds: int, text: str) -> None:
    assert format_age(timedelta(seconds=seconds)) == text
    assert format_age(None) == "?"


def test_parse_created_formats() -> None:
    expected = datetime(2026, 3, 1, 10, 47, 36, 245158, tzinfo=UTC)
    assert parse_created("2026-03-01T10:47:36.245158941Z") == expected
    assert parse_created("2026-03-01 10:47:36.245158941 +0000 UTC") == expected
    assert parse_created("2026-03-01T19:47:36.245158941+09:00") == expected
    assert parse_created("2026-03-01T10:47:36Z") == expected.replace(microsecond=0)
    assert parse_created("yesterday") is None
    assert parse_created("") is None


def _lock(created: str | None, **kw: Any) -> HeldLock:
    info = {"ID": "abc", "Operation": "OperationTypeApply", "Who": "bob@ci", "Version": "1.15.5", "Path": "p"}
    if created is not None:
        info["Created"] = created
    return build_lock(stack="envs/dev", where="dynamodb", container="t", key="b/envs/dev/terraform.tfstate",
                      raw=json.dumps(info), now=NOW, **kw)


def test_age_logic_with_a_seeded_created_timestamp() -> None:
    old = _lock("2026-03-01T11:40:00.000000001Z")  # 20 minutes before NOW
    assert old.age == timedelta(minutes=20) and format_age(old.age) == "20m"
    assert not is_young(old, parse_duration("15m"))
    assert is_young(old, parse_duration("30m"))
    assert not is_young(old, parse_duration("0s"))
    young = _lock("2026-03-01T11:55:00Z")
    assert young.age == timedelta(minutes=5) and is_young(young, parse_duration("15m"))
    future = _lock("2026-03-01T12:10:00Z")  # a skewed clock: counted as 0 old, so young
    assert future.age == timedelta(0) and is_young(future, parse_duration("1s"))
    unknown = _lock(None)
    assert unknown.age is None and is_young(unknown, parse_duration("0s"))  # unknown age: refuse in doubt
    assert old.short_operation == "apply" and old.holder == "bob@ci" and not old.unreadable


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("{not json", "not JSON"), ("[1, 2]", "not an object"), ('{"Who": "x"}', "no lock ID"), ("", "not JSON")],
)
def test_malformed_info_is_unreadable_not_a_crash(raw: str, problem: str) -> None:
    lock = build_lock(stack="s", where="dynamodb", container="t", key="b/s/terraform.tfstate", raw=raw, now=NOW)
    assert lock.unreadable and problem in (lock.problem or "")
    assert lock.lock_id.startswith("unreadable-") and lock.raw == raw
    assert lock.age is None and is_young(lock, timedelta(0))
    again = build_lock(stack="s", where="dynamodb", container="t", key="b/s/terraform.tfstate", raw=raw, now=NOW)
    assert again.lock_id == lock.lock_id  # a stable handle bound to the exact bytes
    assert lock.to_json()["unreadable"] is True


def test_unreadable_lockfile_ages_from_s3_last_modified() -> None:
    lock = build_lock(stack="s", where="s3", container="b", key="s/terraform.tfstate.tflock", raw="garbage",
                      now=NOW, etag='"e"', fallback_created=NOW - timedelta(hours=1))
    assert lock.unreadable and lock.age == timedelta(hours=1) and lock.created_from == "s3-last-modified"


class _NoAws:
    def client(self, service: str) -> Any:
        raise AssertionError(f"no AWS call may happen, got {service}")


@pytest.mark.parametrize(
    ("where", "key"),
    [("dynamodb", "bucket/envs/dev/terraform.tfstate-md5"), ("s3", "envs/dev/terraform.tfstate"),
     ("s3", "envs/dev/terraform.tfstate-md5")],
)
def test_digest_and_state_objects_are_never_deleted(where: str, key: str) -> None:
    with pytest.raises(DigestProtected):
        guard_key(where, key)
    lock = build_lock(stack="envs/dev", where=where, container="c", key=key,  # type: ignore[arg-type]
                      raw=json.dumps({"ID": "x", "Created": "2020-01-01T00:00:00Z"}), now=NOW, etag='"e"',
                      attribute={"S": "x"})
    with pytest.raises(DigestProtected):
        release(_NoAws(), lock)  # type: ignore[arg-type]


def test_parse_lock_error_from_terraform_output() -> None:
    printed = parse_lock_error(TF_LOCK_ERROR)
    assert printed is not None
    assert printed.lock_id == "b50ad266-c8b1-5f15-0d57-c33164b5607f"
    assert printed.who == "root@vm" and printed.operation == "OperationTypeApply"
    assert printed.created == datetime(2026, 3, 1, 10, 47, 36, 245158, tzinfo=UTC)
    boxed = "\n".join(f"│ {line}" for line in TF_LOCK_ERROR.splitlines())
    assert parse_lock_error(boxed) == printed
    assert parse_lock_error("Error: Unsupported argument") is None


def test_describe_lock_error_from_output_alone() -> None:
    state = describe_lock_error(TF_LOCK_ERROR, stack="envs/x", now=NOW, sandbox=True)
    assert state is not None
    assert state.problem == (
        "state of envs/x is locked by root@vm (apply, 1h 12m old, lock ID b50ad266-c8b1-5f15-0d57-c33164b5607f)"
    )
    assert state.fix.endswith(
        "popcornctl unlock --stack envs/x --lock-id b50ad266-c8b1-5f15-0d57-c33164b5607f --sandbox"
    )
    err = state.error(detail=TF_LOCK_ERROR)
    assert isinstance(err, PopcornError) and err.exit_code == 2 and "\n" not in err.line()
    assert describe_lock_error("Error: something else", stack="envs/x") is None
