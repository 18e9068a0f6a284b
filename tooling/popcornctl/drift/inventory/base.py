"""The inventory's vocabulary: a cloud resource and its identities, the platform's scope, and the lister protocol.

A resource is known by **keys**, ``service:resource`` strings taken from its ARN without partition, region and
account (``ec2:security-group/sg-0abc``, ``logs:log-group:/aws/ecs/x``), or made up the same way for objects AWS
gives no ARN (``ec2:route/rtb-1/0.0.0.0/0``). A stack's state **claims** keys (:mod:`.claims`); a listed resource
none of whose keys is claimed is unmanaged.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from popcornctl.aws import Clients

# EC2 ids by prefix → the resource type word of their ARN (ec2:<word>/<id>).
EC2_ID_WORDS = {
    "sg": "security-group", "sgr": "security-group-rule", "subnet": "subnet", "rtb": "route-table",
    "acl": "network-acl", "nat": "natgateway", "eipalloc": "elastic-ip", "vpce": "vpc-endpoint",
    "igw": "internet-gateway", "i": "instance", "vol": "volume", "vpc": "vpc", "lt": "launch-template",
    "fl": "vpc-flow-log", "eni": "network-interface", "dopt": "dhcp-options", "eigw": "egress-only-internet-gateway",
}
_EC2_ID = re.compile(r"^(?P<prefix>[a-z]+)-[0-9a-f]{8,17}$")
_ARN = re.compile(r"^arn:[a-z-]+:(?P<service>[a-z0-9-]+):[a-z0-9-]*:\d*:(?P<resource>.+)$")


def arn_key(arn: str) -> str | None:
    """The key of an ARN (``arn:aws:ec2:r:1:subnet/subnet-1`` → ``ec2:subnet/subnet-1``); None if not an ARN."""
    match = _ARN.match(arn)
    if not match:
        return None
    resource = match["resource"].removesuffix(":*")  # log groups are also written with a trailing :*
    return f"{match['service']}:{resource}"


def ec2_key(value: str) -> str | None:
    """The key of an EC2 id (``sg-0abc`` → ``ec2:security-group/sg-0abc``); None for anything else."""
    match = _EC2_ID.match(value)
    if not match or match["prefix"] not in EC2_ID_WORDS:
        return None
    return f"ec2:{EC2_ID_WORDS[match['prefix']]}/{value}"


def key_of(value: str) -> str | None:
    """The key of an ARN or an EC2 id."""
    return arn_key(value) or ec2_key(value)


@dataclass
class CloudResource:
    """A resource found in AWS."""

    type: str  # the Terraform type that would manage it
    id: str
    key: str  # the primary key (see the module docstring); two findings with one key are one resource
    found_by: list[str]
    keys: set[str] = field(default_factory=set)  # other identities a state may claim it by
    arn: str | None = None
    name: str | None = None
    detail: str | None = None
    parent: str | None = None  # key of the managed resource it belongs to (a rule's security group)
    tags: dict[str, str] = field(default_factory=dict)

    def identities(self) -> set[str]:
        """Every key it is known by."""
        return {self.key, *self.keys}


@dataclass
class Scope:
    """What "the platform" means for one environment: its tags, its VPCs, its name prefix, its managed parents."""

    project: str
    environments: frozenset[str]  # Environment tag values of the run's stacks (the env, "global")
    name_prefix: str  # "goorm-popcorn-dev"
    vpc_ids: frozenset[str]
    security_groups: frozenset[str]  # managed security-group ids in the platform's VPCs
    route_tables: frozenset[str]  # managed route-table ids
    roles: frozenset[str]  # managed IAM role names of the platform
    clusters: frozenset[str]  # managed ECS cluster ARNs

    def tagged_in_scope(self, tags: dict[str, str]) -> bool:
        """True when the tags say the platform's project and one of the run's environments."""
        return tags.get("Project") == self.project and tags.get("Environment") in self.environments

    def named_in_scope(self, name: str | None) -> bool:
        """True when a name carries the environment's prefix as a whole word (goorm-popcorn-dev-…, /…/goorm-…)."""
        if not name:
            return False
        return re.search(rf"(^|[/:]){re.escape(self.name_prefix)}($|[-/_.:])", name) is not None


class ApiCounter:
    """Counts the AWS calls the listers make (pages included), thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0

    def add(self, n: int = 1) -> None:
        """Count ``n`` calls."""
        with self._lock:
            self.calls += n


@dataclass
class ListContext:
    """What a lister gets: the scope, the clients, a call counter."""

    scope: Scope
    clients: Clients
    counter: ApiCounter

    def pages(self, service: str, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
        """Every item under ``key`` of every page of ``operation`` (each page counted as one call)."""
        client = self.clients.client(service)
        if client.can_paginate(operation):
            for page in client.get_paginator(operation).paginate(**kwargs):
                self.counter.add()
                yield from page.get(key) or []
            return
        self.counter.add()
        yield from getattr(client, operation)(**kwargs).get(key) or []


class Lister(Protocol):
    """Finds one kind of platform resource in AWS. Registered with :func:`lister`."""

    # The Terraform resource type of what it lists (the type a stack would manage it with).
    type: str

    # How it finds them, one line for the coverage table (docs/DRIFT.md and the JSON report).
    how: str

    # The platform's resources of this kind (AWS errors propagate; the inventory records them per lister).
    def list(self, ctx: ListContext) -> Iterable[CloudResource]: ...


LISTERS: list[Lister] = []
L = TypeVar("L")


def lister(cls: Callable[[], L]) -> Callable[[], L]:
    """Register a lister class (instantiated once, in registration order)."""
    LISTERS.append(cls())  # type: ignore[arg-type]
    return cls


def tags_of(items: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    """``[{"Key": k, "Value": v}]`` (any capitalisation) as a dict."""
    out: dict[str, str] = {}
    for item in items or []:
        key = item.get("Key", item.get("key"))
        if key is not None:
            out[str(key)] = str(item.get("Value", item.get("value", "")))
    return out
