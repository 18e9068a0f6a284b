"""Every stack's state as the backend holds it (what ``terraform state pull`` prints), read-only.

The unmanaged inventory compares what AWS holds with what any stack manages, so it needs every stack's state,
including stacks outside the run (another environment, an ``--exclude``d global stack). Reading the state objects
directly (one ``s3:GetObject`` each; the plans need the same permission) needs no Terraform run, so the inventory
runs alongside the plans instead of after them. Only the stable part of the state format (version 4: resources
with mode, type, name, module, instances with index_key and attributes) is read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from popcornctl.errors import PopcornError

if TYPE_CHECKING:
    from popcornctl.aws import Clients
    from popcornctl.config import BackendSettings

_MISSING = {"404", "NoSuchBucket", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class StateInstance:
    """One managed resource instance of a stack's state."""

    stack: str
    address: str
    type: str
    attributes: Mapping[str, Any]


def _index(key: Any) -> str:
    if key is None:
        return ""
    if isinstance(key, int):
        return f"[{key}]"
    return "[" + json.dumps(key) + "]"


def instances(stack: str, state: Mapping[str, Any]) -> Iterator[StateInstance]:
    """The managed resource instances of a state document (format version 4)."""
    for resource in state.get("resources") or []:
        if resource.get("mode", "managed") != "managed":
            continue
        prefix = f"{resource['module']}." if resource.get("module") else ""
        base = f"{prefix}{resource['type']}.{resource['name']}"
        for instance in resource.get("instances") or []:
            if instance.get("deposed"):
                continue
            yield StateInstance(
                stack=stack,
                address=base + _index(instance.get("index_key")),
                type=resource["type"],
                attributes=instance.get("attributes") or {},
            )


def read_states(clients: Clients, backend: BackendSettings, stacks: Iterable[str]) -> dict[str, list[StateInstance]]:
    """Each stack's managed instances; a stack without a state object has none. Errors are one line."""
    from botocore.exceptions import BotoCoreError, ClientError

    s3 = clients.client("s3")
    out: dict[str, list[StateInstance]] = {}
    for stack in stacks:
        key = backend.key_for(stack)
        try:
            body = s3.get_object(Bucket=backend.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in _MISSING:
                out[stack] = []
                continue
            raise PopcornError(
                f"cannot read the state of {stack} (s3://{backend.bucket}/{key}): {exc}",
                "the drift role needs s3:GetObject on the state bucket and kms:Decrypt on its key",
            ) from None
        except BotoCoreError as exc:
            raise PopcornError(f"cannot read the state of {stack}: {exc}", "check credentials and network") from None
        try:
            document = json.loads(body or b"{}")
        except ValueError:
            raise PopcornError(
                f"the state of {stack} (s3://{backend.bucket}/{key}) is not JSON", "check the object in the bucket"
            ) from None
        out[stack] = list(instances(stack, document))
    return out
