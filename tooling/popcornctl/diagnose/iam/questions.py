"""IAM questions and their answers, as typed facts (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from popcornctl.diagnose.facts import arn_name

SIMULATOR = "simulator"
LOCAL = "local"


@dataclass(frozen=True)
class ContextEntry:
    """A condition key value the simulator should assume (SimulatePrincipalPolicy ContextEntries)."""

    key: str  # e.g. "aws:RequestedRegion"
    values: tuple[str, ...]
    type: str = "string"


@dataclass(frozen=True)
class Question:
    """May the role do these actions on these resources, in this context?"""

    role_arn: str
    actions: tuple[str, ...]
    resources: tuple[str, ...] = ("*",)
    context: tuple[ContextEntry, ...] = ()

    @property
    def role_name(self) -> str:
        """The role's name."""
        return arn_name(self.role_arn)


@dataclass(frozen=True)
class Verdict:
    """Which of the asked actions the role may do, and how that was decided."""

    role_name: str
    exists: bool
    allowed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    denied: tuple[str, ...] = ()
    sources: tuple[tuple[str, str], ...] = ()  # (action, policy that allows it)
    method: str = LOCAL  # SIMULATOR or LOCAL
    note: str = ""  # simulator: what limited the answer; local: why the simulator was not used

    @property
    def ok(self) -> bool:
        """True when the role exists and may do every asked action."""
        return self.exists and not self.missing and not self.denied

    @property
    def how(self) -> str:
        """One evidence line saying how the answer was reached (the findings always say which method)."""
        if self.method == SIMULATOR:
            line = "IAM answer from the AWS policy simulator (iam:SimulatePrincipalPolicy)"
        else:
            line = (
                "IAM answer from popcornctl's local reading of the role's policies (conditions and resource scopes "
                "are not evaluated, nor permissions boundaries)"
            )
        return f"{line}: {self.note}" if self.note else line


def merge(verdicts: list[Verdict]) -> Verdict:
    """Several answers about one role as one (the union of their actions; the first method and note)."""
    first = verdicts[0]
    return Verdict(
        role_name=first.role_name,
        exists=all(v.exists for v in verdicts),
        allowed=tuple(a for v in verdicts for a in v.allowed),
        missing=tuple(a for v in verdicts for a in v.missing),
        denied=tuple(a for v in verdicts for a in v.denied),
        sources=tuple(s for v in verdicts for s in v.sources),
        method=first.method,
        note="; ".join(dict.fromkeys(v.note for v in verdicts if v.note)),
    )
