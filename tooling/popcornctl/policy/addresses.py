"""Terraform resource addresses: ``module.a["k"].module.b.aws_x.y[0]`` taken apart and put back together."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# One address step: a name, optionally followed by an instance key ([0] or ["key"], with escapes).
_KEY = r'\[(?:\d+|"(?:[^"\\]|\\.)*")\]'
_STEP = re.compile(rf"([A-Za-z0-9_-]+)((?:{_KEY})?)")


@dataclass(frozen=True)
class Address:
    """A parsed resource address."""

    modules: tuple[tuple[str, str], ...]  # (call name, instance key text or "")
    mode: str  # managed | data
    type: str
    name: str
    key: str  # instance key text of the resource, "" when none

    @property
    def module_path(self) -> tuple[str, ...]:
        """Module call names, outermost first (``("a", "b")``)."""
        return tuple(name for name, _ in self.modules)

    @property
    def local(self) -> str:
        """``aws_x.y`` or ``data.aws_x.y``: the address inside its module, without instance key."""
        return f"{'data.' if self.mode == 'data' else ''}{self.type}.{self.name}"

    @property
    def config(self) -> str:
        """The configuration address: every instance key dropped."""
        prefix = "".join(f"module.{name}." for name in self.module_path)
        return prefix + self.local


@lru_cache(maxsize=65536)
def parse_address(address: str) -> Address | None:
    """Parse a resource address; None when it is not one (e.g. a stack-qualified or output address)."""
    pos = 0
    modules: list[tuple[str, str]] = []
    text = address
    while text.startswith("module.", pos):
        match = _STEP.match(text, pos + len("module."))
        if match is None:
            return None
        modules.append((match.group(1), match.group(2)))
        pos = match.end()
        if not text.startswith(".", pos):
            return None
        pos += 1
    mode = "managed"
    if text.startswith("data.", pos):
        mode = "data"
        pos += len("data.")
    rtype = _STEP.match(text, pos)
    if rtype is None or rtype.group(2) or not text.startswith(".", rtype.end()):
        return None
    rname = _STEP.match(text, rtype.end() + 1)
    if rname is None or rname.end() != len(text):
        return None
    return Address(tuple(modules), mode, rtype.group(1), rname.group(1), rname.group(2))


def config_address(address: str) -> str:
    """``module.a["x"].aws_s3_bucket.b[0]`` → ``module.a.aws_s3_bucket.b`` (the address itself if unparsable)."""
    parsed = parse_address(address)
    return parsed.config if parsed else address


def reference_target(reference: str) -> str | None:
    """The resource a reference names: ``aws_vpc.main.id`` → ``aws_vpc.main``; None for var./local./module. etc."""
    head = reference.split("[", 1)[0]
    parts = head.split(".")
    if parts[0] in ("var", "local", "module", "each", "count", "path", "self", "terraform"):
        return None
    if parts[0] == "data":
        return f"data.{parts[1]}.{parts[2]}" if len(parts) >= 3 else None
    return f"{parts[0]}.{parts[1]}" if len(parts) >= 2 else None
