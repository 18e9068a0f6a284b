"""Can one set of security groups reach a port on another? Ingress on the target side, egress on the source side.

Shared by the targets that ask whether the ECS services reach them (``cache``, ``kafka``). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from popcornctl.diagnose.vpc.facts import SecurityGroup
from popcornctl.diagnose.vpc.paths import cidr_covers, peers, reach


@dataclass
class Access:
    """The verdict: what blocks the path (empty when open) and the rules that let it through."""

    problems: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        """True when nothing blocks the path."""
        return not self.problems


def access(
    targets: tuple[SecurityGroup, ...],
    port: int,
    sources: tuple[SecurityGroup, ...],
    source_ids: tuple[str, ...],
    source_cidrs: tuple[str, ...] = (),
    target_cidrs: tuple[str, ...] = (),
) -> Access:
    """Whether members of ``source_ids`` (in ``source_cidrs``) reach TCP ``port`` on members of ``targets``."""
    out = Access()
    ingress = reach(targets, port, list(source_ids), list(source_cidrs))
    out.evidence += ingress.via
    if not ingress.allowed:
        names = ", ".join(g.id for g in targets) or "none"
        out.problems.append(
            f"the security group(s) {names} do not allow {port} from {', '.join(source_ids)}"
            + (f" or from {', '.join(ingress.uncovered_cidrs)}" if ingress.uncovered_cidrs else "")
        )
    if not sources:
        return out
    target_ids = {g.id for g in targets}
    egress = peers(sources, port, direction="egress")
    ok = any(_reaches(p.kind, p.value, p.is_open, target_ids, target_cidrs) for p in egress)
    if ok:
        out.evidence.append(f"egress of {', '.join(g.id for g in sources)} allows {port}")
    else:
        out.problems.append(f"the egress rules of {', '.join(g.id for g in sources)} do not allow {port}")
    return out


def _reaches(kind: str, value: str, is_open: bool, target_ids: set[str], target_cidrs: tuple[str, ...]) -> bool:
    """An egress rule's destination covers the targets: their group, the internet, or all their CIDRs."""
    if kind == "sg":
        return value in target_ids
    covers = bool(target_cidrs) and all(cidr_covers(value, c) for c in target_cidrs)
    return kind == "cidr" and (is_open or covers)
