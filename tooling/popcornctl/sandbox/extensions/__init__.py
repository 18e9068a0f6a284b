"""Emulator extensions: what moto lacks or reads back differently from AWS, and where AWS is stricter.

The sandbox serves moto. Where moto is missing an operation our stacks call, reads a value back differently from
AWS (so a second plan shows changes nobody made), or accepts a request AWS rejects (so a defect in our HCL would
pass the sandbox and fail on AWS), an extension in this package patches moto's backend or response classes in the
emulator's process before it serves its first request.

One module per service, one small unit per extension, registered with :func:`extension` (the way ``@policy``
registers policies and ``@check`` registers diagnose checks). Each extension says which moto version lacks it, so
it can be offered upstream and dropped once moto has it; the moto range they are tested with is pinned in
``pyproject.toml``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What an extension adds to the emulator."""

    OPERATION = "operation"  # an API operation moto does not implement (or implements wrongly)
    READBACK = "read-back"  # a value moto stores or returns differently from AWS
    STRICT = "strict"  # a request AWS rejects and moto accepts: rejected with AWS's code and message


@dataclass(frozen=True)
class Extension:
    """One registered extension and the metadata beside it."""

    id: str  # "<service>.<what>", e.g. "elasticache.parameter_groups"
    kind: Kind
    summary: str  # one line: what AWS does that moto does not
    moto_lacks: str  # the moto version(s) measured without it, e.g. "5.2.5"
    install: Callable[[], None]  # patches moto in this process; must be safe to call once per process


_REGISTRY: dict[str, Extension] = {}
_INSTALLED: set[str] = set()


Installer = Callable[[], None]


def extension(id: str, *, kind: Kind, summary: str, moto_lacks: str) -> Callable[[Installer], Installer]:
    """Register the decorated ``install()`` function as extension ``id``."""

    def register(install: Installer) -> Installer:
        if id in _REGISTRY:
            raise ValueError(f"sandbox extension {id!r} is registered twice")
        _REGISTRY[id] = Extension(id=id, kind=kind, summary=summary, moto_lacks=moto_lacks, install=install)
        return install

    return register


def registered() -> list[Extension]:
    """Every extension of this package (its modules imported once), ordered by id."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return sorted(_REGISTRY.values(), key=lambda e: e.id)


def install_all() -> list[str]:
    """Install every registered extension into moto in this process (idempotent); return their ids."""
    for ext in registered():
        if ext.id not in _INSTALLED:
            ext.install()
            _INSTALLED.add(ext.id)
    return sorted(_INSTALLED)
