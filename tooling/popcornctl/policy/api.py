"""The policy authoring API: everything a module under the repository's ``policies/`` folder imports.

A policy is any object with the attributes of :class:`Policy` (``id``, ``title``, ``severity``,
``resource_types``, ``rationale``, ``remediation``) and an ``evaluate(change, context)`` method that
yields :class:`PolicyFinding` objects. The :func:`policy` decorator turns a plain function into one::

    from popcornctl.policy.api import UNKNOWN, Change, Context, Findings, fail, policy, unknown

    @policy(
        id="POP-RDS-002", title="RDS instances are never publicly accessible", severity="critical",
        resource_types=("aws_db_instance",), rationale="...", remediation="Set publicly_accessible = false.",
    )
    def rds_not_public(change: Change, context: Context) -> Findings:
        value = change.get("publicly_accessible")
        if value is UNKNOWN:
            yield unknown("publicly_accessible is known only after apply", attribute="publicly_accessible")
        elif value is True:
            yield fail("publicly_accessible = true", attribute="publicly_accessible")

Values unknown at plan time (``after_unknown``) come back as the :data:`UNKNOWN` sentinel, never as
``None`` or ``False``: a policy cannot mistake "known after apply" for "off". ``UNKNOWN`` refuses to be
used as a boolean, so forgetting to check for it fails loudly instead of passing silently.

Optional policy attributes (read with defaults when absent):

- ``environments`` (tuple of names, default: all) — the policy only applies to plans of these
  environments; when the environment cannot be told the evaluator reports the policy as not evaluated.
- ``evaluates_deletes`` (default False) — also receive pure deletes (``after`` is ``None``).
- ``needs_plan`` (default False) — cannot run from configuration alone (``policy-check DIR``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, TypeVar, runtime_checkable

from popcornctl.policy.values import UNKNOWN, as_list, contains_unknown, merge_unknown, parse_json, walk

# What a module under policies/ imports from here (the value helpers live in popcornctl.policy.values).
__all__ = [
    "UNKNOWN",
    "Change",
    "Context",
    "EvaluateFn",
    "Findings",
    "FunctionPolicy",
    "Policy",
    "PolicyFinding",
    "PolicyStatus",
    "ReferenceIndex",
    "as_list",
    "contains_unknown",
    "fail",
    "merge_unknown",
    "parse_json",
    "policy",
    "same_instances",
    "unknown",
    "unset_default",
    "walk",
]


class PolicyStatus(StrEnum):
    """A policy result's status. A policy yields ``fail`` or ``unknown``; the gate adds the other three."""

    FAIL = "fail"  # the policy is violated
    UNKNOWN = "unknown"  # cannot be decided before apply; blocks only at --fail-on unknown
    ERROR = "error"  # the policy raised: always blocks (the gate fails closed)
    EXPIRED = "expired"  # a waiver past its date: always blocks
    WAIVED = "waived"  # a failure a current waiver covers: never blocks


@dataclass(frozen=True, slots=True)
class PolicyFinding:
    """What a policy yields: a failure, or a check that cannot be decided until apply."""

    message: str
    status: PolicyStatus = PolicyStatus.FAIL
    attribute: str | None = None
    address: str | None = None  # only to attach the finding to another resource than the one evaluated


Findings = Iterator[PolicyFinding]
T = TypeVar("T")


def fail(message: str, *, attribute: str | None = None, address: str | None = None) -> PolicyFinding:
    """A violation of the policy."""
    return PolicyFinding(message=message, status=PolicyStatus.FAIL, attribute=attribute, address=address)


def unknown(message: str, *, attribute: str | None = None, address: str | None = None) -> PolicyFinding:
    """The policy cannot decide before apply ("unknown until apply"); never blocks the gate."""
    return PolicyFinding(message=message, status=PolicyStatus.UNKNOWN, attribute=attribute, address=address)


# -- what a policy sees ------------------------------------------------------------------------------

_REPLACE = (("delete", "create"), ("create", "delete"))


class Change:
    """One entry of the plan's ``resource_changes``, with helpers that understand unknown values."""

    __slots__ = (
        "_config_address",
        "action_reason",
        "actions",
        "address",
        "after",
        "after_unknown",
        "before",
        "index",
        "mode",
        "module_address",
        "name",
        "raw",
        "replace_paths",
        "stack",
        "type",
    )

    def __init__(self, raw: Mapping[str, Any], *, stack: str | None = None) -> None:
        change = raw.get("change") or {}
        self.raw = raw
        self.address: str = str(raw.get("address", ""))
        self.type: str = str(raw.get("type", ""))
        self.name: str = str(raw.get("name", ""))
        self.mode: str = str(raw.get("mode", "managed"))
        self.module_address: str | None = raw.get("module_address")
        self.index: Any = raw.get("index")
        self.actions: tuple[str, ...] = tuple(change.get("actions") or ())
        self.before: dict[str, Any] | None = change.get("before")
        self.after: dict[str, Any] | None = change.get("after")
        self.after_unknown: dict[str, Any] = change.get("after_unknown") or {}
        self.action_reason: str | None = raw.get("action_reason")
        self.replace_paths: list[Any] = change.get("replace_paths") or []
        self.stack = stack
        self._config_address: str | None = None

    def __repr__(self) -> str:
        return f"Change({self.address!r}, {list(self.actions)})"

    # -- actions --
    @property
    def is_create(self) -> bool:
        """A new resource (not a replacement)."""
        return self.actions == ("create",)

    @property
    def is_update(self) -> bool:
        """Changed in place."""
        return self.actions == ("update",)

    @property
    def is_delete(self) -> bool:
        """Destroyed and not recreated."""
        return self.actions == ("delete",)

    @property
    def is_replace(self) -> bool:
        """Destroyed and recreated (either order)."""
        return self.actions in _REPLACE

    @property
    def is_noop(self) -> bool:
        """Left as it is."""
        return self.actions == ("no-op",)

    @property
    def destroys(self) -> bool:
        """The existing object is destroyed: a delete or a replace."""
        return "delete" in self.actions

    @property
    def exists_after(self) -> bool:
        """The resource exists once the plan is applied."""
        return self.after is not None and not self.is_delete and "forget" not in self.actions

    @property
    def config_address(self) -> str:
        """The address without instance keys: ``module.a["x"].aws_s3_bucket.b[0]`` → ``module.a.aws_s3_bucket.b``."""
        if self._config_address is None:
            from popcornctl.policy.addresses import config_address

            self._config_address = config_address(self.address)
        return self._config_address

    # -- values --
    def get(self, path: str | Sequence[str | int], default: Any = None) -> Any:
        """The planned value at ``path`` (``"metadata_options.0.http_tokens"``), :data:`UNKNOWN`, or ``default``."""
        value = walk(self.after, self.after_unknown, path)
        return default if value is None else value

    def before_get(self, path: str | Sequence[str | int], default: Any = None) -> Any:
        """The value at ``path`` before the change (``default`` when there was no object)."""
        value = walk(self.before, None, path)
        return default if value is None else value

    def is_unknown(self, path: str | Sequence[str | int]) -> bool:
        """True when the value at ``path`` is known only after apply."""
        return self.get(path) is UNKNOWN

    def json(self, path: str | Sequence[str | int]) -> Any:
        """A JSON-string attribute parsed (UNKNOWN when unknown, None when absent or not JSON)."""
        return parse_json(self.get(path))

    def tags(self) -> Any:
        """``tags_all`` (what AWS will get, default tags included), falling back to ``tags``."""
        tags = self.get("tags_all")
        return self.get("tags") if tags is None else tags


class ReferenceIndex(Protocol):
    """How a context answers "what does this attribute refer to" (plan configuration or static HCL)."""

    def references(self, change: Change, attribute: str) -> frozenset[str]: ...

    def configured(self, change: Change, attribute: str) -> bool | None: ...


# reference target -> depth of the module path shared with the referrer -> those instance keys -> referrers
ReferrerTable = dict[str, dict[int, dict[tuple[tuple[str, str], ...], list[Change]]]]


@dataclass
class Context:
    """The plan a change belongs to: environment, every other change, and configuration references."""

    changes: list[Change]
    environment: str | None = None
    environment_source: str = "unknown"
    # "environment": the plan is one environment's stack; "shared": a stack every environment uses (bootstrap,
    # global/*), whose `environment` is its own scope (e.g. "global"), never the run's --env.
    scope: str = "environment"
    variables: dict[str, Any] = field(default_factory=dict)
    state_bucket: str | None = None
    lock_table: str | None = None
    static: bool = False  # True for `policy-check DIR`: values come from configuration, not a plan
    index: ReferenceIndex | None = None
    data_sources: dict[str, Any] = field(default_factory=dict)  # data address -> values (or UNKNOWN)
    _by_type: dict[str, list[Change]] = field(default_factory=dict, init=False, repr=False)
    _referrers: dict[tuple[str, str], ReferrerTable] = field(default_factory=dict, init=False, repr=False)
    _of_type: dict[tuple[tuple[str, ...], bool], list[Change]] = field(default_factory=dict, init=False, repr=False)
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for change in self.changes:
            self._by_type.setdefault(change.type, []).append(change)

    def of_type(self, *types: str, existing: bool = True) -> list[Change]:
        """Changes of these resource types (only resources that exist after apply, unless ``existing=False``)."""
        key = (types, existing)
        if key not in self._of_type:
            out: list[Change] = []
            for rtype in types:
                out.extend(c for c in self._by_type.get(rtype, ()) if c.exists_after or not existing)
            self._of_type[key] = out
        return self._of_type[key]

    def once(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` the first time ``key`` is asked for in this plan, the remembered value after that.

        For plan-wide facts a policy needs for every resource (e.g. which security groups belong to load
        balancers): computing them per resource would make a 5,000-resource plan quadratic.
        """
        if key not in self._memo:
            self._memo[key] = compute()
        value: T = self._memo[key]
        return value

    def references(self, change: Change, attribute: str) -> frozenset[str]:
        """Configuration addresses (``module.x.aws_vpc.this``) the expression of ``attribute`` refers to."""
        return self.index.references(change, attribute) if self.index is not None else frozenset()

    def configured(self, change: Change, attribute: str) -> bool | None:
        """True when the configuration sets ``attribute`` (None when the plan carries no configuration)."""
        return self.index.configured(change, attribute) if self.index is not None else None

    def referrers(self, target: Change, rtype: str, attribute: str) -> list[Change]:
        """Changes of ``rtype`` whose ``attribute`` refers to ``target`` (by reference, or by known id/name).

        ``for_each``/``count`` instances are kept apart: a referrer in ``module.svc["api"]`` never counts for a
        target in ``module.svc["worker"]``. Indexed once per (type, attribute), so each lookup is a few dict hits.
        """
        key = (rtype, attribute)
        if key not in self._referrers:
            self._referrers[key] = self._referrer_table(rtype, attribute)
        table = self._referrers[key]
        found: list[Change] = []
        instances = _module_instances(target.address)
        for depth, groups in table.get(target.config_address, {}).items():
            found.extend(groups.get(instances[:depth], ()))
        values = table.get("values", {}).get(0, {})
        for ident in ("id", "bucket", "arn"):
            value = target.get(ident)
            if isinstance(value, str) and value:
                found.extend(c for c in values.get((("value", value),), ()) if c not in found)
        return found

    def _referrer_table(self, rtype: str, attribute: str) -> ReferrerTable:
        # reference target -> depth of the module path shared with the referrer -> those instance keys -> referrers
        table: ReferrerTable = {}
        for other in self.of_type(rtype):
            mine = _module_instances(other.address)
            for ref in self.references(other, attribute):
                names = _module_instances(ref)
                depth = 0
                while depth < min(len(mine), len(names)) and mine[depth][0] == names[depth][0]:
                    depth += 1
                table.setdefault(ref, {}).setdefault(depth, {}).setdefault(mine[:depth], []).append(other)
            value = other.get(attribute)
            if isinstance(value, str) and value:
                table.setdefault("values", {}).setdefault(0, {}).setdefault((("value", value),), []).append(other)
        return table

    def data(self, address: str) -> Any:
        """Values of a data source (``data.aws_iam_policy_document.x``), UNKNOWN if read at apply, else None."""
        return self.data_sources.get(address)

    def data_for(self, change: Change, reference: str) -> Any:
        """Values of data source ``reference`` (a configuration address from :meth:`references`), taken from
        the module instance ``change`` lives in; None when the plan does not hold it."""
        from popcornctl.policy.addresses import config_address

        matches = [a for a in self.data_sources if config_address(a) == reference]
        if not matches:
            return None
        prefix = f"{change.module_address}." if change.module_address else ""
        same = [a for a in matches if a.startswith(prefix)] if prefix else matches
        return self.data_sources[(same or matches)[0]]


def _module_instances(address: str) -> tuple[tuple[str, str], ...]:
    """``(call name, instance key)`` of each module an address sits in (``()`` for the root module)."""
    from popcornctl.policy.addresses import parse_address

    parsed = parse_address(address)
    return parsed.modules if parsed else ()


def same_instances(a: str, b: str) -> bool:
    """False when two addresses sit in different instances of a module they share.

    ``module.svc["api"].aws_s3_bucket_public_access_block.this`` and
    ``module.svc["worker"].module.bucket.aws_s3_bucket.this`` share ``module.svc`` with different keys.
    """
    from popcornctl.policy.addresses import parse_address

    pa, pb = parse_address(a), parse_address(b)
    if pa is None or pb is None:
        return True
    for (name_a, key_a), (name_b, key_b) in zip(pa.modules, pb.modules, strict=False):
        if name_a != name_b:
            return True
        if key_a != key_b:
            return False
    return True


def unset_default(change: Change, context: Context, attribute: str) -> bool:
    """True when ``attribute`` is unknown only because the configuration leaves it to a provider default."""
    return change.get(attribute) is UNKNOWN and context.configured(change, attribute) is False


EvaluateFn = Callable[[Change, Context], Iterable[PolicyFinding]]


@runtime_checkable
class Policy(Protocol):
    """What every policy object provides (see the module docstring for the optional attributes)."""

    id: str  # POP-<AREA>-<nnn>, e.g. POP-RDS-001
    title: str  # one line: what must hold
    severity: str  # a rated Severity: critical | high | medium | low
    resource_types: tuple[str, ...]  # Terraform types it evaluates; ("*",) for every type
    rationale: str  # why it matters for this platform
    remediation: str  # what to change

    def evaluate(self, change: Change, context: Context) -> Iterable[PolicyFinding]: ...


@dataclass(frozen=True)
class FunctionPolicy:
    """A policy made from a function by :func:`policy`."""

    id: str
    title: str
    severity: str
    resource_types: tuple[str, ...]
    rationale: str
    remediation: str
    fn: EvaluateFn
    environments: tuple[str, ...] = ()
    evaluates_deletes: bool = False
    needs_plan: bool = False

    def evaluate(self, change: Change, context: Context) -> Iterable[PolicyFinding]:
        """Run the wrapped function."""
        return self.fn(change, context)


def policy(
    *,
    id: str,
    title: str,
    severity: str,
    resource_types: Sequence[str],
    rationale: str,
    remediation: str,
    environments: Sequence[str] = (),
    evaluates_deletes: bool = False,
    needs_plan: bool = False,
) -> Callable[[EvaluateFn], FunctionPolicy]:
    """Decorator: a function ``(change, context) -> findings`` becomes a policy object."""

    def wrap(fn: EvaluateFn) -> FunctionPolicy:
        return FunctionPolicy(
            id=id,
            title=title,
            severity=severity,
            resource_types=tuple(resource_types),
            rationale=rationale,
            remediation=remediation,
            fn=fn,
            environments=tuple(environments),
            evaluates_deletes=evaluates_deletes,
            needs_plan=needs_plan,
        )

    return wrap
