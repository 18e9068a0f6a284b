"""Helpers for the locks room's tests: a state bucket + lock table on the emulator, seeded locks, a tiny repo."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import boto3

from popcornctl.aws import Clients
from popcornctl.config import BackendSettings
from popcornctl.target import Target

REGION = "ap-northeast-2"


def lock_info(
    *, lock_id: str | None = None, who: str = "alice@laptop", age: timedelta = timedelta(hours=2),
    operation: str = "OperationTypeApply", path: str = "", now: datetime | None = None,
) -> dict[str, str]:
    """A lock Info object as Terraform writes it (Created in RFC 3339 with nanoseconds)."""
    created = (now or datetime.now(UTC)) - age
    return {
        "ID": lock_id or str(uuid.uuid4()),
        "Operation": operation,
        "Info": "",
        "Who": who,
        "Version": "1.15.5",
        "Created": created.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z",
        "Path": path,
    }


@dataclass
class World:
    """The emulator with a state bucket and a lock table, and ways to seed what Terraform would write."""

    endpoint: str
    backend: BackendSettings

    @property
    def bucket(self) -> str:
        return self.backend.bucket

    @property
    def table(self) -> str:
        return self.backend.lock_table

    @property
    def target(self) -> Target:
        return Target(REGION, self.endpoint)

    @cached_property
    def _clients(self) -> Clients:
        return Clients(self.target)

    def clients(self) -> Clients:
        """popcornctl's client factory aimed at this emulator (one per world: client creation is slow)."""
        return self._clients

    @cached_property
    def s3(self) -> Any:
        return boto3.client("s3", **self.target.boto3_kwargs())  # type: ignore[call-overload]

    @cached_property
    def ddb(self) -> Any:
        return boto3.client("dynamodb", **self.target.boto3_kwargs())  # type: ignore[call-overload]

    def create(self) -> None:
        self.s3.create_bucket(Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        self.ddb.create_table(
            TableName=self.table,
            KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )

    def put_item_lock(self, stack: str, info: dict[str, str] | str) -> str:
        raw = info if isinstance(info, str) else json.dumps(info)
        self.ddb.put_item(
            TableName=self.table, Item={"LockID": {"S": self.backend.lock_id(stack)}, "Info": {"S": raw}}
        )
        return raw

    def put_lockfile(self, stack: str, info: dict[str, str] | str) -> str:
        raw = info if isinstance(info, str) else json.dumps(info)
        self.s3.put_object(Bucket=self.bucket, Key=self.backend.key_for(stack) + ".tflock", Body=raw.encode())
        return raw

    def put_state(self, stack: str, serial: int = 7) -> None:
        """A state object and its digest item, as Terraform leaves them after an apply."""
        import hashlib

        body = json.dumps({"version": 4, "serial": serial, "lineage": "l", "resources": []}).encode()
        self.s3.put_object(Bucket=self.bucket, Key=self.backend.key_for(stack), Body=body)
        self.ddb.put_item(
            TableName=self.table,
            Item={"LockID": {"S": self.backend.lock_id(stack) + "-md5"}, "Digest": {"S": hashlib.md5(body).hexdigest()}},
        )

    def items(self) -> dict[str, dict[str, Any]]:
        return {i["LockID"]["S"]: i for i in self.ddb.scan(TableName=self.table, ConsistentRead=True)["Items"]}

    def objects(self) -> dict[str, bytes]:
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])]
        return {k: self.s3.get_object(Bucket=self.bucket, Key=k)["Body"].read() for k in keys}


def new_world(endpoint: str) -> World:
    """A state bucket and a lock table with names of their own on the emulator at ``endpoint``."""
    suffix = uuid.uuid4().hex[:10]
    w = World(endpoint, BackendSettings(bucket=f"state-{suffix}", lock_table=f"locks-{suffix}", region=REGION))
    w.create()
    return w


POPCORN_TOML = """
[project]
name = "locks-test"
region = "ap-northeast-2"

[backend]
bucket = "{bucket}"
lock_table = "{table}"
use_lockfile = {use_lockfile}
encrypt = true
bootstrap_stack = "bootstrap"

[dependencies]
"envs/dev" = ["global/ecr"]

[environments.dev]
stack = "envs/dev"
"""


def make_repo(
    root: Path, backend: BackendSettings, *, use_lockfile: bool = True, stack_tf: str | None = None
) -> Path:
    """A minimal repository: popcorn.toml, envs/dev (depends on global/ecr), global/ecr."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "popcorn.toml").write_text(
        POPCORN_TOML.format(bucket=backend.bucket, table=backend.lock_table, use_lockfile=str(use_lockfile).lower())
    )
    for stack in ("envs/dev", "global/ecr"):
        (root / stack).mkdir(parents=True, exist_ok=True)
        (root / stack / "main.tf").write_text(stack_tf or 'resource "terraform_data" "x" {}\n')
    return root
