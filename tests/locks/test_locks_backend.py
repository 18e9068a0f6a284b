"""The reader and the conditional release against the emulator (moto 5.2.5 via boto3), no Terraform.

Conditional deletes were verified here against moto, not assumed:
- S3 ``DeleteObject`` with ``IfMatch``: moto compares it with the object's ETag and answers 412
  ``PreconditionFailed`` (object kept) on a mismatch — see ``test_moto_enforces_if_match_on_delete_object``.
- DynamoDB ``DeleteItem`` with ``ConditionExpression``: ``ConditionalCheckFailedException`` on a mismatch.
The races are made deterministic with ``release(..., before_delete=hook)``: the hook replaces the lock after
the last read and before the conditional delete, so only the server-side condition can save it.
"""

from __future__ import annotations

import json
import socket
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from locks_support import REGION, World, lock_info

from popcornctl.aws import Clients
from popcornctl.config import BackendSettings
from popcornctl.errors import PopcornError
from popcornctl.locks import HeldLock, describe_lock_error, locks_of_stack, read_locks, release
from popcornctl.target import Target

pytestmark = pytest.mark.sandbox

DEV = "envs/dev"


def test_moto_enforces_if_match_on_delete_object(world: World) -> None:
    s3 = world.s3
    s3.put_object(Bucket=world.bucket, Key="k.tflock", Body=b"one")
    etag = s3.head_object(Bucket=world.bucket, Key="k.tflock")["ETag"]
    s3.put_object(Bucket=world.bucket, Key="k.tflock", Body=b"two")  # replaced: new ETag
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=world.bucket, Key="k.tflock", IfMatch=etag)
    assert exc.value.response["Error"]["Code"] == "PreconditionFailed"
    assert s3.get_object(Bucket=world.bucket, Key="k.tflock")["Body"].read() == b"two"
    current = s3.head_object(Bucket=world.bucket, Key="k.tflock")["ETag"]
    s3.delete_object(Bucket=world.bucket, Key="k.tflock", IfMatch=current)
    assert "Contents" not in s3.list_objects_v2(Bucket=world.bucket)


def test_moto_enforces_condition_expression_on_delete_item(world: World) -> None:
    world.ddb.put_item(TableName=world.table, Item={"LockID": {"S": "x"}, "Info": {"S": "new"}})
    with pytest.raises(ClientError) as exc:
        world.ddb.delete_item(TableName=world.table, Key={"LockID": {"S": "x"}}, ConditionExpression="#i = :v",
                              ExpressionAttributeNames={"#i": "Info"}, ExpressionAttributeValues={":v": {"S": "old"}})
    assert exc.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert "x" in world.items()


def test_read_locks_both_places_never_the_digest(world: World) -> None:
    world.put_state(DEV)
    both = lock_info(who="alice@laptop")
    world.put_item_lock(DEV, both)
    world.put_lockfile(DEV, both)
    world.put_lockfile("global/ecr", lock_info(who="bob@ci"))
    world.put_item_lock("retired/stack", lock_info(who="carol@old"))  # a stack no longer in the tree
    world.ddb.put_item(TableName=world.table, Item={"LockID": {"S": "other-bucket/x/terraform.tfstate"},
                                              "Info": {"S": json.dumps(lock_info())}})
    clients = world.clients()
    locks = read_locks(clients, world.backend, [DEV, "global/ecr", "envs/prod"])
    assert [(h.stack, h.where, h.who) for h in locks] == [
        (DEV, "dynamodb", "alice@laptop"), (DEV, "s3", "alice@laptop"), ("global/ecr", "s3", "bob@ci"),
    ]
    dev_ddb, dev_s3 = locks[0], locks[1]
    assert dev_ddb.lock_id == dev_s3.lock_id == both["ID"]
    assert dev_ddb.key == f"{world.bucket}/{DEV}/terraform.tfstate" and dev_s3.key == f"{DEV}/terraform.tfstate.tflock"
    assert dev_s3.etag and dev_ddb.version == "1.15.5" and dev_ddb.age is not None
    everything = read_locks(clients, world.backend, None)
    assert {(h.stack, h.where) for h in everything} == {
        (DEV, "dynamodb"), (DEV, "s3"), ("global/ecr", "s3"), ("retired/stack", "dynamodb"),
    }
    assert not any(h.key.endswith("-md5") for h in everything)
    assert locks_of_stack(clients, world.backend, "envs/prod") == []


def test_release_dynamodb_lock_keeps_the_digest(world: World) -> None:
    world.put_state(DEV)
    world.put_item_lock(DEV, lock_info())
    digest_before = world.items()[world.backend.lock_id(DEV) + "-md5"]
    clients = world.clients()
    (lock,) = read_locks(clients, world.backend, [DEV])
    result = release(clients, lock)
    assert result.outcome == "released" and result.now_held is None
    assert set(world.items()) == {world.backend.lock_id(DEV) + "-md5"}
    assert world.items()[world.backend.lock_id(DEV) + "-md5"] == digest_before


def test_release_lockfile_keeps_the_state(world: World) -> None:
    world.put_state(DEV)
    world.put_lockfile(DEV, lock_info())
    state_before = world.objects()[f"{DEV}/terraform.tfstate"]
    clients = world.clients()
    (lock,) = read_locks(clients, world.backend, [DEV])
    assert release(clients, lock).outcome == "released"
    assert world.objects() == {f"{DEV}/terraform.tfstate": state_before}
    assert world.backend.lock_id(DEV) + "-md5" in world.items()


def test_dynamodb_lock_replaced_between_read_and_delete_is_not_deleted(world: World) -> None:
    world.put_state(DEV)
    world.put_item_lock(DEV, lock_info(who="stale@gone"))
    clients = world.clients()
    (shown,) = read_locks(clients, world.backend, [DEV])
    fresh = lock_info(who="colleague@live", age=timedelta(0))

    def retake(lock: HeldLock) -> None:  # the stale holder's lock vanishes and a live run takes a new one
        world.ddb.delete_item(TableName=world.table, Key={"LockID": {"S": lock.key}})
        world.put_item_lock(DEV, fresh)

    result = release(clients, shown, before_delete=retake)
    assert result.outcome == "changed"
    assert result.now_held is not None and result.now_held.lock_id == fresh["ID"]
    items = world.items()
    assert json.loads(items[world.backend.lock_id(DEV)]["Info"]["S"])["ID"] == fresh["ID"]
    assert world.backend.lock_id(DEV) + "-md5" in items


def test_lockfile_replaced_between_read_and_delete_is_not_deleted(world: World) -> None:
    """The re-read before the delete still sees the shown lock; only IfMatch stops the delete."""
    world.put_lockfile(DEV, lock_info(who="stale@gone"))
    clients = world.clients()
    (shown,) = read_locks(clients, world.backend, [DEV])
    fresh = lock_info(who="colleague@live")
    def retake(lock: HeldLock) -> None:  # after the re-read, before the conditional delete
        world.put_lockfile(DEV, fresh)

    result = release(clients, shown, before_delete=retake)
    assert result.outcome == "changed"
    assert result.now_held is not None and result.now_held.who == "colleague@live"
    assert json.loads(world.objects()[f"{DEV}/terraform.tfstate.tflock"])["ID"] == fresh["ID"]


def test_lockfile_replaced_before_release_is_caught_by_the_re_read(world: World) -> None:
    world.put_lockfile(DEV, lock_info(who="stale@gone"))
    clients = world.clients()
    (shown,) = read_locks(clients, world.backend, [DEV])
    world.put_lockfile(DEV, lock_info(who="colleague@live"))
    called: list[HeldLock] = []
    result = release(clients, shown, before_delete=called.append)
    assert result.outcome == "changed" and called == []  # refused before any delete was attempted
    assert f"{DEV}/terraform.tfstate.tflock" in world.objects()


def test_already_released_locks_are_reported_not_deleted(world: World) -> None:
    info = lock_info()
    world.put_item_lock(DEV, info)
    world.put_lockfile(DEV, info)
    clients = world.clients()
    shown = read_locks(clients, world.backend, [DEV])
    world.ddb.delete_item(TableName=world.table, Key={"LockID": {"S": world.backend.lock_id(DEV)}})
    world.s3.delete_object(Bucket=world.bucket, Key=f"{DEV}/terraform.tfstate.tflock")
    assert [release(clients, lock).outcome for lock in shown] == ["already-gone", "already-gone"]


def test_malformed_info_is_listed_unreadable_and_released_by_exact_bytes(world: World) -> None:
    world.put_state(DEV)
    world.put_item_lock(DEV, '{"ID": "half-writt')
    world.put_lockfile(DEV, "\x00garbage")
    clients = world.clients()
    locks = read_locks(clients, world.backend, [DEV])
    locks.sort(key=lambda h: h.where)
    assert [(h.where, h.unreadable) for h in locks] == [("dynamodb", True), ("s3", True)]
    assert all(h.lock_id.startswith("unreadable-") for h in locks)
    assert locks[0].age is None and locks[1].age is not None  # the lockfile's age from its LastModified
    assert [release(clients, lock).outcome for lock in locks] == ["released", "released"]
    assert set(world.items()) == {world.backend.lock_id(DEV) + "-md5"}


def test_describe_lock_error_reads_the_current_holder(world: World) -> None:
    info = lock_info(who="dave@ci")
    world.put_item_lock(DEV, info)
    output = f"Error: Error acquiring the state lock\n\nLock Info:\n  ID:        {info['ID']}\n  Who:       x@y\n"
    state = describe_lock_error(output, stack=DEV, clients=world.clients(), backend=world.backend)
    assert state is not None and state.who == "dave@ci" and state.lock_id == info["ID"]
    assert state.operation == "apply" and state.age.startswith("2h") and len(state.held) == 1
    assert f"--lock-id {info['ID']}" in state.fix


# -- errors: one line naming what is missing ---------------------------------------------------------
def test_missing_table(world: World) -> None:
    backend = BackendSettings(bucket=world.bucket, lock_table="no-such-table", region=REGION)
    with pytest.raises(PopcornError) as exc:
        read_locks(world.clients(), backend, [DEV])
    assert "lock table 'no-such-table' does not exist" in exc.value.line()


def test_missing_bucket(world: World) -> None:
    backend = BackendSettings(bucket="no-such-bucket", lock_table=world.table, region=REGION)
    with pytest.raises(PopcornError) as exc:
        read_locks(world.clients(), backend, [DEV])
    assert "state bucket 'no-such-bucket' does not exist" in exc.value.line()
    with pytest.raises(PopcornError, match="state bucket 'no-such-bucket' does not exist"):
        read_locks(world.clients(), backend, None)


def test_emulator_down() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    clients = Clients(Target(REGION, f"http://127.0.0.1:{port}"), max_attempts=1)
    with pytest.raises(PopcornError) as exc:
        read_locks(clients, BackendSettings(bucket="b", lock_table="t", region=REGION), [DEV])
    assert exc.value.line().startswith(f"cannot reach sandbox at 127.0.0.1:{port}")
    assert "popcornctl sandbox start" in exc.value.line()


def test_access_denied(world: World) -> None:
    """moto does not enforce IAM by default: the denial is stubbed with botocore's Stubber."""
    clients = world.clients()
    ddb: Any = clients.client("dynamodb")
    with Stubber(ddb) as stub:
        stub.add_client_error("get_item", service_error_code="AccessDeniedException",
                              service_message="not authorized to perform: dynamodb:GetItem", http_status_code=400)
        with pytest.raises(PopcornError) as exc:
            read_locks(clients, world.backend, [DEV])
    line = exc.value.line()
    assert f"no permission to read the lock table on dynamodb table '{world.table}'" in line
    assert "dynamodb:GetItem" in line and "\n" not in line


def test_backend_in_another_region_than_the_project(world: World) -> None:
    """The lock table lives in the backend's region: reads and releases go there, whatever the target's."""
    world.put_item_lock(DEV, lock_info())
    elsewhere = Clients(Target("us-east-1", world.endpoint))
    (lock,) = read_locks(elsewhere, world.backend, [DEV])
    assert lock.region == REGION and lock.where == "dynamodb"
    assert release(elsewhere, lock).outcome == "released"
    assert world.items() == {}
