"""Checks and where they are found: the ``@check`` decorator and the registry that discovers them.

A check is a pure function of one subject's facts (an ECS service, an RDS instance, ...) that returns
findings. Its metadata sits beside it, as for policies::

    @check("ecs.service.deployment", kind="ecs-service", order=30, title="deployment and rollout state",
           looks_at="DescribeServices deployments, rolloutState, the circuit-breaker events",
           findings=("service.deployment",), ok=..., warn=..., fail=...)
    def deployment(subject: ServiceSubject) -> list[Finding]: ...

Every module of ``popcornctl.diagnose.<target>.checks`` is imported when a target's checks are first asked
for, so adding a module is all it takes to add checks. ``docs/DIAGNOSE.md`` lists them
(``scripts/gen_diagnose_doc.py``).
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from popcornctl.diagnose.findings import Finding

# the targets of `popcornctl diagnose <target>` and the report kinds (subjects) each produces, in display order
# (``diagnose all`` runs every one of them and has no checks of its own)
TARGETS: dict[str, tuple[str, ...]] = {
    "ecs": ("ecs-cluster", "ecs-service"),
    "rds": ("rds-instance",),
    "alb": ("alb-load-balancer", "alb-target-group"),
    "cache": ("cache-replication-group",),
    "kafka": ("kafka-cluster", "kafka-broker"),
    "network": ("network-vpc",),
}

CheckFn = Callable[[Any], Iterable[Finding]]
F = TypeVar("F", bound=CheckFn)


@dataclass(frozen=True)
class CheckSpec:
    """A registered check and what the documentation says about it."""

    id: str  # "<target>.<name>", e.g. "ecs.service.deployment"
    kind: str  # the subject it judges, e.g. "ecs-service"
    order: int  # checks of a kind run in ascending order; findings keep that order
    title: str  # one line: what it judges
    looks_at: str  # which facts (AWS calls and fields) it reads
    findings: tuple[str, ...]  # the finding ids it may emit (the JSON ``check`` field)
    reads: tuple[str, ...]  # facts it cannot run without; an unreadable one becomes one finding instead
    ok: str
    warn: str
    fail: str
    fn: CheckFn

    @property
    def target(self) -> str:
        """The diagnose target, e.g. "ecs"."""
        return self.id.split(".", 1)[0]


_REGISTRY: dict[str, CheckSpec] = {}
_LOADED: set[str] = set()
_LOCK = threading.Lock()


class RegistryError(Exception):
    """A check declared wrongly (a programming error, caught by the tests)."""


def check(
    id: str,
    *,
    kind: str,
    order: int,
    title: str,
    looks_at: str,
    findings: tuple[str, ...],
    reads: tuple[str, ...] = (),
    ok: str = "",
    warn: str = "",
    fail: str = "",
) -> Callable[[F], F]:
    """Register the decorated function as a check; the function itself is returned unchanged."""

    def register(fn: F) -> F:
        spec = CheckSpec(id, kind, order, title, looks_at, findings, reads, ok, warn, fail, fn)
        _validate(spec)
        existing = _REGISTRY.get(id)
        if existing is not None and existing.fn.__qualname__ != fn.__qualname__:
            raise RegistryError(f"check id {id!r} is registered twice")
        _REGISTRY[id] = spec
        return fn

    return register


def _validate(spec: CheckSpec) -> None:
    target = spec.target
    if target not in TARGETS or spec.kind not in TARGETS[target]:
        raise RegistryError(f"check {spec.id!r}: kind {spec.kind!r} is not a subject of diagnose {target!r}")
    module = getattr(spec.fn, "__module__", "")
    if not module.startswith(f"popcornctl.diagnose.{target}.checks"):
        raise RegistryError(f"check {spec.id!r} must live in popcornctl.diagnose.{target}.checks, not {module}")
    if not spec.findings or not spec.title.strip() or not spec.looks_at.strip():
        raise RegistryError(f"check {spec.id!r} needs findings, a title and what it looks at")


def discover(target: str) -> None:
    """Import every module of the target's ``checks`` package (once)."""
    with _LOCK:
        if target in _LOADED:
            return
        package = importlib.import_module(f"popcornctl.diagnose.{target}.checks")
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
        _LOADED.add(target)


def checks_for(kind: str) -> list[CheckSpec]:
    """The checks of one subject kind, in run order."""
    target = next(t for t, kinds in TARGETS.items() if kind in kinds)
    discover(target)
    return sorted((s for s in _REGISTRY.values() if s.kind == kind), key=lambda s: (s.order, s.id))


def all_checks() -> list[CheckSpec]:
    """Every check of every target, by target, kind and run order."""
    out: list[CheckSpec] = []
    for kinds in TARGETS.values():
        for kind in kinds:
            out.extend(checks_for(kind))
    return out
